#include "distributed/heartbeat.hpp"

#include <volt/sdk/core.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace volt::host {

namespace {

// The counters are plain 64-bit words updated with the GCC/Clang atomic builtins: lock-free on
// every platform LibTorch supports, so they work between processes.
uint64_t* counters(void* map) { return static_cast<uint64_t*>(map); }

std::string errno_text() { return std::strerror(errno); }

}  // namespace

HeartbeatBoard::HeartbeatBoard(const std::filesystem::path& file, int64_t workers)
    : file_(file), workers_(workers) {
  size_t bytes = static_cast<size_t>(workers) * sizeof(uint64_t);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(VOLT_ERROR_INTERNAL, "heartbeat file " + file.string() + ": " + errno_text());
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    std::string why = errno_text();
    ::close(fd);
    throw Error(VOLT_ERROR_INTERNAL, "heartbeat file " + file.string() + ": " + why);
  }
  map_ = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw Error(VOLT_ERROR_INTERNAL, "heartbeat file " + file.string() + ": mmap: " + errno_text());
  }
}

HeartbeatBoard::~HeartbeatBoard() {
  if (map_ != nullptr) ::munmap(map_, static_cast<size_t>(workers_) * sizeof(uint64_t));
}

uint64_t HeartbeatBoard::beats(int64_t slot) const {
  if (slot < 0 || slot >= workers_) return 0;
  return __atomic_load_n(counters(map_) + slot, __ATOMIC_RELAXED);
}

void start_heartbeat() {
  const char* file = std::getenv("VOLT_HEARTBEAT_FILE");
  const char* slot_text = std::getenv("VOLT_HEARTBEAT_SLOT");
  if (file == nullptr || *file == '\0' || slot_text == nullptr) return;
  static bool started = false;  // one beating thread per process (run_command may run twice)
  if (started) return;
  char* end = nullptr;
  long slot = std::strtol(slot_text, &end, 10);
  if (end == slot_text || *end != '\0' || slot < 0 || slot > 65535)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                std::string("VOLT_HEARTBEAT_SLOT='") + slot_text + "' is not a worker slot");
  int fd = ::open(file, O_RDWR | O_CLOEXEC);
  if (fd < 0) throw Error(VOLT_ERROR_INTERNAL, std::string("heartbeat file ") + file + ": " + errno_text());
  size_t bytes = static_cast<size_t>(slot + 1) * sizeof(uint64_t);
  off_t size = ::lseek(fd, 0, SEEK_END);
  void* map = size >= static_cast<off_t>(bytes)
                  ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED)
    throw Error(VOLT_ERROR_INTERNAL, std::string("heartbeat file ") + file + " has no slot " +
                                         slot_text + " (or cannot be mapped)");
  uint64_t* mine = counters(map) + slot;
  started = true;
  // Detached and never joined: it beats until the process ends, and the mapping stays with it.
  std::thread([mine] {
    for (;;) {
      __atomic_fetch_add(mine, 1, __ATOMIC_RELAXED);
      std::this_thread::sleep_for(kHeartbeatInterval);
    }
  }).detach();
}

std::string stopped_state_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return "";
  size_t close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 >= line.size()) return "";
  switch (line[close + 2]) {
    case 'T': return "stopped by a signal (SIGSTOP or Ctrl-Z)";
    case 't': return "stopped by a debugger";
    default: return "";
  }
}

}  // namespace volt::host

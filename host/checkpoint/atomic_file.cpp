#include "checkpoint/atomic_file.hpp"

#include <volt/sdk/core.hpp>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

void fsync_folder(const fs::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems do not allow it; the rename itself is done
  ::fsync(fd);
  ::close(fd);
}

// A checkpoint temporary nobody writes any more (its writer was killed): unlocked (writers hold
// an flock while they write) and untouched for a while (closing the gap between a writer's
// open and its flock).
constexpr auto kStaleAfter = std::chrono::seconds(10);

}  // namespace

void remove_stale_checkpoint_temporaries(const fs::path& folder) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(folder.empty() ? fs::path(".") : folder, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".ckpt.tmp";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::error_code e;
    if (!entry.is_regular_file(e) || now - entry.last_write_time(e) < kStaleAfter || e) continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(entry.path().c_str());
    ::close(fd);
  }
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  tmp_ = path_;
  tmp_ += ".tmp";
  std::error_code ec;
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
  if (ec)
    throw Error(VOLT_ERROR_UNAVAILABLE,
                "cannot create the folder of " + path_.string() + ": " + ec.message());
  remove_stale_checkpoint_temporaries(path_.parent_path());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open " + tmp_.string() + " for writing", errno);
  ::flock(fd_, LOCK_EX | LOCK_NB);  // released when the file is closed; see above
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());  // ours: the constructor succeeded
}

void AtomicFile::write(const void* data, size_t size) noexcept {
  const char* p = static_cast<const char*>(data);
  while (size > 0 && error_ == 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      return;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (error_ != 0) fail("cannot write " + tmp_.string(), error_);
  if (::fsync(fd_) != 0) fail("cannot flush " + tmp_.string() + " to disk", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close " + tmp_.string(), errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail("cannot rename " + tmp_.string() + " to " + path_.string(), errno);
  committed_ = true;
  fsync_folder(path_.parent_path());
}

void AtomicFile::fail(const std::string& what, int err) {
  throw Error(VOLT_ERROR_UNAVAILABLE,
              what + ": " + std::strerror(err) + " (" + path_.string() + " was left unchanged)");
}

void write_file_atomically(const fs::path& path, const void* data, size_t size) {
  AtomicFile file(path);
  file.write(data, size);
  file.commit();
}

}  // namespace volt::host

#include "event_file.hpp"

#include "protobuf_writer.hpp"

#include <volt/sdk.hpp>

#include <boost/crc.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>

namespace volt::loggers::tensorboard {

namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

std::string le64(uint64_t v) {
  std::string b(8, '\0');
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return b;
}
std::string le32(uint32_t v) {
  std::string b(4, '\0');
  for (int i = 0; i < 4; ++i) b[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return b;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t masked_crc32c(const char* data, size_t size) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data, size);
  uint32_t c = crc.checksum();
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord(const std::string& payload) {
  std::string length = le64(payload.size());
  return length + le32(masked_crc32c(length.data(), length.size())) + payload +
         le32(masked_crc32c(payload.data(), payload.size()));
}

EventFile::EventFile(const std::filesystem::path& dir, std::chrono::milliseconds flush_interval)
    : interval_(flush_interval) {
  static std::atomic<int> counter{0};
  char stamp[16];
  std::snprintf(stamp, sizeof(stamp), "%010lld", static_cast<long long>(now_seconds()));
  std::filesystem::create_directories(dir);
  path_ = dir / ("events.out.tfevents." + std::string(stamp) + "." + host_name() + "." +
                 std::to_string(::getpid()) + "." + std::to_string(counter++));
  append(ProtoWriter().double_(1, now_seconds()).bytes(3, "brain.Event:2").str());
  flush();
  writer_ = std::thread([this] { run(); });
}

EventFile::~EventFile() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  try {
    flush();
  } catch (...) {  // the owner's finalize reported it already
  }
}

void EventFile::append(const std::string& event) {
  std::string record = tfrecord(event);
  std::lock_guard<std::mutex> lock(queue_mutex_);
  queued_ += record;
}

void EventFile::write_pending() {
  std::string batch;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    batch.swap(queued_);
  }
  if (batch.empty()) return;
  std::ofstream out(path_, std::ios::binary | std::ios::app);
  out.write(batch.data(), static_cast<std::streamsize>(batch.size()));
  out.flush();
  if (!out) error_ = "cannot write " + path_.string();
}

void EventFile::flush() {
  std::lock_guard<std::mutex> lock(write_mutex_);
  write_pending();
  if (!error_.empty()) throw Error(VOLT_ERROR_DATA_LOSS, "tensorboard: " + error_);
}

void EventFile::run() {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    {
      std::lock_guard<std::mutex> write(write_mutex_);
      write_pending();
    }
    lock.lock();
  }
}

}  // namespace volt::loggers::tensorboard

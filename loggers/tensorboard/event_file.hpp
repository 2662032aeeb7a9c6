// A TensorBoard event file: TFRecord framing (uint64 length, masked CRC-32C of the length,
// data, masked CRC-32C of the data) around serialized Event messages, named as TensorBoard's
// EventFileWriter names it: events.out.tfevents.<10-digit time>.<host>.<pid>.<n>.
//
// append() only queues the record (the caller's thread does no I/O); a writer thread appends
// queued records to the file every `flush_interval` and on flush(). The file starts with the
// file_version event ("brain.Event:2").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace volt::loggers::tensorboard {

// TFRecord's masked CRC-32C (Castagnoli): ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const char* data, size_t size);

// One framed record around `payload`.
std::string tfrecord(const std::string& payload);

class EventFile {
 public:
  EventFile(const std::filesystem::path& dir, std::chrono::milliseconds flush_interval);
  ~EventFile();  // flushes
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Queues one serialized Event. Thread-safe, no I/O.
  void append(const std::string& event);
  // Writes everything queued and flushes the file; throws volt::Error when that fails.
  void flush();

 private:
  void write_pending();  // under write_mutex_
  void run();

  std::filesystem::path path_;
  std::chrono::milliseconds interval_;
  std::mutex queue_mutex_;
  std::string queued_;
  std::mutex write_mutex_;
  std::string error_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace volt::loggers::tensorboard

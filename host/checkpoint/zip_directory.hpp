// The central directory of a zip archive (torch.save's container), read to verify what
// LibTorch's zip reader does not: LibTorch builds miniz without its CRC-32 checks, so a flipped
// byte in tensor data or in data.pkl would load silently. Each record read is checked against
// the CRC-32 and the local header the directory gives for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace volt::host {

// Reads up to n bytes at pos into buf and returns how many it read (fewer only at the end).
using ReadAt = std::function<size_t(uint64_t pos, void* buf, size_t n)>;

inline constexpr size_t kMaxZipEntries = size_t{1} << 20;  // records one archive may hold

class ZipDirectory {
 public:
  // Throws volt::Error saying what is wrong with the directory (the caller adds the file).
  ZipDirectory(uint64_t archive_size, ReadAt read);

  // Throws volt::Error naming `record` (as torch names it: "data.pkl", "data/0") when its bytes
  // do not match the CRC-32 of the directory or its local header disagrees with the directory.
  void verify(const std::string& record, const void* data, size_t size) const;

  size_t size() const { return entries_.size(); }
  // Whether the first record lies in a top folder ("archive/data.pkl"), as torch.save writes.
  bool has_top_folder() const { return has_top_folder_; }
  bool has_record(const std::string& record) const { return entries_.count(prefix_ + record) != 0; }

  // The bytes of a small record (at most 1 MiB; stored or deflated), read here and checked like
  // verify(); nothing when the record is absent.
  std::optional<std::string> small_record(const std::string& record) const;

 private:
  struct Entry {
    uint32_t crc32 = 0;
    uint16_t flags = 0;
    uint16_t method = 0;
    uint64_t local_header = 0;
    uint64_t compressed_size = 0;
  };
  // The local header of `name` after checking it against the directory; returns where its data starts.
  uint64_t check_local_header(const std::string& name, const Entry& e) const;
  void read_entries(uint64_t offset, uint64_t count, uint64_t directory_size);
  std::string read_bytes(uint64_t pos, size_t n, const char* what) const;

  uint64_t archive_size_;
  ReadAt read_;
  std::string prefix_;  // the archive's top folder and '/', as PyTorchStreamReader takes it
  bool has_top_folder_ = false;
  std::map<std::string, Entry> entries_;
};

}  // namespace volt::host

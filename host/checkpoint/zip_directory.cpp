#include "checkpoint/zip_directory.hpp"

#include "checkpoint/zip_writer.hpp"

#include <volt/sdk/core.hpp>

#include <zlib.h>

#include <algorithm>

namespace volt::host {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxComment = 0xFFFF;
constexpr uint64_t kMaxDirectoryBytes = uint64_t{256} << 20;
constexpr uint16_t kSizesInDescriptor = 0x0008;  // general purpose flag bit 3

uint64_t le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

[[noreturn]] void damaged(const std::string& what) {
  throw Error(VOLT_ERROR_DATA_LOSS, "not a readable torch.save file (truncated or corrupt?): its zip directory: " + what);
}

}  // namespace

std::string ZipDirectory::read_bytes(uint64_t pos, size_t n, const char* what) const {
  if (pos > archive_size_ || n > archive_size_ - pos)
    damaged(std::string(what) + " lies beyond the end of the file (truncated?)");
  std::string out(n, '\0');
  if (n > 0 && read_(pos, out.data(), n) != n) damaged(std::string("cannot read ") + what);
  return out;
}

ZipDirectory::ZipDirectory(uint64_t archive_size, ReadAt read)
    : archive_size_(archive_size), read_(std::move(read)) {
  if (archive_size_ < kEndOfDirectorySize) damaged("the file is shorter than a zip archive");
  // The end record sits in the last 22 bytes plus at most a 64 KiB comment.
  const size_t tail = static_cast<size_t>(std::min<uint64_t>(archive_size_, kEndOfDirectorySize + kMaxComment));
  const uint64_t tail_start = archive_size_ - tail;
  const std::string t = read_bytes(tail_start, tail, "the end of the archive");
  size_t end = std::string::npos;
  for (size_t i = tail - kEndOfDirectorySize + 1; i-- > 0;)
    if (le(t, i, 4) == kEndOfDirectory) {
      end = i;
      break;
    }
  if (end == std::string::npos) damaged("no end-of-directory record (not a zip file, or truncated)");
  uint64_t count = le(t, end + 10, 2);
  uint64_t directory_size = le(t, end + 12, 4);
  uint64_t offset = le(t, end + 16, 4);
  if (count == 0xFFFF || directory_size == 0xFFFFFFFF || offset == 0xFFFFFFFF) {
    const uint64_t end_pos = tail_start + end;
    if (end_pos < 20) damaged("no zip64 locator before the end record");
    const std::string locator = read_bytes(end_pos - 20, 20, "the zip64 locator");
    if (le(locator, 0, 4) != kZip64Locator) damaged("no zip64 locator before the end record");
    const std::string z = read_bytes(le(locator, 8, 8), 56, "the zip64 end record");
    if (le(z, 0, 4) != kZip64EndOfDirectory) damaged("the zip64 locator points at no zip64 end record");
    count = le(z, 32, 8);
    directory_size = le(z, 40, 8);
    offset = le(z, 48, 8);
  }
  read_entries(offset, count, directory_size);
}

void ZipDirectory::read_entries(uint64_t offset, uint64_t count, uint64_t directory_size) {
  if (count > kMaxZipEntries)
    damaged(std::to_string(count) + " records (at most " + std::to_string(kMaxZipEntries) + ")");
  if (directory_size > kMaxDirectoryBytes)
    damaged("a directory of " + std::to_string(directory_size) + " bytes (at most " +
            std::to_string(kMaxDirectoryBytes) + ")");
  const std::string d = read_bytes(offset, static_cast<size_t>(directory_size), "the central directory");
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (d.size() - at < kCentralHeaderSize || le(d, at, 4) != kCentralHeader)
      damaged("record " + std::to_string(i) + " of " + std::to_string(count) + " has no valid header");
    const size_t name_length = le(d, at + 28, 2);
    const size_t extra_length = le(d, at + 30, 2);
    const size_t comment_length = le(d, at + 32, 2);
    const size_t total = kCentralHeaderSize + name_length + extra_length + comment_length;
    if (d.size() - at < total) damaged("record " + std::to_string(i) + " runs past the directory");
    Entry e;
    e.flags = static_cast<uint16_t>(le(d, at + 8, 2));
    e.method = static_cast<uint16_t>(le(d, at + 10, 2));
    e.crc32 = static_cast<uint32_t>(le(d, at + 16, 4));
    e.local_header = le(d, at + 42, 4);
    e.compressed_size = le(d, at + 20, 4);
    std::string name = d.substr(at + kCentralHeaderSize, name_length);
    if (e.local_header == 0xFFFFFFFF || e.compressed_size == 0xFFFFFFFF) {
      // The zip64 extra field holds, in this order, each 32-bit field that overflowed.
      size_t x = at + kCentralHeaderSize + name_length;
      const size_t x_end = x + extra_length;
      bool found = false;
      while (x + 4 <= x_end && !found) {
        const uint64_t id = le(d, x, 2);
        const size_t len = le(d, x + 2, 2);
        if (x + 4 + len > x_end) break;
        if (id == 0x0001) {
          // In order: uncompressed size, compressed size, local header offset, each if overflowed.
          size_t field = x + 4;
          const size_t fields_end = x + 4 + len;
          auto take = [&](uint64_t& value) {
            if (value != 0xFFFFFFFF) return true;
            if (field + 8 > fields_end) return false;
            value = le(d, field, 8);
            field += 8;
            return true;
          };
          uint64_t uncompressed = le(d, at + 24, 4);
          found = take(uncompressed) && take(e.compressed_size) && take(e.local_header);
          if (!found) break;
        }
        x += 4 + len;
      }
      if (!found) damaged("record " + name + " has no zip64 sizes or offset where its header says");
    }
    if (i == 0) {
      has_top_folder_ = name.find('/') != std::string::npos;
      prefix_ = name.substr(0, name.find('/')) + "/";
    }
    if (!entries_.emplace(std::move(name), e).second)
      damaged("a record name appears twice: " + d.substr(at + kCentralHeaderSize, name_length));
    at += total;
  }
}

uint64_t ZipDirectory::check_local_header(const std::string& name, const Entry& e) const {
  const std::string where = "the local header of " + name;
  const std::string h = read_bytes(e.local_header, kLocalHeaderSize, where.c_str());
  const std::string local_name = read_bytes(e.local_header + kLocalHeaderSize, le(h, 26, 2), where.c_str());
  if (le(h, 0, 4) != kLocalHeader || local_name != name || le(h, 6, 2) != e.flags ||
      le(h, 8, 2) != e.method || ((e.flags & kSizesInDescriptor) == 0 && le(h, 14, 4) != e.crc32))
    throw Error(VOLT_ERROR_DATA_LOSS, "record " + name + ": its local header disagrees with the zip directory "
                                      "(the file is damaged)");
  return e.local_header + kLocalHeaderSize + le(h, 26, 2) + le(h, 28, 2);
}

void ZipDirectory::verify(const std::string& record, const void* data, size_t size) const {
  const std::string name = prefix_ + record;
  auto it = entries_.find(name);
  if (it == entries_.end()) damaged("no directory record for " + name);
  const Entry& e = it->second;
  check_local_header(name, e);
  const uint32_t actual = crc32_of(data, size);
  if (actual != e.crc32)
    throw Error(VOLT_ERROR_DATA_LOSS, "record " + name + ": CRC-32 mismatch (the file is damaged: the data "
                                      "hashes to " + std::to_string(actual) + ", the directory says " +
                                      std::to_string(e.crc32) + ")");
}

std::optional<std::string> ZipDirectory::small_record(const std::string& record) const {
  const std::string name = prefix_ + record;
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  constexpr uint64_t kMaxSmallRecord = uint64_t{1} << 20;
  if (e.compressed_size > kMaxSmallRecord)
    damaged("record " + name + " claims " + std::to_string(e.compressed_size) + " bytes");
  const uint64_t data = check_local_header(name, e);
  std::string bytes = read_bytes(data, static_cast<size_t>(e.compressed_size), name.c_str());
  if (e.method == 8) {  // deflate, as a re-zipped archive may hold; raw stream, bounded output
    std::string out(kMaxSmallRecord, '\0');
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) damaged("cannot inflate " + name);
    z.next_in = reinterpret_cast<Bytef*>(bytes.data());
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_FINISH);
    out.resize(z.total_out);
    inflateEnd(&z);
    if (status != Z_STREAM_END) damaged("record " + name + " holds damaged deflate data");
    bytes = std::move(out);
  } else if (e.method != 0) {
    damaged("record " + name + " uses compression method " + std::to_string(e.method) +
            " (torch.save's reader reads stored and deflated records)");
  }
  verify(record, bytes.data(), bytes.size());
  return bytes;
}

}  // namespace volt::host

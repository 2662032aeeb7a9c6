#include "checkpoint/zip_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <future>
#include <system_error>

namespace volt::host {

namespace {

constexpr uint64_t kMax32 = 0xFFFFFFFFu;
constexpr uint64_t kAlignment = 64;           // PyTorchStreamWriter's kFieldAlignment
constexpr size_t kThreadedCrcBytes = 1 << 20;  // below this a thread costs more than it saves

void put16(std::string& s, uint64_t v) {
  for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put32(std::string& s, uint64_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

constexpr uint16_t kUtf8Names = 0x0800;

// The fields local and central headers share, from "version needed to extract" to the extra
// field's length: a stored record, no time stamp, UTF-8 names.
void put_shared_fields(std::string& h, bool zip64, uint32_t crc, uint64_t size,
                       size_t name_length, size_t extra_length) {
  put16(h, zip64 ? 45 : 20);
  put16(h, kUtf8Names);
  put16(h, 0);  // stored
  put16(h, 0);  // time
  put16(h, 0);  // date
  put32(h, crc);
  put32(h, zip64 ? kMax32 : size);  // compressed size
  put32(h, zip64 ? kMax32 : size);  // uncompressed size
  put16(h, name_length);
  put16(h, extra_length);
}

}  // namespace

uint32_t crc32_of(const void* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const Bytef* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    size -= n;
  }
  return static_cast<uint32_t>(crc);
}

TorchZipWriter::TorchZipWriter(Sink out, bool force_zip64)
    : out_(std::move(out)), force_zip64_(force_zip64) {}

void TorchZipWriter::write(const void* data, size_t size) {
  out_(data, size);
  position_ += size;
}

void TorchZipWriter::add(const std::string& name, const void* data, size_t size,
                         std::shared_ptr<const void> keep_alive) {
  Pending next;
  next.entry.name = "archive/" + name;
  next.entry.size = size;
  next.data = data;
  next.keep_alive = std::move(keep_alive);
  std::future<uint32_t> crc;
  if (size >= kThreadedCrcBytes) {
    try {
      crc = std::async(std::launch::async, crc32_of, data, size);
    } catch (const std::system_error&) {  // no thread available: compute it in line
    }
  }
  write_pending();  // the previous record, while this one's CRC is computed
  next.entry.crc = crc.valid() ? crc.get() : crc32_of(data, size);
  pending_ = std::move(next);
}

void TorchZipWriter::write_pending() {
  if (!pending_) return;
  write_record(pending_->entry, pending_->data);
  entries_.push_back(pending_->entry);
  pending_.reset();
}

void TorchZipWriter::write_record(Entry& e, const void* data) {
  e.offset = position_;
  bool zip64 = force_zip64_ || e.size >= kMax32 || e.offset >= kMax32;
  std::string extra;
  if (zip64) {  // the local header's ZIP64 field holds both sizes
    put16(extra, 0x0001);
    put16(extra, 16);
    put64(extra, e.size);
    put64(extra, e.size);
  }
  // "FB" padding so that the data starts at a multiple of 64 bytes, as PyTorch writes it.
  uint64_t data_start = e.offset + 30 + e.name.size() + extra.size() + 4;
  uint64_t pad = (kAlignment - data_start % kAlignment) % kAlignment;
  put16(extra, 0x4246);
  put16(extra, pad);
  extra.append(pad, 'Z');

  std::string h;
  put32(h, 0x04034b50);
  put_shared_fields(h, zip64, e.crc, e.size, e.name.size(), extra.size());
  h += e.name;
  h += extra;
  write(h.data(), h.size());
  if (e.size > 0) write(data, e.size);
}

void TorchZipWriter::finish() {
  write_pending();
  static const char kVersion[] = "3\n";  // the file format version PyTorch 1.13 writes
  Entry version{"archive/version", 2, 0, crc32_of(kVersion, 2)};
  write_record(version, kVersion);
  entries_.push_back(version);
  write_central_directory();
}

void TorchZipWriter::write_central_directory() {
  uint64_t cd_offset = position_;
  for (const Entry& e : entries_) {
    // A ZIP64 entry moves both sizes into the extra field, and the offset when it is large.
    bool big_offset = force_zip64_ || e.offset >= kMax32;
    bool zip64 = big_offset || e.size >= kMax32;
    std::string extra;
    if (zip64) {
      put16(extra, 0x0001);
      put16(extra, big_offset ? 24 : 16);
      put64(extra, e.size);
      put64(extra, e.size);
      if (big_offset) put64(extra, e.offset);
    }
    std::string h;
    put32(h, 0x02014b50);
    put16(h, zip64 ? 45 : 20);  // version made by
    put_shared_fields(h, zip64, e.crc, e.size, e.name.size(), extra.size());
    put16(h, 0);  // comment
    put16(h, 0);  // disk
    put16(h, 0);  // internal attributes
    put32(h, 0);  // external attributes
    put32(h, big_offset ? kMax32 : e.offset);
    h += e.name;
    h += extra;
    write(h.data(), h.size());
  }
  uint64_t cd_size = position_ - cd_offset;
  uint64_t count = entries_.size();
  bool zip64 = force_zip64_ || count >= 0xFFFF || cd_offset >= kMax32 || cd_size >= kMax32;
  std::string end;
  if (zip64) {
    uint64_t record_offset = position_;
    put32(end, 0x06064b50);  // ZIP64 end of central directory record
    put64(end, 44);
    put16(end, 45);
    put16(end, 45);
    put32(end, 0);
    put32(end, 0);
    put64(end, count);
    put64(end, count);
    put64(end, cd_size);
    put64(end, cd_offset);
    put32(end, 0x07064b50);  // its locator
    put32(end, 0);
    put64(end, record_offset);
    put32(end, 1);
  }
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, zip64 ? 0xFFFF : count);
  put16(end, zip64 ? 0xFFFF : count);
  put32(end, zip64 ? kMax32 : cd_size);
  put32(end, zip64 ? kMax32 : cd_offset);
  put16(end, 0);  // comment
  write(end.data(), end.size());
}

}  // namespace volt::host

// An independent reader of TFRecord files (TensorBoard event files): CRC-32C computed bit by
// bit, not with the Boost CRC the writer uses. For tests/loggers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace volt::test {

// CRC-32C, bit by bit (reflected polynomial 0x82F63B78), and TFRecord's mask.
inline uint32_t crc32c(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}
inline uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

inline uint64_t little_endian(const std::string& bytes) {
  uint64_t v = 0;
  for (size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

// The records of a TFRecord file; throws on a bad length or data CRC.
inline std::vector<std::string> read_records(const std::string& file) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < 12) throw std::runtime_error("truncated header");
    std::string length = file.substr(at, 8);
    if (masked(crc32c(length)) != little_endian(file.substr(at + 8, 4)))
      throw std::runtime_error("length CRC mismatch");
    uint64_t n = little_endian(length);
    if (file.size() - at - 12 < n + 4) throw std::runtime_error("truncated record");
    std::string data = file.substr(at + 12, n);
    if (masked(crc32c(data)) != little_endian(file.substr(at + 12 + n, 4)))
      throw std::runtime_error("data CRC mismatch");
    out.push_back(data);
    at += 12 + n + 4;
  }
  return out;
}

}  // namespace volt::test

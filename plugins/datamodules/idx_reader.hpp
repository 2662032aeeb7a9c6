// Reads gzipped IDX files (the MNIST / Fashion-MNIST format): big-endian magic with the
// element type and rank, then big-endian dimension sizes, then the raw data.
#pragma once

#include <volt/sdk.hpp>

#include <zlib.h>

#include <string>
#include <vector>

namespace volt::plugins {

// Bounds on what an IDX file may claim (docs/limits.md): a gzip bomb or a header with huge
// dimensions is an error, not an allocation that takes the machine down.
inline constexpr size_t kMaxIdxBytes = size_t{4} << 30;  // decompressed
inline constexpr size_t kMaxIdxRank = 8;

// The IDX array in `bytes` (decompressed); errors name `path`.
inline torch::Tensor decode_idx(const std::vector<uint8_t>& bytes, const std::string& path);

inline torch::Tensor read_idx_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(VOLT_ERROR_NOT_FOUND, "cannot open " + path);
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) {
    bytes.insert(bytes.end(), buf, buf + n);
    if (bytes.size() > kMaxIdxBytes) {
      gzclose(f);
      throw Error(VOLT_ERROR_DATA_LOSS, path + ": more than " + std::to_string(kMaxIdxBytes >> 30) +
                                            " GiB of data once decompressed");
    }
  }
  bool failed = n < 0;
  gzclose(f);
  if (failed) throw Error(VOLT_ERROR_DATA_LOSS, path + ": corrupt gzip data");
  return decode_idx(bytes, path);
}

inline torch::Tensor decode_idx(const std::vector<uint8_t>& bytes, const std::string& path) {
  auto be32 = [&](size_t at) {
    return (uint32_t(bytes[at]) << 24) | (uint32_t(bytes[at + 1]) << 16) |
           (uint32_t(bytes[at + 2]) << 8) | uint32_t(bytes[at + 3]);
  };
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
    throw Error(VOLT_ERROR_DATA_LOSS, path + ": not an IDX file of unsigned bytes");
  size_t rank = bytes[3];
  if (rank == 0 || rank > kMaxIdxRank)
    throw Error(VOLT_ERROR_DATA_LOSS, path + ": an IDX header with " + std::to_string(rank) +
                                          " dimensions (1 to " + std::to_string(kMaxIdxRank) + ")");
  if (bytes.size() < 4 + 4 * rank) throw Error(VOLT_ERROR_DATA_LOSS, path + ": truncated header");
  std::vector<int64_t> shape;
  // LibTorch refuses a shape whose dimensions overflow when multiplied, even with a zero among
  // them, so the product of the nonzero ones is bounded too (capped once past the limit).
  constexpr int64_t kLimit = static_cast<int64_t>(kMaxIdxBytes);
  int64_t nonzero = 1;
  bool empty = false;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t d = be32(4 + 4 * i);
    shape.push_back(d);
    if (d == 0) empty = true;
    else nonzero = nonzero > kLimit / d ? kLimit + 1 : nonzero * d;
  }
  if (nonzero > kLimit)
    throw Error(VOLT_ERROR_DATA_LOSS, path + ": an IDX header whose dimensions claim more than " +
                                          std::to_string(kMaxIdxBytes >> 30) + " GiB");
  const int64_t count = empty ? 0 : nonzero;
  size_t offset = 4 + 4 * rank;
  if (bytes.size() != offset + static_cast<size_t>(count))
    throw Error(VOLT_ERROR_DATA_LOSS, path + ": expected " + std::to_string(count) +
                                          " data bytes, found " +
                                          std::to_string(bytes.size() - offset));
  return torch::from_blob(const_cast<uint8_t*>(bytes.data()) + offset, shape, torch::kUInt8).clone();
}

}  // namespace volt::plugins

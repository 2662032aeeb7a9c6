// The IDX decoder (plugins/datamodules/idx_reader.hpp) on headers made here. A zero among huge
// dimensions once escaped as LibTorch's "numel: integer multiplication overflow" and aborted
// the process (found by tests/fuzz/idx_reader_fuzz.cpp).
#include "datamodules/idx_reader.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace volt::plugins {
namespace {

std::vector<uint8_t> idx(const std::vector<uint32_t>& dims, size_t data_bytes) {
  std::vector<uint8_t> b = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(d >> shift));
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    decode_idx(bytes, "x.idx");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("IDX arrays decode with their shape and bytes", "[datamodules][limits]") {
  torch::Tensor t = decode_idx(idx({2, 3}, 6), "x.idx");
  CHECK(t.sizes() == torch::IntArrayRef({2, 3}));
  CHECK(t.dtype() == torch::kUInt8);
  CHECK(t.flatten()[5].item<int64_t>() == 35);
  CHECK(decode_idx(idx({0, 28, 28}, 0), "x.idx").sizes() == torch::IntArrayRef({0, 28, 28}));
}

TEST_CASE("IDX headers whose dimensions overflow are errors naming the file", "[datamodules][limits]") {
  for (const auto& dims : std::vector<std::vector<uint32_t>>{
           {0xFFFFFFFF, 0, 0xFFFFFFFF}, {0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {65536, 65536, 2}}) {
    INFO(dims.size() << " dimensions");
    CHECK_THAT(error_of(idx(dims, 0)), Catch::Contains("x.idx: an IDX header whose dimensions claim more than 4 GiB"));
  }
  CHECK_THAT(error_of(idx({4, 4}, 15)), Catch::Contains("x.idx: expected 16 data bytes, found 15"));
}

}  // namespace
}  // namespace volt::plugins

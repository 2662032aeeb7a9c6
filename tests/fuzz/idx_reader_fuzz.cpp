// Fuzz target: the IDX decoder of the Fashion-MNIST datamodule (header, rank, claimed sizes)
// on decompressed bytes; gzip itself is zlib's.
#include "idx_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    volt::plugins::decode_idx(std::vector<uint8_t>(data, data + size), "fuzz.idx");
  } catch (const volt::Error&) {
  }
  return 0;
}

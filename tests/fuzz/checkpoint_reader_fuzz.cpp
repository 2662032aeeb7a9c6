// Fuzz target: the checkpoint reader (zip directory, CRC-32 checks, pickle, tensor rebuild) on
// torch.save bytes. Anything but a volt::Error naming the problem is a finding.
#include "checkpoint/pickle_reader.hpp"

#include <volt/sdk/core.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    volt::host::read_torch_bytes(data, size);
  } catch (const volt::Error&) {
  }
  return 0;
}

// Fuzz target: the ELF check the plugin registry runs before dlopen. It never throws.
#include "plugin/elf_check.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  volt::host::elf_problem_in(data, size);
  return 0;
}

// Keeps freed tensor memory inside the process during training.
//
// glibc's malloc serves blocks above its mmap threshold (128 KiB, raised on the fly up to the
// size of the last freed block) with fresh mmap()s and trims the top of the heap back to the
// kernel once more than twice that threshold is free. A training step frees and re-allocates
// the same activation and gradient buffers every step, so, depending on where the heap's top
// happens to lie, each step can pay for page faults on megabytes of memory: measured on the
// `cnn` example (1 thread, batch 64, a 2-vCPU VM), 22% of the time in page faults and steps of
// 70 to 115 ms that moved with the size of the environment; 25 ms with the settings below.
// LibTorch's CPU allocator has no cache of its own, so the host sets glibc's:
//  - blocks under kMmapThresholdBytes come from the heap (glibc's ceiling for the threshold);
//  - up to kTrimThresholdBytes of free memory at the heap's top stays in the process.
// The resident size therefore stays near the peak of a step, as with PyTorch's CUDA caching
// allocator on GPUs.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace volt::host {

inline constexpr std::size_t kMmapThresholdBytes = std::size_t{32} << 20;
inline constexpr std::size_t kTrimThresholdBytes = std::size_t{1} << 30;

// Applies the settings above unless the environment already configures malloc
// (MALLOC_*_ variables or glibc.malloc tunables in GLIBC_TUNABLES), another allocator is
// preloaded (LD_PRELOAD), VOLT_MALLOC_TUNING is 0/false/off, or the C library is not glibc.
// Returns what was done, for the debug log. Call once, early in main, before threads start.
std::string tune_malloc_for_training(const std::map<std::string, std::string>& env);

}  // namespace volt::host

// Lightning's seed_everything: seeds LibTorch's global generators (CPU and CUDA). Call it
// before plugins are created, so that model initialisation is reproducible too.
#pragma once

#include <cstdint>

namespace volt::host {

void seed_everything(uint64_t seed);

}  // namespace volt::host

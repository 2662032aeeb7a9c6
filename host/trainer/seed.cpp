#include "trainer/seed.hpp"

#include <volt/sdk/torch_core.hpp>

namespace volt::host {

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);  // also seeds every CUDA device when CUDA is present
}

}  // namespace volt::host

// Entering and leaving LibTorch's autocast for one device type, across LibTorch versions
// (2.4 replaced the per-device functions with ones that take the device type).
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace volt::plugins {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define VOLT_AUTOCAST_BY_DEVICE_TYPE 1
#endif

// An autocast region on the calling thread, like Python's `with torch.autocast(...)`: the
// previous state comes back on exit, and the cast cache is cleared when the outermost region
// ends.
class AutocastRegion {
 public:
  void enter(bool cuda, at::ScalarType dtype) {
    cuda_ = cuda;
#ifdef VOLT_AUTOCAST_BY_DEVICE_TYPE
    at::DeviceType type = cuda ? at::kCUDA : at::kCPU;
    prev_enabled_ = at::autocast::is_autocast_enabled(type);
    prev_dtype_ = at::autocast::get_autocast_dtype(type);
    at::autocast::set_autocast_enabled(type, true);
    at::autocast::set_autocast_dtype(type, dtype);
#else
    prev_enabled_ = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    prev_dtype_ = cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    if (cuda) {
      at::autocast::set_enabled(true);
      at::autocast::set_autocast_gpu_dtype(dtype);
    } else {
      at::autocast::set_cpu_enabled(true);
      at::autocast::set_autocast_cpu_dtype(dtype);
    }
#endif
    at::autocast::increment_nesting();
    active_ = true;
  }

  void exit() {
    if (!active_) return;
    active_ = false;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef VOLT_AUTOCAST_BY_DEVICE_TYPE
    at::DeviceType type = cuda_ ? at::kCUDA : at::kCPU;
    at::autocast::set_autocast_enabled(type, prev_enabled_);
    at::autocast::set_autocast_dtype(type, prev_dtype_);
#else
    if (cuda_) {
      at::autocast::set_enabled(prev_enabled_);
      at::autocast::set_autocast_gpu_dtype(prev_dtype_);
    } else {
      at::autocast::set_cpu_enabled(prev_enabled_);
      at::autocast::set_autocast_cpu_dtype(prev_dtype_);
    }
#endif
  }

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

}  // namespace volt::plugins

// What a replacing hook's args.default_ctx points to (ABI 1.10, volt/c/hooks.h): the trainer's
// own step, which the module may run once through args.run_default, as Lightning hands
// optimizer_step a closure; the clipping behind clip_gradients in configure_gradient_clipping;
// the batch that the batch transfer hooks may replace.
#pragma once

#include "trainer/components.hpp"

#include <functional>
#include <string>

namespace volt::host {

struct DefaultSteps {
  const std::function<void()>* run = nullptr;
  const std::function<void(double, const std::string&)>* clip = nullptr;
  HostBatch* batch = nullptr;
  const char* hook = "";
  int calls = 0;

  // Points `a`'s run_default, clip_gradients and replace_batch at this object, which must
  // outlive the hook call.
  void attach(volt_hook_args& a, int32_t hook_id);
};

}  // namespace volt::host

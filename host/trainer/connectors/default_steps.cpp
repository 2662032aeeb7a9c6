#include "trainer/connectors/default_steps.hpp"

#include "trainer/metric_collector.hpp"

#include <volt/sdk/core.hpp>

#include <cmath>
#include <vector>

namespace volt::host {

namespace {

volt_error* run_default_step(void* ctx) {
  auto* d = static_cast<DefaultSteps*>(ctx);
  return error_from([&] {
    if (d->run == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION, std::string(d->hook) + " has no default step");
    if (d->calls++ > 0)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  std::string(d->hook) + " asked for the trainer's step twice in one call");
    (*d->run)();
  });
}

volt_error* clip_with(void* ctx, double clip_val, const char* algorithm) {
  auto* d = static_cast<DefaultSteps*>(ctx);
  return error_from([&] {
    if (d->clip == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "clip_gradients is only available in configure_gradient_clipping");
    (*d->clip)(clip_val, algorithm != nullptr ? algorithm : "norm");
  });
}

volt_error* replace_host_batch(void* ctx, volt_tensor* const* tensors, size_t count) {
  auto* d = static_cast<DefaultSteps*>(ctx);
  return error_from([&] {
    if (d->batch == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION, "only the batch transfer hooks replace the batch");
    if (count > 0 && tensors == nullptr) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "no tensors");
    std::vector<at::Tensor> kept;  // before clear(): the new batch may share the old handles
    kept.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (tensors[i] == nullptr)
        throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                    std::string(d->hook) + ": tensor " + std::to_string(i) + " of the batch is NULL");
      kept.push_back(volt::unwrap(tensors[i]));
    }
    d->batch->clear();
    for (auto& t : kept) d->batch->push(std::move(t));
  });
}

}  // namespace

void DefaultSteps::attach(volt_hook_args& a, int32_t hook_id) {
  hook = hook_name(hook_id);
  a.default_ctx = this;
  a.run_default = run_default_step;
  a.clip_gradients = clip_with;
  a.replace_batch = replace_host_batch;
  a.gradient_clip_val = std::nan("");
}

}  // namespace volt::host

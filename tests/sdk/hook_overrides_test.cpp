// The C++ layer finds which hooks a class overrides (sdk/include/volt/sdk/hook_overrides.hpp)
// and its tables answer implements_hook (ABI 1.7) with that; in doubt a hook counts as
// implemented, so it is called.
#include "runtime/host_api.hpp"

#include <volt/sdk.hpp>

#include <catch2/catch.hpp>

#include <vector>

namespace {

using volt::detail::HookSet;
using volt::detail::overridden_hooks;

struct Plain : volt::Callback {};

struct BatchEnd : volt::Callback {
  void on_fit_start() override {}
  void on_train_batch_end(const torch::Tensor&, const volt::Batch&, int64_t) override {}
};

// Overrides one more hook on top of BatchEnd's.
struct MoreHooks : BatchEnd {
  void on_after_backward() override {}
};

// A non-public override cannot be named from outside: it counts as implemented.
class HiddenOverride : public volt::Callback {
  void on_train_start() override {}
};

struct Module : volt::LightningModule {
  torch::Tensor training_step(const volt::Batch&, int64_t) override { return {}; }
  volt::Optimizers configure_optimizers() override { return {}; }
  void on_before_backward(const torch::Tensor&) override {}
};

std::vector<int32_t> hooks_in(const HookSet& s) {
  std::vector<int32_t> out;
  for (int32_t h = 0; h < 128; ++h)
    if (s.has(h)) out.push_back(h);
  return out;
}

}  // namespace

TEST_CASE("overridden_hooks lists the hooks a callback class overrides", "[sdk][hooks]") {
  // setup always: it is where a callback learns its module.
  CHECK(hooks_in(overridden_hooks<Plain, volt::Callback>()) == std::vector<int32_t>{VOLT_HOOK_SETUP});
  CHECK(hooks_in(overridden_hooks<BatchEnd, volt::Callback>()) ==
        std::vector<int32_t>{VOLT_HOOK_SETUP, VOLT_HOOK_ON_FIT_START, VOLT_HOOK_ON_TRAIN_BATCH_END});
  CHECK(hooks_in(overridden_hooks<MoreHooks, volt::Callback>()) ==
        std::vector<int32_t>{VOLT_HOOK_SETUP, VOLT_HOOK_ON_FIT_START, VOLT_HOOK_ON_TRAIN_BATCH_END,
                             VOLT_HOOK_ON_AFTER_BACKWARD});
  CHECK(overridden_hooks<HiddenOverride, volt::Callback>().has(VOLT_HOOK_ON_TRAIN_START));
  CHECK_FALSE(overridden_hooks<HiddenOverride, volt::Callback>().has(VOLT_HOOK_ON_TRAIN_END));
}

TEST_CASE("overridden_hooks keeps a module's eval/train switches", "[sdk][hooks]") {
  // Validation's switches and zero_grad do the work themselves; test's and predict's only when
  // overridden (the host switches the mode before calling them).
  CHECK(hooks_in(overridden_hooks<Module, volt::LightningModule>()) ==
        std::vector<int32_t>{VOLT_HOOK_ON_BEFORE_BACKWARD, VOLT_HOOK_ON_VALIDATION_MODEL_EVAL,
                             VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN,
                             VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD});
  struct KeepsDropout : volt::LightningModule {
    void on_test_model_eval() override { train(); }
  };
  CHECK(overridden_hooks<KeepsDropout, volt::LightningModule>().has(VOLT_HOOK_ON_TEST_MODEL_EVAL));
  CHECK_FALSE(overridden_hooks<KeepsDropout, volt::LightningModule>().has(VOLT_HOOK_ON_PREDICT_MODEL_EVAL));
}

TEST_CASE("adapted tables answer implements_hook", "[sdk][hooks]") {
  volt::host::host_api();  // the C++ layer's host table

  volt_callback* cb = volt::detail::adapt(std::make_shared<BatchEnd>(),
                                          overridden_hooks<BatchEnd, volt::Callback>());
  REQUIRE(VOLT_HAS_FIELD(cb, volt_callback, implements_hook));
  CHECK(cb->implements_hook(cb, VOLT_HOOK_ON_TRAIN_BATCH_END));
  CHECK_FALSE(cb->implements_hook(cb, VOLT_HOOK_ON_TRAIN_BATCH_START));
  CHECK_FALSE(cb->implements_hook(cb, 200));  // an id out of range does nothing either
  cb->destroy(cb);

  // Without a set (a table made outside VOLT_PLUGINS), every hook is called.
  volt_callback* all = volt::detail::adapt(std::make_shared<BatchEnd>());
  CHECK(all->implements_hook(all, VOLT_HOOK_ON_TRAIN_BATCH_START));
  all->destroy(all);

  auto* module = new volt::detail::ModuleAdapter(std::make_shared<Module>(),
                                                 overridden_hooks<Module, volt::LightningModule>());
  volt_module* m = &module->table;
  REQUIRE(VOLT_HAS_FIELD(m, volt_module, implements_hook));
  CHECK(m->implements_hook(m, VOLT_HOOK_ON_BEFORE_BACKWARD));
  CHECK(m->implements_hook(m, VOLT_HOOK_ON_VALIDATION_MODEL_EVAL));
  CHECK_FALSE(m->implements_hook(m, VOLT_HOOK_ON_AFTER_BACKWARD));
  m->destroy(m);
}

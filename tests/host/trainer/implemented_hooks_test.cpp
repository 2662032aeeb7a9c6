// The trainer calls a module or callback only for the hooks it implements (ABI 1.7's
// implements_hook, host/trainer/implemented_hooks.hpp), and every hook for a plugin built
// before 1.7. A callback table written here in plain C style counts what reaches it.
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

namespace {

using namespace volt::trainer_test;

// A callback table that counts every on_hook call by id. `implemented`: what implements_hook
// answers true for; `abi_1_6`: a struct_size that ends before implements_hook.
struct CountingCallback {
  volt_callback table{};
  std::set<int32_t> implemented;
  std::map<int32_t, int> calls;
  int asked = 0;

  CountingCallback(std::set<int32_t> hooks, bool abi_1_6) : implemented(std::move(hooks)) {
    table.struct_size = abi_1_6 ? VOLT_STRUCT_SIZE(volt_callback, load_state) : sizeof(table);
    table.impl = this;
    table.destroy = [](volt_callback*) {};  // the test owns it
    table.state_key = [](volt_callback*) { return "counting"; };
    table.on_hook = [](volt_callback* self, int32_t hook, const volt_hook_args*) -> volt_error* {
      ++static_cast<CountingCallback*>(self->impl)->calls[hook];
      return nullptr;
    };
    table.implements_hook = [](volt_callback* self, int32_t hook) {
      auto* me = static_cast<CountingCallback*>(self->impl);
      ++me->asked;
      return me->implemented.count(hook) != 0;
    };
  }

  void add_to(volt::host::TrainerComponents& c) {
    auto context = std::make_unique<volt_host_context>();
    context->label = "callback 'counting'";
    c.callbacks.emplace_back(&table, std::move(context));
  }
};

nlohmann::json two_epochs() {
  return resolve({"--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[4]",
                  "--model.num_classes=3", "--data=synthetic", "--data.shape=[8]",
                  "--data.num_classes=3", "--data.size=64", "--data.val_size=32",
                  "--data.batch_size=8", "--logger=false", "--trainer.max_epochs=2",
                  "--trainer.limit_train_batches=3", "--trainer.limit_val_batches=2",
                  "--trainer.num_sanity_val_steps=0", "--trainer.enable_checkpointing=false",
                  "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"});
}

}  // namespace

TEST_CASE("a callback gets only the hooks it says it implements", "[trainer][hooks]") {
  CountingCallback counting({VOLT_HOOK_ON_FIT_START, VOLT_HOOK_ON_TRAIN_BATCH_END}, false);
  fit(two_epochs(), std::nullopt, [&](volt::host::TrainerComponents& c) { counting.add_to(c); });
  CHECK(counting.calls == std::map<int32_t, int>{{VOLT_HOOK_ON_FIT_START, 1},
                                                 {VOLT_HOOK_ON_TRAIN_BATCH_END, 6}});
  // Asked once per hook id when the trainer was made, not per call.
  CHECK(counting.asked == 128);
}

TEST_CASE("a callback built against ABI 1.6 gets every hook", "[trainer][hooks]") {
  CountingCallback counting({}, true);
  fit(two_epochs(), std::nullopt, [&](volt::host::TrainerComponents& c) { counting.add_to(c); });
  CHECK(counting.asked == 0);
  CHECK(counting.calls[VOLT_HOOK_SETUP] == 1);
  CHECK(counting.calls[VOLT_HOOK_ON_FIT_START] == 1);
  CHECK(counting.calls[VOLT_HOOK_ON_TRAIN_BATCH_START] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_BEFORE_ZERO_GRAD] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_BEFORE_BACKWARD] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_AFTER_BACKWARD] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_TRAIN_BATCH_END] == 6);
  CHECK(counting.calls[VOLT_HOOK_ON_VALIDATION_BATCH_END] == 4);
  CHECK(counting.calls[VOLT_HOOK_ON_TRAIN_EPOCH_END] == 2);
  CHECK(counting.calls[VOLT_HOOK_TEARDOWN] == 1);
}

TEST_CASE("a shipped module built with VOLT_PLUGINS implements only the hooks its class "
          "overrides",
          "[trainer][hooks]") {
  // The mlp module (plugins/modules) overrides no hook; the eval/train switches around
  // validation are the base class's own work and always run.
  std::map<int32_t, bool> answers;
  FitResult r = fit(two_epochs(), std::nullopt, [&](volt::host::TrainerComponents& c) {
    REQUIRE(VOLT_HAS_FIELD(c.module.get(), volt_module, implements_hook));
    REQUIRE(c.module->implements_hook != nullptr);
    for (int32_t hook : {VOLT_HOOK_SETUP, VOLT_HOOK_ON_TRAIN_BATCH_START,
                         VOLT_HOOK_ON_BEFORE_BACKWARD, VOLT_HOOK_ON_TRAIN_EPOCH_END,
                         VOLT_HOOK_ON_VALIDATION_MODEL_EVAL, VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN})
      answers[hook] = c.module->implements_hook(c.module.get(), hook);
  });
  CHECK(answers == std::map<int32_t, bool>{{VOLT_HOOK_SETUP, false},
                                           {VOLT_HOOK_ON_TRAIN_BATCH_START, false},
                                           {VOLT_HOOK_ON_BEFORE_BACKWARD, false},
                                           {VOLT_HOOK_ON_TRAIN_EPOCH_END, false},
                                           {VOLT_HOOK_ON_VALIDATION_MODEL_EVAL, true},
                                           {VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN, true}});
  CHECK(r.global_step == 6);
}

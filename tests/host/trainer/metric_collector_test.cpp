// MetricCollector against Lightning's self.log semantics (lightning.md section 2,
// trainer/connectors/logger_connector/{fx_validator.py,result.py}): default on_step/on_epoch
// per hook, hooks where logging is forbidden or epoch-only, batch-size weighted epoch means,
// max/min/sum, `name_step`/`name_epoch` when both, callback metrics, logger/prog_bar flags
// and sync_dist.
#include "trainer/metric_collector.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <utility>
#include <vector>

namespace volt::host {
namespace {

using Row = ScalarRow;

// One self.log call: owns the name and the value for as long as the args are used.
struct Log {
  std::string name;
  at::Tensor value;  // undefined: `scalar` is the value
  double scalar = 0;
  int32_t on_step = VOLT_DEFAULT;
  int32_t on_epoch = VOLT_DEFAULT;
  int32_t reduce = VOLT_REDUCE_MEAN;
  bool logger = true;
  bool prog_bar = false;
  bool sync_dist = false;
  bool rank_zero_only = false;
  int64_t batch_size = 0;

  Log(std::string n, double v) : name(std::move(n)), value(at::scalar_tensor(v, at::kFloat)) {}
  Log& step(bool v) { on_step = v ? VOLT_TRUE : VOLT_FALSE; return *this; }
  Log& epoch(bool v) { on_epoch = v ? VOLT_TRUE : VOLT_FALSE; return *this; }
  Log& reduce_fx(int32_t r) { reduce = r; return *this; }
  Log& bs(int64_t b) { batch_size = b; return *this; }
  Log& no_logger() { logger = false; return *this; }
  Log& bar() { prog_bar = true; return *this; }
  Log& sync() { sync_dist = true; return *this; }
  Log& zero_only() { rank_zero_only = true; return *this; }
  Log& tensor(at::Tensor t) { value = std::move(t); return *this; }
  Log& plain_scalar(double v) { value = at::Tensor(); scalar = v; return *this; }

  volt_log_args args() const {
    volt_log_args a{};
    a.struct_size = volt::abi_size(&a);
    a.name = name.c_str();
    a.value = value.defined() ? volt::borrow(value) : nullptr;
    a.scalar = scalar;
    a.on_step = on_step;
    a.on_epoch = on_epoch;
    a.reduce_fx = reduce;
    a.prog_bar = prog_bar;
    a.logger = logger;
    a.sync_dist = sync_dist;
    a.rank_zero_only = rank_zero_only;
    a.batch_size = batch_size;
    return a;
  }
};

void log(MetricCollector& m, MetricScope scope, int32_t hook, const Log& l,
         int64_t current_batch_size = 1) {
  m.log(scope, hook, l.args(), current_batch_size);
}

double metric(const MetricCollector& m, const std::string& name) {
  double v = std::nan("");
  INFO("callback metric " << name);
  REQUIRE(m.callback_metric(name, v));
  return v;
}

bool has_metric(const MetricCollector& m, const std::string& name) {
  double v = 0;
  return m.callback_metric(name, v);
}

std::string describe(const Row& row) {
  std::string s = "{";
  for (const auto& [k, v] : row) s += " " + k + "=" + std::to_string(v);
  return s + " }";
}

// --- defaults per hook (fx_validator.py) -------------------------------------------------------

TEST_CASE("log_defaults_for_hook follows Lightning's fx_validator table", "[metrics]") {
  struct Case {
    int32_t hook;
    bool allowed, on_step, on_epoch, epoch_only;
  };
  const Case cases[] = {
      // step-level hooks: on_step=True, on_epoch=False
      {VOLT_HOOK_TRAINING_STEP, true, true, false, false},
      {VOLT_HOOK_ON_TRAIN_BATCH_START, true, true, false, false},
      {VOLT_HOOK_ON_TRAIN_BATCH_END, true, true, false, false},
      {VOLT_HOOK_ON_BEFORE_BACKWARD, true, true, false, false},
      {VOLT_HOOK_ON_AFTER_BACKWARD, true, true, false, false},
      {VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP, true, true, false, false},
      {VOLT_HOOK_ON_BEFORE_ZERO_GRAD, true, true, false, false},
      // evaluation steps and batch hooks: on_step=False, on_epoch=True, both allowed
      {VOLT_HOOK_VALIDATION_STEP, true, false, true, false},
      {VOLT_HOOK_TEST_STEP, true, false, true, false},
      {VOLT_HOOK_ON_VALIDATION_BATCH_START, true, false, true, false},
      {VOLT_HOOK_ON_VALIDATION_BATCH_END, true, false, true, false},
      {VOLT_HOOK_ON_TEST_BATCH_START, true, false, true, false},
      {VOLT_HOOK_ON_TEST_BATCH_END, true, false, true, false},
      // epoch-level hooks: only on_step=False, on_epoch=True
      {VOLT_HOOK_ON_TRAIN_START, true, false, true, true},
      {VOLT_HOOK_ON_TRAIN_EPOCH_START, true, false, true, true},
      {VOLT_HOOK_ON_TRAIN_EPOCH_END, true, false, true, true},
      {VOLT_HOOK_ON_VALIDATION_START, true, false, true, true},
      {VOLT_HOOK_ON_VALIDATION_EPOCH_START, true, false, true, true},
      {VOLT_HOOK_ON_VALIDATION_EPOCH_END, true, false, true, true},
      {VOLT_HOOK_ON_TEST_START, true, false, true, true},
      {VOLT_HOOK_ON_TEST_EPOCH_START, true, false, true, true},
      {VOLT_HOOK_ON_TEST_EPOCH_END, true, false, true, true},
      // logging forbidden
      {VOLT_HOOK_SETUP, false, false, false, false},
      {VOLT_HOOK_TEARDOWN, false, false, false, false},
      {VOLT_HOOK_CONFIGURE_OPTIMIZERS, false, false, false, false},
      {VOLT_HOOK_ON_FIT_START, false, false, false, false},
      {VOLT_HOOK_ON_FIT_END, false, false, false, false},
      {VOLT_HOOK_ON_TRAIN_END, false, false, false, false},
      {VOLT_HOOK_ON_VALIDATION_END, false, false, false, false},
      {VOLT_HOOK_ON_TEST_END, false, false, false, false},
      {VOLT_HOOK_ON_SANITY_CHECK_START, false, false, false, false},
      {VOLT_HOOK_ON_SANITY_CHECK_END, false, false, false, false},
      {VOLT_HOOK_PREDICT_STEP, false, false, false, false},
      {VOLT_HOOK_ON_PREDICT_START, false, false, false, false},
      {VOLT_HOOK_ON_PREDICT_EPOCH_END, false, false, false, false},
      {VOLT_HOOK_ON_PREDICT_BATCH_END, false, false, false, false},
      {VOLT_HOOK_ON_VALIDATION_MODEL_EVAL, false, false, false, false},
      {VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN, false, false, false, false},
      {VOLT_HOOK_NONE, false, false, false, false},
  };
  for (const Case& c : cases) {
    INFO("hook " << hook_name(c.hook));
    bool on_step = false, on_epoch = false, epoch_only = false;
    bool allowed = log_defaults_for_hook(c.hook, on_step, on_epoch, epoch_only);
    CHECK(allowed == c.allowed);
    if (!c.allowed) continue;
    CHECK(on_step == c.on_step);
    CHECK(on_epoch == c.on_epoch);
    CHECK(epoch_only == c.epoch_only);
  }
}

TEST_CASE("training_step logs on step only by default", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("loss", 2.0));
  Row step = m.take_step_metrics(MetricScope::Train);
  INFO(describe(step));
  CHECK(step == Row{{"loss", 2.0}});
  CHECK(metric(m, "loss") == 2.0);
  CHECK(m.take_step_metrics(MetricScope::Train).empty());  // taken once
  CHECK(m.finish_epoch(MetricScope::Train).empty());       // no epoch value
  CHECK_FALSE(has_metric(m, "loss_epoch"));
}

TEST_CASE("validation_step logs on epoch only by default, as a batch-size weighted mean",
          "[metrics]") {
  MetricCollector m;
  SECTION("batch size from the current batch") {
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 1.0), 10);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 4.0), 30);
  }
  SECTION("batch_size given to log() wins over the current batch") {
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 1.0).bs(10), 999);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 4.0).bs(30), 1);
  }
  CHECK(m.take_step_metrics(MetricScope::Validation).empty());
  CHECK_FALSE(has_metric(m, "val_loss"));  // no value before the epoch ends
  Row epoch = m.finish_epoch(MetricScope::Validation);
  INFO(describe(epoch));
  REQUIRE(epoch.size() == 1);
  CHECK(epoch[0].first == "val_loss");
  CHECK(epoch[0].second == Approx(3.25).epsilon(1e-12));  // (1*10 + 4*30) / 40
  CHECK(metric(m, "val_loss") == Approx(3.25).epsilon(1e-12));
  // The scope starts over: the next epoch is not mixed with this one.
  log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 2.0), 5);
  Row next = m.finish_epoch(MetricScope::Validation);
  REQUIRE(next.size() == 1);
  CHECK(next[0].second == Approx(2.0));
}

TEST_CASE("reduce_fx max, min and sum ignore batch sizes", "[metrics]") {
  MetricCollector m;
  const double values[] = {3.0, 7.0, 5.0};
  const int64_t sizes[] = {1, 2, 100};
  for (int k = 0; k < 3; ++k) {
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP,
        Log("hi", values[k]).reduce_fx(VOLT_REDUCE_MAX), sizes[k]);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP,
        Log("lo", values[k]).reduce_fx(VOLT_REDUCE_MIN), sizes[k]);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP,
        Log("total", values[k]).reduce_fx(VOLT_REDUCE_SUM), sizes[k]);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("avg", values[k]), sizes[k]);
  }
  Row epoch = m.finish_epoch(MetricScope::Validation);
  INFO(describe(epoch));
  CHECK(metric(m, "hi") == 7.0);
  CHECK(metric(m, "lo") == 3.0);
  CHECK(metric(m, "total") == 15.0);
  // Lightning's mean of numbers: float32 sums of value * batch_size, over the float32 count.
  CHECK(metric(m, "avg") == static_cast<double>((3.0f * 1 + 7.0f * 2 + 5.0f * 100) / 103.0f));
  CHECK(epoch.size() == 4);
}

TEST_CASE("an invalid reduce_fx is rejected", "[metrics]") {
  MetricCollector m;
  CHECK_THROWS_AS(
      log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("x", 1.0).reduce_fx(7)),
      volt::Error);
}

TEST_CASE("on_step and on_epoch together give name_step and name_epoch", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("acc", 1.0).step(true).epoch(true), 10);
  Row step1 = m.take_step_metrics(MetricScope::Train);
  INFO(describe(step1));
  CHECK(step1 == Row{{"acc_step", 1.0}});
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("acc", 4.0).step(true).epoch(true), 30);
  CHECK(m.take_step_metrics(MetricScope::Train) == Row{{"acc_step", 4.0}});
  // callback metrics hold the plain name and the forked names
  CHECK(metric(m, "acc") == 4.0);
  CHECK(metric(m, "acc_step") == 4.0);
  Row epoch = m.finish_epoch(MetricScope::Train);
  INFO(describe(epoch));
  REQUIRE(epoch.size() == 1);
  CHECK(epoch[0].first == "acc_epoch");
  CHECK(epoch[0].second == Approx(3.25).epsilon(1e-12));
  CHECK(metric(m, "acc_epoch") == Approx(3.25).epsilon(1e-12));
  CHECK(metric(m, "acc") == Approx(3.25).epsilon(1e-12));
}

TEST_CASE("on_epoch=True in training_step accumulates over the epoch", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("loss", 2.0).epoch(true).step(false), 2);
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("loss", 5.0).epoch(true).step(false), 1);
  CHECK(m.take_step_metrics(MetricScope::Train).empty());
  CHECK(m.finish_epoch(MetricScope::Train) == Row{{"loss", 3.0}});
}

TEST_CASE("logging is forbidden where Lightning forbids it, with a clear error", "[metrics]") {
  MetricCollector m;
  struct Case {
    int32_t hook;
    const char* name;
  };
  const Case cases[] = {{VOLT_HOOK_CONFIGURE_OPTIMIZERS, "configure_optimizers"},
                        {VOLT_HOOK_SETUP, "setup"},
                        {VOLT_HOOK_ON_FIT_START, "on_fit_start"},
                        {VOLT_HOOK_ON_TRAIN_END, "on_train_end"},
                        {VOLT_HOOK_PREDICT_STEP, "predict_step"},
                        {VOLT_HOOK_NONE, "outside any hook"}};
  for (const Case& c : cases) {
    INFO("hook " << c.name);
    try {
      log(m, MetricScope::Train, c.hook, Log("lr", 0.1));
      FAIL("log() did not throw");
    } catch (const volt::Error& e) {
      std::string what = e.what();
      CHECK(e.code() == VOLT_ERROR_FAILED_PRECONDITION);
      CHECK_THAT(what, Catch::Contains("'lr'") && Catch::Contains(c.name) &&
                           Catch::Contains("not allowed"));
    }
  }
  CHECK(m.callback_metrics().empty());
}

TEST_CASE("epoch-only hooks reject on_step=True and on_epoch=False", "[metrics]") {
  MetricCollector m;
  const int32_t hooks[] = {VOLT_HOOK_ON_TRAIN_EPOCH_END, VOLT_HOOK_ON_TRAIN_START,
                           VOLT_HOOK_ON_VALIDATION_EPOCH_END, VOLT_HOOK_ON_TEST_EPOCH_START};
  for (int32_t hook : hooks) {
    INFO("hook " << hook_name(hook));
    try {
      log(m, MetricScope::Train, hook, Log("x", 1.0).step(true));
      FAIL("on_step=True did not throw");
    } catch (const volt::Error& e) {
      CHECK(e.code() == VOLT_ERROR_INVALID_ARGUMENT);
      CHECK_THAT(std::string(e.what()), Catch::Contains(hook_name(hook)) &&
                                            Catch::Contains("on_step=false"));
    }
    CHECK_THROWS_AS(log(m, MetricScope::Train, hook, Log("x", 1.0).epoch(false)), volt::Error);
  }
  // The default and the explicit allowed values are accepted.
  log(m, MetricScope::Train, VOLT_HOOK_ON_TRAIN_EPOCH_END, Log("x", 1.0));
  log(m, MetricScope::Train, VOLT_HOOK_ON_TRAIN_EPOCH_END, Log("y", 2.0).step(false).epoch(true));
  CHECK(m.finish_epoch(MetricScope::Train) == Row{{"x", 1.0}, {"y", 2.0}});
}

TEST_CASE("logger=False keeps a metric out of logger rows but not out of callback metrics",
          "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("hidden", 1.0).no_logger());
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("shown", 2.0));
  CHECK(m.take_step_metrics(MetricScope::Train) == Row{{"shown", 2.0}});
  CHECK(metric(m, "hidden") == 1.0);
  log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("vhidden", 3.0).no_logger());
  CHECK(m.finish_epoch(MetricScope::Validation).empty());
  CHECK(metric(m, "vhidden") == 3.0);
}

TEST_CASE("prog_bar metrics are reported with their latest value", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("loss", 1.5).bar());
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("other", 9.0));
  auto bar = m.progress_bar_metrics();
  REQUIRE(bar.size() == 1);
  CHECK(bar[0].first == "loss");
  CHECK(bar[0].second == 1.5);
}

TEST_CASE("values: integer tensors become floats, scalars work, non-scalars are refused",
          "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
      Log("count", 0).tensor(at::scalar_tensor(3, at::kLong)));
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("plain", 0).plain_scalar(0.25));
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
      Log("one", 0).tensor(at::full({1, 1}, 2.5)));  // one element of any shape
  CHECK(m.take_step_metrics(MetricScope::Train) == Row{{"count", 3.0}, {"plain", 0.25}, {"one", 2.5}});
  CHECK_THROWS_AS(log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
                      Log("vec", 0).tensor(at::ones({3}))),
                  volt::Error);
  CHECK_THROWS_AS(log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("", 1.0)), volt::Error);
}

TEST_CASE("the logged value is detached from the graph", "[metrics]") {
  MetricCollector m;
  at::Tensor w = at::full({}, 2.0).set_requires_grad(true);
  at::Tensor loss = w * 3;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("loss", 0).tensor(loss));
  CHECK(m.take_step_metrics(MetricScope::Train) == Row{{"loss", 6.0}});
  loss.backward();  // the graph is intact and was not consumed by logging
  CHECK(w.grad().item<double>() == 3.0);
}

TEST_CASE("reset forgets a scope's accumulated values (sanity check)", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 100.0), 1);
  m.reset(MetricScope::Validation);
  log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("val_loss", 1.0), 1);
  CHECK(m.finish_epoch(MetricScope::Validation) == Row{{"val_loss", 1.0}});
}

TEST_CASE("scopes are independent", "[metrics]") {
  MetricCollector m;
  log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("a", 1.0).epoch(true), 1);
  log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP, Log("b", 2.0), 1);
  CHECK(m.finish_epoch(MetricScope::Validation) == Row{{"b", 2.0}});
  CHECK(m.finish_epoch(MetricScope::Train) == Row{{"a_epoch", 1.0}});
}

TEST_CASE("sync_dist reduces through the strategy: step values per call, epoch values once",
          "[metrics]") {
  // Two identical ranks: SUM doubles, MEAN/MAX/MIN keep the value.
  std::vector<int32_t> ops;
  MetricCollector m([&](const at::Tensor& v, int32_t op) {
    ops.push_back(op);
    return op == VOLT_REDUCE_SUM ? v * 2 : v.clone();
  });
  SECTION("mean: the step value is mean-reduced, the epoch ratio sums both parts") {
    log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
        Log("loss", 1.0).step(true).epoch(true).sync(), 10);
    log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
        Log("loss", 4.0).step(true).epoch(true).sync(), 30);
    CHECK(ops == std::vector<int32_t>{VOLT_REDUCE_MEAN, VOLT_REDUCE_MEAN});
    Row epoch = m.finish_epoch(MetricScope::Train);
    CHECK(ops.size() == 4);
    CHECK(ops[2] == VOLT_REDUCE_SUM);
    CHECK(ops[3] == VOLT_REDUCE_SUM);
    REQUIRE(epoch.size() == 1);
    CHECK(epoch[0].second == Approx(3.25).epsilon(1e-12));
  }
  SECTION("sum") {
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP,
        Log("n", 3.0).reduce_fx(VOLT_REDUCE_SUM).sync(), 1);
    log(m, MetricScope::Validation, VOLT_HOOK_VALIDATION_STEP,
        Log("n", 4.0).reduce_fx(VOLT_REDUCE_SUM).sync(), 1);
    CHECK(ops.empty());  // epoch-only: nothing to reduce before the epoch ends
    CHECK(m.finish_epoch(MetricScope::Validation) == Row{{"n", 14.0}});
    CHECK(ops == std::vector<int32_t>{VOLT_REDUCE_SUM});
  }
  SECTION("without sync_dist, or with rank_zero_only, nothing is reduced") {
    log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP, Log("a", 1.0).epoch(true), 1);
    log(m, MetricScope::Train, VOLT_HOOK_TRAINING_STEP,
        Log("b", 1.0).epoch(true).sync().zero_only(), 1);
    m.take_step_metrics(MetricScope::Train);
    m.finish_epoch(MetricScope::Train);
    CHECK(ops.empty());
  }
}

}  // namespace
}  // namespace volt::host

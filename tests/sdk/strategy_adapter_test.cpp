// The C++ layer's strategy table (sdk/include/volt/sdk/adapters.hpp): ABI 1.4's
// start_reduce / finish_reduce: the pending reduction crosses as an opaque pointer that
// finish_reduce frees exactly once (after waiting, after an error, or given up unwaited), and
// exceptions come back as error values; ABI 1.5's and 1.6's defaults for strategies that shard nothing.
#include "runtime/host_api.hpp"

#include <volt/sdk.hpp>

#include <catch2/catch.hpp>

namespace {

struct Counters {
  int waited = 0;
  int destroyed = 0;
};

// Sums as if over 3 ranks holding the same tensor; the pending reduction counts its wait and
// its destruction. The failure paths are chosen by the op: Max fails in wait(), Min already
// in start_reduce.
class CountingPending final : public volt::PendingReduce {
 public:
  CountingPending(torch::Tensor t, Counters& c, bool fail) : t_(std::move(t)), c_(c), fail_(fail) {}
  ~CountingPending() override { ++c_.destroyed; }
  torch::Tensor wait() override {
    ++c_.waited;
    if (fail_) throw volt::Error(VOLT_ERROR_UNAVAILABLE, "rank 1 went away");
    return t_ * 3;
  }

 private:
  torch::Tensor t_;
  Counters& c_;
  bool fail_;
};

class ThreeRanks final : public volt::Strategy {
 public:
  explicit ThreeRanks(Counters& c) : c_(c) {}
  volt::StrategyInfo setup_environment() override { return {}; }
  void batch_to_device(volt::Batch& /*batch*/) override {}
  std::unique_ptr<volt::PendingReduce> start_reduce(const torch::Tensor& t, volt::Reduce op) override {
    if (op == volt::Reduce::Min) throw volt::Error(VOLT_ERROR_UNAVAILABLE, "rank 2 never joined");
    return std::make_unique<CountingPending>(t.clone(), c_, op == volt::Reduce::Max);
  }

 private:
  Counters& c_;
};

struct Table {
  explicit Table(std::shared_ptr<volt::Strategy> s) : table(volt::detail::adapt(std::move(s))) {}
  ~Table() { table->destroy(table); }
  volt_strategy* table;
};

std::string take_message(volt_error* e) {
  REQUIRE(e != nullptr);
  std::string m = volt::detail::host().error_message(e);
  volt::detail::host().error_free(e);
  return m;
}

}  // namespace

TEST_CASE("start_reduce and finish_reduce cross the C table", "[sdk][strategy]") {
  volt::host::host_api();  // the C++ layer's helpers need the host table
  Counters c;
  Table t(std::make_shared<ThreeRanks>(c));
  REQUIRE(t.table->struct_size >= VOLT_STRUCT_SIZE(volt_strategy, finish_reduce));
  at::Tensor x = at::tensor({1.0, 2.5});

  SECTION("waited: the result is a new reference, the pending reduction freed") {
    volt_pending_reduce* pending = nullptr;
    REQUIRE(t.table->start_reduce(t.table, volt::borrow(x), VOLT_REDUCE_SUM, &pending) == nullptr);
    REQUIRE(pending != nullptr);
    CHECK(c.destroyed == 0);
    volt_tensor* out = nullptr;
    REQUIRE(t.table->finish_reduce(t.table, pending, &out) == nullptr);
    CHECK(torch::equal(volt::unwrap(out), at::tensor({3.0, 7.5})));
    volt::release_ref(out);
    CHECK(c.waited == 1);
    CHECK(c.destroyed == 1);
  }
  SECTION("given up: freed without waiting") {
    volt_pending_reduce* pending = nullptr;
    REQUIRE(t.table->start_reduce(t.table, volt::borrow(x), VOLT_REDUCE_SUM, &pending) == nullptr);
    CHECK(t.table->finish_reduce(t.table, pending, nullptr) == nullptr);
    CHECK(c.waited == 0);
    CHECK(c.destroyed == 1);
  }
  SECTION("a failed wait is an error value, and the pending reduction is still freed") {
    volt_pending_reduce* pending = nullptr;
    REQUIRE(t.table->start_reduce(t.table, volt::borrow(x), VOLT_REDUCE_MAX, &pending) == nullptr);
    volt_tensor* out = nullptr;
    CHECK(take_message(t.table->finish_reduce(t.table, pending, &out)) == "rank 1 went away");
    CHECK(out == nullptr);
    CHECK(c.destroyed == 1);
  }
  SECTION("a failed start is an error value and leaves nothing pending") {
    volt_pending_reduce* pending = nullptr;
    CHECK(take_message(t.table->start_reduce(t.table, volt::borrow(x), VOLT_REDUCE_MIN, &pending)) ==
          "rank 2 never joined");
    CHECK(pending == nullptr);
    CHECK(c.destroyed == 0);
  }
}

TEST_CASE("a strategy without asynchronous collectives reduces at start_reduce", "[sdk][strategy]") {
  volt::host::host_api();
  // volt::Strategy's default start_reduce wraps reduce(); single_device-like: the identity.
  class Doubling final : public volt::Strategy {
   public:
    volt::StrategyInfo setup_environment() override { return {}; }
    void batch_to_device(volt::Batch& /*batch*/) override {}
    torch::Tensor reduce(const torch::Tensor& t, volt::Reduce /*op*/) override {
      ++calls;
      return t * 2;
    }
    int calls = 0;
  };
  auto strategy = std::make_shared<Doubling>();
  Table t(strategy);
  at::Tensor x = at::tensor({4.0});
  volt_pending_reduce* pending = nullptr;
  REQUIRE(t.table->start_reduce(t.table, volt::borrow(x), VOLT_REDUCE_SUM, &pending) == nullptr);
  CHECK(strategy->calls == 1);  // done before start_reduce returned
  volt_tensor* out = nullptr;
  REQUIRE(t.table->finish_reduce(t.table, pending, &out) == nullptr);
  CHECK(volt::unwrap(out).item<double>() == 8.0);
  volt::release_ref(out);
}

TEST_CASE("ABI 1.5: a strategy that shards nothing passes optimizer state and clipping through",
          "[sdk][strategy]") {
  volt::host::host_api();
  class Plain final : public volt::Strategy {
   public:
    volt::StrategyInfo setup_environment() override { return {}; }
    void batch_to_device(volt::Batch& /*batch*/) override {}
  };
  Table t(std::make_shared<Plain>());
  REQUIRE(VOLT_HAS_FIELD(t.table, volt_strategy, clip_grad_norm));
  REQUIRE(t.table->step_begin(t.table, nullptr, VOLT_STEP_TRAINING) == nullptr);
  REQUIRE(t.table->step_end(t.table, nullptr, VOLT_STEP_TRAINING) == nullptr);

  // One SGD step with momentum: the state the strategy hands on is the optimizer's own.
  torch::Tensor w = torch::tensor({1.0, 2.0}).requires_grad_();
  auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                 torch::optim::SGDOptions(0.1).momentum(0.9));
  auto* adapter = new volt::detail::OptimizerAdapter(sgd);
  volt_optimizer* opt = &adapter->table;
  w.mutable_grad() = torch::tensor({3.0, 4.0});
  sgd->step();
  volt::StateCollector via_strategy, own;
  REQUIRE(t.table->optimizer_state(t.table, opt, via_strategy.sink()) == nullptr);
  REQUIRE(opt->save_state(opt, own.sink()) == nullptr);
  auto buffer = [](const c10::IValue& s) {
    return s.toGenericDict().at("state").toGenericDict().at(0).toGenericDict().at("momentum_buffer").toTensor();
  };
  CHECK(torch::equal(buffer(via_strategy.value()), torch::tensor({3.0, 4.0})));
  CHECK(torch::equal(buffer(via_strategy.value()), buffer(own.value())));

  // And back: the restored buffer is the one handed in.
  c10::IValue changed = own.value();
  changed.toGenericDict().at("state").toGenericDict().at(0).toGenericDict().insert_or_assign(
      "momentum_buffer", torch::tensor({5.0, 6.0}));
  volt::StateView view(changed);
  REQUIRE(t.table->load_optimizer_state(t.table, opt, view.get()) == nullptr);
  volt::StateCollector restored;
  REQUIRE(opt->save_state(opt, restored.sink()) == nullptr);
  CHECK(torch::equal(buffer(restored.value()), torch::tensor({5.0, 6.0})));

  // clip_grad_norm_: the gradient (3, 4) has norm 5; clipped to 1 it becomes (0.6, 0.8).
  double norm = 0;
  REQUIRE(t.table->clip_grad_norm(t.table, opt, 1.0, 2.0, &norm) == nullptr);
  CHECK(norm == Approx(5.0));
  CHECK(torch::allclose(w.grad(), torch::tensor({0.6, 0.8}), 1e-5, 1e-6));

  // ABI 1.6: it saves no sharded checkpoints; asked anyway, its "shard" is the whole state.
  REQUIRE(VOLT_HAS_FIELD(t.table, volt_strategy, optimizer_state_shard));
  CHECK_FALSE(t.table->saves_sharded(t.table));
  volt::StateCollector shard;
  REQUIRE(t.table->optimizer_state_shard(t.table, opt, shard.sink()) == nullptr);
  CHECK(torch::equal(buffer(shard.value()), torch::tensor({5.0, 6.0})));
  opt->destroy(opt);
}

TEST_CASE("ABI 1.6: a strategy's thrown saves_sharded reads as false, its shards cross as state",
          "[sdk][strategy]") {
  volt::host::host_api();
  class Sharded final : public volt::Strategy {
   public:
    volt::StrategyInfo setup_environment() override { return {}; }
    void batch_to_device(volt::Batch& /*batch*/) override {}
    bool saves_sharded() const override { throw std::runtime_error("not decided"); }
    c10::IValue module_state_shard(volt::ModuleRef /*module*/) override {
      c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
      d.insert("w", volt::shard_entry(torch::tensor({3.0, 4.0}), 2, {2, 2}));
      return d;
    }
  };
  Table t(std::make_shared<Sharded>());
  CHECK_FALSE(t.table->saves_sharded(t.table));  // no exception crosses the boundary
  volt::StateCollector got;
  REQUIRE(t.table->module_state_shard(t.table, nullptr, got.sink()) == nullptr);
  auto entry = got.value().toGenericDict().at("w").toGenericDict();
  CHECK(torch::equal(entry.at("volt_shard").toTensor(), torch::tensor({3.0, 4.0})));
  CHECK(entry.at("offset").toInt() == 2);
  std::vector<int64_t> shape;
  for (const c10::IValue d : entry.at("shape").toListRef()) shape.push_back(d.toInt());
  CHECK(shape == std::vector<int64_t>{2, 2});
}

// --- ABI 1.8: the collectives a class implements, its own state, its hooks ------------------

namespace {

class OneProcess final : public volt::Strategy {
 public:
  volt::StrategyInfo setup_environment() override { return {}; }
  void batch_to_device(volt::Batch& /*batch*/) override {}
};

class ReducesOnly : public volt::Strategy {
 public:
  volt::StrategyInfo setup_environment() override { return {}; }
  void batch_to_device(volt::Batch& /*batch*/) override {}
  torch::Tensor reduce(const torch::Tensor& t, volt::Reduce /*op*/) override { return t * 2; }
};

// An override in a class between Strategy and the exported one counts.
class Everything final : public ReducesOnly {
 public:
  torch::Tensor broadcast(const torch::Tensor& t, int32_t /*src*/) override { return t; }
  void barrier(const std::string& /*name*/) override {}
  torch::Tensor all_gather(const torch::Tensor& t) override { return t.unsqueeze(0); }
};

class Stateful final : public volt::Strategy {
 public:
  volt::StrategyInfo setup_environment() override { return {}; }
  void batch_to_device(volt::Batch& /*batch*/) override {}
  c10::IValue state_dict() override {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("steps", steps);
    d.insert("weights", weights);
    return d;
  }
  void load_state_dict(const c10::IValue& state) override {
    steps = state.toGenericDict().at("steps").toInt();
    weights = state.toGenericDict().at("weights").toTensor().clone();
  }
  void on_train_end() override { ++ends; }
  int64_t steps = 0;
  torch::Tensor weights = torch::zeros({3});
  int ends = 0;
};

}  // namespace

TEST_CASE("the C table leaves NULL the collectives a strategy class does not implement", "[sdk][strategy]") {
  volt::host::host_api();
  auto table_of = [](auto strategy) {
    using T = typename decltype(strategy)::element_type;
    return volt::detail::adapt(std::shared_ptr<volt::Strategy>(strategy),
                               volt::detail::strategy_collectives<T>());
  };
  volt_strategy* lone = table_of(std::make_shared<OneProcess>());
  CHECK(lone->reduce == nullptr);
  CHECK(lone->start_reduce == nullptr);
  CHECK(lone->broadcast == nullptr);
  CHECK(lone->barrier == nullptr);
  CHECK(lone->all_gather == nullptr);
  lone->destroy(lone);

  volt_strategy* some = table_of(std::make_shared<ReducesOnly>());
  CHECK(some->reduce != nullptr);
  CHECK(some->start_reduce != nullptr);  // Strategy's start_reduce calls the override
  CHECK(some->broadcast == nullptr);
  CHECK(some->barrier == nullptr);
  some->destroy(some);

  volt_strategy* all = table_of(std::make_shared<Everything>());
  CHECK(all->reduce != nullptr);
  CHECK(all->broadcast != nullptr);
  CHECK(all->barrier != nullptr);
  CHECK(all->all_gather != nullptr);
  all->destroy(all);
}

TEST_CASE("a strategy's own state and on_train_end cross the C table", "[sdk][strategy]") {
  volt::host::host_api();
  auto saved = std::make_shared<Stateful>();
  saved->steps = 7;
  saved->weights = torch::tensor({1.5, -2.0, 3.25});
  Table from(saved);
  volt::StateCollector collected;
  REQUIRE(from.table->save_state(from.table, collected.sink()) == nullptr);
  c10::IValue state = collected.value();

  auto restored = std::make_shared<Stateful>();
  Table into(restored);
  volt::StateView view(state);
  REQUIRE(into.table->load_state(into.table, view.get()) == nullptr);
  CHECK(restored->steps == 7);
  CHECK(torch::equal(restored->weights, saved->weights));
  REQUIRE(into.table->on_train_end(into.table) == nullptr);
  CHECK(restored->ends == 1);
  // A state the class cannot read comes back as an error, not an exception.
  c10::impl::GenericDict wrong(c10::StringType::get(), c10::AnyType::get());
  wrong.insert("steps", std::string("seven"));
  volt::StateView bad(wrong);
  CHECK_FALSE(take_message(into.table->load_state(into.table, bad.get())).empty());
}

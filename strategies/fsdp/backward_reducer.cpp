#include "backward_reducer.hpp"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

namespace volt::strategies::fsdp {

// Runs after a parameter's gradient was accumulated into .grad (AccumulateGrad's post hook).
class BackwardReducer::ReadyHook final : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(BackwardReducer* reducer, std::weak_ptr<bool> alive, uint64_t generation, size_t unit)
      : reducer_(reducer), alive_(std::move(alive)), generation_(generation), unit_(unit) {}

  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (alive_.expired()) return outputs;
    std::lock_guard<std::mutex> lock(reducer_->mutex_);
    if (reducer_->generation_ == generation_ && reducer_->armed_) reducer_->member_ready(unit_);
    return outputs;
  }

 private:
  BackwardReducer* reducer_;
  std::weak_ptr<bool> alive_;
  uint64_t generation_;
  size_t unit_;
};

BackwardReducer::BackwardReducer(std::vector<FlatUnit*> units, distributed::ProcessGroup* group)
    : units_(units.rbegin(), units.rend()), group_(group), expected_(units_.size(), 0),
      waiting_(units_.size(), 0),
      alive_(std::make_shared<bool>(true)) {}

BackwardReducer::~BackwardReducer() {
  std::lock_guard<std::mutex> lock(mutex_);
  alive_.reset();
}

void BackwardReducer::attach() {
  std::lock_guard<std::mutex> lock(mutex_);
  accumulators_.clear();
  ++generation_;
  armed_ = false;
  for (size_t u = 0; u < units_.size(); ++u) {
    expected_[u] = 0;
    for (const auto& m : units_[u]->members()) {
      // Null for a parameter that needs no gradient: it is never waited for.
      std::shared_ptr<torch::autograd::Node> acc = torch::autograd::impl::grad_accumulator(m.param);
      if (!acc) continue;
      acc->add_post_hook(std::make_unique<ReadyHook>(this, alive_, generation_, u));
      accumulators_.push_back(std::move(acc));
      ++expected_[u];
    }
  }
}

void BackwardReducer::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  armed_ = false;
  accumulators_.clear();
}

void BackwardReducer::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (accumulators_.empty()) return;  // not attached: finish() reduces everything
  waiting_ = expected_;
  next_ = 0;
  armed_ = true;
}

void BackwardReducer::member_ready(size_t unit) {
  if (waiting_[unit] > 0) --waiting_[unit];
  start_ready_units();
}

void BackwardReducer::start_ready_units() {
  while (next_ < units_.size() && waiting_[next_] == 0) units_[next_++]->start_reduce(group_);
}

void BackwardReducer::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_) next_ = 0;
    started_in_backward_ = next_;
    armed_ = false;
    while (next_ < units_.size()) units_[next_++]->start_reduce(group_);
  }
  for (FlatUnit* u : units_) u->finish_reduce();
}

}  // namespace volt::strategies::fsdp

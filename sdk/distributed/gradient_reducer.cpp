#include <volt/sdk/distributed/gradient_reducer.hpp>

#include <torch/csrc/autograd/function_hook.h>

#include <algorithm>
#include <chrono>

namespace volt::distributed {

// Runs after a parameter's gradient was accumulated into .grad (AccumulateGrad's post hook,
// where PyTorch's DDP reducer hooks in too). Does nothing once the reducer is gone.
class ReadyHook final : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(GradientReducer* reducer, std::weak_ptr<bool> alive, size_t slot)
      : reducer_(reducer), alive_(std::move(alive)), slot_(slot) {}

  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (alive_.expired()) return outputs;
    std::lock_guard<std::mutex> lock(reducer_->mutex_);
    GradientReducer::Slot& s = reducer_->slots_[slot_];
    if (!reducer_->sync_ || s.ready) return outputs;
    reducer_->copy_in(slot_, s.param.grad().defined());
    reducer_->mark_ready(slot_);
    return outputs;
  }

 private:
  GradientReducer* reducer_;
  std::weak_ptr<bool> alive_;
  size_t slot_;
};

GradientReducer::GradientReducer(ProcessGroup& group,
                                 std::vector<std::pair<std::string, torch::Tensor>> params,
                                 ReducerOptions options)
    : group_(group), options_(options), alive_(std::make_shared<bool>(true)) {
  // Reverse registration order, the order backward produces gradients in. As PyTorch's DDP
  // does, a parameter joins the open bucket and the bucket closes once it holds its cap or more
  // (a large weight rides in the first bucket instead of waiting for the last one); the first
  // bucket's cap is first_bucket_cap_bytes, so its all-reduce starts early. A dtype or device
  // change also starts a bucket (one flat buffer holds one dtype on one device).
  std::vector<int64_t> numels;  // per bucket (one dtype each)
  bool open = false;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (!it->second.requires_grad()) continue;
    const torch::Tensor& p = it->second;
    if (open) {
      const torch::Tensor& last = slots_[buckets_.back().slots.back()].param;
      open = last.scalar_type() == p.scalar_type() && last.device() == p.device();
    }
    if (!open) {
      buckets_.emplace_back();
      numels.push_back(0);
      open = true;
    }
    Slot s;
    s.name = it->first;
    s.param = p;
    s.bucket = buckets_.size() - 1;
    s.offset = numels.back();
    numels.back() += p.numel();
    buckets_.back().slots.push_back(slots_.size());
    slots_.push_back(std::move(s));
    int64_t cap = buckets_.size() == 1 ? options_.first_bucket_cap_bytes : options_.bucket_cap_bytes;
    if (numels.back() * static_cast<int64_t>(p.element_size()) >= cap) open = false;
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    int64_t n = numels[b];
    if (options_.find_unused_parameters)  // one "has a gradient" flag per parameter at the end
      for (size_t i : bucket.slots) slots_[i].flag = n++;
    const torch::Tensor& first = slots_[bucket.slots.front()].param;
    bucket.flat = torch::zeros({n}, first.options().requires_grad(false));
    bucket.world_size = torch::scalar_tensor(group_.world_size(), bucket.flat.options());
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    std::shared_ptr<torch::autograd::Node> acc = torch::autograd::impl::grad_accumulator(slots_[i].param);
    acc->add_post_hook(std::make_unique<ReadyHook>(this, alive_, i));
    accumulators_.push_back(std::move(acc));
  }
}

GradientReducer::~GradientReducer() {
  std::lock_guard<std::mutex> lock(mutex_);
  alive_.reset();  // hooks still attached to live accumulators become no-ops
  for (auto& b : buckets_)
    if (b.work) {
      try {
        b.work->wait();
      } catch (...) {
      }
    }
}

int64_t GradientReducer::bytes_per_step() const {
  int64_t bytes = 0;
  for (const auto& b : buckets_) bytes += b.flat.numel() * static_cast<int64_t>(b.flat.element_size());
  return bytes;
}

void GradientReducer::prepare(bool sync) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = sync;
  if (!sync) return;
  for (auto& s : slots_) s.ready = false;
  for (auto& b : buckets_) {
    b.pending = b.slots.size();
    b.work.reset();
  }
  next_bucket_ = 0;
}

void GradientReducer::copy_in(size_t slot, bool has_grad) {
  Slot& s = slots_[slot];
  torch::Tensor& flat = buckets_[s.bucket].flat;
  torch::NoGradGuard no_grad;
  torch::Tensor view = flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
  if (has_grad) view.copy_(s.param.grad());
  else view.zero_();
  if (s.flag >= 0) flat[s.flag].fill_(has_grad ? 1 : 0);
}

void GradientReducer::mark_ready(size_t slot) {
  Slot& s = slots_[slot];
  s.ready = true;
  --buckets_[s.bucket].pending;
  if (options_.overlap) launch_ready_buckets();
}

void GradientReducer::launch_ready_buckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0)
    launch(buckets_[next_bucket_++]);
}

bool GradientReducer::divides_before_sum(const Bucket& b) const {
  return b.flat.scalar_type() == torch::kHalf;  // a float16 sum of full gradients may overflow
}

void GradientReducer::launch(Bucket& b) {
  torch::NoGradGuard no_grad;
  if (divides_before_sum(b)) b.flat.div_(group_.world_size());
  b.work = group_.all_reduce_async(b.flat, Reduce::Sum);
}

double GradientReducer::all_reduce_seconds() const {
  int64_t total = 0;
  for (int64_t ns : all_reduce_ns_) total += ns;
  return static_cast<double>(total) * 1e-9;
}

double GradientReducer::median_all_reduce_seconds() const {
  if (all_reduce_ns_.empty()) return 0;
  std::vector<int64_t> sorted = all_reduce_ns_;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  return static_cast<double>(sorted[sorted.size() / 2]) * 1e-9;
}

void GradientReducer::finish() {
  auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!sync_) return;
    std::vector<std::string> missing;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].ready) continue;
      if (!options_.find_unused_parameters) {
        missing.push_back(slots_[i].name);
        continue;
      }
      copy_in(i, slots_[i].param.grad().defined());
      slots_[i].ready = true;
      --buckets_[slots_[i].bucket].pending;
    }
    if (!missing.empty()) {
      std::string names;
      for (size_t i = 0; i < missing.size() && i < 8; ++i) names += (i ? ", " : "") + missing[i];
      if (missing.size() > 8) names += ", ... (" + std::to_string(missing.size()) + " in all)";
      sync_ = false;
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "ddp: these parameters received no gradient in this step: " + names +
                      ". Every rank must produce gradients for the same parameters; if parts "
                      "of the model are skipped on purpose, set "
                      "--strategy.find_unused_parameters=true");
    }
    sync_ = false;
  }
  torch::NoGradGuard no_grad;
  auto reduce_start = std::chrono::steady_clock::now();
  if (!options_.overlap) {  // line the ranks up, so that the timing below is communication only
    torch::Tensor start_line = torch::zeros({1});
    group_.all_reduce(start_line, Reduce::Sum);
    reduce_start = std::chrono::steady_clock::now();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    launch_ready_buckets();
  }
  int64_t copy_back_ns = 0;  // not communication: excluded from all_reduce_ns_
  for (auto& b : buckets_) {
    b.work->wait();
    b.work.reset();
    auto copy_start = std::chrono::steady_clock::now();
    // The sum becomes the mean on its way back into .grad (or was divided before the sum).
    bool divided = divides_before_sum(b);
    for (size_t i : b.slots) {
      Slot& s = slots_[i];
      if (s.flag >= 0 && b.flat[s.flag].item<double>() <= 0.0) continue;  // no rank had one
      torch::Tensor reduced = b.flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
      torch::Tensor& grad = s.param.mutable_grad();
      if (!grad.defined()) grad = divided ? reduced.clone() : reduced / b.world_size;
      else if (divided) grad.copy_(reduced);
      else at::div_out(grad, reduced, b.world_size);
    }
    copy_back_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - copy_start).count();
  }
  auto end = std::chrono::steady_clock::now();
  ++sync_steps_;
  exposed_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
  if (!options_.overlap)
    all_reduce_ns_.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - reduce_start).count() - copy_back_ns);
}

}  // namespace volt::distributed

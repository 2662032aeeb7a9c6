#include "flat_unit.hpp"

#include <algorithm>
#include <limits>

namespace volt::strategies::fsdp {

namespace {

// Buffers are made outside inference mode (evaluation steps gather too): the parameters point
// into them during training, and Gloo's threads write into them.
struct NormalTensors {
  c10::InferenceMode not_inference{false};
  torch::NoGradGuard no_grad;
};

// The collectives of one process alone (world size 1): the slice is the whole buffer.
void gather(distributed::ProcessGroup* group, at::Tensor& full, const at::Tensor& shard) {
  if (group != nullptr) group->all_gather(full, shard);
  else full.copy_(shard.reshape({-1}));
}

}  // namespace

FlatUnit::FlatUnit(std::vector<std::pair<std::string, torch::Tensor>> params, int32_t rank,
                   int32_t world_size, bool sharded, bool keep_full)
    : rank_(rank), world_(world_size), sharded_(sharded), keep_full_(keep_full || !sharded) {
  if (params.empty()) throw Error(VOLT_ERROR_INTERNAL, "fsdp: a wrap unit without parameters");
  const torch::Tensor& first = params.front().second;
  for (auto& [name, p] : params) {
    if (p.scalar_type() != first.scalar_type() || p.device() != first.device())
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "fsdp: the parameters of one wrap unit must share dtype and device; '" + name +
                      "' is " + std::string(c10::toString(p.scalar_type())) + " on " +
                      p.device().str() + ", '" + params.front().first + "' " +
                      c10::toString(first.scalar_type()) + " on " + first.device().str() +
                      " (wrap them in separate units: --strategy.min_num_params)");
    Member m;
    m.name = name;
    m.param = p;
    m.sizes = p.sizes().vec();
    m.offset = numel_;
    m.numel = p.numel();
    numel_ += m.numel;
    members_.push_back(std::move(m));
  }
  options_ = first.options().requires_grad(false);
  shard_ = (numel_ + world_ - 1) / world_;
  const int64_t begin = slice_begin(), end = begin + shard_;
  for (auto& m : members_) {
    m.local_begin = std::clamp(m.offset, begin, end);
    m.local_end = std::clamp(m.offset + m.numel, begin, end);
  }
  NormalTensors normal;
  flat_ = torch::zeros({shard_ * world_}, options_);
  for (auto& m : members_) flat_.narrow(0, m.offset, m.numel).copy_(m.param.detach().reshape({-1}));
  if (!keep_full_) slice_ = flat_.narrow(0, begin, shard_).clone();
  layout_ = Layout::Compute;  // what the parameters are now: forces the switch below
  use_master();
}

void FlatUnit::point_params_at(const torch::Tensor& flat, bool full_shapes, int64_t flat_start) {
  NormalTensors normal;
  for (auto& m : members_) {
    torch::Tensor view = full_shapes ? flat.narrow(0, m.offset, m.numel).view(m.sizes)
                                     : flat.narrow(0, m.local_begin - flat_start, m.local_numel());
    m.param.set_data(view);
  }
}

void FlatUnit::use_compute(distributed::ProcessGroup* group, at::ScalarType dtype) {
  if (dtype == at::ScalarType::Undefined || !at::isFloatingType(this->dtype())) dtype = this->dtype();
  if (layout_ == Layout::Compute && compute_dtype_ == dtype) return;
  use_master();
  NormalTensors normal;
  // This rank's master values: the slice, or (NO_SHARD) everything.
  torch::Tensor mine = !sharded_ ? flat_ : keep_full_ ? flat_.narrow(0, slice_begin(), shard_) : slice_;
  torch::Tensor whole;
  if (dtype == this->dtype()) {
    if (!keep_full_) flat_ = torch::empty({shard_ * world_}, options_);
    if (sharded_) gather(group, flat_, mine);  // SHARD_GRAD_OP: the others' updated slices
    whole = flat_;
  } else {
    compute_ = torch::empty({shard_ * world_}, options_.dtype(dtype));
    if (sharded_) {
      // Half the bytes in bfloat16. Gloo (LibTorch 1.13) gathers no bfloat16: the bits travel
      // as float16, a gather being a copy that never reads them as numbers.
      torch::Tensor part = mine.to(dtype);
      torch::Tensor bits = compute_;
      if (dtype == at::kBFloat16) part = part.view(at::kHalf), bits = compute_.view(at::kHalf);
      gather(group, bits, part);
    } else {
      compute_.copy_(flat_);
    }
    whole = compute_;
  }
  point_params_at(whole, true, 0);
  layout_ = Layout::Compute;
  compute_dtype_ = dtype;
}

void FlatUnit::use_master() {
  if (layout_ == Layout::Master) return;
  if (!sharded_) point_params_at(flat_, true, 0);
  else if (keep_full_) point_params_at(flat_, false, 0);
  else point_params_at(slice_, false, slice_begin());
  if (!keep_full_) flat_ = torch::Tensor();  // the parameters no longer point into it
  compute_ = torch::Tensor();
  layout_ = Layout::Master;
}

FlatUnit::~FlatUnit() {
  // A reduction still in flight writes into summed_: wait for it (after an error in backward).
  if (pending_) {
    try {
      pending_->wait();
    } catch (...) {
    }
  }
}

void FlatUnit::start_reduce(distributed::ProcessGroup* group) {
  NormalTensors normal;
  // Written once: each member's gradient (zeros without one), then the padding's zeros.
  summed_ = torch::empty({shard_ * world_}, options_);
  for (auto& m : members_) {
    const torch::Tensor& g = m.param.grad();
    torch::Tensor part = summed_.narrow(0, m.offset, m.numel);
    if (g.defined()) part.copy_(g.reshape({-1}));
    else part.zero_();
    m.param.mutable_grad() = torch::Tensor();
  }
  summed_.narrow(0, numel_, shard_ * world_ - numel_).zero_();
  // Gloo in LibTorch 1.13 has no reduce-scatter: every rank sums the whole buffer and keeps its
  // slice (finish_reduce).
  if (group != nullptr) pending_ = group->all_reduce_async(summed_, Reduce::Sum);
}

void FlatUnit::finish_reduce() {
  if (!summed_.defined()) throw Error(VOLT_ERROR_INTERNAL, "fsdp: finish_reduce without start_reduce");
  NormalTensors normal;
  if (pending_) {
    std::unique_ptr<distributed::PendingWork> pending = std::move(pending_);
    pending->wait();
  }
  torch::Tensor summed = std::move(summed_);
  summed_ = torch::Tensor();
  // Seeing the whole sum, every rank also knows whether any of it is inf or NaN: then every
  // slice becomes NaN, so that a loss scaler (16-mixed), which checks the gradients it sees,
  // skips the step on every rank alike, as on one device.
  const double world = static_cast<double>(world_);
  if (sharded_) {
    grads_ = summed.narrow(0, slice_begin(), shard_).div(world);
    if (!at::isfinite(summed).all().item<bool>()) grads_.fill_(std::numeric_limits<double>::quiet_NaN());
  } else {
    grads_ = summed.div_(world);
  }
  summed = torch::Tensor();
  use_master();
  for (auto& m : members_)
    m.param.mutable_grad() = sharded_ ? grads_.narrow(0, m.local_begin - slice_begin(), m.local_numel())
                                      : grads_.narrow(0, m.offset, m.numel).view(m.sizes);
}

void FlatUnit::clear_gradients() {
  for (auto& m : members_) m.param.mutable_grad() = torch::Tensor();
  grads_ = torch::Tensor();
}

std::vector<torch::Tensor> FlatUnit::full_values(distributed::ProcessGroup* group) const {
  std::vector<torch::Tensor> out;
  if (!sharded_) {
    for (const auto& m : members_) out.push_back(flat_.narrow(0, m.offset, m.numel).view(m.sizes));
    return out;
  }
  return gather_members(group, local_values());
}

std::vector<torch::Tensor> FlatUnit::local_values() const {
  const torch::Tensor& master = keep_full_ ? flat_ : slice_;
  const int64_t start = keep_full_ ? 0 : slice_begin();
  std::vector<torch::Tensor> out;
  for (const auto& m : members_) out.push_back(master.narrow(0, m.local_begin - start, m.local_numel()));
  return out;
}

std::vector<torch::Tensor> FlatUnit::gather_members(distributed::ProcessGroup* group,
                                                    const std::vector<torch::Tensor>& local) const {
  NormalTensors normal;
  torch::Tensor mine = torch::zeros({shard_}, options_);
  for (size_t i = 0; i < members_.size(); ++i) {
    const Member& m = members_[i];
    if (i < local.size() && local[i].defined() && m.local_numel() > 0)
      mine.narrow(0, m.local_begin - slice_begin(), m.local_numel()).copy_(local[i].reshape({-1}));
  }
  torch::Tensor full = torch::empty({shard_ * world_}, options_);
  gather(group, full, mine);
  std::vector<torch::Tensor> out;
  for (const auto& m : members_) out.push_back(full.narrow(0, m.offset, m.numel).view(m.sizes).clone());
  return out;
}

torch::Tensor FlatUnit::local_part(size_t i, const torch::Tensor& full) const {
  const Member& m = members_.at(i);
  if (full.numel() != m.numel)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "fsdp: a state tensor of '" + m.name + "' holds " + std::to_string(full.numel()) +
                    " elements, the parameter " + std::to_string(m.numel));
  if (m.local_numel() == 0) return torch::empty({0}, full.options());  // wholly on other ranks
  return full.reshape({-1}).narrow(0, m.local_begin - m.offset, m.local_numel()).clone();
}

}  // namespace volt::strategies::fsdp

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
void gather(Collectives* group, at::Tensor& full, const at::Tensor& shard) {
  if (group != nullptr) group->all_gather(full, shard);
  else full.copy_(shard.reshape({-1}));
}

void sum(Collectives* group, at::Tensor& full) {
  if (group != nullptr) group->all_reduce(full, Reduce::Sum);
}

}  // namespace

FlatUnit::FlatUnit(std::vector<std::pair<std::string, torch::Tensor>> params, int32_t rank,
                   int32_t world_size, bool keep_full)
    : rank_(rank), world_(world_size), keep_full_(keep_full) {
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
  shard_ = (numel_ + world_ - 1) / world_;
  const int64_t begin = static_cast<int64_t>(rank_) * shard_, end = begin + shard_;
  for (auto& m : members_) {
    m.local_begin = std::clamp(m.offset, begin, end);
    m.local_end = std::clamp(m.offset + m.numel, begin, end);
  }
  NormalTensors normal;
  flat_ = torch::zeros({shard_ * world_}, first.options().requires_grad(false));
  for (auto& m : members_) flat_.narrow(0, m.offset, m.numel).copy_(m.param.detach().reshape({-1}));
  if (!keep_full_) slice_ = flat_.narrow(0, begin, shard_).clone();
  point_params_at(flat_, true, 0);
}

void FlatUnit::point_params_at(const torch::Tensor& flat, bool full_shapes, int64_t flat_start) {
  NormalTensors normal;
  for (auto& m : members_) {
    torch::Tensor view = full_shapes ? flat.narrow(0, m.offset, m.numel).view(m.sizes)
                                     : flat.narrow(0, m.local_begin - flat_start, m.local_numel());
    m.param.set_data(view);
  }
  full_layout_ = full_shapes;
}

void FlatUnit::use_full(Collectives* group) {
  if (full_layout_) return;
  NormalTensors normal;
  const int64_t begin = static_cast<int64_t>(rank_) * shard_;
  if (keep_full_) {
    // The optimizer updated this rank's slice in place; the others come from their ranks.
    torch::Tensor mine = flat_.narrow(0, begin, shard_);
    gather(group, flat_, mine);
  } else {
    flat_ = torch::empty({shard_ * world_}, slice_.options());
    gather(group, flat_, slice_);
  }
  point_params_at(flat_, true, 0);
}

void FlatUnit::use_local() {
  if (!full_layout_) return;
  if (keep_full_) {
    point_params_at(flat_, false, 0);
  } else {
    point_params_at(slice_, false, static_cast<int64_t>(rank_) * shard_);
    flat_ = torch::Tensor();  // the parameters no longer point into it
  }
}

void FlatUnit::reduce_gradients(Collectives* group, bool shard) {
  NormalTensors normal;
  const torch::Tensor& any = members_.front().param;
  torch::Tensor summed = torch::zeros({shard_ * world_}, any.options().requires_grad(false));
  for (auto& m : members_) {
    const torch::Tensor& g = m.param.grad();
    if (g.defined()) summed.narrow(0, m.offset, m.numel).copy_(g.reshape({-1}));
  }
  const double world = static_cast<double>(world_);
  if (!shard) {
    sum(group, summed);
    for (auto& m : members_) {
      torch::Tensor mean = summed.narrow(0, m.offset, m.numel).view(m.sizes);
      torch::Tensor& g = m.param.mutable_grad();
      if (g.defined()) at::div_out(g, mean, world);
      else g = mean / world;
    }
    return;
  }
  // Gloo in LibTorch 1.13 has no reduce-scatter: every rank sums the whole buffer and keeps its
  // slice. Seeing the whole sum, every rank also knows whether any of it is inf or NaN: then
  // every slice becomes NaN, so that a loss scaler (16-mixed), which checks the gradients it
  // sees, skips the step on every rank alike, as on one device.
  sum(group, summed);
  const int64_t begin = static_cast<int64_t>(rank_) * shard_;
  grad_slice_ = summed.narrow(0, begin, shard_).div(world);
  if (!at::isfinite(summed).all().item<bool>()) grad_slice_.fill_(std::numeric_limits<double>::quiet_NaN());
  summed = torch::Tensor();
  for (auto& m : members_) m.param.mutable_grad() = torch::Tensor();
  use_local();
  for (auto& m : members_)
    m.param.mutable_grad() = grad_slice_.narrow(0, m.local_begin - begin, m.local_numel());
}

void FlatUnit::clear_gradients() {
  for (auto& m : members_) m.param.mutable_grad() = torch::Tensor();
  grad_slice_ = torch::Tensor();
}

double FlatUnit::local_grad_square_sum() const {
  double total = 0;
  for (const auto& m : members_) {
    const torch::Tensor& g = m.param.grad();
    if (g.defined() && g.numel() > 0) total += g.detach().to(torch::kDouble).pow(2).sum().item<double>();
  }
  return total;
}

std::vector<torch::Tensor> FlatUnit::gather_members(Collectives* group,
                                                    const std::vector<torch::Tensor>& local) const {
  NormalTensors normal;
  const torch::Tensor& any = members_.front().param;
  const int64_t begin = static_cast<int64_t>(rank_) * shard_;
  torch::Tensor mine = torch::zeros({shard_}, any.options().requires_grad(false));
  for (size_t i = 0; i < members_.size(); ++i) {
    const Member& m = members_[i];
    if (i < local.size() && local[i].defined() && m.local_numel() > 0)
      mine.narrow(0, m.local_begin - begin, m.local_numel()).copy_(local[i].reshape({-1}));
  }
  torch::Tensor full = torch::empty({shard_ * world_}, mine.options());
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

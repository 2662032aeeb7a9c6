// The parts of ProcessGroup that every backend shares: the rendezvous taken from the host's
// cluster information, and the collectives built from the backend's primitives.
#include <volt/sdk/distributed/process_group.hpp>

namespace volt::distributed {

RendezvousOptions rendezvous_options(const ClusterInfo& c, std::string label,
                                     std::chrono::milliseconds timeout) {
  RendezvousOptions r;
  r.label = std::move(label);
  r.main_address = c.main_address;
  r.main_port = c.main_port;
  r.rank = c.global_rank;
  r.world_size = c.world_size;
  r.single_node = c.num_nodes <= 1;
  r.timeout = timeout;
  return r;
}

namespace {
void divide_for_mean(at::Tensor& t, Reduce op, int32_t world_size) {
  if (op != Reduce::Mean) return;
  if (!t.is_floating_point()) t = t.to(at::kDouble);
  t.div_(world_size);
}
}  // namespace

at::Tensor ProcessGroup::reduce(const at::Tensor& t, Reduce op) {
  return PendingAllReduce(*this, t, op).wait();
}

void ProcessGroup::all_reduce_coalesced(const std::vector<at::Tensor>& ts, Reduce op) {
  if (ts.empty()) return;
  std::vector<at::Tensor> flat;
  flat.reserve(ts.size());
  for (const auto& t : ts) flat.push_back(t.detach().reshape({-1}));
  at::Tensor buffer = at::cat(flat);
  all_reduce(buffer, op);
  if (op == Reduce::Mean) buffer.div_(world_size());
  int64_t offset = 0;
  at::NoGradGuard no_grad;
  for (const auto& t : ts) {
    t.detach().copy_(buffer.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

at::Tensor ProcessGroup::all_gather(const at::Tensor& t) {
  at::Tensor full = at::empty({world_size() * t.numel()}, t.options());
  all_gather(full, t.detach().contiguous().reshape({-1}));
  std::vector<int64_t> shape{world_size()};
  for (int64_t d : t.sizes()) shape.push_back(d);
  return full.view(shape);
}

at::Tensor ProcessGroup::reduce_scatter(const at::Tensor& full, Reduce op) {
  if (full.dim() != 1 || full.numel() % world_size() != 0)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "reduce_scatter: needs a 1-D tensor whose size (" + std::to_string(full.numel()) +
                    ") the world size (" + std::to_string(world_size()) + ") divides");
  int64_t n = full.numel() / world_size();
  return reduce(full, op).narrow(0, rank() * n, n).clone();
}

PendingAllReduce::PendingAllReduce(ProcessGroup& group, const at::Tensor& t, Reduce op)
    : buffer_(t.detach().clone().contiguous()), op_(op), world_size_(group.world_size()) {
  work_ = group.all_reduce_async(buffer_, op);
}

torch::Tensor PendingAllReduce::wait() {
  if (work_) {
    work_->wait();
    work_.reset();
    divide_for_mean(buffer_, op_, world_size_);
  }
  return buffer_;
}

}  // namespace volt::distributed

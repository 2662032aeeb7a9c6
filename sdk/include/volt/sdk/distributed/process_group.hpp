// volt::distributed::ProcessGroup: the ranks of a multi-process strategy connected through
// LibTorch's c10d (a TCPStore rendezvous at the host's MASTER_ADDR:MASTER_PORT, rank 0 serving
// it, and a Gloo process group, which reduces CPU and CUDA tensors). Part of the installed
// distributed toolkit (CMake target Volt::distributed); only process_group.cpp sees c10d's
// headers, so a strategy that uses it compiles against ATen alone.
//
// Every rank must call the collectives below in the same order with tensors of the same
// shape and dtype; each one waits at most the timeout given to connect(), then throws
// volt::Error naming the strategy.
#pragma once

#include <volt/sdk/strategy.hpp>

#include <ATen/ATen.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace volt::distributed {

struct RendezvousOptions {
  std::string label = "ddp";  // the strategy, for error messages
  std::string main_address = "127.0.0.1";
  int32_t main_port = 0;
  int32_t rank = 0;
  int32_t world_size = 1;
  // Gloo's interface: loopback on one node; otherwise the address that reaches main_address
  // (GLOO_SOCKET_IFNAME, when set, wins in both cases).
  bool single_node = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  // Polled while connect() waits: true ends the wait (the run was asked to stop). Empty: only
  // the timeout ends it.
  std::function<bool()> cancelled;
};

// The rendezvous of the processes the host detected (Strategy::cluster()).
RendezvousOptions rendezvous_options(const ClusterInfo& cluster, std::string label,
                                     std::chrono::milliseconds timeout);

// A collective in flight; wait() rethrows its error as volt::Error.
class PendingWork {
 public:
  virtual ~PendingWork() = default;
  virtual void wait() = 0;
};

class ProcessGroup {
 public:
  // Blocks until every rank joined, the timeout passed or options.cancelled() said so (then
  // throws, naming the address), whatever c10d's own waits do (a store port answered by
  // another program, a peer that never comes).
  static std::unique_ptr<ProcessGroup> connect(const RendezvousOptions& options);
  virtual ~ProcessGroup() = default;

  virtual int32_t rank() const = 0;
  virtual int32_t world_size() const = 0;
  virtual std::string backend() const = 0;  // "gloo"

  // In place, asynchronous: `t` must stay alive and untouched until wait() returns. Mean is
  // not done here (Gloo has no average): reduce() below divides.
  virtual std::unique_ptr<PendingWork> all_reduce_async(at::Tensor& t, Reduce op) = 0;
  // In place, blocking (Mean becomes a sum: see reduce()).
  void all_reduce(at::Tensor& t, Reduce op) { all_reduce_async(t, op)->wait(); }
  // A new tensor holding the reduction over all ranks; Mean divides by the world size (an
  // integer tensor's mean is a double).
  at::Tensor reduce(const at::Tensor& t, Reduce op);
  // In place, blocking: rank `src`'s values into `t` on every rank (`t` contiguous).
  virtual void broadcast(at::Tensor& t, int32_t src) = 0;
  // Blocking: every rank's `shard` (same numel on every rank), in rank order, into `full`
  // (world_size times that numel; contiguous, 1-D). `shard` may be a view of `full`.
  virtual void all_gather(at::Tensor& full, const at::Tensor& shard) = 0;
  // In place, blocking: each tensor of `ts` (any shapes, one dtype) reduced across ranks, in
  // one collective over a flat copy of them all; Mean divides by the world size. The result
  // is bitwise the same on every rank.
  void all_reduce_coalesced(const std::vector<at::Tensor>& ts, Reduce op);
  // Blocking: every rank's `t` (same shape on every rank), stacked in rank order along a new
  // first dimension (Lightning's all_gather).
  at::Tensor all_gather(const at::Tensor& t);
  // Blocking: the reduction of every rank's `full` (1-D, numel divisible by the world size),
  // of which this rank keeps slice `rank` (Gloo has no reduce-scatter: an all-reduce, then
  // the slice).
  at::Tensor reduce_scatter(const at::Tensor& full, Reduce op);
  virtual void barrier() = 0;
};

// Strategy::start_reduce over the group: a copy of the tensor is all-reduced in the background;
// wait() gives it (divided by the world size for Mean, which Gloo lacks). Destroying it
// without wait() leaves the collective to finish inside c10d, which holds its own reference to
// the buffer.
class PendingAllReduce final : public PendingReduce {
 public:
  PendingAllReduce(ProcessGroup& group, const at::Tensor& t, Reduce op);
  torch::Tensor wait() override;

 private:
  at::Tensor buffer_;
  Reduce op_;
  int32_t world_size_;
  std::unique_ptr<PendingWork> work_;
};

}  // namespace volt::distributed

// The c10d process group the ddp and fsdp strategies talk through: a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a Gloo process group, which reduces CPU and
// CUDA tensors. Only collectives.cpp sees c10d's headers.
#pragma once

#include <volt/sdk/strategy.hpp>

#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace volt::strategies {

struct RendezvousOptions {
  std::string label = "ddp";  // the strategy, for error messages
  std::string main_address = "127.0.0.1";
  int32_t main_port = 0;
  int32_t rank = 0;
  int32_t world_size = 1;
  bool single_node = true;  // bind Gloo to loopback; otherwise to the address that reaches main
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

// A pending collective; wait() rethrows its error as volt::Error.
class PendingWork {
 public:
  virtual ~PendingWork() = default;
  virtual void wait() = 0;
};

class Collectives {
 public:
  // Blocks until every rank joined or the timeout passed (then throws, naming the address).
  static std::unique_ptr<Collectives> connect(const RendezvousOptions& options);
  virtual ~Collectives() = default;

  virtual int32_t rank() const = 0;
  virtual int32_t world_size() const = 0;
  // In place, asynchronous: `t` must stay alive and untouched until wait() returns.
  virtual std::unique_ptr<PendingWork> all_reduce_async(at::Tensor& t, Reduce op) = 0;
  // In place, blocking.
  void all_reduce(at::Tensor& t, Reduce op) { all_reduce_async(t, op)->wait(); }
  virtual void broadcast(at::Tensor& t, int32_t src) = 0;
  // Blocking: every rank's `shard` (same numel on every rank), in rank order, into `full`
  // (world_size times that numel; contiguous, 1-D). `shard` may be a view of `full`.
  virtual void all_gather(at::Tensor& full, const at::Tensor& shard) = 0;

  virtual void barrier() = 0;
};

// Strategy::start_reduce over the group: a copy of the tensor is all-reduced in the background;
// wait() gives it (divided by the world size for Mean, which Gloo lacks). Destroying it
// without wait() leaves the collective to finish inside c10d, which holds its own reference to
// the buffer.
class PendingAllReduce final : public PendingReduce {
 public:
  PendingAllReduce(Collectives& group, const at::Tensor& t, Reduce op);
  torch::Tensor wait() override;

 private:
  at::Tensor buffer_;
  Reduce op_;
  int32_t world_size_;
  std::unique_ptr<PendingWork> work_;
};

}  // namespace volt::strategies

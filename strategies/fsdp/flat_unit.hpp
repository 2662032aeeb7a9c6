// One wrap unit of the fsdp strategy: a group of parameters laid out end to end in one flat
// buffer (PyTorch FSDP's FlatParameter), padded to a multiple of the world size and cut into
// one equal slice per rank.
//
// The module keeps its own parameter tensors (their identity is what the optimizer and the
// autograd graph know); the unit only changes what they point at (Tensor::set_data, Python's
// `p.data = ...`), between two layouts:
//  - compute: each parameter is a view of the whole flat buffer, with its own shape, in the
//    step's compute dtype (bfloat16 under bf16-mixed's autocast: gathered in that dtype);
//  - master: the values the optimizer steps on, in the parameters' own dtype. Sharded, each
//    parameter is the 1-D part of itself that lies in this rank's slice (possibly empty), so
//    the optimizer state is sharded too; with NO_SHARD, the whole parameter.
// With FULL_SHARD only the slice is kept between steps; the whole buffer is gathered for the
// compute layout and freed after. SHARD_GRAD_OP and NO_SHARD keep the whole master buffer.
#pragma once

#include <volt/sdk/distributed/process_group.hpp>

#include <volt/sdk/torch_core.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace volt::strategies::fsdp {

class FlatUnit {
 public:
  struct Member {
    std::string name;
    torch::Tensor param;           // the module's tensor (identity kept)
    std::vector<int64_t> sizes;    // its full shape
    int64_t offset = 0;            // in the flat buffer
    int64_t numel = 0;
    // The part in this rank's slice: flat positions [local_begin, local_end).
    int64_t local_begin = 0, local_end = 0;
    int64_t local_numel() const { return local_end - local_begin; }
  };

  // Takes the parameters' current values (every rank holds the same ones); leaves them in the
  // master layout. `sharded`: slices per rank (else NO_SHARD); `keep_full`: the whole master
  // buffer stays allocated (SHARD_GRAD_OP, NO_SHARD).
  FlatUnit(std::vector<std::pair<std::string, torch::Tensor>> params, int32_t rank,
           int32_t world_size, bool sharded, bool keep_full);
  ~FlatUnit();
  FlatUnit(const FlatUnit&) = delete;
  FlatUnit& operator=(const FlatUnit&) = delete;

  const std::vector<Member>& members() const { return members_; }
  int64_t numel() const { return numel_; }        // without padding
  int64_t shard_numel() const { return shard_; }  // per rank
  at::ScalarType dtype() const { return options_.dtype().toScalarType(); }

  // The compute layout in `dtype` (the parameters' own when Undefined); gathers the slices.
  // No-op when already there.
  void use_compute(distributed::ProcessGroup* group, at::ScalarType dtype);
  // The master layout (FULL_SHARD: frees the whole buffer). No-op when already there.
  void use_master();

  // Averaging the gradients over ranks, in two halves so that the sum can travel while
  // backward goes on: start_reduce takes the parameters' gradients as they are now (a
  // parameter without one counts as zero; clearing them) and starts their all-reduce;
  // finish_reduce waits for it and switches to the master layout, each parameter with its part
  // of the average, in the master dtype. Sharded, a unit whose sum holds an inf or NaN anywhere
  // gets an all-NaN slice on every rank.
  void start_reduce(distributed::ProcessGroup* group);
  void finish_reduce();
  void clear_gradients();

  // The whole master values of every member (gathered when sharded); every rank calls it.
  std::vector<torch::Tensor> full_values(distributed::ProcessGroup* group) const;
  // Every rank's parts of per-parameter tensors shaped like the master local parts (optimizer
  // state), gathered into full-shaped tensors. `local[i]` belongs to members()[i]; undefined
  // entries count as zeros.
  std::vector<torch::Tensor> gather_members(distributed::ProcessGroup* group,
                                            const std::vector<torch::Tensor>& local) const;
  // This rank's master values of every member: 1-D views of their local parts (sharded units;
  // any layout), valid until the next optimizer step.
  std::vector<torch::Tensor> local_values() const;
  // This rank's part of member i's full-shaped tensor, as a 1-D copy (sharded units).
  torch::Tensor local_part(size_t i, const torch::Tensor& full) const;

 private:
  enum class Layout { Compute, Master };
  void point_params_at(const torch::Tensor& flat, bool full_shapes, int64_t flat_start);
  int64_t slice_begin() const { return static_cast<int64_t>(rank_) * shard_; }

  std::vector<Member> members_;
  int32_t rank_;
  int32_t world_;
  bool sharded_;
  bool keep_full_;
  torch::TensorOptions options_;  // the master dtype and device
  int64_t numel_ = 0;
  int64_t shard_ = 0;
  torch::Tensor flat_;     // whole master buffer (world_ * shard_); FULL_SHARD: only while computing
  torch::Tensor slice_;    // FULL_SHARD: this rank's master slice
  torch::Tensor compute_;  // whole buffer in another compute dtype, while computing
  torch::Tensor grads_;    // the averaged gradients the master layout points at
  torch::Tensor summed_;   // gradients being summed, from start_reduce to finish_reduce
  std::unique_ptr<distributed::PendingWork> pending_;  // that sum in flight
  Layout layout_ = Layout::Master;
  at::ScalarType compute_dtype_ = at::ScalarType::Undefined;
};

}  // namespace volt::strategies::fsdp

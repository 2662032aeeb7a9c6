// One wrap unit of the fsdp strategy: a group of parameters laid out end to end in one flat
// buffer (PyTorch FSDP's FlatParameter), padded to a multiple of the world size and cut into
// one equal slice per rank.
//
// The module keeps its own parameter tensors (their identity is what the optimizer and the
// autograd graph know); the unit only changes what they point at (Tensor::set_data, Python's
// `p.data = ...`):
//  - full:  each parameter is a view of the gathered flat buffer, with its own shape;
//  - local: each parameter is the 1-D part of itself that lies in this rank's slice (possibly
//           empty). The optimizer steps in this layout, so its state is sharded too.
// With `keep_full` (SHARD_GRAD_OP, NO_SHARD) the flat buffer stays allocated and the local
// views are views of it; otherwise (FULL_SHARD) only the slice is kept and the full buffer is
// gathered for each use and freed after.
#pragma once

#include "../collectives/collectives.hpp"

#include <volt/sdk/torch_core.hpp>

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

  // Takes the parameters' current values (every rank holds the same ones) and leaves them full.
  FlatUnit(std::vector<std::pair<std::string, torch::Tensor>> params, int32_t rank,
           int32_t world_size, bool keep_full);

  const std::vector<Member>& members() const { return members_; }
  int64_t numel() const { return numel_; }        // without padding
  int64_t shard_numel() const { return shard_; }  // per rank
  bool is_full() const { return full_layout_; }

  // Parameters as full tensors (FULL_SHARD: all-gathers the slices). No-op when full.
  void use_full(Collectives* group);
  // Parameters as their local parts (FULL_SHARD: frees the full buffer). No-op when local.
  void use_local();

  // After backward: averages the gradients over ranks. `shard`: each rank keeps the local part
  // and the parameters switch to their local layout, each with its local part of the averaged
  // gradient (all NaN on every rank when any of the unit's sum is not finite); otherwise every
  // rank keeps the whole average. A parameter without a gradient counts as zero.
  void reduce_gradients(Collectives* group, bool shard);
  // Drops every gradient (set to none): after a sharded optimizer step.
  void clear_gradients();

  // Sum of squares of this rank's part of the gradients (for a global norm).
  double local_grad_square_sum() const;

  // Every rank's parts of per-parameter tensors shaped like the local parts (optimizer state),
  // gathered into full-shaped tensors. `local[i]` belongs to members()[i]; undefined entries
  // count as zeros.
  std::vector<torch::Tensor> gather_members(Collectives* group,
                                            const std::vector<torch::Tensor>& local) const;
  // This rank's part of member i's full-shaped tensor, as a 1-D copy.
  torch::Tensor local_part(size_t i, const torch::Tensor& full) const;

 private:
  void point_params_at(const torch::Tensor& flat, bool full_shapes, int64_t flat_start);

  std::vector<Member> members_;
  int32_t rank_;
  int32_t world_;
  bool keep_full_;
  int64_t numel_ = 0;
  int64_t shard_ = 0;
  torch::Tensor flat_;   // world_ * shard_ elements; kept only with keep_full_ (or while full)
  torch::Tensor slice_;  // FULL_SHARD: this rank's shard_ elements
  torch::Tensor grad_slice_;  // this rank's averaged gradient, while the step uses it
  bool full_layout_ = true;
};

}  // namespace volt::strategies::fsdp

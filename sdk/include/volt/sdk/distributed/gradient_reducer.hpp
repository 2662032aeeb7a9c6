// Bucketed gradient all-reduce, as PyTorch's DistributedDataParallel does it:
//  - parameters are packed into buckets of about `bucket_cap_bytes`, in reverse order of
//    registration (roughly the order backward produces their gradients);
//  - a hook on each parameter's gradient accumulator copies the gradient into its bucket once
//    it is final; a full bucket is all-reduced at once, asynchronously, while backward goes on;
//  - buckets start in index order on every rank, so collectives match across ranks;
//  - after backward, finish() waits and writes the averaged gradients back; the division by the
//    world size is fused into that copy (one pass over the gradients instead of two), except
//    for float16 buckets, which are divided before the sum so that it cannot overflow.
// Accumulation steps (sync = false) skip all of it: gradients only accumulate locally.
#pragma once

#include <volt/sdk/distributed/process_group.hpp>

#include <volt/sdk/torch_core.hpp>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace volt::distributed {

struct ReducerOptions {
  int64_t bucket_cap_bytes = 25 * 1024 * 1024;
  // The first bucket (the last layers, whose gradients come first). PyTorch's default is
  // dist._DEFAULT_FIRST_BUCKET_BYTES, 1 MiB, so that communication starts early.
  int64_t first_bucket_cap_bytes = 1024 * 1024;
  // Parameters without a gradient in a step count as zero (and keep no gradient when no rank
  // produced one); without it such a step is an error that names them.
  bool find_unused_parameters = false;
  // false: every bucket is reduced after backward (no overlap; the benchmark's baseline).
  bool overlap = true;
};

class GradientReducer {
 public:
  GradientReducer(ProcessGroup& group, std::vector<std::pair<std::string, torch::Tensor>> params,
                  ReducerOptions options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Around one loss.backward().
  void prepare(bool sync);
  void finish();

  size_t bucket_count() const { return buckets_.size(); }
  int64_t bytes_per_step() const;  // bytes all-reduced per synchronised step
  int64_t synchronised_steps() const { return sync_steps_; }
  // Time finish() spent from launching the buckets still unlaunched after backward until every
  // bucket was reduced: the communication backward did not hide. Without overlap this is the
  // whole all-reduce time.
  double exposed_seconds() const { return static_cast<double>(exposed_ns_) * 1e-9; }
  // Without overlap only: the all-reduce time alone (launch to completion; not the copy back),
  // measured after a one-element all-reduce that lines the ranks up (so time spent waiting for
  // a slower rank's backward is excluded). Total, and the median over synchronised steps.
  double all_reduce_seconds() const;
  double median_all_reduce_seconds() const;

 private:
  struct Slot {
    std::string name;
    torch::Tensor param;
    size_t bucket = 0;
    int64_t offset = 0;    // in the bucket's flat buffer
    int64_t flag = -1;     // index of its "has a gradient" flag (find_unused_parameters)
    bool ready = false;
  };
  struct Bucket {
    torch::Tensor flat;
    torch::Tensor world_size;  // 0-dim, in flat's dtype: the sum's divisor on the way back
    std::vector<size_t> slots;
    size_t pending = 0;
    std::unique_ptr<PendingWork> work;
  };
  friend class ReadyHook;

  void mark_ready(size_t slot);             // under mutex_
  void copy_in(size_t slot, bool has_grad);  // under mutex_
  void launch_ready_buckets();              // under mutex_
  void launch(Bucket& b);
  bool divides_before_sum(const Bucket& b) const;

  ProcessGroup& group_;
  ReducerOptions options_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // keeps the hooks alive
  std::shared_ptr<bool> alive_;
  std::mutex mutex_;
  bool sync_ = false;
  size_t next_bucket_ = 0;
  int64_t sync_steps_ = 0;
  int64_t exposed_ns_ = 0;
  std::vector<int64_t> all_reduce_ns_;  // per synchronised step, without overlap
};

}  // namespace volt::distributed

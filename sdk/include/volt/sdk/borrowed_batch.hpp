// The Batch an adapter hands to a plugin method for the length of one call, built from the
// host's tensor handles without allocating a vector per call.
#pragma once

#include <volt/sdk/core.hpp>
#include <volt/sdk/types.hpp>

namespace volt::detail {

// A vector an adapter keeps between calls, so that the calls of one training step (the step,
// its batch hooks, batch_to_device, convert_input) allocate no Batch.
struct BatchBuffer {
  Batch batch;
  bool in_use = false;
};

// The batch of one call: new references to the handles' tensors, in the adapter's buffer, or
// in a vector of its own when the buffer is taken (a call that re-enters its plugin). The
// buffer is emptied when the call ends, so the adapter holds no tensor between calls.
class BorrowedBatch {
 public:
  BorrowedBatch(BatchBuffer& buffer, volt_tensor* const* tensors, size_t len)
      : buffer_(buffer.in_use ? nullptr : &buffer) {
    if (buffer_ != nullptr) buffer_->in_use = true;
    Batch& b = get();
    b.reserve(len);
    for (size_t i = 0; i < len; ++i) b.push_back(unwrap(tensors[i]));
  }
  ~BorrowedBatch() {
    if (buffer_ == nullptr) return;
    buffer_->batch.clear();
    buffer_->in_use = false;
  }
  BorrowedBatch(const BorrowedBatch&) = delete;
  BorrowedBatch& operator=(const BorrowedBatch&) = delete;

  Batch& get() { return buffer_ != nullptr ? buffer_->batch : own_; }

 private:
  BatchBuffer* buffer_;
  Batch own_;
};

}  // namespace volt::detail

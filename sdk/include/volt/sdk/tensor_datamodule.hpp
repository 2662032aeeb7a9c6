// volt::TensorDataModule: a DataModule over in-memory tensors, with the sampling rules of
// PyTorch's DataLoader and DistributedSampler:
//  - shuffled splits use a fresh permutation each epoch, seeded by (seed + epoch);
//  - with several ranks, indices are padded by repeating from the start until they divide
//    evenly, then rank r takes every world_size-th index starting at r;
//  - the last batch may be smaller (drop_last = false).
#pragma once

#include <volt/sdk/datamodule.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <map>
#include <tuple>

namespace volt {

class TensorDataModule : public DataModule {
 public:
  TensorDataModule(int64_t batch_size, uint64_t seed) : batch_size_(batch_size), seed_(seed) {
    if (batch_size <= 0)
      throw Error("batch_size must be positive, got " + std::to_string(batch_size));
  }

  int64_t num_batches(const LoaderArgs& args) override {
    int64_t n = rank_size(args);
    return (n + batch_size_ - 1) / batch_size_;
  }

  Batch get_batch(const LoaderArgs& args, int64_t index) override {
    const Batch& data = split_tensors(args.split);
    int64_t n = rank_size(args);
    int64_t begin = index * batch_size_;
    if (index < 0 || begin >= n)
      throw Error(VOLT_ERROR_OUT_OF_RANGE, "batch index " + std::to_string(index) +
                                               " out of range for split '" +
                                               split_name(args.split) + "'");
    int64_t len = std::min(batch_size_, n - begin);
    Batch out;
    out.reserve(data.size());
    if (!shuffled(args) && args.world_size <= 1) {
      for (const auto& t : data) out.push_back(t.narrow(0, begin, len));
    } else {
      torch::Tensor idx = order(args).narrow(0, begin, len);
      for (const auto& t : data) out.push_back(t.index_select(0, idx));
    }
    return out;
  }

  int64_t batch_size() const { return batch_size_; }
  uint64_t seed() const { return seed_; }
  // Number of samples in a split (all ranks).
  int64_t split_size(Split s) const {
    const Batch& d = data_[static_cast<size_t>(s)];
    return d.empty() ? 0 : d.front().size(0);
  }

 protected:
  // Stores a split's tensors; all share the first dimension.
  void set_split(Split split, Batch tensors) {
    for (const auto& t : tensors)
      if (t.size(0) != tensors.front().size(0))
        throw Error("tensors of one split must have the same number of samples");
    data_[static_cast<size_t>(split)] = std::move(tensors);
    clear_orders();
  }
  const Batch& split_tensors(Split s) const { return data_[static_cast<size_t>(s)]; }
  // Whether a split is shuffled when the trainer does not force an order (train only, default).
  virtual bool shuffle_by_default(Split split) const { return split == Split::Train; }

 private:
  bool shuffled(const LoaderArgs& args) const {
    return args.shuffle.value_or(shuffle_by_default(args.split));
  }

  // Samples this rank sees: ceil(n / world_size) with DistributedSampler's padding.
  int64_t rank_size(const LoaderArgs& args) const {
    int64_t n = split_size(args.split);
    if (args.world_size <= 1) return n;
    return (n + args.world_size - 1) / args.world_size;
  }

  // This rank's sample order for the epoch, cached for the latest (split, epoch, rank) asked.
  const torch::Tensor& order(const LoaderArgs& args) {
    auto key = std::make_tuple(static_cast<int>(args.split), args.epoch, args.rank,
                               args.world_size, shuffled(args));
    if (last_order_.defined() && last_key_ == key) return last_order_;  // every batch asks
    auto it = orders_.find(key);
    if (it != orders_.end()) return remember(key, it->second);
    if (orders_.size() > 8) clear_orders();
    int64_t n = split_size(args.split);
    torch::Tensor idx;
    if (shuffled(args)) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ + static_cast<uint64_t>(args.epoch));
      idx = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kLong));
    } else {
      idx = torch::arange(n, torch::kLong);
    }
    if (args.world_size > 1) {
      int64_t total = rank_size(args) * args.world_size;
      while (idx.size(0) < total)  // DistributedSampler pads by repeating from the start
        idx = torch::cat({idx, idx.narrow(0, 0, std::min(idx.size(0), total - idx.size(0)))});
      idx = idx.slice(0, args.rank, total, args.world_size).contiguous();
    }
    return remember(key, orders_.emplace(key, idx).first->second);
  }

  using OrderKey = std::tuple<int, int64_t, int32_t, int32_t, bool>;
  const torch::Tensor& remember(const OrderKey& key, const torch::Tensor& order) {
    last_key_ = key;
    last_order_ = order;
    return last_order_;
  }
  void clear_orders() {
    orders_.clear();
    last_order_.reset();
  }

  int64_t batch_size_;
  uint64_t seed_;
  std::array<Batch, 4> data_;
  std::map<OrderKey, torch::Tensor> orders_;
  OrderKey last_key_{};
  torch::Tensor last_order_;  // the order of last_key_, asked for again by every batch
};

}  // namespace volt

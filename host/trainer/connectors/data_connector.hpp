// The datamodule's batches as the loops take them (Lightning's data connector and
// _DataFetcher): counts per split, and each batch made, moved to the device through the
// module's batch transfer hooks, and converted by the precision plugin. The data pipeline
// with worker threads belongs here.
#pragma once

#include "trainer/components.hpp"

namespace volt::host {

class TrainerParts;

class DataConnector {
 public:
  explicit DataConnector(TrainerParts& t) : t_(t) {}

  // The datamodule's number of batches of `split` (VOLT_SPLIT_*) this epoch, on this rank.
  int64_t available_batches(int32_t split) const;
  // Batch `index` of `split` in `epoch`, on the device, into `out`.
  void fetch_batch(int32_t split, int64_t epoch, int64_t index, HostBatch& out);

 private:
  volt_loader_args loader_args(int32_t split, int64_t epoch) const;
  // on_before_batch_transfer, transfer_batch_to_device (the strategy's batch_to_device by
  // default), on_after_batch_transfer.
  void transfer(HostBatch& batch);

  TrainerParts& t_;
};

}  // namespace volt::host

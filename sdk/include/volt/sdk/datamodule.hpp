// volt::DataModule: batches for each split, addressed by (epoch, index) so that resuming and
// sharding across ranks need nothing from the datamodule itself.
#pragma once

#include <volt/sdk/types.hpp>

#include <nlohmann/json.hpp>

namespace volt {

enum class Split { Train = VOLT_SPLIT_TRAIN, Validation = VOLT_SPLIT_VALIDATION,
                   Test = VOLT_SPLIT_TEST, Predict = VOLT_SPLIT_PREDICT };

inline const char* split_name(Split s) {
  switch (s) {
    case Split::Train: return "train";
    case Split::Validation: return "val";
    case Split::Test: return "test";
    case Split::Predict: return "predict";
  }
  return "?";
}

struct LoaderArgs {
  Split split = Split::Train;
  int64_t epoch = 0;
  int32_t rank = 0;
  int32_t world_size = 1;
  std::optional<bool> shuffle;  // unset: the datamodule's own choice
};

class DataModule : public PluginBase {
 public:
  virtual void prepare_data() {}
  virtual void setup(Stage /*stage*/) {}
  // Number of batches of the split for this rank (0: the split does not exist).
  virtual int64_t num_batches(const LoaderArgs& args) = 0;
  virtual Batch get_batch(const LoaderArgs& args, int64_t index) = 0;
  virtual nlohmann::json hparams() const { return nlohmann::json::object(); }
};

}  // namespace volt

// Lightning's _PredictionLoop: each batch's predict_step between on_predict_batch_start and
// on_predict_batch_end, under inference mode, with the predictions kept in batch order.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace volt::host {

class TrainerParts;

class PredictionLoop {
 public:
  explicit PredictionLoop(TrainerParts& t) : t_(t) {}

  // The prediction of every batch that made one, in order.
  std::vector<at::Tensor> run();

 private:
  TrainerParts& t_;
};

}  // namespace volt::host

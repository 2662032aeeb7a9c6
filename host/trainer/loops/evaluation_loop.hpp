// Lightning's _EvaluationLoop: the validation loop (inside fit, and the sanity check) and the
// test loop, under inference mode: on_*_model_eval, on_*_start, each batch's step between its
// batch hooks, the epoch's metrics to the loggers, on_*_end, on_*_model_train. What is running
// now (training, the metric scope, the loop's batch count) is put back as it was when the
// loop ends, also by an exception.
#pragma once

#include "trainer/metric_collector.hpp"

namespace volt::host {

class TrainerParts;

class EvaluationLoop {
 public:
  explicit EvaluationLoop(TrainerParts& t) : t_(t) {}

  // `stage`: VOLT_STAGE_VALIDATE or VOLT_STAGE_TEST. Returns the epoch metrics the loop logged
  // (nothing for the sanity check).
  ScalarRow run(int32_t stage, bool sanity);

 private:
  TrainerParts& t_;
};

}  // namespace volt::host

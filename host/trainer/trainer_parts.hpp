// What a trainer is made of, as Lightning's Trainer is: the plugin instances, the run state,
// the connectors (hooks, data, logging, optimizers, checkpoints, signals, collectives) and the
// loops. Each part keeps a reference to this object, as Lightning's loops keep `self.trainer`,
// and owns its own state; Trainer (trainer.hpp) composes them and runs the stages.
#pragma once

#include "trainer/components.hpp"
#include "trainer/connectors/checkpoint_connector.hpp"
#include "trainer/connectors/data_connector.hpp"
#include "trainer/connectors/hook_dispatcher.hpp"
#include "trainer/connectors/logger_connector.hpp"
#include "trainer/connectors/optimizer_connector.hpp"
#include "trainer/connectors/rank_collectives.hpp"
#include "trainer/connectors/signal_connector.hpp"
#include "trainer/loops/evaluation_loop.hpp"
#include "trainer/loops/fit_loop.hpp"
#include "trainer/loops/prediction_loop.hpp"
#include "trainer/run_state.hpp"
#include "trainer/trainer_options.hpp"

#include <string>

namespace volt::host {

class TrainerParts {
 public:
  TrainerParts(TrainerOptions o, TrainerComponents& components)
      : options(std::move(o)), c(components) {}
  TrainerParts(const TrainerParts&) = delete;
  TrainerParts& operator=(const TrainerParts&) = delete;

  // Lightning's trainer.should_stop = True, with the first reason given.
  void request_stop(const std::string& reason) {
    state.should_stop = true;
    if (state.stop_reason.empty()) state.stop_reason = reason;
  }

  TrainerOptions options;
  TrainerComponents& c;
  RunState state;
  volt_strategy_info info{};  // the ranks the strategy runs
  std::string root_device;
  std::string log_dir;  // rank 0's first logger's folder, on every rank ("" without loggers)
  bool automatic_optimization = true;

  // Declared in the order they are made; each may use the ones above it.
  RankCollectives ranks{*this};
  HookDispatcher hooks{*this};
  LoggerConnector logging{*this};
  DataConnector data{*this};
  OptimizerConnector optimizers{*this};
  CheckpointConnector checkpoints{*this};
  SignalConnector signals{*this};
  EvaluationLoop evaluation_loop{*this};
  PredictionLoop prediction_loop{*this};
  FitLoop fit_loop{*this};
};

}  // namespace volt::host

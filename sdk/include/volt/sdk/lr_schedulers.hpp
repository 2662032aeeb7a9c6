// LR schedulers with PyTorch's semantics, for configure_optimizers:
//
//   auto opt = std::make_shared<torch::optim::SGD>(parameters(), torch::optim::SGDOptions(0.1));
//   return volt::Optimizers().add(opt, std::make_shared<volt::lr::StepLR>(opt, 30, 0.1));
//
// Each follows torch.optim.lr_scheduler in 1.13: constructing one performs the initial step
// (last_epoch 0), the chainable update rules are the same (so the learning rates agree with
// Python's to the last bit where the arithmetic is the same), and state_dict() uses Python's
// attribute names, so the checkpoint's lr_schedulers entries read like Lightning's.
#pragma once

#include <volt/sdk/lr/cosine_annealing_lr.hpp>
#include <volt/sdk/lr/linear_lr.hpp>
#include <volt/sdk/lr/one_cycle_lr.hpp>
#include <volt/sdk/lr/reduce_lr_on_plateau.hpp>
#include <volt/sdk/lr/step_lr.hpp>

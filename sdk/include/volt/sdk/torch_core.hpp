// The part of LibTorch that the SDK's own declarations use: tensors and their factories,
// autograd, torch::nn::Module, the optimizers and torch::NoGradGuard-style utilities.
//
// Narrower than <torch/torch.h> (no nn layers or functional, data loaders, JIT), which
// <volt/sdk.hpp> adds for plugin code. The host and the SDK's internals include only this:
// precompiled (cmake/volt_pch.hpp) it loads in about 4 s per file, <torch/torch.h> in 11 s.
#pragma once

#include <ATen/DLConvertor.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/optim.h>
#include <torch/types.h>
#include <torch/utils.h>

// Volt's C++ SDK: write plugins in ordinary LibTorch C++ and export them with one line.
//
//   #include <volt/sdk.hpp>
//   class MyModel : public volt::LightningModule { ... };
//   VOLT_PLUGINS(MyModel)
//
// Header-only; the C ABI underneath is volt/volt.h. Includes all of <torch/torch.h>.
#pragma once

#include <torch/torch.h>

#include <volt/sdk/callback.hpp>
#include <volt/sdk/datamodule.hpp>
#include <volt/sdk/export.hpp>
#include <volt/sdk/logger.hpp>
#include <volt/sdk/lr_schedulers.hpp>
#include <volt/sdk/module.hpp>
#include <volt/sdk/precision.hpp>
#include <volt/sdk/strategy.hpp>
#include <volt/sdk/tensor_datamodule.hpp>

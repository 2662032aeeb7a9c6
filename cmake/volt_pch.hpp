// Headers precompiled once for the whole build (see VoltPch.cmake).
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>

// Headers precompiled once for the whole build (see VoltPch.cmake).
#pragma once
#include <volt/sdk/torch_core.hpp>
#include <nlohmann/json.hpp>

// An environment for tests of code that reads variables through an EnvLookup
// (host/distributed/cluster_environment.hpp): exactly the variables given, nothing inherited.
#pragma once

#include "distributed/cluster_environment.hpp"

#include <map>
#include <optional>
#include <string>

namespace volt::test {

inline volt::host::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace volt::test

// `volt fit | validate | test | predict`: resolves the config, creates the plugins and runs
// the trainer.
#pragma once

#include "config/command_line.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volt::host {

struct RunOptions {
  bool test_after_fit = false;  // Volt's --test-after-fit: run the test loop after fit
  // The command line as given (without the program), for the workers a launcher starts.
  std::vector<std::string> arguments;
};

// Returns the process exit code. Throws volt::Error / ConfigError for bad input.
int run_command(const config::ParsedCommand& command, const RunOptions& options);

}  // namespace volt::host

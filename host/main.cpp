// `volt`: the host program. Subcommands: fit, validate, test, predict, plugins.
#include "commands/plugins_command.hpp"
#include "commands/run_command.hpp"
#include "config/config_error.hpp"
#include "distributed/launcher.hpp"
#include "plugin/registry.hpp"
#include "runtime/host_api.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"

#include <volt/sdk/core.hpp>

#include <cstdlib>
#include <iostream>
#include <map>

extern char** environ;

namespace {

constexpr const char* kUsage = R"(usage: volt <command> [options]

commands:
  fit        train a model (sanity validation, training and validation loops)
  validate   run the validation loop
  test       run the test loop
  predict    run predict_step over the predict split and save predictions.pt
  plugins    list the plugins found (--json for machine-readable output)

common options:
  --model=ID --data=ID --strategy=ID --precision=ID --logger=ID[,ID]|false
  --trainer.KEY=VALUE --model.KEY=VALUE --data.KEY=VALUE ...
  --config FILE (repeatable, merged left to right)   --print-config
  --plugin-dir DIR (repeatable; also VOLT_PLUGIN_PATH)
  --test-after-fit   run the test loop after fit
  --seed_everything=N

Plugins are shared libraries found in --plugin-dir folders, VOLT_PLUGIN_PATH and the
install's lib/volt/plugins. `volt plugins` lists them.
)";

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  volt::host::host_api();  // installs the host table for the C++ helpers
  if (args[0] == "plugins") {
    bool json = false;
    std::vector<std::string> dirs;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--json") json = true;
      else if (args[i] == "--plugin-dir" && i + 1 < args.size()) dirs.push_back(args[++i]);
      else if (args[i].rfind("--plugin-dir=", 0) == 0) dirs.push_back(args[i].substr(13));
      else throw volt::Error("volt plugins: unknown option '" + args[i] + "'");
    }
    return volt::host::run_plugins_command(volt::host::plugin_search_path(dirs), json, std::cout);
  }
  volt::host::RunOptions options;
  options.arguments = args;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--test-after-fit") {
      options.test_after_fit = true;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  auto command = volt::host::config::parse_command_line(args, environment());
  if (command.help || command.subcommand.empty()) {
    std::cout << kUsage;
    return 0;
  }
  volt::host::install_signal_handlers();
  return volt::host::run_command(command, options);
}

}  // namespace

int main(int argc, char** argv) {
  volt::host::log::use_console_format();
  try {
    return run(argc, argv);
  } catch (const volt::host::config::ConfigError& e) {
    std::cerr << "volt: config error: " << e.what() << "\n";
    volt::host::write_error_file(std::string("config error: ") + e.what());
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "volt: error: " << e.what() << "\n";
    volt::host::write_error_file(e.what());
    return 1;
  }
}

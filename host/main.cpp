// `volt`: the host program. Subcommands: fit, validate, test, predict, plugins, help,
// completion, checkpoint.
#include "commands/checkpoint_command.hpp"
#include "commands/completion_command.hpp"
#include "commands/help_command.hpp"
#include "commands/plugin_loading.hpp"
#include "commands/plugins_command.hpp"
#include "commands/run_command.hpp"
#include "config/config_error.hpp"
#include "distributed/launcher.hpp"
#include "plugin/registry.hpp"
#include "runtime/host_api.hpp"
#include "runtime/log.hpp"
#include "runtime/malloc_tuning.hpp"
#include "runtime/signals.hpp"

#include <volt/sdk/core.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

extern char** environ;

namespace {

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

// plugins, completion, help: commands that read the plugins' descriptors only.
int run_catalogue_command(const std::string& command, const std::vector<std::string>& rest,
                          const volt::host::PluginRegistry& registry,
                          const std::vector<std::filesystem::path>& scanned) {
  if (command == "plugins") {
    bool json = false;
    for (const auto& arg : rest) {
      if (arg != "--json") throw volt::Error("volt plugins: unknown option '" + arg + "'");
      json = true;
    }
    return volt::host::run_plugins_command(registry, scanned, json, std::cout);
  }
  if (command == "completion") {
    if (rest.size() != 1) throw volt::host::config::ConfigError("usage: volt completion bash|zsh");
    std::cout << volt::host::completion_script(rest[0], volt::host::completion_data(registry));
    return 0;
  }
  if (command == "help" && !rest.empty()) {
    volt::host::print_topic_help(rest, registry, std::cout);
    return 0;
  }
  volt::host::print_help("", nlohmann::json::object(), registry, std::cout);
  return command.empty() ? 2 : 0;  // no command at all is a usage error
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::map<std::string, std::string> env = environment();
  const std::string malloc_settings = volt::host::tune_malloc_for_training(env);
  volt::host::log::debug(malloc_settings);
  volt::host::host_api();  // installs the host table for the C++ helpers
  const std::string command = args.empty() ? "" : args[0];
  if (command.empty() || command == "--help" || command == "-h" || command == "help" ||
      command == "plugins" || command == "completion") {
    volt::host::log::use_stderr();  // stdout carries the listing, script or help
    std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
    const auto loading = volt::host::take_plugin_options(rest, env);
    std::vector<std::filesystem::path> scanned;
    const auto registry = volt::host::open_registry(loading, &scanned);
    const int status = run_catalogue_command(command, rest, *registry, scanned);
    registry->shutdown();  // no instance was created
    return status;
  }
  if (command == "checkpoint") {
    volt::host::log::use_stderr();
    return volt::host::run_checkpoint_command({args.begin() + 1, args.end()}, std::cout);
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
  auto parsed = volt::host::config::parse_command_line(args, env);
  if (parsed.help || parsed.print_config) volt::host::log::use_stderr();
  if (parsed.help) {
    const auto registry = volt::host::open_registry(volt::host::plugin_loading(parsed));
    volt::host::print_help(parsed.subcommand, parsed.config, *registry, std::cout);
    return 0;
  }
  volt::host::install_signal_handlers();
  return volt::host::run_command(parsed, options);
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

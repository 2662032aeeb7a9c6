// Errors found when the composed config is checked against the schemas name who set the
// value: the file with its line and column (YAML, JSON, LightningCLI's class_path/init_args,
// subcommand sections), the flag, or the environment variable; the last writer wins, as in
// composition.
#include "config/command_line.hpp"
#include "config/value_sources.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using volt::host::config::ConfigError;
using volt::host::config::parse_command_line;
using volt::host::config::ValueSources;
using volt::host::config::testing::Env;
using volt::host::config::testing::TempDir;

namespace {

const std::vector<std::string> kMinimal = {"fit", "--model=mlp", "--data=fashion_mnist"};

// The error of resolving `args`, annotated as run_command does.
std::string sourced_error(std::vector<std::string> args, const Env& env = {}) {
  volt::host::config::ParsedCommand command;
  try {
    command = parse_command_line(args, env);  // errors while merging a file carry their line
  } catch (const ConfigError& e) {
    return e.what();
  }
  try {
    volt::host::config::validate_and_fill(command.config, volt::host::config::testing::fake_lookup(),
                                          volt::host::config::testing::fake_ids());
  } catch (const ConfigError& e) {
    return command.sources.annotate(e).what();
  }
  return "";
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("a wrong value from a YAML file names the file, line and column", "[config][sources]") {
  TempDir dir;
  std::string file = dir.write("c.yaml", "trainer:\n  max_epochs: 3\n  log_every_n_steps: abc\n");
  CHECK(sourced_error(with(kMinimal, {"--config", file})) ==
        "trainer.log_every_n_steps: expected an integer, got \"abc\" (set in " + file +
            ", line 3, column 3)");
  std::string unknown = dir.write("u.yaml", "trainer:\n  max_stepz: 4\n");
  std::string message = sourced_error(with(kMinimal, {"--config", unknown}));
  CHECK_THAT(message, Catch::StartsWith("trainer.max_stepz: unknown key; did you mean 'max_steps'?"));
  CHECK_THAT(message, Catch::EndsWith("(set in " + unknown + ", line 2, column 3)"));
}

TEST_CASE("LightningCLI selections, list items and subcommand sections keep their lines",
          "[config][sources]") {
  TempDir dir;
  std::string file = dir.write("m.yaml",
                               "model:\n"
                               "  class_path: mlp\n"
                               "  init_args:\n"
                               "    hidden_sizes: [16, 0]\n"
                               "    lr: abc\n"
                               "data: fashion_mnist\n");
  CHECK(sourced_error({"fit", "--config", file}) ==
        "model.hidden_sizes[1]: 0 is below the minimum 1 (set in " + file + ", line 4, column 24)");

  std::string sections = dir.write("s.yaml",
                                   "model: mlp\n"
                                   "data: fashion_mnist\n"
                                   "validate:\n"
                                   "  trainer:\n"
                                   "    max_epochs: 1\n"
                                   "fit:\n"
                                   "  trainer:\n"
                                   "    max_epochs: many\n");
  CHECK_THAT(sourced_error({"fit", "--config", sections}),
             Catch::EndsWith("(set in " + sections + ", line 8, column 5)"));

  std::string callbacks = dir.write("cb.yaml",
                                    "model: mlp\n"
                                    "data: fashion_mnist\n"
                                    "trainer:\n"
                                    "  callbacks:\n"
                                    "    - class_path: ModelCheckpoint\n"
                                    "      init_args:\n"
                                    "        save_top_k: -5\n");
  CHECK(sourced_error({"fit", "--config", callbacks}) ==
        "callbacks[0].save_top_k: -5 is below the minimum -1 (set in " + callbacks +
            ", line 7, column 9)");
}

TEST_CASE("a JSON config file names the line too", "[config][sources]") {
  TempDir dir;
  std::string file = dir.write("d.json", "{\"model\": \"mlp\", \"data\": \"fashion_mnist\",\n"
                                         " \"trainer\": {\"max_epochs\": \"abc\"}}");
  CHECK(sourced_error({"fit", "--config", file}) ==
        "trainer.max_epochs: expected an integer or null, got \"abc\" (set in " + file +
            ", line 2, column 14)");
}

TEST_CASE("flags and environment variables are named, and the last writer wins",
          "[config][sources]") {
  TempDir dir;
  std::string file = dir.write("c.yaml", "trainer:\n  max_epochs: abc\n");
  CHECK(sourced_error(with(kMinimal, {"--trainer.max_epochs=abc"})) ==
        "trainer.max_epochs: expected an integer or null, got \"abc\" (set by --trainer.max_epochs)");
  // The flag after the file overrides it, so the flag is at fault.
  CHECK_THAT(sourced_error(with(kMinimal, {"--config", file, "--trainer.max_epochs=xyz"})),
             Catch::EndsWith("got \"xyz\" (set by --trainer.max_epochs)"));
  CHECK_THAT(sourced_error(with(kMinimal, {"--trainer.max_epochs=xyz", "--config", file})),
             Catch::EndsWith("(set in " + file + ", line 2, column 3)"));
  CHECK(sourced_error(kMinimal, {{"VOLT_TRAINER_MAX_EPOCHS", "abc"}}) ==
        "trainer.max_epochs: expected an integer or null, got \"abc\" (set by "
        "VOLT_TRAINER_MAX_EPOCHS (environment))");
  CHECK(sourced_error(with(kMinimal, {"--model.lr=abc"})) ==
        "model.lr: expected a number, got \"abc\" (set by --model.lr)");
  CHECK(sourced_error(with(kMinimal, {"--model.init_args.lr=abc"})) ==
        "model.lr: expected a number, got \"abc\" (set by --model.init_args.lr)");
  CHECK(sourced_error(with(kMinimal, {"--trainer.callbacks+=model_checkpoint",
                                      "--trainer.callbacks+=model_checkpoint",
                                      "--trainer.callbacks.save_top_k=-9"})) ==
        "callbacks[1].save_top_k: -9 is below the minimum -1 (set by "
        "--trainer.callbacks.save_top_k)");
  CHECK_THAT(sourced_error(with(kMinimal, {"--trainer.callbacks+=early_stopping"})),
             Catch::StartsWith("callbacks[0].monitor: required option is missing") &&
                 Catch::EndsWith("(set by --trainer.callbacks+=early_stopping)"));
  CHECK_THAT(sourced_error({"fit", "--model=mpl", "--data=fashion_mnist"}),
             Catch::StartsWith("model: unknown id 'mpl'") && Catch::EndsWith("(set by --model)"));
}

TEST_CASE("values nobody set and errors about no value get no source", "[config][sources]") {
  ValueSources sources;
  sources.add({"trainer", "max_epochs"}, "set by --trainer.max_epochs");
  CHECK(sources.find("model.lr") == std::nullopt);
  CHECK(sources.find("") == std::nullopt);
  CHECK(sources.find("trainer") == std::optional<std::string>("set by --trainer.max_epochs"));
  ConfigError plain("--config x.yaml: cannot read the file");
  CHECK(std::string(sources.annotate(plain).what()) == plain.what());
  ConfigError keyed("model.lr", "expected a number");
  CHECK(std::string(sources.annotate(keyed).what()) == "model.lr: expected a number");
}

TEST_CASE("errors found while merging a file give the line and column too", "[config][sources]") {
  TempDir dir;
  std::string file = dir.write("t.yaml", "model: mlp\ndata: fashion_mnist\nmodle:\n  lr: 1\n");
  std::string message = sourced_error({"fit", "--config", file});
  CHECK_THAT(message, Catch::StartsWith("--config " + file + ": unknown top-level key 'modle'; "
                                        "did you mean 'model'?"));
  CHECK_THAT(message, Catch::EndsWith(" (line 3, column 1)"));
  std::string selection = dir.write("s.yaml", "model:\n  class_path: mlp\n  init_arg: {}\n");
  CHECK_THAT(sourced_error({"fit", "--config", selection}),
             Catch::StartsWith("--config " + selection + ": model.init_arg: unknown key") &&
                 Catch::EndsWith(" (line 3, column 3)"));
}

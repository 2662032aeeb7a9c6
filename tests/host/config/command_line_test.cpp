#include "config/command_line.hpp"
#include "config/config_error.hpp"
#include "config/did_you_mean.hpp"
#include "config/trainer_schema.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using volt::host::config::ConfigError;
using volt::host::config::parse_command_line;
using volt::host::config::testing::Env;
using volt::host::config::testing::TempDir;
using volt::host::config::testing::resolve;

namespace {

json parse(const std::vector<std::string>& args, const Env& env = {}) {
  return parse_command_line(args, env).config;
}

std::string error_of(const std::vector<std::string>& args, const Env& env = {}) {
  try {
    parse_command_line(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_resolve(const std::vector<std::string>& args) {
  try {
    volt::host::config::testing::resolve(args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

json selection(const std::string& id, const json& config = json::object()) {
  return json{{"id", id}, {"config", config}};
}

}  // namespace

TEST_CASE("the subcommand comes first", "[config][cli]") {
  for (const std::string subcommand : {"fit", "validate", "test", "predict"}) {
    const auto parsed = parse_command_line({subcommand}, {});
    CHECK(parsed.subcommand == subcommand);
    CHECK(parsed.config == json::object());
    CHECK_FALSE(parsed.help);
    CHECK_FALSE(parsed.print_config);
    CHECK(parsed.plugin_dirs.empty());
  }
  CHECK(error_of({}) == "missing subcommand; expected one of fit, validate, test, predict");
  CHECK(error_of({"fitt"}) ==
        "unknown subcommand 'fitt'; did you mean 'fit'? Available: fit, validate, test, predict");
  CHECK(error_of({"train"}) ==
        "unknown subcommand 'train'. Available: fit, validate, test, predict");
  const auto help = parse_command_line({"--help"}, {});
  CHECK(help.help);
  CHECK(help.subcommand.empty());
}

TEST_CASE("control flags are collected, not put into the config", "[config][cli]") {
  const auto parsed = parse_command_line(
      {"fit", "--plugin-dir", "/a", "--print-config", "--plugin-dir=/b", "-h"}, {});
  CHECK(parsed.plugin_dirs == std::vector<std::string>{"/a", "/b"});
  CHECK(parsed.print_config);
  CHECK(parsed.help);
  CHECK(parsed.config == json::object());
  CHECK(parse_command_line({"fit", "--print-config=json"}, {}).print_config);
  CHECK(parse_command_line({"fit", "--print_config"}, {}).print_config);
  CHECK(parse_command_line({"fit", "--help"}, {}).help);
  CHECK(parse_command_line({"fit", "--print-config=yaml"}, {}).print_format == "yaml");
  CHECK(parse_command_line({"fit", "--print-config=json"}, {}).print_format == "json");
  CHECK(parse_command_line({"fit", "--print-config"}, {}).print_format == "yaml");
  CHECK(error_of({"fit", "--print-config=xml"}) ==
        "--print-config=xml: unknown format; expected yaml or json");
}

TEST_CASE("plugin loading and config saving flags, and their environment defaults",
          "[config][cli]") {
  const auto plain = parse_command_line({"fit"}, {});
  CHECK_FALSE(plain.overwrite_config);
  CHECK_FALSE(plain.allow_insecure_plugins);
  CHECK(plain.plugin_allowlist.empty());
  const auto flagged = parse_command_line(
      {"fit", "--overwrite-config", "--allow-insecure-plugins", "--plugin-allowlist", "/x/list"}, {});
  CHECK(flagged.overwrite_config);
  CHECK(flagged.allow_insecure_plugins);
  CHECK(flagged.plugin_allowlist == "/x/list");
  const Env env{{"VOLT_PLUGIN_ALLOWLIST", "/env/list"}, {"VOLT_ALLOW_INSECURE_PLUGINS", "1"}};
  const auto from_env = parse_command_line({"fit"}, env);
  CHECK(from_env.plugin_allowlist == "/env/list");
  CHECK(from_env.allow_insecure_plugins);
  CHECK(parse_command_line({"fit", "--plugin-allowlist=/flag/list"}, env).plugin_allowlist ==
        "/flag/list");
  CHECK(error_of({"fit", "--overwrite-config=yes"}) == "--overwrite-config takes no value");
  // Single options from the environment, below the command line.
  const Env seed_env{{"VOLT_SEED_EVERYTHING", "5"}, {"VOLT_CKPT_PATH", "last"}};
  CHECK(parse({"fit"}, seed_env)["seed_everything"] == 5);
  CHECK(parse({"fit"}, seed_env)["ckpt_path"] == "last");
  CHECK(parse({"fit", "--seed_everything=6"}, seed_env)["seed_everything"] == 6);
  CHECK(starts_with(error_of({"fit"}, {{"VOLT_CONFIG", "/nonexistent/volt.yaml"}}),
                    "VOLT_CONFIG=/nonexistent/volt.yaml (environment): cannot read the file"));
}

TEST_CASE("plugin selection and options", "[config][cli]") {
  CHECK(parse({"fit", "--model=mlp", "--data", "fashion_mnist"}) ==
        json{{"model", selection("mlp")}, {"data", selection("fashion_mnist")}});
  CHECK(parse({"fit", "--strategy=ddp", "--precision=16-mixed"}) ==
        json{{"strategy", selection("ddp")}, {"precision", selection("16-mixed")}});
  // Lightning spells these as trainer arguments.
  CHECK(parse({"fit", "--trainer.strategy=ddp", "--trainer.precision", "32-true"}) ==
        json{{"strategy", selection("ddp")}, {"precision", selection("32-true")}});
  // Ids are verbatim even when they look like JSON numbers.
  CHECK(parse({"fit", "--precision=32"})["precision"] == selection("32"));

  CHECK(parse({"fit", "--model=mlp", "--model.lr=0.01", "--model.optim.betas=[0.9,0.99]"}) ==
        json{{"model", selection("mlp", json::parse(
                                            R"({"lr": 0.01, "optim": {"betas": [0.9, 0.99]}})"))}});
  CHECK(parse({"fit", "--model", "{\"id\": \"cnn\", \"config\": {\"channels\": 8}}"})["model"] ==
        selection("cnn", json{{"channels", 8}}));
  CHECK(parse({"fit", "--data.batch_size", "128"})["data"] ==
        json{{"config", {{"batch_size", 128}}}});
}

TEST_CASE("selecting another plugin drops the group's options", "[config][cli]") {
  CHECK(parse({"fit", "--model=mlp", "--model.lr=0.1", "--model=cnn"})["model"] == selection("cnn"));
  CHECK(parse({"fit", "--model=mlp", "--model.lr=0.1", "--model=mlp"})["model"] ==
        selection("mlp", json{{"lr", 0.1}}));
  // Options given before any selection belong to the plugin selected next.
  CHECK(parse({"fit", "--model.lr=0.1", "--model=mlp"})["model"] ==
        selection("mlp", json{{"lr", 0.1}}));
  CHECK(parse({"fit", "--strategy=ddp", "--strategy.find_unused_parameters=true",
               "--strategy=single_device"})["strategy"] == selection("single_device"));
}

TEST_CASE("values are JSON when they parse, strings otherwise", "[config][cli]") {
  const json model = parse({"fit", "--model.i=3", "--model.f=0.5", "--model.e=1e-3",
                            "--model.neg=-2", "--model.t=true", "--model.n=null",
                            "--model.list=[256,128]", "--model.obj={\"a\":1}",
                            "--model.path=/tmp/x", "--model.word=relu", "--model.quoted=\"123\"",
                            "--model.empty=", "--model.spaced=a b"})["model"]["config"];
  CHECK(model["i"].is_number_integer());
  CHECK(model["i"] == 3);
  CHECK(model["f"].is_number_float());
  CHECK(model["f"] == 0.5);
  CHECK(model["e"] == 0.001);
  CHECK(model["neg"] == -2);
  CHECK(model["t"] == true);
  CHECK(model["n"].is_null());
  CHECK(model["list"] == json{256, 128});
  CHECK(model["obj"] == json{{"a", 1}});
  CHECK(model["path"] == "/tmp/x");
  CHECK(model["word"] == "relu");
  CHECK(model["quoted"] == "123");
  CHECK(model["empty"] == "");
  CHECK(model["spaced"] == "a b");
}

TEST_CASE("space-separated values", "[config][cli]") {
  const json config = parse({"fit", "--trainer.max_epochs", "-1", "--model", "mlp",
                             "--model.hidden_sizes", "[1, 2]", "--ckpt_path", "last"});
  CHECK(config["trainer"]["max_epochs"] == -1);
  CHECK(config["model"] == selection("mlp", json{{"hidden_sizes", {1, 2}}}));
  CHECK(config["ckpt_path"] == "last");
  CHECK(error_of({"fit", "--model"}) == "--model: missing value (use --model=VALUE)");
  CHECK(error_of({"fit", "--trainer.max_epochs", "--model=mlp"}) ==
        "--trainer.max_epochs: missing value (use --trainer.max_epochs=VALUE)");
}

TEST_CASE("top-level scalars", "[config][cli]") {
  CHECK(parse({"fit", "--seed_everything=1"})["seed_everything"] == 1);
  CHECK(parse({"fit", "--seed_everything=false"})["seed_everything"] == false);
  CHECK(parse({"fit", "--ckpt_path=best"})["ckpt_path"] == "best");
  CHECK(parse({"fit", "--ckpt_path=123"})["ckpt_path"] == "123");
  CHECK(parse({"fit", "--ckpt_path=null"})["ckpt_path"].is_null());
  CHECK(parse({"fit", "--trainer={\"max_epochs\": 3}", "--trainer.max_steps=9"})["trainer"] ==
        json{{"max_epochs", 3}, {"max_steps", 9}});
}

TEST_CASE("loggers", "[config][cli]") {
  const json csv = json::array({selection("csv")});
  CHECK(parse({"fit", "--logger=false"})["logger"] == false);
  CHECK(parse({"fit", "--trainer.logger=false"})["logger"] == false);
  CHECK(parse({"fit", "--logger=false", "--logger=true"})["logger"] == csv);
  CHECK(parse({"fit", "--logger=csv,tensorboard"})["logger"] ==
        json::array({selection("csv"), selection("tensorboard")}));
  // Logger options are addressed by id; the default [csv] is there to address.
  CHECK(parse({"fit", "--logger.csv.flush_logs_every_n_steps=10"})["logger"] ==
        json::array({selection("csv", json{{"flush_logs_every_n_steps", 10}})}));
  CHECK(parse({"fit", "--logger.csv={\"name\": \"x\"}"})["logger"] ==
        json::array({selection("csv", json{{"name", "x"}})}));
  // Loggers that stay selected keep their options.
  CHECK(parse({"fit", "--logger.csv.name=a", "--logger=tensorboard,csv"})["logger"] ==
        json::array({selection("tensorboard"), selection("csv", json{{"name", "a"}})}));
  CHECK(parse({"fit", "--logger=[{\"id\": \"tensorboard\"}]"})["logger"] ==
        json::array({selection("tensorboard")}));

  CHECK(error_of({"fit", "--logger=tensorboard", "--logger.csv.name=x"}) ==
        "--logger.csv.name: logger 'csv' is not selected (selected: tensorboard); select it "
        "with --logger=tensorboard,csv");
  CHECK(error_of({"fit", "--logger=false", "--logger.csv.name=x"}) ==
        "--logger.csv.name: logging is disabled (logger=false); select loggers first with "
        "--logger=csv");
}

TEST_CASE("callbacks append, and later options apply to the last one", "[config][cli]") {
  const json config = parse({"fit", "--trainer.callbacks+=early_stopping",
                             "--trainer.callbacks.monitor=val_loss",
                             "--trainer.callbacks.patience=5", "--callbacks+=model_checkpoint",
                             "--callbacks.save_top_k=2"});
  CHECK(config["callbacks"] ==
        json::array({selection("early_stopping", {{"monitor", "val_loss"}, {"patience", 5}}),
                     selection("model_checkpoint", {{"save_top_k", 2}})}));
  CHECK(parse({"fit", "--callbacks+={\"id\": \"x\", \"config\": {\"a\": 1}}"})["callbacks"] ==
        json::array({selection("x", {{"a", 1}})}));
  CHECK(parse({"fit", "--callbacks+=a", "--callbacks=b,c"})["callbacks"] ==
        json::array({selection("b"), selection("c")}));
  CHECK(parse({"fit", "--callbacks+=a", "--trainer.callbacks=[]"})["callbacks"] ==
        json::array());
  CHECK(error_of({"fit", "--trainer.callbacks.patience=5"}) ==
        "--trainer.callbacks.patience: no callback to apply it to; append one first with "
        "--trainer.callbacks+=ID");
  CHECK(error_of({"fit", "--model+=mlp"}) ==
        "--model+: '+=' only appends to the callback list (--trainer.callbacks+=ID)");
  CHECK(error_of({"fit", "--callbacks+={\"config\": {}}"}) == "--callbacks+: missing \"id\"");
}

TEST_CASE("unknown options and stray arguments are errors", "[config][cli]") {
  const std::string typo = error_of({"fit", "--modle.lr=1"});
  CHECK(starts_with(typo, "unknown option '--modle.lr'; did you mean '--model.lr'? Accepted "
                          "options: --config FILE,"));
  CHECK(starts_with(error_of({"fit", "--trainerr.max_epochs=1"}),
                    "unknown option '--trainerr.max_epochs'; did you mean "
                    "'--trainer.max_epochs'?"));
  CHECK(starts_with(error_of({"fit", "--frobnicate=1"}),
                    "unknown option '--frobnicate'. Accepted options:"));
  CHECK(starts_with(error_of({"fit", "--seed_everything.x=1"}),
                    "unknown option '--seed_everything.x'"));
  CHECK(starts_with(error_of({"fit", "mlp"}), "unexpected argument 'mlp'"));
  CHECK(starts_with(error_of({"fit", "--"}), "unexpected argument '--'"));
  CHECK(error_of({"fit", "--model..lr=1"}) == "--model..lr: malformed option name");
}

TEST_CASE("VOLT_TRAINER_* environment variables set trainer options", "[config][cli]") {
  const Env env{{"VOLT_TRAINER_MAX_EPOCHS", "3"},
                {"VOLT_TRAINER_ACCELERATOR", "cpu"},
                {"VOLT_TRAINER_LOGGER", "false"},
                {"VOLT_TRAINER_MIN_EPOCHS", ""},  // empty = unset
                {"VOLT_PLUGIN_PATH", "/x"},
                {"PATH", "/usr/bin"}};
  const json config = parse({"fit"}, env);
  CHECK(config["trainer"] == json{{"max_epochs", 3}, {"accelerator", "cpu"}});
  CHECK(config["logger"] == false);
  CHECK(error_of({"fit"}, {{"VOLT_TRAINER_MAX_EPOCH", "3"}}) ==
        "VOLT_TRAINER_MAX_EPOCH (environment): unknown trainer option 'max_epoch'; did you mean "
        "'max_epochs'? Accepted: " + volt::host::config::join(
            volt::host::config::trainer_option_names(), ", "));
}

TEST_CASE("config files: merging, errors naming the file", "[config][cli][files]") {
  TempDir dir;
  const std::string file = dir.write("a.json", R"({
    "seed_everything": 3,
    "trainer": {"max_epochs": 5, "accelerator": "cpu"},
    "model": {"id": "mlp", "config": {"lr": 0.1}},
    "data": "fashion_mnist",
    "logger": "csv",
    "callbacks": ["model_checkpoint"]})");
  const json expected = json::parse(R"({
    "seed_everything": 3,
    "trainer": {"max_epochs": 5, "accelerator": "cpu"},
    "model": {"id": "mlp", "config": {"lr": 0.1}},
    "data": {"id": "fashion_mnist", "config": {}},
    "logger": [{"id": "csv", "config": {}}],
    "callbacks": [{"id": "model_checkpoint", "config": {}}]})");
  CHECK(parse({"fit", "--config", file}) == expected);
  CHECK(parse({"fit", "--config=" + file}) == expected);
  CHECK(parse({"fit", "-c", file}) == expected);

  const std::string missing = dir.path("missing.json");
  CHECK(error_of({"fit", "--config", missing}) ==
        "--config " + missing + ": cannot read the file: No such file or directory");
  const std::string broken = dir.write("broken.json", "{\n  \"trainer\": {\"max_epochs\": 3,}\n}");
  const std::string broken_error = error_of({"fit", "--config", broken});
  CHECK(starts_with(broken_error, "--config " + broken + ": invalid JSON: parse error at line 2, column "));
  const std::string list = dir.write("list.json", "[1, 2]");
  CHECK(error_of({"fit", "--config", list}) ==
        "--config " + list + ": a config must be a mapping of keys to values, got [1,2]");
  const std::string typo = dir.write("typo.json", R"({"modle": {}})");
  CHECK(error_of({"fit", "--config", typo}) ==
        "--config " + typo + ": unknown top-level key 'modle'; did you mean 'model'? Accepted "
        "keys: callbacks, ckpt_path, data, logger, lr_scheduler, model, optimizer, precision, "
        "seed_everything, strategy, "
        "trainer (line 1, column 2)");
  const std::string flat = dir.write("flat.json", R"({"model": {"id": "mlp", "lr": 0.1}})");
  CHECK(error_of({"fit", "--config", flat}) ==
        "--config " + flat + ": model.lr: unknown key; a plugin selection holds only \"id\" and "
        "\"config\" (plugin options go under \"config\") (line 1, column 25)");
}

TEST_CASE("YAML config files give what the same JSON gives, and errors name file and line",
          "[config][cli][files][yaml]") {
  TempDir dir;
  const std::string json_file = dir.write("a.json", R"({
    "seed_everything": 3,
    "trainer": {"max_epochs": 5, "accelerator": "cpu", "limit_val_batches": 0.5,
                "gradient_clip_val": 1e-3},
    "model": {"id": "mlp", "config": {"lr": 0.1, "hidden_sizes": [64, 32]}},
    "data": "fashion_mnist",
    "logger": "csv,tensorboard",
    "callbacks": [{"id": "early_stopping", "config": {"monitor": "val_loss"}}],
    "fit": {"ckpt_path": "last"}})");
  const std::string yaml_file = dir.write("a.yaml", R"(# the same run
seed_everything: 3
trainer:
  max_epochs: 5
  accelerator: cpu
  limit_val_batches: 0.5
  gradient_clip_val: 1e-3
model:
  id: mlp
  config: {lr: 0.1, hidden_sizes: [64, 32]}
data: fashion_mnist
logger: csv,tensorboard
callbacks:
  - id: early_stopping
    config:
      monitor: val_loss
fit:
  ckpt_path: last
)");
  for (const char* sub : {"fit", "test"}) {
    INFO(sub);
    CHECK(parse({sub, "--config", yaml_file}) == parse({sub, "--config", json_file}));
    CHECK(resolve({sub, "--config", yaml_file}) == resolve({sub, "--config", json_file}));
  }
  CHECK(parse({"fit", "--config", yaml_file})["ckpt_path"] == "last");
  CHECK(parse({"test", "--config", yaml_file}).value("ckpt_path", json()) == json());

  const std::string broken = dir.write("broken.yaml", "trainer:\n  max_epochs: [3\n");
  CHECK(starts_with(error_of({"fit", "--config", broken}),
                    "--config " + broken + ": invalid YAML at line "));
  const std::string typo = dir.write("typo.yml", "modle: mlp\n");
  CHECK(error_of({"fit", "--config", typo}) ==
        "--config " + typo + ": unknown top-level key 'modle'; did you mean 'model'? Accepted "
        "keys: callbacks, ckpt_path, data, logger, lr_scheduler, model, optimizer, precision, "
        "seed_everything, strategy, "
        "trainer (line 1, column 1)");
  const std::string list = dir.write("list.yaml", "- 1\n- 2\n");
  CHECK(error_of({"fit", "--config", list}) ==
        "--config " + list + ": a config must be a mapping of keys to values, got [1,2]");
  // A value of the wrong type in YAML is caught by the plugin's schema, naming the key.
  const std::string wrong = dir.write("wrong.yaml", "model: {id: mlp, config: {lr: fast}}\n");
  CHECK(starts_with(error_of_resolve({"fit", "--config", wrong, "--data=fashion_mnist"}),
                    "model.lr: expected a number, got \"fast\""));
}

TEST_CASE("config files may hold Lightning's trainer.* spellings", "[config][cli][files]") {
  TempDir dir;
  const std::string file = dir.write("a.json", R"({"trainer": {"max_epochs": 2, "logger": false,
      "callbacks": [{"id": "early_stopping", "config": {"monitor": "val_loss"}}],
      "precision": "16-mixed"}})");
  CHECK(parse({"fit", "--config", file}) == json::parse(R"({
    "trainer": {"max_epochs": 2}, "logger": false, "precision": {"id": "16-mixed", "config": {}},
    "callbacks": [{"id": "early_stopping", "config": {"monitor": "val_loss"}}]})"));
  const std::string both = dir.write("both.json", R"({"trainer": {"logger": false}, "logger": true})");
  CHECK(error_of({"fit", "--config", both}) ==
        "--config " + both + ": both trainer.logger and logger are given; keep one (line 1, column 32)");
}

TEST_CASE("per-subcommand sections take the current subcommand's", "[config][cli][files]") {
  TempDir dir;
  const std::string file = dir.write("sections.json", R"({
    "trainer": {"max_epochs": 5, "accelerator": "cpu"},
    "fit": {"trainer": {"max_epochs": 7}, "model": "mlp"},
    "test": {"ckpt_path": "best"}})");
  CHECK(parse({"fit", "--config", file}) ==
        json::parse(R"({"trainer": {"max_epochs": 7, "accelerator": "cpu"},
                        "model": {"id": "mlp", "config": {}}})"));
  CHECK(parse({"test", "--config", file}) ==
        json::parse(R"({"trainer": {"max_epochs": 5, "accelerator": "cpu"}, "ckpt_path": "best"})"));
  CHECK(parse({"validate", "--config", file}) ==
        json::parse(R"({"trainer": {"max_epochs": 5, "accelerator": "cpu"}})"));
  const std::string only_sections = dir.write("only.json", R"({"predict": {"ckpt_path": "last"}})");
  CHECK(parse({"fit", "--config", only_sections}) == json::object());
  CHECK(parse({"predict", "--config", only_sections}) == json{{"ckpt_path", "last"}});
  const std::string bad = dir.write("bad.json", R"({"fit": {"trainr": {}}})");
  CHECK(starts_with(error_of({"fit", "--config", bad}),
                    "--config " + bad + " (section 'fit'): unknown top-level key 'trainr'; did "
                    "you mean 'trainer'?"));
}

TEST_CASE("files deep-merge objects, arrays and scalars replace", "[config][cli][files]") {
  TempDir dir;
  const std::string a = dir.write("a.json", R"({"trainer": {"max_epochs": 1, "max_steps": 10},
    "model": {"id": "mlp", "config": {"lr": 0.1, "hidden_sizes": [1, 2], "optim": {"m": 1}}},
    "callbacks": ["x", "y"]})");
  const std::string b = dir.write("b.json", R"({"trainer": {"max_epochs": 2},
    "model": {"config": {"hidden_sizes": [3], "optim": {"n": 2}}}, "callbacks": ["z"]})");
  CHECK(parse({"fit", "--config", a, "--config", b}) == json::parse(R"({
    "trainer": {"max_epochs": 2, "max_steps": 10},
    "model": {"id": "mlp", "config": {"lr": 0.1, "hidden_sizes": [3], "optim": {"m": 1, "n": 2}}},
    "callbacks": [{"id": "z", "config": {}}]})"));
  // Another model id in a later file drops the earlier model options.
  const std::string c = dir.write("c.json", R"({"model": {"id": "cnn", "config": {"channels": 4}}})");
  CHECK(parse({"fit", "--config", a, "--config", c})["model"] ==
        selection("cnn", json{{"channels", 4}}));
}

// One option (trainer.max_epochs) set by any combination of sources: the environment, two
// files and flags. Built-in default < environment < files and flags, left to right.
TEST_CASE("precedence: default < env < files and flags, left to right", "[config][cli][precedence]") {
  TempDir dir;
  // Every case runs with JSON files and again with the same files in YAML.
  const std::string ext = GENERATE(as<std::string>{}, ".json", ".yaml");
  const auto write = [&](const std::string& name, const std::string& json_text,
                         const std::string& yaml_text) {
    return dir.write(name + ext, ext == ".json" ? json_text : yaml_text);
  };
  const std::string file4 = write("four", R"({"trainer": {"max_epochs": 4}})", "trainer:\n  max_epochs: 4\n");
  const std::string file5 = write("five", R"({"trainer": {"max_epochs": 5}})", "trainer:\n  max_epochs: 5\n");
  const std::string file6 = write("six", R"({"trainer": {"max_epochs": 6}})", "trainer: {max_epochs: 6}\n");
  const std::string other = write("other", R"({"trainer": {"max_steps": 100}})", "trainer:\n  max_steps: 100\n");
  const std::string sections =
      write("sections", R"({"trainer": {"max_epochs": 7}, "fit": {"trainer": {"max_epochs": 8}}})",
            "trainer:\n  max_epochs: 7\nfit:\n  trainer:\n    max_epochs: 8\n");
  const Env env{{"VOLT_TRAINER_MAX_EPOCHS", "3"}};
  const Env env_file{{"VOLT_CONFIG", file4}};
  const Env both_env{{"VOLT_CONFIG", file4}, {"VOLT_TRAINER_MAX_EPOCHS", "3"}};
  const Env no_env{};
  const std::string flag = "--trainer.max_epochs=9";
  const std::string flag2 = "--trainer.max_epochs=10";

  struct Case {
    const char* name;
    Env env;
    std::vector<std::string> args;
    json expected;  // null = not set (the built-in default applies)
  };
  const std::vector<Case> cases{
      {"default only", no_env, {}, nullptr},
      {"env over default", env, {}, 3},
      {"env config file over default", env_file, {}, 4},
      {"env option over env config file", both_env, {}, 3},
      {"file over env config file", env_file, {"--config", file5}, 5},
      {"flag over env config file", both_env, {flag}, 9},
      {"file not setting it keeps env config file", env_file, {"--config", other}, 4},
      {"file over default", no_env, {"--config", file5}, 5},
      {"flag over default", no_env, {flag}, 9},
      {"file over env", env, {"--config", file5}, 5},
      {"flag over env", env, {flag}, 9},
      {"file not setting it keeps env", env, {"--config", other}, 3},
      {"flag after file wins", env, {"--config", file5, flag}, 9},
      {"file after flag wins", env, {flag, "--config", file5}, 5},
      {"second file wins", no_env, {"--config", file5, "--config", file6}, 6},
      {"second file wins, reversed", no_env, {"--config", file6, "--config", file5}, 5},
      {"file, flag, file", env, {"--config", file5, flag, "--config", file6}, 6},
      {"flag, file, flag", env, {flag, "--config", file5, flag2}, 10},
      {"two flags: last wins", no_env, {flag, flag2}, 10},
      {"unrelated file after flag", env, {flag, "--config", other}, 9},
      {"the fit section over the file's common keys", env, {"--config", sections}, 8},
      {"a flag over a file's fit section", env, {"--config", sections, flag}, 9},
      {"a file after a sectioned file", env, {"--config", sections, "--config", file5}, 5},
  };
  for (const auto& c : cases) {
    INFO(c.name << " (" << ext << " files)");
    std::vector<std::string> args{"fit"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const json config = parse(args, c.env);
    const json trainer = config.value("trainer", json::object());
    CHECK(trainer.value("max_epochs", json()) == c.expected);
  }
  // Another subcommand takes the file's common keys, not the fit section.
  CHECK(parse({"test", "--config", sections})["trainer"]["max_epochs"] == 7);
}

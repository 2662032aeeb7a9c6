// `volt --help`, `volt fit --help`, `volt help ID`, `volt plugins --json` and
// `volt completion bash|zsh`, run as a user runs them, against the shipped plugins. The
// expected keys come from walking each schema here, not from the host's own flattening.
#include "config/trainer_schema.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <set>

namespace volt::trainer_test {
namespace {

using nlohmann::json;

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

ProcessResult volt(std::vector<std::string> args, const TempDir& tmp) {
  args.insert(args.begin(), kVolt);
  return run_process(args, tmp.path(), tmp.path());
}

// Every leaf key of a schema as a dotted path under `prefix`.
void leaf_keys(const json& schema, const std::string& prefix, std::vector<std::string>& out) {
  if (!schema.is_object() || !schema.contains("properties")) return;
  for (const auto& [key, property] : schema["properties"].items()) {
    const std::string name = prefix + "." + key;
    if (property.contains("properties") && !property["properties"].empty()) {
      leaf_keys(property, name, out);
    } else {
      out.push_back(name);
    }
  }
}

std::string group_of(const std::string& kind) {
  if (kind == "module") return "model";
  if (kind == "datamodule") return "data";
  if (kind == "callback") return "callbacks";
  return kind;
}

std::string prefix_of(const json& plugin) {
  const std::string kind = plugin["kind"].get<std::string>();
  return kind == "logger" ? "logger." + plugin["id"].get<std::string>() : group_of(kind);
}

// The catalogue as `volt plugins --json` prints it; checked against the schemas it carries.
json catalogue(const TempDir& tmp) {
  ProcessResult r = volt({"plugins", "--json"}, tmp);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

bool has_line_starting(const std::string& text, const std::string& start) {
  return text.find("\n" + start) != std::string::npos || text.rfind(start, 0) == 0;
}

}  // namespace

TEST_CASE("volt plugins --json is the catalogue: trainer schema and every plugin's schema",
          "[help][command]") {
  TempDir tmp("help");
  const json all = catalogue(tmp);
  CHECK(all["trainer"] == volt::host::config::trainer_schema());
  std::set<std::string> groups;
  for (const auto& plugin : all["plugins"]) {
    CHECK(plugin["schema"].is_object());
    CHECK(plugin["group"] == group_of(plugin["kind"].get<std::string>()));
    groups.insert(plugin["group"].get<std::string>());
  }
  CHECK(groups == std::set<std::string>{"model", "data", "strategy", "precision", "logger",
                                        "callbacks"});
}

TEST_CASE("volt help ID lists every option of the plugin's schema with its default",
          "[help][command]") {
  TempDir tmp("help");
  const json all = catalogue(tmp);
  REQUIRE(all["plugins"].size() >= 20);
  for (const auto& plugin : all["plugins"]) {
    const std::string id = plugin["id"].get<std::string>();
    const std::string kind = plugin["kind"].get<std::string>();
    INFO(kind << " " << id);
    ProcessResult r = volt({"help", kind, id}, tmp);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(plugin["description"].get<std::string>()) != std::string::npos);
    std::vector<std::string> keys;
    leaf_keys(plugin["schema"], prefix_of(plugin), keys);
    for (const auto& key : keys) {
      INFO(key);
      CHECK(has_line_starting(r.out, "  --" + key + " "));
    }
    // A top-level default shows as compact JSON.
    const json properties = plugin["schema"].value("properties", json::object());
    for (const auto& [key, property] : properties.items()) {
      if (property.contains("default") && !property.contains("properties")) {
        INFO(key);
        CHECK(r.out.find("(default: " + property["default"].dump()) != std::string::npos);
      }
    }
  }
  ProcessResult typo = volt({"help", "mpl"}, tmp);
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("no plugin 'mpl'; did you mean 'mlp'?") != std::string::npos);
}

TEST_CASE("volt --help and volt fit --help list every trainer option and fit --help the "
          "selected plugins' options", "[help][command]") {
  TempDir tmp("help");
  std::vector<std::string> trainer_keys;
  leaf_keys(volt::host::config::trainer_schema(), "trainer", trainer_keys);
  REQUIRE(trainer_keys.size() >= 25);
  ProcessResult general = volt({"--help"}, tmp);
  ProcessResult fit = volt({"fit", "--help", "--model=cnn", "--callbacks+=early_stopping"}, tmp);
  ProcessResult topic = volt({"help", "trainer"}, tmp);
  for (const ProcessResult* r : {&general, &fit, &topic}) {
    REQUIRE(r->exit_code == 0);
    for (const auto& key : trainer_keys) {
      INFO(key);
      CHECK(has_line_starting(r->out, "  --" + key + " "));
    }
  }
  CHECK(general.out.find("usage: volt <command> [options]") != std::string::npos);
  CHECK(fit.out.find("usage: volt fit [options]") != std::string::npos);
  CHECK(has_line_starting(fit.out, "module 'cnn'"));
  CHECK(has_line_starting(fit.out, "  --model.channels "));
  CHECK(has_line_starting(fit.out, "  --callbacks.patience "));
  CHECK(general.out.find("--model.channels") == std::string::npos);
  CHECK(volt({}, tmp).exit_code == 2);  // no command: usage, as an error
}

namespace {

// What bash completes for `line` (the cursor at its end), with the generated script loaded.
std::vector<std::string> bash_complete(const TempDir& tmp, const std::string& line) {
  ProcessResult r = run_process(
      {"/bin/bash", "-c",
       "source ./volt.bash && COMP_LINE=\"$1\" && COMP_POINT=${#COMP_LINE} && _volt && "
       "printf '%s\\n' \"${COMPREPLY[@]}\"",
       "bash", line},
      tmp.path(), tmp.path());
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> words;
  std::istringstream in(r.out);
  for (std::string word; std::getline(in, word);)
    if (!word.empty()) words.push_back(word);
  return words;
}

bool contains(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

TEST_CASE("volt completion bash completes commands, options, plugin ids and values",
          "[help][completion]") {
  TempDir tmp("completion");
  ProcessResult script = volt({"completion", "bash"}, tmp);
  REQUIRE(script.exit_code == 0);
  std::ofstream(tmp / "volt.bash") << script.out;
  std::ofstream(tmp / "run.yaml") << "model: mlp\n";

  CHECK(bash_complete(tmp, "volt ") == std::vector<std::string>{"fit", "validate", "test",
                                                                "predict", "plugins", "help",
                                                                "completion", "checkpoint"});
  CHECK(bash_complete(tmp, "volt checkpoint ") == std::vector<std::string>{"consolidate"});
  CHECK(bash_complete(tmp, "volt fi") == std::vector<std::string>{"fit"});
  CHECK(bash_complete(tmp, "volt completion ") == std::vector<std::string>{"bash", "zsh"});
  CHECK(bash_complete(tmp, "volt fit --config ru") == std::vector<std::string>{"run.yaml"});
  CHECK(bash_complete(tmp, "volt fit --trainer.accelerator=") ==
        std::vector<std::string>{"auto", "cpu", "cuda", "gpu"});
  CHECK(bash_complete(tmp, "volt fit --trainer.enable_progress_bar=") ==
        std::vector<std::string>{"false", "true"});
  CHECK(bash_complete(tmp, "volt fit --print-config=") == std::vector<std::string>{"json", "yaml"});

  const json all = catalogue(tmp);
  const std::vector<std::string> trainer_options = bash_complete(tmp, "volt fit --trainer.");
  std::vector<std::string> trainer_keys;
  leaf_keys(volt::host::config::trainer_schema(), "trainer", trainer_keys);
  for (const auto& key : trainer_keys) CHECK(contains(trainer_options, "--" + key + "="));
  for (const auto& plugin : all["plugins"]) {
    const std::string id = plugin["id"].get<std::string>();
    const std::string group = plugin["group"].get<std::string>();
    INFO(group << " " << id);
    const std::string select = "volt fit --" + group + (group == "callbacks" ? "+=" : "=");
    CHECK(contains(bash_complete(tmp, select), id));
    CHECK(contains(bash_complete(tmp, "volt help "), id));
    std::vector<std::string> keys;
    leaf_keys(plugin["schema"], prefix_of(plugin), keys);
    const std::vector<std::string> offered = bash_complete(tmp, "volt fit --" + prefix_of(plugin) + ".");
    for (const auto& key : keys) CHECK(contains(offered, "--" + key + "="));
  }
}

TEST_CASE("volt completion zsh holds the same options and other shells are refused",
          "[help][completion]") {
  TempDir tmp("completion");
  ProcessResult zsh = volt({"completion", "zsh"}, tmp);
  REQUIRE(zsh.exit_code == 0);
  CHECK(zsh.out.rfind("#compdef volt\n", 0) == 0);
  std::vector<std::string> trainer_keys;
  leaf_keys(volt::host::config::trainer_schema(), "trainer", trainer_keys);
  for (const auto& key : trainer_keys) CHECK(zsh.out.find(" --" + key + " ") != std::string::npos);
  CHECK(zsh.out.find("    --model) echo 'cnn mlp' ;;") != std::string::npos);
  if (fs::exists("/usr/bin/zsh")) {
    std::ofstream(tmp / "_volt") << zsh.out;
    CHECK(run_process({"/usr/bin/zsh", "-n", (tmp / "_volt").string()}, tmp.path(), tmp.path())
              .exit_code == 0);
  } else {
    WARN("zsh is not installed: the zsh script was checked for its content only");
  }
  ProcessResult fish = volt({"completion", "fish"}, tmp);
  CHECK(fish.exit_code == 2);
  CHECK(fish.err.find("unknown shell 'fish'; expected bash or zsh") != std::string::npos);
}

}  // namespace volt::trainer_test

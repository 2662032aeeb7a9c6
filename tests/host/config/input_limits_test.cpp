// The config readers' limits (host/config/input_limits.hpp, docs/limits.md) against hostile
// files and flags made here: JSON and YAML nested 100,000 deep, 200,000-digit numbers, YAML
// that expands to 10^9 strings through aliases ("billion laughs"), and an endless file. Each
// was a crash, an abort or an endless read; each must be an error naming the source.
#include "config/config_error.hpp"
#include "config/input_limits.hpp"
#include "config/yaml_format.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using volt::host::config::ConfigError;
using volt::host::config::parse_yaml;
using volt::host::config::testing::resolve;
using volt::host::config::testing::resolve_error;
using volt::host::config::testing::TempDir;

namespace {

std::string yaml_error(const std::string& text) {
  try {
    parse_yaml(text, "c.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string nested(size_t depth, char open, char close, const std::string& inner = "1") {
  return std::string(depth, open) + inner + std::string(depth, close);
}

}  // namespace

TEST_CASE("JSON nested 100,000 deep is refused, in files and in flags", "[config][limits]") {
  TempDir dir;
  std::string deep = nested(100000, '[', ']');
  std::string file = dir.write("deep.json", "{\"model\": {\"id\": \"mlp\", \"config\": {\"x\": " + deep + "}}}");
  CHECK_THAT(resolve_error({"fit", "--config", file}),
             Catch::Contains(file) && Catch::Contains("nested deeper than 64"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--model.hidden_sizes=" + deep}),
             Catch::Contains("nested deeper than 64"));
  // The limit leaves room for any real config.
  CHECK_NOTHROW(resolve({"fit", "--model=mlp", "--data=fashion_mnist",
                         "--model.hidden_sizes=[8, 4]"}));
}

TEST_CASE("YAML nested 100,000 deep is refused", "[config][limits]") {
  CHECK_THAT(yaml_error("x: " + nested(100000, '[', ']')),
             Catch::Contains("c.yaml: line 1: nested deeper than 64"));
  std::string block;  // block nesting: each level indented one more space
  for (int i = 0; i < 100; ++i) block += std::string(i, ' ') + "k:\n";
  CHECK_THAT(yaml_error(block), Catch::Contains("nested deeper than 64"));
}

TEST_CASE("YAML numbers of 200,000 digits and out-of-range floats are errors naming the line",
          "[config][limits]") {
  CHECK_THAT(yaml_error("trainer:\n  max_steps: " + std::string(200000, '9') + "\n"),
             Catch::Contains("c.yaml") && Catch::Contains("a number of 200000 characters"));
  CHECK_THAT(yaml_error("lr: 0." + std::string(200000, '1') + "\n"),
             Catch::Contains("a number of 200002 characters"));
  CHECK_THAT(yaml_error("lr: 1e400\n"), Catch::Contains("'1e400' is out of the range of a float64"));
  CHECK(parse_yaml("lr: 1e-3\nn: 0x1F\n", "c.yaml") == nlohmann::json({{"lr", 1e-3}, {"n", 31}}));
}

TEST_CASE("YAML aliases that expand to 10^9 strings are refused", "[config][limits]") {
  std::string laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c, ++prev)
    laughs += std::string(1, c) + ": &" + c + " [*" + prev + ",*" + prev + ",*" + prev + ",*" +
              prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" +
              prev + "]\n";
  CHECK_THAT(yaml_error(laughs), Catch::Contains("expands to more than 1048576 values"));
  TempDir dir;
  std::string file = dir.write("laughs.yaml", "model:\n  id: mlp\n  config:\n    " +
                                                  std::string("x: 1\n") + laughs);
  CHECK_THAT(resolve_error({"fit", "--config", file}), Catch::Contains("expands to more than"));
}

TEST_CASE("an endless config file is refused after 16 MiB", "[config][limits]") {
  CHECK_THAT(resolve_error({"fit", "--config", "/dev/zero"}),
             Catch::Contains("/dev/zero") && Catch::Contains("larger than 16 MiB"));
}

// yaml-cpp 0.7 yields empty documents forever at a stray top-level ',' (YAML::LoadAll never
// returned); found by tests/fuzz/yaml_config_fuzz.cpp, replayed from tests/fuzz/regressions.
TEST_CASE("a YAML config the parser cannot get past is an error, not a hang", "[config][limits]") {
  TempDir dir;
  for (const std::string text : {",", ",a: 1\ne: \"x\n", "model: mlp\n,\n"}) {
    INFO(text);
    std::string file = dir.write("stuck.yaml", text);
    CHECK_THAT(resolve_error({"fit", "--config", file}),
               Catch::Contains(file) && Catch::Contains("invalid YAML at line"));
  }
}

TEST_CASE("config input that used to pass silently is refused by name", "[config][limits]") {
  TempDir dir;
  std::string dup = dir.write("dup.json", R"({"trainer": {"max_epochs": 3, "max_epochs": 5}})");
  CHECK_THAT(resolve_error({"fit", "--config", dup}),
             Catch::Contains(dup) && Catch::Contains("duplicate key 'max_epochs'"));
  std::string two = dir.write("two.yaml", "model: mlp\n---\ndata: fashion_mnist\n");
  CHECK_THAT(resolve_error({"fit", "--config", two}),
             Catch::Contains(two) && Catch::Contains("holds more than one YAML document") &&
                 Catch::Contains("at line 2"));
  // Integers past int64 would wrap in a plugin (2^64 - 1 became -1).
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist",
                       "--data.batch_size=18446744073709551615"}),
             Catch::Contains("data.batch_size") &&
                 Catch::Contains("above the largest integer, 9223372036854775807"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist",
                       "--trainer.max_steps=9223372036854775808"}),
             Catch::Contains("trainer.max_steps"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist", "--ckpt_path="}),
             Catch::Contains("ckpt_path: empty"));
}

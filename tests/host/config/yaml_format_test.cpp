// YAML config files (host/config/yaml_format): the YAML 1.2 core scalar rules, errors that name
// the line, and output that PyYAML (LightningCLI's reader, an independent implementation)
// reads back to the same value, and the reverse.
#include "config/config_error.hpp"
#include "config/yaml_format.hpp"
#include "support/python.hpp"

#include <volt/sdk/yaml_writer.hpp>

#include <catch2/catch.hpp>

using nlohmann::json;
using volt::host::config::ConfigError;
using volt::host::config::parse_yaml;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_yaml(text, "f.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Values chosen to trip a writer: strings that look like other types in YAML 1.2 or 1.1,
// special characters, floats without a fraction, nested lists of objects.
const json& tricky_config() {
  static const json value = json::parse(R"json({
    "plain": "lightning_logs", "path": "/tmp/a b/c.ckpt", "device": "cuda:0",
    "looks_int": "32", "looks_float": "1e-3", "looks_bool": "yes", "on": "off", "null_word": "null",
    "tilde": "~", "empty": "", "precision": "16-mixed", "hash": "a #b", "colon": "a: b",
    "quote": "it's \"x\"", "newline": "a\nb", "tab": "a\tb", "unicode": "über", "dash": "-",
    "star": "*x", "amp": "&x", "bang": "!x", "percent": "%x", "at": "@x", "brace": "{x}",
    "ints": [0, -1, 9223372036854775807, -9223372036854775808],
    "floats": [0.0, 1.0, -2.5, 1e-05, 1e+20, 0.1, 3.0e-300],
    "bools": [true, false], "nothing": null, "empty_list": [], "empty_object": {},
    "nested": [[1, 2], [], [{"a": 1}], {"b": [true, {"c": null}]}],
    "callbacks": [{"id": "early_stopping", "config": {"monitor": "val_loss", "patience": 3}},
                  {"id": "model_checkpoint", "config": {}}],
    "123": "numeric key", "key with space": 1, "": "empty key"
  })json");
  return value;
}

}  // namespace

TEST_CASE("YAML plain scalars follow the YAML 1.2 core schema", "[config][yaml]") {
  const json parsed = parse_yaml(R"(
nulls: [~, null, Null, NULL]
bools: [true, True, TRUE, false, False, FALSE]
ints: [0, -7, +7, 0o17, 0x1F, 9223372036854775807, 18446744073709551615]
floats: [1.5, -0.5, .5, 1e-3, 1.0e+20, 3., 2E2]
strings: [yes, no, on, off, 1_000, 0b11, 12:30, cuda:0, "true", '3', !!str 5, 1.2.3]
tagged: [!!int "7", !!float "2", !!bool "false", !!null "null"]
empty:
)",
                                "f.yaml");
  CHECK(parsed["nulls"] == json::array({nullptr, nullptr, nullptr, nullptr}));
  CHECK(parsed["bools"] == json::array({true, true, true, false, false, false}));
  CHECK(parsed["ints"] == json::array({0, -7, 7, 15, 31, INT64_MAX, UINT64_MAX}));
  for (const auto& i : parsed["ints"]) CHECK(i.is_number_integer());
  CHECK(parsed["floats"] == json::array({1.5, -0.5, 0.5, 0.001, 1e20, 3.0, 200.0}));
  for (const auto& f : parsed["floats"]) CHECK(f.is_number_float());
  CHECK(parsed["strings"] == json::array({"yes", "no", "on", "off", "1_000", "0b11", "12:30",
                                          "cuda:0", "true", "3", "5", "1.2.3"}));
  CHECK(parsed["tagged"] == json::array({7, 2.0, false, nullptr}));
  CHECK(parsed["tagged"][1].is_number_float());
  CHECK(parsed["empty"].is_null());
}

TEST_CASE("YAML errors name the source, the line and the column", "[config][yaml]") {
  CHECK(error_of("a: 1\nb: [1, 2\n") .rfind("f.yaml: invalid YAML at line ", 0) == 0);
  CHECK(error_of("a: 1\nb:\n  c: 1\n  c: 2\n") == "f.yaml: duplicate key 'c' (line 4, column 3)");
  CHECK(error_of("a: .inf\n") == "f.yaml: '.inf' cannot be represented in JSON (line 1, column 4)");
  CHECK(error_of("a: !!int x\n") == "f.yaml: 'x' is not a valid !!int (line 1, column 4)");
  CHECK(error_of("a: !custom x\n") == "f.yaml: unsupported tag '!custom' (line 1, column 4)");
  CHECK(error_of("? [a]\n: 1\n") == "f.yaml: mapping keys must be scalars (line 1, column 3)");
}

TEST_CASE("anchors and aliases expand and JSON is read as YAML", "[config][yaml]") {
  const json parsed = parse_yaml("base: &b {lr: 0.1, hidden: [8]}\ncopy: *b\n", "f.yaml");
  CHECK(parsed["copy"] == parsed["base"]);
  const json from_json = parse_yaml(tricky_config().dump(), "f.json");
  CHECK(from_json == tricky_config());
}

TEST_CASE("to_yaml writes what parse_yaml reads back", "[config][yaml]") {
  const std::string text = volt::yaml::dump(tricky_config());
  INFO(text);
  CHECK(parse_yaml(text, "out.yaml") == tricky_config());
  for (const json& scalar : {json(nullptr), json(true), json(3), json(2.0), json("s"), json("3"),
                             json::array(), json::object()}) {
    CHECK(parse_yaml(volt::yaml::dump(scalar), "scalar") == scalar);
  }
  // Block style, as LightningCLI's config.yaml reads.
  CHECK(volt::yaml::dump(json::parse(R"({"trainer": {"max_epochs": 3, "limit_val_batches": 1.0},
                                "callbacks": [{"id": "timer", "config": {}}], "seed_everything": 7})")) ==
        "callbacks:\n- config: {}\n  id: timer\nseed_everything: 7\n"
        "trainer:\n  limit_val_batches: 1.0\n  max_epochs: 3\n");
}

TEST_CASE("PyYAML reads our YAML as the same value, and we read PyYAML's", "[config][yaml][python]") {
  REQUIRE_PYTHON_TORCH();  // the same Debian python3; python3-yaml comes with install-deps.sh
  volt::trainer_test::TempDir dir("yaml-interop");
  std::ofstream(dir / "ours.yaml") << volt::yaml::dump(tricky_config());
  std::ofstream(dir / "value.json") << tricky_config().dump();
  auto r = volt::test_python::run_python(R"(
import json, yaml
ours = yaml.safe_load(open("ours.yaml"))
value = json.load(open("value.json"))
print("same" if ours == value else "differ: %r" % ours)
# PyYAML's own block and flow output, for the reverse direction.
open("theirs_block.yaml", "w").write(yaml.safe_dump(value, default_flow_style=False, allow_unicode=True))
open("theirs_flow.yaml", "w").write(yaml.safe_dump(value, default_flow_style=True))
)",
                                         dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "same\n");
  // PyYAML (YAML 1.1) writes the string "1e-3" unquoted, as 1.1 has no such float; YAML 1.2
  // and jsonargparse's loader behind LightningCLI read it as the number. So do we.
  json expected = tricky_config();
  expected["looks_float"] = 0.001;
  for (const char* name : {"theirs_block.yaml", "theirs_flow.yaml"}) {
    INFO(name);
    std::ifstream in(dir / name);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(parse_yaml(text, name) == expected);
  }
}

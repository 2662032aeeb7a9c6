#include "config/config_error.hpp"
#include "config/did_you_mean.hpp"
#include "config/json_schema.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using nlohmann::json;
using volt::host::config::apply_schema;
using volt::host::config::ConfigError;
using volt::host::config::describe_schema;

namespace {

const json& mlp_schema() {
  return volt::host::config::testing::fake_plugin_schemas()["model"]["mlp"];
}

// The message apply_schema throws, or "" when it does not throw.
std::string error_of(const json& schema, const json& value, const std::string& where) {
  try {
    apply_schema(schema, value, where);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

json type_schema(const json& type) { return json{{"type", type}}; }

}  // namespace

TEST_CASE("edit_distance counts transpositions and ignores case", "[config][did_you_mean]") {
  using volt::host::config::edit_distance;
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("mpl", "mlp") == 1);
  CHECK(edit_distance("MLP", "mlp") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("hiden_sizes", "hidden_sizes") == 1);
}

TEST_CASE("closest_match only suggests plausible typos", "[config][did_you_mean]") {
  using volt::host::config::closest_match;
  using volt::host::config::did_you_mean;
  const std::vector<std::string> ids{"cnn", "mlp"};
  CHECK(closest_match("mpl", ids) == std::optional<std::string>("mlp"));
  CHECK_FALSE(closest_match("transformer", ids).has_value());
  CHECK_FALSE(closest_match("rmsprop", {"sgd", "adam", "adamw"}).has_value());
  CHECK(did_you_mean("max_epoch", {"max_steps", "max_epochs"}) == "; did you mean 'max_epochs'?");
  CHECK(did_you_mean("zzz", ids).empty());
}

TEST_CASE("apply_schema checks each type", "[config][schema]") {
  CHECK(error_of(type_schema("number"), "abc", "model.lr") ==
        "model.lr: expected a number, got \"abc\"");
  CHECK(error_of(type_schema("number"), true, "x") == "x: expected a number, got true");
  CHECK(error_of(type_schema("integer"), 3.5, "x") == "x: expected an integer, got 3.5");
  CHECK(error_of(type_schema("boolean"), 1, "x") == "x: expected a boolean, got 1");
  CHECK(error_of(type_schema("array"), json::object(), "x") ==
        "x: expected an array, got {}");
  CHECK(error_of(type_schema("object"), json::array(), "x") == "x: expected an object, got []");
  CHECK(error_of(type_schema("null"), 0, "x") == "x: expected null, got 0");
  CHECK(error_of(type_schema(json{"integer", "string"}), true, "trainer.devices") ==
        "trainer.devices: expected an integer or a string, got true");
  // Without a path the message is just the problem.
  CHECK(error_of(type_schema("number"), "abc", "") == "expected a number, got \"abc\"");

  CHECK(apply_schema(type_schema("string"), "x", "x") == "x");
  CHECK(apply_schema(type_schema("null"), nullptr, "x").is_null());
  CHECK(apply_schema(type_schema(json{"integer", "null"}), nullptr, "x").is_null());
  CHECK(apply_schema(json::object(), json{{"any", 1}}, "x") == json{{"any", 1}});
}

TEST_CASE("a string option hints at quoting numeric-looking command-line values",
          "[config][schema]") {
  const std::string message = error_of(type_schema("string"), 123, "model.name");
  CHECK(message.rfind("model.name: expected a string, got 123", 0) == 0);
  CHECK(message.find("'\"123\"'") != std::string::npos);
}

TEST_CASE("integers and numbers keep what they are", "[config][schema]") {
  // An integer accepts 3 and 3.0 (as 3) but not 3.5.
  const json as_integer = apply_schema(type_schema("integer"), 3.0, "x");
  CHECK(as_integer.is_number_integer());
  CHECK(as_integer == 3);
  CHECK(apply_schema(type_schema("integer"), 3, "x").is_number_integer());
  // A number accepts integers and floats and keeps the difference (1 batch vs 100%).
  CHECK(apply_schema(type_schema("number"), 1, "x").is_number_integer());
  CHECK(apply_schema(type_schema("number"), 1.0, "x").is_number_float());
  CHECK(apply_schema(type_schema(json{"integer", "number"}), 2.0, "x").is_number_float());
}

TEST_CASE("apply_schema checks numeric bounds", "[config][schema]") {
  CHECK(error_of(json{{"type", "integer"}, {"minimum", -1}}, -2, "trainer.max_epochs") ==
        "trainer.max_epochs: -2 is below the minimum -1");
  CHECK(error_of(json{{"maximum", 1.0}}, 1.5, "x") == "x: 1.5 is above the maximum 1.0");
  CHECK(error_of(json{{"exclusiveMinimum", 0}}, 0, "model.lr") ==
        "model.lr: 0 must be greater than 0");
  CHECK(error_of(json{{"exclusiveMaximum", 1}}, 1, "x") == "x: 1 must be less than 1");
  // Draft 4 spelled exclusiveness as a boolean next to minimum / maximum.
  CHECK(error_of(json{{"minimum", 0}, {"exclusiveMinimum", true}}, 0, "x") ==
        "x: 0 must be greater than 0");
  CHECK(error_of(json{{"maximum", 5}, {"exclusiveMaximum", true}}, 5, "x") ==
        "x: 5 must be less than 5");
  CHECK(apply_schema(json{{"minimum", -1}}, -1, "x") == -1);
  CHECK(apply_schema(json{{"maximum", 1}}, 1, "x") == 1);
  CHECK(apply_schema(json{{"minimum", 0}}, "not a number", "x") == "not a number");
}

TEST_CASE("apply_schema checks enums and suggests near values", "[config][schema]") {
  const json schema = mlp_schema()["properties"]["optimizer"];
  CHECK(error_of(schema, "rmsprop", "model.optimizer") ==
        "model.optimizer: \"rmsprop\" is not one of \"sgd\", \"adam\", \"adamw\"");
  CHECK(error_of(schema, "adan", "model.optimizer") ==
        "model.optimizer: \"adan\" is not one of \"sgd\", \"adam\", \"adamw\"; did you mean "
        "\"adam\"?");
  CHECK(apply_schema(schema, "adamw", "model.optimizer") == "adamw");
  CHECK(error_of(json{{"enum", {1, 2}}}, 3, "x") == "x: 3 is not one of 1, 2");
  CHECK(apply_schema(json{{"enum", {1, 2}}}, 2.0, "x") == 2);
}

TEST_CASE("apply_schema checks arrays and their items", "[config][schema]") {
  const json schema = mlp_schema()["properties"]["hidden_sizes"];
  CHECK(apply_schema(schema, json{256, 128}, "model.hidden_sizes") == json{256, 128});
  CHECK(error_of(schema, json::array(), "model.hidden_sizes") ==
        "model.hidden_sizes: has 0 items, expected at least 1");
  CHECK(error_of(json{{"maxItems", 1}}, json{1, 2}, "x") == "x: has 2 items, expected at most 1");
  CHECK(error_of(schema, json{256, "x"}, "model.hidden_sizes") ==
        "model.hidden_sizes[1]: expected an integer, got \"x\"");
  CHECK(error_of(schema, json{256, 0}, "model.hidden_sizes") ==
        "model.hidden_sizes[1]: 0 is below the minimum 1");
  // Tuple form: one schema per position.
  const json tuple{{"items", {type_schema("string"), type_schema("integer")}}};
  CHECK(error_of(tuple, json{"a", "b"}, "x") == "x[1]: expected an integer, got \"b\"");
}

TEST_CASE("unknown keys are errors with a suggestion and the accepted keys",
          "[config][schema]") {
  CHECK(error_of(mlp_schema(), json{{"hiden_sizes", json{1}}}, "model") ==
        "model.hiden_sizes: unknown key; did you mean 'hidden_sizes'? Accepted keys: "
        "hidden_sizes, in_features, lr, num_classes, optimizer");
  CHECK(error_of(mlp_schema(), json{{"dropout", 0.1}}, "model") ==
        "model.dropout: unknown key. Accepted keys: hidden_sizes, in_features, lr, "
        "num_classes, optimizer");
  // Without additionalProperties: false, extra keys pass through.
  const json open{{"type", "object"}, {"properties", {{"a", {{"default", 1}}}}}};
  CHECK(apply_schema(open, json{{"b", 2}}, "x") == json{{"a", 1}, {"b", 2}});
  // additionalProperties as a schema checks the extra values.
  const json typed{{"type", "object"}, {"additionalProperties", type_schema("integer")}};
  CHECK(error_of(typed, json{{"b", "two"}}, "x") == "x.b: expected an integer, got \"two\"");
}

TEST_CASE("required options must be given", "[config][schema]") {
  json schema = mlp_schema();
  schema["required"] = {"in_features"};
  schema["properties"]["in_features"].erase("default");
  CHECK(error_of(schema, json::object(), "model") ==
        "model.in_features: required option is missing; expected an integer (Input features)");
  // Required but not among the properties.
  CHECK(error_of(json{{"required", {"k"}}}, json::object(), "x") ==
        "x.k: required option is missing");
}

TEST_CASE("defaults are filled in, recursively", "[config][schema]") {
  const json filled = apply_schema(mlp_schema(), json{{"lr", 0.1}}, "model");
  CHECK(filled == json{{"in_features", 784}, {"hidden_sizes", {128}}, {"num_classes", 10},
                       {"lr", 0.1}, {"optimizer", "adam"}});

  const json nested = json::parse(R"({"type": "object", "properties": {
    "optim": {"type": "object", "default": {}, "properties": {
      "name": {"type": "string", "default": "adam"},
      "betas": {"type": "object", "default": {"b1": 0.9}, "properties": {
        "b2": {"type": "number", "default": 0.999}}}}}}})");
  CHECK(apply_schema(nested, json::object(), "model") ==
        json::parse(R"({"optim": {"name": "adam", "betas": {"b1": 0.9, "b2": 0.999}}})"));
  // A given nested object keeps its values and gets the missing ones.
  CHECK(apply_schema(nested, json::parse(R"({"optim": {"name": "sgd"}})"), "model") ==
        json::parse(R"({"optim": {"name": "sgd", "betas": {"b1": 0.9, "b2": 0.999}}})"));
  // A null default means "not set" and is kept even where the type says otherwise.
  CHECK(apply_schema(json::parse(R"({"properties": {"k": {"type": "integer", "default": null}}})"),
                     json::object(), "x") == json{{"k", nullptr}});
}

TEST_CASE("schema mistakes are reported as such", "[config][schema]") {
  const json bad_default = json::parse(
      R"({"properties": {"k": {"type": "integer", "default": "three"}}})");
  CHECK(error_of(bad_default, json::object(), "model") ==
        "invalid schema for model.k: its default does not satisfy it: model.k: expected an "
        "integer, got \"three\"");
  CHECK(error_of(json{{"type", "text"}}, 1, "x") == "invalid schema for x: unknown type \"text\"");
  CHECK(error_of(json(5), 1, "x") == "invalid schema for x: a schema must be an object or a boolean");
  CHECK(apply_schema(json(true), 5, "x") == 5);
  CHECK(error_of(json(false), 5, "x") == "x: no value is allowed here");
}

TEST_CASE("describe_schema prints one aligned line per option", "[config][schema]") {
  json schema = mlp_schema();
  schema["properties"]["optim"] = json::parse(R"({"type": "object", "properties": {
      "momentum": {"type": "number", "default": 0.9, "description": "SGD momentum"}}})");
  schema["properties"]["seed"] = json::parse(R"({"type": "integer", "description": "Seed"})");
  schema["required"] = {"seed"};
  const std::string text = describe_schema(schema, "model");

  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  REQUIRE(lines.size() == 7);

  const auto line_of = [&](const std::string& name) {
    for (const auto& line : lines) {
      if (line.rfind(name + " ", 0) == 0) return line;
    }
    return std::string();
  };
  const std::string optimizer = line_of("--model.optimizer");
  CHECK(optimizer.find("string") != std::string::npos);
  CHECK(optimizer.find("(default: \"adam\")") != std::string::npos);
  CHECK(optimizer.find("[allowed: sgd|adam|adamw]") != std::string::npos);
  const std::string lr = line_of("--model.lr");
  CHECK(lr.find("number") != std::string::npos);
  CHECK(lr.find("(default: 0.001)") != std::string::npos);
  CHECK(lr.find("Learning rate  [> 0]") != std::string::npos);
  CHECK(line_of("--model.hidden_sizes").find("array<integer>") != std::string::npos);
  CHECK(line_of("--model.optim.momentum").find("SGD momentum") != std::string::npos);
  CHECK(line_of("--model.seed").find("(required)") != std::string::npos);

  // Columns line up: the type column starts at the same offset on every line.
  const std::size_t type_column = lr.find("number");
  CHECK(optimizer.find("string") == type_column);
  CHECK(line_of("--model.in_features").find("integer") == type_column);

  CHECK(describe_schema(json::object(), "x").empty());
  CHECK(describe_schema(json{{"properties", {{"k", json::object()}}}}, "").rfind("--k  any", 0) ==
        0);
}

#include "config/yaml_format.hpp"

#include "config/config_error.hpp"
#include "config/input_limits.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <vector>
#include <cerrno>
#include <cmath>

namespace volt::host::config {
namespace {

using nlohmann::json;

constexpr const char* kTagPrefix = "tag:yaml.org,2002:";

std::string position(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

[[noreturn]] void fail(const std::string& source, const YAML::Mark& mark,
                       const std::string& message) {
  throw ConfigError(source + ": " + message + " (" + position(mark) + ")");
}

bool one_of(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return text == w; });
}

// Scanners instead of std::regex, whose matcher recurses once per character (a 200,000-digit
// number overflowed the stack).
bool all_of_from(const std::string& text, size_t from, bool (*ok)(char)) {
  if (from >= text.size()) return false;
  for (size_t i = from; i < text.size(); ++i)
    if (!ok(text[i])) return false;
  return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::optional<json> as_integer(const std::string& text) {
  int base = 10;
  std::string digits = text;
  size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (text.rfind("0o", 0) == 0 && all_of_from(text, 2, is_octal)) {
    base = 8;
    digits = text.substr(2);
  } else if (text.rfind("0x", 0) == 0 && all_of_from(text, 2, is_hex)) {
    base = 16;
    digits = text.substr(2);
  } else if (!all_of_from(text, sign, is_digit)) {
    return std::nullopt;
  }
  const bool negative = digits.front() == '-';
  if (digits.front() == '+' || negative) digits.erase(0, 1);
  uint64_t magnitude = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return json(static_cast<int64_t>(magnitude));
    return json(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return json(-static_cast<int64_t>(magnitude));
  if (magnitude == static_cast<uint64_t>(INT64_MAX) + 1) return json(INT64_MIN);
  return std::nullopt;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float_text(const std::string& text) {
  size_t i = 0, n = text.size();
  if (i < n && (text[i] == '-' || text[i] == '+')) ++i;
  size_t whole = 0, fraction = 0;
  while (i < n && is_digit(text[i])) ++i, ++whole;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && is_digit(text[i])) ++i, ++fraction;
  }
  if (whole == 0 && fraction == 0) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '-' || text[i] == '+')) ++i;
    size_t exponent = 0;
    while (i < n && is_digit(text[i])) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == n;
}

// [-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)
bool is_special_float(const std::string& text) {
  std::string rest = !text.empty() && (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
  return one_of(rest, {".inf", ".Inf", ".INF"}) || one_of(text, {".nan", ".NaN", ".NAN"});
}

// A plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
json resolve_plain(const std::string& text, const YAML::Mark& mark, const std::string& source) {
  if (text.empty() || one_of(text, {"~", "null", "Null", "NULL"})) return nullptr;
  if (one_of(text, {"true", "True", "TRUE"})) return true;
  if (one_of(text, {"false", "False", "FALSE"})) return false;
  if (text.size() > kMaxNumberChars && (as_integer(text) || is_float_text(text)))
    fail(source, mark, "a number of " + std::to_string(text.size()) + " characters (at most " +
                           std::to_string(kMaxNumberChars) + "); quote it if it is a string");
  if (auto integer = as_integer(text)) return *integer;
  if (is_float_text(text)) {
    errno = 0;
    double value = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(value))
      fail(source, mark, "'" + text + "' is out of the range of a float64");
    return value;
  }
  if (is_special_float(text)) fail(source, mark, "'" + text + "' cannot be represented in JSON");
  return text;
}

json scalar_to_json(const YAML::Node& node, const std::string& source) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  if (tag == "!") return text;  // quoted: always a string
  if (tag == "?" || tag.empty()) return resolve_plain(text, node.Mark(), source);
  if (tag.rfind(kTagPrefix, 0) != 0) fail(source, node.Mark(), "unsupported tag '" + tag + "'");
  const std::string type = tag.substr(std::string(kTagPrefix).size());
  if (type == "str") return text;
  json value = resolve_plain(text, node.Mark(), source);
  const bool matches = (type == "null" && value.is_null()) || (type == "bool" && value.is_boolean()) ||
                       (type == "int" && value.is_number_integer()) ||
                       (type == "float" && value.is_number());
  if (!matches) fail(source, node.Mark(), "'" + text + "' is not a valid !!" + type);
  return type == "float" ? json(value.get<double>()) : value;
}

// Keys deeper than this, or past this many, get no position: config keys that an error names
// are shallow, and a document that aliases expand is not worth more.
constexpr size_t kMaxPositionDepth = 12;
constexpr size_t kMaxPositions = 1u << 16;

void record(KeyPositions* positions, const std::vector<std::string>& path, const YAML::Mark& mark) {
  if (positions != nullptr && path.size() <= kMaxPositionDepth && positions->size() < kMaxPositions)
    positions->push_back({path, mark.line + 1, mark.column + 1});
}

// Bounds the conversion: aliases can make a small file expand without end ("billion laughs").
struct Budget {
  size_t values = 0;
};

// `path` is where `node` sits; with `positions`, each mapping key and list item is recorded.
json node_to_json(const YAML::Node& node, const std::string& source, Budget& budget, int depth,
                  KeyPositions* positions, std::vector<std::string>& path) {
  if (++budget.values > kMaxConfigValues)
    fail(source, node.Mark(), "the document expands to more than " +
                                  std::to_string(kMaxConfigValues) + " values (aliases?)");
  if (depth > kMaxConfigDepth)
    fail(source, node.Mark(), "nested deeper than " + std::to_string(kMaxConfigDepth) +
                                  " lists or mappings");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar_to_json(node, source);
    case YAML::NodeType::Sequence: {
      json list = json::array();
      for (const auto& item : node) {
        path.push_back(std::to_string(list.size()));
        record(positions, path, item.Mark());
        list.push_back(node_to_json(item, source, budget, depth + 1, positions, path));
        path.pop_back();
      }
      return list;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) fail(source, key.Mark(), "mapping keys must be scalars");
        const std::string name = key.Scalar();
        if (object.contains(name)) fail(source, key.Mark(), "duplicate key '" + name + "'");
        path.push_back(name);
        record(positions, path, key.Mark());
        object[name] = node_to_json(entry.second, source, budget, depth + 1, positions, path);
        path.pop_back();
      }
      return object;
    }
  }
  return nullptr;
}

}  // namespace

// yaml-cpp's parser recurses once per nested flow collection: deeper text than the limit is
// refused before it is parsed (block nesting is bounded by the indentation, i.e. the size).
void check_flow_depth(const std::string& text, const std::string& source) {
  int depth = 0, line = 1;
  char quote = 0;
  bool comment = false;
  for (char c : text) {
    if (c == '\n') {
      ++line;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '#') comment = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxConfigDepth)
        throw ConfigError(source + ": line " + std::to_string(line) + ": nested deeper than " +
                          std::to_string(kMaxConfigDepth) + " lists or mappings");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

namespace {

// Sees where each document starts and nothing else: no nodes are built.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// A config file is one document. Counted before any node is built because yaml-cpp 0.7 can stop
// advancing: a stray ',' at the top level yields empty documents forever at the same place, and
// YAML::LoadAll never returns (found by tests/fuzz/yaml_config_fuzz.cpp).
void check_one_document(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts documents;
  while (parser.HandleNextDocument(documents)) {
    const auto& starts = documents.starts;
    if (starts.size() >= 2 && starts.back().pos == starts[starts.size() - 2].pos) {
      const YAML::Mark& at = starts.back();
      const unsigned char c = at.pos >= 0 && static_cast<size_t>(at.pos) < text.size()
                                  ? static_cast<unsigned char>(text[static_cast<size_t>(at.pos)]) : 0;
      throw ConfigError(source + ": invalid YAML at " + position(at) + ": " +
                        (std::isprint(c) ? std::string("unexpected '") + static_cast<char>(c) + "'"
                                         : std::string("unexpected character")));
    }
    if (starts.size() > 1)
      throw ConfigError(source + ": holds more than one YAML document (a second starts at " +
                        position(starts.back()) + ", after ---); a config file is one");
  }
}

}  // namespace

json parse_yaml(const std::string& text, const std::string& source, KeyPositions* positions) {
  check_flow_depth(text, source);
  YAML::Node root;
  try {
    check_one_document(text, source);
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML at " + position(e.mark) + ": " + e.msg);
  }
  try {
    Budget budget;
    std::vector<std::string> path;
    return node_to_json(root, source, budget, 0, positions, path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML at " + position(e.mark) + ": " + e.msg);
  }
}

}  // namespace volt::host::config

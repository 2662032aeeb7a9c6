#include "config/input_limits.hpp"

#include "config/config_error.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

namespace volt::host::config {

nlohmann::json parse_json_limited(const std::string& text, const std::string& source,
                                  bool or_string) {
  bool too_deep = false;
  // Keys seen in each open object (arrays hold an unused set): JSON's "last one wins" for a
  // repeated key would drop a setting without a word.
  std::vector<std::set<std::string>> keys;
  // nlohmann's parser keeps its own stack; the callback stops it before Volt's recursive
  // readers (merging, schema checks) would meet a document deeper than the limit.
  auto guard = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxConfigDepth) too_deep = true;
    if (too_deep) return false;
    if (event == Event::object_start || event == Event::array_start) keys.emplace_back();
    else if ((event == Event::object_end || event == Event::array_end) && !keys.empty()) keys.pop_back();
    else if (event == Event::key && !keys.empty() && parsed.is_string() &&
             !keys.back().insert(parsed.get<std::string>()).second)
      throw ConfigError(source + ": duplicate key '" + parsed.get<std::string>() + "'");
    return true;
  };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text, guard, /*allow_exceptions=*/true);
  } catch (const nlohmann::json::exception& e) {
    if (too_deep)
      throw ConfigError(source + ": nested deeper than " + std::to_string(kMaxConfigDepth) +
                        " lists or objects");
    if (or_string) return nlohmann::json(text);
    std::string message = e.what();
    // "[json.exception.parse_error.101] parse error at line L, column C: ..."
    const auto start = message.find("] ");
    if (start != std::string::npos) message = message.substr(start + 2);
    throw ConfigError(source + ": invalid JSON: " + message);
  }
  if (too_deep)
    throw ConfigError(source + ": nested deeper than " + std::to_string(kMaxConfigDepth) +
                      " lists or objects");
  return value;
}

std::string read_bounded_file(const std::string& path, const std::string& source) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(source + ": cannot read the file: " + std::strerror(errno));
  std::string text;
  char chunk[1 << 16];
  while (file.read(chunk, sizeof(chunk)) || file.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(file.gcount()));
    if (text.size() > kMaxConfigBytes)
      throw ConfigError(source + ": larger than " + std::to_string(kMaxConfigBytes >> 20) +
                        " MiB; a config file is at most that");
  }
  if (file.bad()) throw ConfigError(source + ": cannot read the file: " + std::strerror(errno));
  return text;
}

}  // namespace volt::host::config

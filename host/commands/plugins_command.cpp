#include "commands/plugins_command.hpp"

#include "commands/help_command.hpp"
#include "config/trainer_schema.hpp"
#include "plugin/registry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <string>

namespace volt::host {
namespace {

std::string abi_of(const PluginRecord& r) {
  return std::to_string(r.abi_major) + "." + std::to_string(r.abi_minor);
}

// Plugins grouped by kind, then by id, whatever order the files were scanned in.
std::vector<const PluginRecord*> sorted_plugins(const PluginRegistry& registry) {
  std::vector<const PluginRecord*> out;
  for (const PluginRecord& r : registry.plugins()) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const PluginRecord* a, const PluginRecord* b) {
    return a->kind != b->kind ? a->kind < b->kind : a->id < b->id;
  });
  return out;
}

void print_json(const PluginRegistry& registry, std::ostream& out) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const PluginRecord* r : sorted_plugins(registry)) {
    plugins.push_back({{"kind", kind_name(r->kind)},
                       {"id", r->id},
                       {"group", config_group(r->kind)},
                       {"version", r->version},
                       {"abi", abi_of(*r)},
                       {"file", r->file},
                       {"description", r->description},
                       // The registry only keeps schemas that parse as JSON objects.
                       {"schema", nlohmann::json::parse(r->schema)}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const SkippedFile& s : registry.skipped())
    skipped.push_back({{"file", s.file}, {"reason", s.reason}});
  out << nlohmann::json{{"trainer", config::trainer_schema()},
                        {"plugins", plugins},
                        {"skipped", skipped}}.dump(2)
      << "\n";
}

void print_table(const PluginRegistry& registry, const std::vector<std::filesystem::path>& dirs,
                 std::ostream& out) {
  const auto plugins = sorted_plugins(registry);
  if (plugins.empty()) {
    out << "No plugins found in:";
    if (dirs.empty()) out << " (no plugin directories)";
    for (const auto& dir : dirs) out << "\n  " << dir.string();
    out << "\n";
  } else {
    using Row = std::array<std::string, 6>;
    std::vector<Row> rows{{"KIND", "ID", "VERSION", "ABI", "FILE", "DESCRIPTION"}};
    for (const PluginRecord* r : plugins)
      rows.push_back({kind_name(r->kind), r->id, r->version, abi_of(*r), r->file, r->description});
    std::array<size_t, 6> width{};
    for (const Row& row : rows)
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    for (const Row& row : rows) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) {
        line += row[c];
        // The last column is not padded, so lines carry no trailing blanks.
        if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }
  if (!registry.skipped().empty()) {
    out << "\nSkipped files:\n";
    // Each reason starts with the file it is about.
    for (const SkippedFile& s : registry.skipped()) out << "  " << s.reason << "\n";
  }
}

}  // namespace

int run_plugins_command(const PluginRegistry& registry, const std::vector<std::filesystem::path>& dirs,
                        bool json, std::ostream& out) {
  if (json)
    print_json(registry, out);
  else
    print_table(registry, dirs, out);
  return 0;
}

int run_plugins_command(const std::vector<std::filesystem::path>& dirs, bool json,
                        std::ostream& out) {
  PluginRegistry registry;
  for (const auto& dir : dirs) registry.scan_directory(dir);
  run_plugins_command(registry, dirs, json, out);
  registry.shutdown();  // no instance was created
  return 0;
}

}  // namespace volt::host

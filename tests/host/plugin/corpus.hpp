// Helpers shared by the loader tests: paths into the corpus built by tests/corpus.
#pragma once

#include "plugin/registry.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace volt::test {

inline std::filesystem::path corpus_dir() { return VOLT_TEST_CORPUS_DIR; }
inline std::string corpus_file(const std::string& name) { return (corpus_dir() / name).string(); }

// A registry that always shuts down, so the process-wide init counts stay balanced between
// test cases even when one fails half-way.
class ScopedRegistry : public host::PluginRegistry {
 public:
  using PluginRegistry::PluginRegistry;
  ~ScopedRegistry() { shutdown(); }
};

// The one reason recorded for `file`; fails the test unless there is exactly one.
inline std::string only_reason(const host::PluginRegistry& registry, const std::string& file) {
  std::string found;
  int count = 0;
  for (const auto& s : registry.skipped()) {
    if (s.file == file) {
      found = s.reason;
      ++count;
    }
  }
  INFO("skipped entries for " << file);
  REQUIRE(count == 1);
  return found;
}

}  // namespace volt::test

// plugin_search_path and the kind names.
#include "corpus.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace fs = std::filesystem;
using volt::host::kind_from_name;
using volt::host::kind_name;
using volt::host::plugin_search_path;

namespace {

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path bundled_dir() {
  return (fs::read_symlink("/proc/self/exe").parent_path() / ".." / VOLT_PLUGIN_SUBDIR)
      .lexically_normal();
}

}  // namespace

TEST_CASE("search path: flags, then VOLT_PLUGIN_PATH, then the bundled directory",
          "[plugin][search_path]") {
  ScopedEnv env("VOLT_PLUGIN_PATH", "/env/one::/flag/a/:/env/two");
  const auto path = plugin_search_path({"/flag/a", "/flag/b/../b", "relative/dir"});
  std::vector<fs::path> expected = {"/flag/a", "/flag/b", fs::current_path() / "relative/dir",
                                    "/env/one", "/env/two"};
  if (fs::is_directory(bundled_dir())) expected.push_back(bundled_dir());
  CHECK(path == expected);
}

TEST_CASE("search path without flags or environment", "[plugin][search_path]") {
  ScopedEnv env("VOLT_PLUGIN_PATH", nullptr);
  const auto path = plugin_search_path({});
  if (fs::is_directory(bundled_dir()))
    CHECK(path == std::vector<fs::path>{bundled_dir()});
  else
    CHECK(path.empty());
}

TEST_CASE("kind names round-trip", "[plugin]") {
  const char* names[] = {"module", "datamodule", "strategy", "precision", "logger", "callback"};
  for (int32_t kind = 0; kind < 6; ++kind) {
    CHECK(std::string(kind_name(kind)) == names[kind]);
    CHECK(kind_from_name(names[kind]) == kind);
  }
  CHECK(kind_name(VOLT_KIND_CALLBACK) == std::string("callback"));
  CHECK(std::string(kind_name(6)) == "unknown");
  CHECK(std::string(kind_name(-1)) == "unknown");
  CHECK_FALSE(kind_from_name("Module").has_value());
  CHECK_FALSE(kind_from_name("").has_value());
}

// Plugin discovery and loading: finds plugin libraries, checks them against the host's ABI and
// LibTorch build before calling anything in them, and creates plugin instances.
#pragma once

#include <volt/volt.h>

#include "plugin/load_policy.hpp"
#include "runtime/host_api.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace volt::host {

// One plugin (one descriptor) of a loaded library. Strings are copies, so a record stays
// readable after shutdown().
struct PluginRecord {
  int32_t kind = 0;  // VOLT_KIND_*
  std::string id, version, description, schema;
  std::string file;  // the library it came from
  uint32_t abi_major = 0, abi_minor = 0;
  size_t index = 0;  // descriptor index inside the library, passed to entry->create
  const volt_plugin_entry* entry = nullptr;
};

// A file (or a single plugin of a file) that was refused. `reason` names the file.
struct SkippedFile {
  std::string file;
  std::string reason;
};

class PluginRegistry {
 public:
  // `host` is the table handed to every plugin; it must live for the whole process. The
  // policy's allow-list file is read here: throws volt::Error naming it when it cannot be read
  // or has a malformed line.
  explicit PluginRegistry(const volt_host_api* host = host_api(), LoadPolicy policy = {});

  // Loads every regular *.so file directly in `dir`, in name order. A missing directory, or
  // one that other users could write to (see insecure_plugin_path), is recorded in skipped()
  // and nothing in it is loaded; with policy.allow_insecure it is a warning instead.
  void scan_directory(const std::filesystem::path& dir);

  // Loads one library and registers its plugins. Returns false when anything about the file
  // was refused (the whole library or some of its plugins); the reasons go to skipped().
  // Before the library is opened (its static constructors run then), the file and the folders
  // above it must pass insecure_plugin_path, and its SHA-256 must be on the allow-list if the
  // policy has one.
  //
  // The file is hashed, then opened by path, so it could be swapped in between. That is
  // acceptable because by then the file and its folder are writable only by their owner (the
  // user or root) and no folder above lets others rename them, so only someone who could
  // already run code as the user can win that race; --allow-insecure-plugins gives this up.
  bool load_file(const std::filesystem::path& file);

  const std::vector<PluginRecord>& plugins() const { return plugins_; }
  const std::vector<SkippedFile>& skipped() const { return skipped_; }

  const PluginRecord* find(int32_t kind, const std::string& id) const;
  std::vector<std::string> ids(int32_t kind) const;  // sorted

  // Creates an instance (the kind's struct, e.g. volt_module*). Throws volt::Error naming the
  // plugin id, kind and file. `context` must outlive the instance.
  void* create(const PluginRecord& record, volt_host_context* context,
               const std::string& config_json) const;

  // Calls deinit() of every library this registry initialised, once, after the last registry
  // that uses the library shut down. Call only after every instance was destroyed; create()
  // fails afterwards. Libraries are never unloaded.
  void shutdown();

 private:
  struct Library {
    void* handle;  // dlopen handle: the key of the process-wide library table
    const volt_plugin_entry* entry;
    std::string file;
  };

  void skip(const std::string& file, const std::string& reason);
  // Why `path` must not be loaded under the permission rules, or nothing. With allow_insecure
  // the problem is logged as a warning (once per distinct problem) and nothing is returned.
  std::optional<std::string> refuse_insecure(const std::filesystem::path& path);
  // Checks entry and build info; returns the reason for refusing, or nothing.
  std::optional<std::string> check_entry(const volt_plugin_entry* entry) const;
  // Registers the descriptors of an initialised library; false when some were refused.
  bool register_plugins(const Library& library);

  const volt_host_api* host_;
  LoadPolicy policy_;
  std::optional<std::set<std::string>> allowed_digests_;  // read from policy_.allowlist
  std::set<std::string> warned_;                          // insecure paths already warned about
  std::vector<Library> libraries_;  // initialised by this registry, in load order
  std::vector<PluginRecord> plugins_;
  std::vector<SkippedFile> skipped_;
  bool shut_down_ = false;
};

// Directories to scan, in order: --plugin-dir flags, each entry of $VOLT_PLUGIN_PATH
// (':'-separated), then <dir of the executable>/../VOLT_PLUGIN_SUBDIR when it exists. Nothing
// is searched implicitly in the working directory: empty entries of VOLT_PLUGIN_PATH (which
// would mean "." in PATH's convention) are skipped, and relative ones are ignored with a
// warning, since an environment variable set once would follow every `cd`. Relative flags are
// kept, as they are given explicitly for this command. Paths are made absolute and
// normalised; duplicates are removed (first one kept).
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& cli_dirs);

// "module", "datamodule", "strategy", "precision", "logger", "callback"; "unknown" otherwise.
const char* kind_name(int32_t kind);
std::optional<int32_t> kind_from_name(const std::string& name);

// The config group a kind is selected in: module -> "model", datamodule -> "data", callback ->
// "callbacks", the others their kind name. kind_of_group is the inverse, and also accepts the
// kind names themselves ("module", "callback").
std::string config_group(int32_t kind);
std::optional<int32_t> kind_of_group(const std::string& group);

}  // namespace volt::host

#include "plugin/registry.hpp"

#include "plugin/elf_check.hpp"
#include "plugin/sha256.hpp"
#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <boost/dll/shared_library.hpp>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

#ifndef VOLT_TORCH_CUDA
#error "VOLT_TORCH_CUDA must be defined (volt_sdk sets it)"
#endif

namespace fs = std::filesystem;

namespace volt::host {
namespace {

// The LibTorch build of this host; a plugin that links LibTorch must match it exactly.
const std::string& host_torch_version() {
  static const std::string version = std::to_string(TORCH_VERSION_MAJOR) + "." +
                                     std::to_string(TORCH_VERSION_MINOR) + "." +
                                     std::to_string(TORCH_VERSION_PATCH);
  return version;
}
#ifdef _GLIBCXX_USE_CXX11_ABI
constexpr int32_t kHostCxx11Abi = _GLIBCXX_USE_CXX11_ABI;
#else
constexpr int32_t kHostCxx11Abi = -1;
#endif
constexpr int32_t kHostCuda = VOLT_TORCH_CUDA;

constexpr const char* kKindNames[] = {"module", "datamodule", "strategy",
                                      "precision", "logger", "callback"};
constexpr int32_t kKindCount = static_cast<int32_t>(std::size(kKindNames));

// Every library ever opened, keyed by dlopen handle, with how many registries initialised it.
// Libraries are never unloaded: tensors, deleters and operator registrations created by plugin
// code may outlive every registry (and a dlclose at exit would run after LibTorch's own static
// destructors). So the table is allocated once and deliberately leaked, never destroyed.
struct LoadedLibrary {
  boost::dll::shared_library library;
  int init_refs = 0;
};
struct LibraryTable {
  std::mutex mutex;
  std::map<void*, LoadedLibrary> by_handle;
};
LibraryTable& library_table() {
  static LibraryTable* table = new LibraryTable();  // leaked on purpose, see above
  return *table;
}

std::string abi_string(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const char* cuda_name(int32_t cuda) { return cuda != 0 ? "a CUDA" : "a CPU-only"; }

}  // namespace

const char* kind_name(int32_t kind) {
  return kind >= 0 && kind < kKindCount ? kKindNames[kind] : "unknown";
}

std::optional<int32_t> kind_from_name(const std::string& name) {
  for (int32_t k = 0; k < kKindCount; ++k)
    if (name == kKindNames[k]) return k;
  return std::nullopt;
}

std::string config_group(int32_t kind) {
  switch (kind) {
    case VOLT_KIND_MODULE: return "model";
    case VOLT_KIND_DATAMODULE: return "data";
    case VOLT_KIND_CALLBACK: return "callbacks";
    default: return kind_name(kind);
  }
}

std::optional<int32_t> kind_of_group(const std::string& group) {
  if (group == "model") return VOLT_KIND_MODULE;
  if (group == "data") return VOLT_KIND_DATAMODULE;
  if (group == "callbacks") return VOLT_KIND_CALLBACK;
  return kind_from_name(group);
}

PluginRegistry::PluginRegistry(const volt_host_api* host, LoadPolicy policy)
    : host_(host), policy_(std::move(policy)) {
  if (host_ == nullptr) throw volt::Error(VOLT_ERROR_INVALID_ARGUMENT, "PluginRegistry: NULL host");
  // Read once, up front: a broken allow-list fails the command instead of refusing every file.
  if (policy_.allowlist) allowed_digests_ = read_plugin_allowlist(*policy_.allowlist);
}

void PluginRegistry::skip(const std::string& file, const std::string& reason) {
  log::debug("skipping plugin file ", reason);
  skipped_.push_back({file, file + ": " + reason});
}

std::optional<std::string> PluginRegistry::refuse_insecure(const fs::path& path) {
  std::optional<std::string> reason = insecure_plugin_path(path);
  if (!reason) return std::nullopt;
  if (!policy_.allow_insecure)
    return *reason + ", or pass --allow-insecure-plugins to load it anyway";
  if (warned_.insert(*reason).second)
    log::warning("loading plugins anyway (--allow-insecure-plugins): ", *reason);
  return std::nullopt;
}

void PluginRegistry::scan_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    skip(dir.string(), fs::exists(dir, ec) ? "not a directory" : "plugin directory does not exist");
    return;
  }
  if (auto reason = refuse_insecure(dir)) {
    skip(dir.string(), "nothing loaded from this folder: " + *reason);
    return;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) skip(dir.string(), "cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) load_file(file);
}

std::optional<std::string> PluginRegistry::check_entry(const volt_plugin_entry* entry) const {
  if (entry == nullptr) return std::string(VOLT_ENTRY_SYMBOL "() returned NULL");
  constexpr size_t version_size = VOLT_STRUCT_SIZE(volt_plugin_entry, abi_minor);
  if (entry->struct_size < version_size)
    return "entry struct_size " + std::to_string(entry->struct_size) +
           " is too small to hold the ABI version (need at least " +
           std::to_string(version_size) + ")";
  if (entry->abi_major != host_->abi_major)
    return "plugin ABI " + abi_string(entry->abi_major, entry->abi_minor) + ", host ABI " +
           abi_string(host_->abi_major, host_->abi_minor) + ": incompatible major version";
  // Every field up to create() exists since ABI 1.0, whatever the plugin's minor version.
  constexpr size_t entry_size = VOLT_STRUCT_SIZE(volt_plugin_entry, create);
  if (entry->struct_size < entry_size)
    return "entry struct_size " + std::to_string(entry->struct_size) + " is smaller than the " +
           std::to_string(entry_size) + " bytes of volt_plugin_entry (ABI " +
           abi_string(host_->abi_major, 0) + ")";

  const volt_build_info* build = entry->build;
  if (build == nullptr) return std::string("no build info (entry->build is NULL)");
  constexpr size_t torch_field = VOLT_STRUCT_SIZE(volt_build_info, torch_version);
  if (build->struct_size < torch_field)
    return "build info struct_size " + std::to_string(build->struct_size) +
           " is too small (need at least " + std::to_string(torch_field) + ")";
  // A plugin without LibTorch (plain C) cannot disagree with the host's LibTorch.
  if (build->torch_version != nullptr) {
    constexpr size_t cuda_field = VOLT_STRUCT_SIZE(volt_build_info, cuda);
    if (build->struct_size < cuda_field)
      return "build info struct_size " + std::to_string(build->struct_size) +
             " does not cover cxx11_abi and cuda (need at least " + std::to_string(cuda_field) +
             ")";
    if (host_torch_version() != build->torch_version)
      return std::string("built against LibTorch ") + build->torch_version +
             ", host uses LibTorch " + host_torch_version();
    if (build->cxx11_abi != kHostCxx11Abi)
      return "built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(build->cxx11_abi) +
             ", host uses _GLIBCXX_USE_CXX11_ABI=" + std::to_string(kHostCxx11Abi);
    if ((build->cuda != 0) != (kHostCuda != 0))
      return std::string("built against ") + cuda_name(build->cuda) + " LibTorch, host uses " +
             cuda_name(kHostCuda) + " LibTorch";
  }

  if (entry->plugin_count == nullptr) return std::string("entry has no plugin_count function");
  if (entry->plugin_descriptor == nullptr)
    return std::string("entry has no plugin_descriptor function");
  if (entry->create == nullptr) return std::string("entry has no create function");
  return std::nullopt;
}

bool PluginRegistry::load_file(const fs::path& path) {
  const std::string file = path.string();
  // Everything here happens before dlopen: opening a library runs its static constructors.
  std::error_code ec_path;
  const fs::path real = fs::canonical(path, ec_path);
  if (ec_path) {
    skip(file, "cannot load: " + ec_path.message());
    return false;
  }
  if (auto reason = refuse_insecure(path)) {
    skip(file, *reason);
    return false;
  }
  if (allowed_digests_) {
    std::string digest;
    try {
      digest = sha256_hex_of_file(real);
    } catch (const volt::Error& e) {
      skip(file, e.what());
      return false;
    }
    if (allowed_digests_->count(digest) == 0) {
      skip(file, "SHA-256 " + digest + " is not in the allow-list " + policy_.allowlist->string());
      return false;
    }
  }
  if (auto problem = elf_problem(real)) {
    skip(file, "cannot load: " + *problem);
    return false;
  }

  auto& table = library_table();
  std::lock_guard<std::mutex> lock(table.mutex);

  // RTLD_NOW: unresolved symbols fail here, not in the middle of a run. RTLD_LOCAL: plugins
  // cannot see (or shadow) each other's symbols. Never RTLD_DEEPBIND (breaks libstdc++ and
  // LibTorch singletons).
  boost::dll::shared_library library;
  boost::dll::fs::error_code ec;
  // The resolved path: the one that was checked above.
  library.load(boost::dll::fs::path(real.string()),
               boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !library.is_loaded()) {
    const char* dl_error = dlerror();
    skip(file, std::string("cannot load: ") + (dl_error != nullptr ? dl_error : ec.message()));
    return false;
  }
  void* handle = library.native();
  for (const Library& loaded : libraries_) {
    if (loaded.handle == handle) {
      skip(file, "same library as " + loaded.file + ", already loaded");
      return false;
    }
  }
  // Kept even when refused below: its static constructors already ran (see library_table).
  LoadedLibrary& shared = table.by_handle[handle];
  if (!shared.library.is_loaded()) shared.library = std::move(library);

  if (!shared.library.has(VOLT_ENTRY_SYMBOL)) {
    skip(file, "no entry symbol " VOLT_ENTRY_SYMBOL " (not a Volt plugin?)");
    return false;
  }
  auto entry_fn = shared.library.get<const volt_plugin_entry*()>(VOLT_ENTRY_SYMBOL);
  const volt_plugin_entry* entry = entry_fn();
  if (auto reason = check_entry(entry)) {
    skip(file, *reason);
    return false;
  }

  if (shared.init_refs == 0 && entry->init != nullptr) {
    if (volt_error* error = entry->init(host_, file.c_str())) {
      std::string message = host_->error_message(error);
      host_->error_free(error);
      skip(file, "init() failed: " + message);
      return false;
    }
  }
  ++shared.init_refs;
  libraries_.push_back({handle, entry, file});
  return register_plugins(libraries_.back());
}

bool PluginRegistry::register_plugins(const Library& library) {
  const volt_plugin_entry* entry = library.entry;
  const size_t count = entry->plugin_count();
  constexpr size_t descriptor_size = VOLT_STRUCT_SIZE(volt_plugin_descriptor, config_schema);
  bool all_ok = true;
  size_t registered = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string label = "plugin #" + std::to_string(i);
    auto refuse = [&](const std::string& reason) {
      skip(library.file, label + ": " + reason);
      all_ok = false;
    };
    const volt_plugin_descriptor* d = entry->plugin_descriptor(i);
    if (d == nullptr) {
      refuse("plugin_descriptor() returned NULL");
      continue;
    }
    if (d->struct_size < descriptor_size) {
      refuse("descriptor struct_size " + std::to_string(d->struct_size) + " is smaller than the " +
             std::to_string(descriptor_size) + " bytes the host reads");
      continue;
    }
    if (d->id == nullptr || d->id[0] == '\0') {
      refuse("empty id");
      continue;
    }
    label += " ('" + std::string(d->id) + "')";
    if (d->kind < 0 || d->kind >= kKindCount) {
      refuse("kind " + std::to_string(d->kind) + " is not a known kind (expected 0.." +
             std::to_string(kKindCount - 1) + ")");
      continue;
    }
    label = std::string(kind_name(d->kind)) + " '" + d->id + "'";
    if (d->config_schema == nullptr) {
      refuse("no config schema (config_schema is NULL)");
      continue;
    }
    try {
      if (!nlohmann::json::parse(d->config_schema).is_object()) {
        refuse("config_schema is not a JSON object");
        continue;
      }
    } catch (const nlohmann::json::exception& e) {
      refuse(std::string("config_schema is not valid JSON: ") + e.what());
      continue;
    }
    if (const PluginRecord* first = find(d->kind, d->id)) {
      refuse(first->file == library.file
                 ? "declared twice in this file; keeping the first"
                 : "already registered from " + first->file + "; keeping the first");
      continue;
    }
    PluginRecord record;
    record.kind = d->kind;
    record.id = d->id;
    record.version = d->version != nullptr ? d->version : "";
    record.description = d->description != nullptr ? d->description : "";
    record.schema = d->config_schema;
    record.file = library.file;
    record.abi_major = entry->abi_major;
    record.abi_minor = entry->abi_minor;
    record.index = i;
    record.entry = entry;
    plugins_.push_back(std::move(record));
    ++registered;
  }
  log::debug("loaded ", registered, " plugin(s) from ", library.file);
  return all_ok;
}

const PluginRecord* PluginRegistry::find(int32_t kind, const std::string& id) const {
  for (const PluginRecord& r : plugins_)
    if (r.kind == kind && r.id == id) return &r;
  return nullptr;
}

std::vector<std::string> PluginRegistry::ids(int32_t kind) const {
  std::vector<std::string> out;
  for (const PluginRecord& r : plugins_)
    if (r.kind == kind) out.push_back(r.id);
  std::sort(out.begin(), out.end());
  return out;
}

void* PluginRegistry::create(const PluginRecord& record, volt_host_context* context,
                             const std::string& config_json) const {
  const std::string what = std::string("cannot create ") + kind_name(record.kind) + " '" +
                           record.id + "' (from " + record.file + ")";
  if (shut_down_)
    throw volt::Error(VOLT_ERROR_FAILED_PRECONDITION, what + ": the plugin registry was shut down");
  volt_create_args args{};
  args.struct_size = VOLT_STRUCT_SIZE(volt_create_args, config_json);
  args.host = host_;
  args.context = context;
  args.config_json = config_json.c_str();
  void* instance = nullptr;
  if (volt_error* error = record.entry->create(record.index, &args, &instance)) {
    std::string message = host_->error_message(error);
    volt_error_code code = host_->error_code(error);
    host_->error_free(error);
    throw volt::Error(code, what + ": " + message);
  }
  if (instance == nullptr)
    throw volt::Error(VOLT_ERROR_INTERNAL, what + ": create() returned no instance and no error");
  // Every instance struct starts with struct_size. With 0 the host cannot tell where destroy
  // is, so the instance is leaked rather than guessed at.
  if (*static_cast<const size_t*>(instance) == 0)
    throw volt::Error(VOLT_ERROR_INTERNAL,
                      what + ": create() returned an instance with struct_size 0");
  return instance;
}

void PluginRegistry::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  auto& table = library_table();
  std::lock_guard<std::mutex> lock(table.mutex);
  for (auto it = libraries_.rbegin(); it != libraries_.rend(); ++it) {
    LoadedLibrary& shared = table.by_handle[it->handle];
    if (--shared.init_refs == 0 && it->entry->deinit != nullptr) it->entry->deinit();
  }
}

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& cli_dirs) {
  std::vector<fs::path> out;
  auto add = [&out](const fs::path& dir) {
    if (dir.empty()) return;
    std::error_code ec;
    fs::path normal = fs::absolute(dir, ec);
    if (ec) normal = dir;
    normal = normal.lexically_normal();
    // "/a/b/" and "/a/b" are the same directory.
    if (!normal.has_filename() && normal != normal.root_path()) normal = normal.parent_path();
    if (std::find(out.begin(), out.end(), normal) == out.end()) out.push_back(normal);
  };
  for (const std::string& dir : cli_dirs) add(dir);
  if (const char* env = std::getenv("VOLT_PLUGIN_PATH")) {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      const std::string entry = list.substr(start, end - start);
      start = end + 1;
      if (!entry.empty() && fs::path(entry).is_relative()) {
        log::warning("VOLT_PLUGIN_PATH entry '", entry, "' is a relative path, which would ",
                     "change meaning with the working directory; ignored (use an absolute path)");
        continue;
      }
      add(entry);
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path bundled = exe.parent_path() / ".." / VOLT_PLUGIN_SUBDIR;
    if (fs::is_directory(bundled, ec)) add(bundled);
  }
  return out;
}

}  // namespace volt::host

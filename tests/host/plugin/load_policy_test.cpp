// Plugin loading security: who may write the library and the folders above it, and the SHA-256
// allow-list. Each case copies a real shipped plugin (the csv logger) into a fresh folder under
// a new name, so `dlopen(RTLD_NOLOAD)` can tell whether a refused copy was ever opened.
#include "corpus.hpp"
#include "plugin/load_policy.hpp"
#include "support/remove_tree.hpp"

#include <dlfcn.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using volt::host::insecure_plugin_path;
using volt::host::LoadPolicy;
using volt::host::read_plugin_allowlist;
using volt::test::only_reason;
using volt::test::ScopedRegistry;

namespace {

const fs::path kShippedCsv = fs::path(VOLT_TEST_SHIPPED_PLUGIN_DIR) / "volt_logger_csv.so";

void set_mode(const fs::path& path, mode_t mode) {
  INFO("chmod " << path);
  REQUIRE(::chmod(path.c_str(), mode) == 0);  // explicit: the umask may be 022 or 002
}

// A fresh folder <tmp>/volt-policy-<pid>-<n> (mode 0755), removed with everything in it.
class Sandbox {
 public:
  Sandbox() {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("volt-policy-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    volt::test::remove_tree(root_);
    fs::create_directories(root_);
    root_ = fs::canonical(root_);  // reasons name resolved paths
    set_mode(root_, 0755);
    // Every check below assumes the sandbox itself is a safe place.
    const auto reason = insecure_plugin_path(root_);
    INFO("the temp folder is not a safe place for these tests: " << reason.value_or(""));
    REQUIRE_FALSE(reason.has_value());
  }
  ~Sandbox() { volt::test::remove_tree(root_); }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const fs::path& root() const { return root_; }

  fs::path folder(const std::string& relative, mode_t mode = 0755) const {
    const fs::path dir = root_ / relative;
    fs::create_directories(dir);
    set_mode(dir, mode);
    return dir;
  }

  // A copy of the csv logger in `dir` (mode 0755) under a name no other copy had.
  fs::path copy_plugin(const fs::path& dir) const {
    static std::atomic<int> counter{0};
    const fs::path file = dir / ("volt_policy_copy_" + std::to_string(counter++) + ".so");
    {
      std::ifstream in(kShippedCsv, std::ios::binary);
      std::ofstream out(file, std::ios::binary);
      REQUIRE(in.good());
      out << in.rdbuf();
      REQUIRE(out.good());
    }
    set_mode(file, 0755);
    return file;
  }

 private:
  fs::path root_;
};

// Whether the loader ever opened `file` in this process (without opening it now).
bool ever_opened(const fs::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle != nullptr) ::dlclose(handle);  // drops only the reference just added
  return handle != nullptr;
}

bool has_csv(const volt::host::PluginRegistry& registry, const fs::path& file) {
  const auto* record = registry.find(VOLT_KIND_LOGGER, "csv");
  return record != nullptr && record->file == file.string();
}

std::string mode_text(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return text;
}

std::string my_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  REQUIRE(pw != nullptr);
  return pw->pw_name;
}

// The digest as printed by the `sha256sum` command, an independent reader of the file.
std::string sha256sum(const fs::path& file) {
  std::FILE* pipe = ::popen(("sha256sum '" + file.string() + "'").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char digest[65] = {};
  const size_t n = std::fread(digest, 1, 64, pipe);
  REQUIRE(::pclose(pipe) == 0);
  REQUIRE(n == 64);
  return digest;
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

LoadPolicy allowlist_policy(const fs::path& file) {
  LoadPolicy policy;
  policy.allowlist = file;
  return policy;
}

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

// --- Permissions -------------------------------------------------------------------------------

TEST_CASE("a plugin in a folder only its owner can write loads", "[plugin_policy]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  CHECK_FALSE(insecure_plugin_path(dir).has_value());
  CHECK_FALSE(insecure_plugin_path(file).has_value());
  CHECK_FALSE(ever_opened(file));
  ScopedRegistry registry;
  registry.scan_directory(dir);
  CHECK(registry.skipped().empty());
  CHECK(has_csv(registry, file));
  CHECK(ever_opened(file));  // so the probe can tell: the refusals below are not blind
}

TEST_CASE("a plugin folder writable by others is refused as a whole", "[plugin_policy]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins", 0757);  // chmod o+w on 0755
  const fs::path file = box.copy_plugin(dir);

  ScopedRegistry registry;
  registry.scan_directory(dir);
  CHECK(registry.plugins().empty());
  const std::string reason = only_reason(registry, dir.string());
  CHECK_THAT(reason, Contains("plugin folder " + dir.string() + " is writable by other users"));
  CHECK_THAT(reason, Contains("mode 0757") && Contains("owner " + my_name()));
  CHECK_THAT(reason, Contains("chmod o-w " + dir.string()));
  CHECK_THAT(reason, Contains("--allow-insecure-plugins"));
  CHECK_FALSE(ever_opened(file));

  // Loading the file directly checks its folder too.
  CHECK_FALSE(registry.load_file(file));
  CHECK_THAT(only_reason(registry, file.string()), Contains(dir.string() + " is writable"));
  CHECK_FALSE(ever_opened(file));
}

TEST_CASE("with --allow-insecure-plugins a folder writable by others loads", "[plugin_policy]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins", 0757);
  const fs::path file = box.copy_plugin(dir);
  LoadPolicy policy;
  policy.allow_insecure = true;
  ScopedRegistry registry(volt::host::host_api(), policy);
  registry.scan_directory(dir);
  CHECK(registry.skipped().empty());
  CHECK(has_csv(registry, file));
}

TEST_CASE("a plugin library writable by others is refused", "[plugin_policy]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  set_mode(file, 0757);

  ScopedRegistry registry;
  registry.scan_directory(dir);
  CHECK(registry.plugins().empty());
  const std::string reason = only_reason(registry, file.string());
  CHECK_THAT(reason, Contains("plugin library " + file.string() + " is writable by other users"));
  CHECK_THAT(reason, Contains("mode 0757") && Contains("chmod o-w " + file.string()));
  CHECK_FALSE(ever_opened(file));
}

TEST_CASE("a symlinked plugin is judged where it leads and where the link lives",
          "[plugin_policy]") {
  Sandbox box;
  const fs::path safe = box.folder("safe");
  const fs::path open = box.folder("open", 0757);

  SECTION("a safe link to a library in a folder writable by others") {
    const fs::path target = box.copy_plugin(open);
    const fs::path link = safe / "link.so";
    fs::create_symlink(target, link);
    ScopedRegistry registry;
    CHECK_FALSE(registry.load_file(link));
    CHECK_THAT(only_reason(registry, link.string()),
               Contains("plugin folder " + open.string() + " is writable by other users"));
    CHECK_FALSE(ever_opened(target));
  }
  SECTION("a link in a folder writable by others to a safe library") {
    const fs::path target = box.copy_plugin(safe);
    const fs::path link = open / "link.so";
    fs::create_symlink(target, link);
    ScopedRegistry registry;
    CHECK_FALSE(registry.load_file(link));
    CHECK_THAT(only_reason(registry, link.string()),
               Contains("plugin folder " + open.string() + " is writable by other users"));
    CHECK_FALSE(ever_opened(target));
  }
}

TEST_CASE("a folder above writable by others is refused unless it is sticky", "[plugin_policy]") {
  Sandbox box;
  const fs::path above = box.folder("shared", 0757);  // o+w only: the group may not be private
  const fs::path dir = box.folder("shared/plugins");
  const fs::path file = box.copy_plugin(dir);
  {
    ScopedRegistry registry;
    registry.scan_directory(dir);
    CHECK(registry.plugins().empty());
    const std::string reason = only_reason(registry, dir.string());
    CHECK_THAT(reason, Contains("folder " + above.string() + " is writable by other users"));
    CHECK_THAT(reason, Contains("mode 0757") && Contains("no sticky bit"));
    CHECK_THAT(reason, Contains("chmod o-w " + above.string()));
    CHECK_FALSE(ever_opened(file));
  }
  set_mode(above, 01757);  // sticky, as /tmp: others cannot rename `plugins` away
  ScopedRegistry registry;
  registry.scan_directory(dir);
  CHECK(registry.skipped().empty());
  CHECK(has_csv(registry, file));
}

TEST_CASE("a plugin owned by another user is refused", "[plugin_policy]") {
  if (::geteuid() != 0) {
    WARN("skipped: giving a file to another user needs root");
    return;
  }
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  set_mode(file, 0755);  // chown may clear mode bits

  ScopedRegistry registry;
  CHECK_FALSE(registry.load_file(file));
  const std::string reason = only_reason(registry, file.string());
  CHECK_THAT(reason, Contains("plugin library " + file.string() + " is owned by another user"));
  CHECK_THAT(reason, Contains("uid 65534") && Contains("mode 0755"));
  CHECK_FALSE(ever_opened(file));

  // The same for the folder.
  REQUIRE(::chown(file.c_str(), 0, 0) == 0);
  REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  ScopedRegistry second;
  second.scan_directory(dir);
  CHECK_THAT(only_reason(second, dir.string()),
             Contains("plugin folder " + dir.string() + " is owned by another user"));
  CHECK_FALSE(ever_opened(file));
}

TEST_CASE("a library writable by a shared group is refused", "[plugin_policy]") {
  if (::geteuid() != 0) {
    WARN("skipped: giving a file to a group of our choice needs root");
    return;
  }
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  const group* shared = ::getgrgid(65534);
  INFO("gid 65534 is " << (shared != nullptr ? shared->gr_name : "unnamed"));
  REQUIRE(::chown(file.c_str(), static_cast<uid_t>(-1), 65534) == 0);
  set_mode(file, 0775);
  ScopedRegistry registry;
  CHECK_FALSE(registry.load_file(file));
  const std::string reason = only_reason(registry, file.string());
  CHECK_THAT(reason, Contains("writable by group") && Contains("gid 65534"));
  CHECK_THAT(reason, Contains("mode 0775") && Contains("chmod g-w " + file.string()));
  CHECK_FALSE(ever_opened(file));
}

TEST_CASE("group write by the owner's private group is allowed (umask 002)", "[plugin_policy]") {
  // Decided here from the user and group databases, independently of the code under test.
  const group* own = ::getgrgid(::getegid());
  const bool private_group =
      own != nullptr && my_name() == own->gr_name &&
      (own->gr_mem[0] == nullptr || (my_name() == own->gr_mem[0] && own->gr_mem[1] == nullptr));
  if (!private_group) {
    WARN("skipped: the effective group is not a private group of the effective user");
    return;
  }
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  REQUIRE(::chown(dir.c_str(), static_cast<uid_t>(-1), ::getegid()) == 0);
  REQUIRE(::chown(file.c_str(), static_cast<uid_t>(-1), ::getegid()) == 0);
  set_mode(dir, 0775);
  set_mode(file, 0775);
  ScopedRegistry registry;
  registry.scan_directory(dir);
  CHECK(registry.skipped().empty());
  CHECK(has_csv(registry, file));
}

TEST_CASE("the reason for a folder names its mode and owner as stat sees them",
          "[plugin_policy]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins", 0707);
  const auto reason = insecure_plugin_path(dir);
  REQUIRE(reason.has_value());
  CHECK_THAT(*reason, Contains("mode " + mode_text(dir)));
  CHECK_THAT(*reason, Contains("uid " + std::to_string(::geteuid())));
}

// --- Allow-list ----------------------------------------------------------------------------------

TEST_CASE("a library on the allow-list loads", "[plugin_policy][allowlist]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  const std::string digest = sha256sum(file);
  std::string upper = digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const fs::path list = box.root() / "allowlist.txt";

  SECTION("as sha256sum prints it, among comments and blank lines") {
    write_text(list, "# plugins we trust\n\n" + std::string(64, '0') + "  other.so\n" + digest +
                         "  " + file.string() + "\n   \n");
  }
  SECTION("as a bare digest in upper case, with CRLF line ends") {
    write_text(list, upper + "\r\n# end\r\n");
  }
  SECTION("in sha256sum's binary mode") { write_text(list, digest + " *" + file.string()); }

  ScopedRegistry registry(volt::host::host_api(), allowlist_policy(list));
  registry.scan_directory(dir);
  CHECK(registry.skipped().empty());
  CHECK(has_csv(registry, file));
}

TEST_CASE("a library not on the allow-list is refused before it is opened",
          "[plugin_policy][allowlist]") {
  Sandbox box;
  const fs::path dir = box.folder("plugins");
  const fs::path file = box.copy_plugin(dir);
  const fs::path list = box.root() / "allowlist.txt";
  write_text(list, std::string(64, 'a') + "  something_else.so\n");

  ScopedRegistry registry(volt::host::host_api(), allowlist_policy(list));
  registry.scan_directory(dir);
  CHECK(registry.plugins().empty());
  const std::string reason = only_reason(registry, file.string());
  CHECK_THAT(reason, Contains(file.string() + ": SHA-256 " + sha256sum(file) +
                              " is not in the allow-list " + list.string()));
  CHECK_FALSE(ever_opened(file));

  // An empty allow-list refuses everything.
  write_text(list, "# nothing trusted yet\n");
  ScopedRegistry empty(volt::host::host_api(), allowlist_policy(list));
  CHECK_FALSE(empty.load_file(file));
  CHECK_FALSE(ever_opened(file));
}

TEST_CASE("a malformed allow-list line is an error naming the file and the line",
          "[plugin_policy][allowlist]") {
  Sandbox box;
  const fs::path list = box.root() / "allowlist.txt";
  const std::string good = std::string(64, 'b') + "  good.so\n";
  std::string bad;
  SECTION("too short") { bad = std::string(63, 'c') + "  short.so"; }
  SECTION("not hex") { bad = std::string(63, 'c') + "g  nothex.so"; }
  SECTION("too long") { bad = std::string(65, 'c') + "  long.so"; }
  SECTION("another format") { bad = "SHA256 (x.so) = " + std::string(64, 'c'); }
  write_text(list, "# header\n" + good + bad + "\n" + good);

  CHECK_THROWS_WITH(read_plugin_allowlist(list),
                    Contains(list.string()) && Contains("line 3") && Contains("SHA-256"));
  // The registry reads it up front, so the command fails instead of refusing every plugin.
  CHECK_THROWS_WITH(ScopedRegistry(volt::host::host_api(), allowlist_policy(list)),
                    Contains(list.string()) && Contains("line 3"));
}

TEST_CASE("a missing or unreadable allow-list is an error naming it",
          "[plugin_policy][allowlist]") {
  Sandbox box;
  const fs::path missing = box.root() / "no_such_allowlist.txt";
  CHECK_THROWS_WITH(ScopedRegistry(volt::host::host_api(), allowlist_policy(missing)),
                    Contains(missing.string()) && Contains("No such file"));
  const fs::path folder = box.folder("a_folder");
  CHECK_THROWS_WITH(read_plugin_allowlist(folder),
                    Contains(folder.string()) && Contains("Is a directory"));
}

TEST_CASE("allow-list digests are read in lower case, duplicates once",
          "[plugin_policy][allowlist]") {
  Sandbox box;
  const fs::path list = box.root() / "allowlist.txt";
  const std::string a(64, 'a'), b = "0123456789ABCDEF" + std::string(48, 'F');
  write_text(list, a + "\n" + b + "  b.so\n\\" + a + "  back\\\\slash.so\n");
  CHECK(read_plugin_allowlist(list) ==
        std::set<std::string>{a, "0123456789abcdef" + std::string(48, 'f')});
}

// --- Search path ---------------------------------------------------------------------------------

TEST_CASE("relative VOLT_PLUGIN_PATH entries are ignored", "[plugin_policy][search_path]") {
  ScopedEnv env("VOLT_PLUGIN_PATH", "relative/env:/abs/env:.:plugins");
  const auto path = volt::host::plugin_search_path({"relative/flag"});
  CHECK(path.at(0) == fs::current_path() / "relative/flag");  // a flag is explicit: kept
  CHECK(path.at(1) == "/abs/env");
  for (const fs::path& dir : path) {
    INFO(dir);
    CHECK(dir != fs::current_path());
    CHECK(dir != fs::current_path() / "relative/env");
    CHECK(dir != fs::current_path() / "plugins");
  }
}

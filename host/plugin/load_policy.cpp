#include "plugin/load_policy.hpp"

#include <volt/sdk/core.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace volt::host {
namespace {

// --- Allow-list --------------------------------------------------------------------------------

std::string read_whole_file(const fs::path& file) {
  auto fail = [&file](int error) {
    throw volt::Error(error == ENOENT ? VOLT_ERROR_NOT_FOUND : VOLT_ERROR_INVALID_ARGUMENT,
                      "cannot read the plugin allow-list " + file.string() + ": " +
                          std::strerror(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                     &std::fclose);
  if (!in) fail(errno);
  std::string text;
  char chunk[1 << 14];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, in.get())) > 0) text.append(chunk, n);
  if (std::ferror(in.get())) fail(errno);  // e.g. EISDIR: fopen accepts a folder
  return text;
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// --- Permissions -------------------------------------------------------------------------------

// getpwuid_r / getgrgid_r want a caller's buffer; grow it until the entry fits.
template <class Entry, class Id, class Lookup>
std::optional<Entry> lookup(Id id, Lookup lookup_r, std::vector<char>& buffer) {
  buffer.resize(1024);
  for (;;) {
    Entry entry;
    Entry* found = nullptr;
    const int error = lookup_r(id, &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 24)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (error != 0 || found == nullptr) return std::nullopt;
    return entry;
  }
}

std::optional<std::string> user_name(uid_t uid) {
  std::vector<char> buffer;
  auto pw = lookup<passwd>(uid, getpwuid_r, buffer);
  if (!pw) return std::nullopt;
  return std::string(pw->pw_name);
}

struct GroupInfo {
  std::string name;
  std::vector<std::string> members;
};

std::optional<GroupInfo> group_info(gid_t gid) {
  std::vector<char> buffer;
  auto gr = lookup<group>(gid, getgrgid_r, buffer);
  if (!gr) return std::nullopt;
  GroupInfo info{gr->gr_name, {}};
  for (char** m = gr->gr_mem; m != nullptr && *m != nullptr; ++m) info.members.emplace_back(*m);
  return info;
}

std::string user_label(uid_t uid) {
  auto name = user_name(uid);
  return name ? *name + " (uid " + std::to_string(uid) + ")" : "uid " + std::to_string(uid);
}

std::string group_label(gid_t gid) {
  auto info = group_info(gid);
  return info ? "'" + info->name + "' (gid " + std::to_string(gid) + ")"
              : "gid " + std::to_string(gid);
}

// A user-private group (Debian's default): named as its owner and listing no other member, so
// group write is as good as owner write and umask 002 does not make files unsafe.
bool is_private_group(uid_t owner, gid_t gid) {
  auto user = user_name(owner);
  auto info = group_info(gid);
  if (!user || !info || info->name != *user) return false;
  return std::all_of(info->members.begin(), info->members.end(),
                     [&](const std::string& member) { return member == *user; });
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

enum class Role { library, plugin_folder, ancestor };

const char* role_name(Role role) {
  switch (role) {
    case Role::library: return "plugin library";
    case Role::plugin_folder: return "plugin folder";
    case Role::ancestor: return "folder";
  }
  return "";
}

// Why `path` is unsafe in its role, or nothing.
std::optional<std::string> check(const fs::path& path, Role role) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::string("cannot check who may write ") + path.string() + ": " +
           std::strerror(errno);
  const std::string what = std::string(role_name(role)) + " " + path.string();
  // Only built for a reason: it looks the owner up in the user database.
  auto facts = [&st] {
    return " (mode " + octal_mode(st.st_mode) + ", owner " + user_label(st.st_uid) + ")";
  };

  // Whoever owns it can chmod it, so only ourselves or root will do.
  const uid_t me = ::geteuid();
  if (role != Role::ancestor && st.st_uid != me && st.st_uid != 0)
    return what + " is owned by another user" + facts() + ", and only what you (" +
           user_label(me) + ") or root own is loaded; fix with chown";

  const bool others = (st.st_mode & S_IWOTH) != 0;
  const bool group = (st.st_mode & S_IWGRP) != 0 && !is_private_group(st.st_uid, st.st_gid);
  if (!others && !group) return std::nullopt;
  // In a sticky folder others may add entries but not rename or remove ours.
  if (role == Role::ancestor && (st.st_mode & S_ISVTX) != 0) return std::nullopt;

  std::string writers = others ? "other users" : "";
  if (group) writers += std::string(others ? " and " : "") + "group " + group_label(st.st_gid);
  std::string reason = what + " is writable by " + writers + facts();
  const std::string chmod = std::string("`chmod ") + (others && group ? "go" : others ? "o" : "g") +
                            "-w " + path.string() + "`";
  if (role == Role::ancestor)
    return reason + " and has no sticky bit, so they could replace the folders inside it; fix " +
           "with " + chmod + " (or `chmod +t " + path.string() + "`)";
  return reason + "; fix with " + chmod;
}

}  // namespace

std::set<std::string> read_plugin_allowlist(const fs::path& file) {
  const std::string text = read_whole_file(file);
  std::set<std::string> digests;
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    // sha256sum starts the line with '\' when it escaped a '\' or newline in the file name.
    if (line.front() == '\\') line.remove_prefix(1);
    const bool hex = line.size() >= 64 && std::all_of(line.begin(), line.begin() + 64, [](char c) {
                       return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                     });
    if (!hex || (line.size() > 64 && !is_space(line[64]))) {
      const std::string shown(line.substr(0, 80));
      throw volt::Error(VOLT_ERROR_INVALID_ARGUMENT,
                        "plugin allow-list " + file.string() + ", line " +
                            std::to_string(line_number) +
                            ": expected a SHA-256 digest (64 hex digits), optionally followed "
                            "by a file name as sha256sum prints it; found '" + shown + "'");
    }
    std::string digest(line.substr(0, 64));
    for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    digests.insert(std::move(digest));
  }
  return digests;
}

std::optional<std::string> insecure_plugin_path(const fs::path& path) {
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) return "cannot resolve " + path.string() + ": " + ec.message();
  const bool is_folder = fs::is_directory(real, ec);

  // Innermost first, so the reason names the most specific problem.
  std::vector<std::pair<fs::path, Role>> checks;
  fs::path folder = real;
  if (!is_folder) {
    checks.emplace_back(real, Role::library);
    folder = real.parent_path();
  }
  checks.emplace_back(folder, Role::plugin_folder);
  for (fs::path p = folder; p != p.parent_path();) {
    p = p.parent_path();
    checks.emplace_back(p, Role::ancestor);
  }

  // The path as named, component by component, without resolving: whoever can write a folder
  // on the way can swap a symlink in it. The kernel resolves each prefix as it would when
  // loading, so ".." and links inside the path are judged where they really lead.
  const fs::path named = fs::absolute(path, ec);
  if (!ec && named != real) {
    std::vector<fs::path> prefixes;
    fs::path prefix;
    for (const fs::path& part : named) {
      if (part.empty()) continue;  // a trailing '/'
      prefix /= part;
      prefixes.push_back(prefix);
    }
    if (!prefixes.empty()) prefixes.pop_back();  // the path itself: checked above as `real`
    for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it)
      checks.emplace_back(*it, !is_folder && it == prefixes.rbegin() ? Role::plugin_folder
                                                                      : Role::ancestor);
  }

  for (const auto& [p, role] : checks)
    if (auto reason = check(p, role)) return reason;
  return std::nullopt;
}

}  // namespace volt::host

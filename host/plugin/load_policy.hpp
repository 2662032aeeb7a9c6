// What the registry checks before it opens a plugin library: who can write the file and the
// folders above it, and (optionally) whether the file's SHA-256 is on an allow-list. A library
// runs code as soon as it is opened, so these checks are all that stands between a writable
// folder and code running as the user.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace volt::host {

struct LoadPolicy {
  // --allow-insecure-plugins: permission problems are logged as warnings instead of refusing.
  bool allow_insecure = false;
  // --plugin-allowlist FILE: only libraries whose SHA-256 is listed there load.
  std::optional<std::filesystem::path> allowlist;
};

// The digests (64 lowercase hex digits) of an allow-list file: what `sha256sum` prints,
// "<digest>  <name>" per line, or a bare digest per line; '#' comments and blank lines are
// ignored, hex is case-insensitive. Throws volt::Error naming the file (and the line number of
// a malformed line) when it cannot be read or parsed.
std::set<std::string> read_plugin_allowlist(const std::filesystem::path& file);

// Why loading from `path`, a plugin library or a plugin folder, is unsafe, or nothing. Symlinks
// are resolved and the target is checked, as is the folder the path names it through:
//  - the library and its folder must be owned by the effective user or root, and not writable
//    by other users, nor by their group unless it is the owner's private group (one named as
//    the owner that lists no other member: Debian's user-private groups with umask 002);
//  - every folder above must not be writable by others or a shared group unless it has the
//    sticky bit (as /tmp), which stops others from renaming what they do not own inside it.
// The reason names the path, its mode in octal and its owner, and how to fix it.
std::optional<std::string> insecure_plugin_path(const std::filesystem::path& path);

}  // namespace volt::host

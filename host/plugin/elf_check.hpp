// What the registry checks in a plugin file before dlopen: that it is an ELF shared library for
// this machine, and that the file holds every byte its loadable segments map. dlopen maps a
// truncated library (a copy still in progress) beyond the end of the file, and the first
// access there kills the process with SIGBUS, also for a plugin that is never used.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace volt::host {

// Why `path` cannot be loaded as a plugin library, or nothing. Reads the ELF header and the
// program headers only (at most 64 KiB); never throws.
std::optional<std::string> elf_problem(const std::filesystem::path& path);
// The same check on a file's bytes in memory (the fuzz target's entry).
std::optional<std::string> elf_problem_in(const void* data, size_t size);

}  // namespace volt::host

// Removes a folder and everything under it, ignoring errors; for test fixtures.
//
// Why not std::filesystem::remove_all: in a process that links the LibTorch of a pip `torch`
// 2.x, it can crash inside the copies of libstdc++'s filesystem code that LibTorch exports
// (pytorch/pytorch#133437); tests/build/libstdcxx_symbols_test.cpp checks remove_all itself.
#pragma once

#include <ftw.h>

#include <cstdio>
#include <filesystem>

namespace volt::test {

inline void remove_tree(const std::filesystem::path& root) {
  auto remove_entry = [](const char* path, const struct stat*, int, struct FTW*) -> int {
    std::remove(path);
    return 0;
  };
  // Depth first, without following links: files before their folders.
  ::nftw(root.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace volt::test

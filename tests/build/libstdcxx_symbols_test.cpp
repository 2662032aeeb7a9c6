// The pip `torch` 2.x builds of LibTorch export copies of libstdc++'s std::filesystem code,
// built by an older GCC (pytorch/pytorch#133437). The top-level CMakeLists.txt lists libstdc++
// first among every executable's libraries so that the dynamic linker binds to the real one;
// this checks the filesystem operations that crashed without it, in a process that links
// LibTorch (harmless with Debian's LibTorch, which exports none).
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

TEST_CASE("std::filesystem::remove_all and recursive iteration work beside LibTorch",
          "[build][filesystem]") {
  CHECK(torch::ones({2}).sum().item<float>() == 2.0f);  // LibTorch is loaded and used
  fs::path root = fs::temp_directory_path() / ("volt-fs-" + std::to_string(::getpid()));
  fs::create_directories(root / "a" / "b");
  std::ofstream(root / "top.txt") << "x";
  std::ofstream(root / "a" / "b" / "deep.txt") << "y";

  int entries = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it)
    ++entries;
  CHECK(entries == 4);  // top.txt, a, a/b, a/b/deep.txt

  std::error_code ec;
  CHECK(fs::remove_all(root, ec) == 4 + 1);
  CHECK_FALSE(ec);
  CHECK_FALSE(fs::exists(root));
}

}  // namespace

// The ELF pre-check before dlopen (host/plugin/elf_check.hpp): a truncated copy of a real
// plugin (which dlopen maps past the end of the file, SIGBUS at first touch), one for another
// architecture and a non-ELF file are skipped with the reason, and `volt plugins` lists them.
#include "plugin/elf_check.hpp"
#include "corpus.hpp"

#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <vector>

namespace volt::test {
namespace {

namespace fs = std::filesystem;
using volt::trainer_test::TempDir;

std::vector<char> bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path shipped_modules() { return volt::trainer_test::shipped_plugin_dir() / "volt_modules.so"; }

TEST_CASE("the ELF check accepts a real plugin and names what is wrong with damaged ones",
          "[plugin][elf]") {
  TempDir dir("elf");
  std::vector<char> good = bytes_of(shipped_modules());
  REQUIRE(good.size() > 4096);
  CHECK_FALSE(host::elf_problem(shipped_modules()));

  write(dir / "truncated.so", std::vector<char>(good.begin(), good.begin() + 3000));
  auto truncated = host::elf_problem(dir / "truncated.so");
  REQUIRE(truncated);
  CHECK_THAT(*truncated, Catch::Contains("a truncated ELF file") && Catch::Contains("the file has 3000"));

  // e_machine (bytes 18-19): aarch64 (183) on an x86-64 host, x86-64 (62) elsewhere.
  std::vector<char> other = good;
  bool x86 = static_cast<unsigned char>(good[18]) == 62 && good[19] == 0;
  other[18] = static_cast<char>(x86 ? 183 : 62);
  other[19] = 0;
  write(dir / "other_arch.so", other);
  auto arch = host::elf_problem(dir / "other_arch.so");
  REQUIRE(arch);
  CHECK_THAT(*arch, Catch::Contains("a library for another architecture"));

  write(dir / "text.so", std::vector<char>(100, 'x'));
  REQUIRE(host::elf_problem(dir / "text.so"));
  CHECK_THAT(*host::elf_problem(dir / "text.so"), Catch::Contains("no ELF signature"));
  write(dir / "tiny.so", std::vector<char>(10, '\x7f'));
  CHECK_THAT(*host::elf_problem(dir / "tiny.so"), Catch::Contains("shorter than an ELF header"));
}

TEST_CASE("a truncated plugin in the folder is skipped and listed, and volt runs",
          "[plugin][elf]") {
  TempDir dir("elf-scan");
  std::vector<char> good = bytes_of(shipped_modules());
  write(dir / "partial.so", std::vector<char>(good.begin(), good.begin() + 3000));
  {
    ScopedRegistry registry;
    registry.scan_directory(dir.path());
    CHECK(registry.plugins().empty());
    CHECK_THAT(only_reason(registry, (dir / "partial.so").string()),
               Catch::Contains("cannot load: a truncated ELF file"));
  }
  // The real binary: `volt plugins` with the folder lists the file as skipped and exits 0.
  auto r = volt::trainer_test::run_process({VOLT_TEST_VOLT_BINARY, "plugins",
                                            "--plugin-dir=" + dir.str()},
                                           dir.path(), dir.path());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("partial.so") && Catch::Contains("truncated"));
}

}  // namespace
}  // namespace volt::test

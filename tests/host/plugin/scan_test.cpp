// Scanning the whole corpus directory: good plugins register, bad files are reported, and the
// scan goes on past every one of them.
#include "corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

using volt::test::corpus_dir;
using volt::test::corpus_file;
using volt::test::ScopedRegistry;

TEST_CASE("scanning the corpus registers the good plugins and skips the bad files",
          "[plugin][scan]") {
  ScopedRegistry registry;
  registry.scan_directory(corpus_dir());

  std::set<std::string> loaded_files, skipped_files;
  for (const auto& p : registry.plugins()) loaded_files.insert(p.file);
  for (const auto& s : registry.skipped()) skipped_files.insert(s.file);

  for (const char* good : {"plain_c.so", "no_hooks.so", "newer_minor.so", "older_minor.so",
                           "torch_match.so", "create_error.so", "create_null.so",
                           "create_zero_size.so", "create_throws.so"}) {
    INFO(good);
    CHECK(loaded_files.count(corpus_file(good)) == 1);
    CHECK(skipped_files.count(corpus_file(good)) == 0);
  }
  for (const char* bad : {"not_a_library.so", "no_entry.so", "null_entry.so", "wrong_major.so",
                          "small_entry.so", "missing_create.so", "torch_mismatch.so",
                          "cxx11_mismatch.so", "cuda_mismatch.so", "init_error.so",
                          "small_descriptor.so"}) {
    INFO(bad);
    CHECK(skipped_files.count(corpus_file(bad)) == 1);
    CHECK(loaded_files.count(corpus_file(bad)) == 0);
  }
  // Partly good: some plugins registered, the rest reported.
  for (const char* mixed : {"bad_descriptors.so", "plain_c_duplicate.so"}) {
    INFO(mixed);
    CHECK(loaded_files.count(corpus_file(mixed)) == 1);
    CHECK(skipped_files.count(corpus_file(mixed)) == 1);
  }
  // plain_c.so sorts before plain_c_duplicate.so, so it keeps the id.
  CHECK(registry.find(VOLT_KIND_CALLBACK, "plain_c")->file == corpus_file("plain_c.so"));

  // Every *.so regular file was either loaded or reported; nothing else was looked at, and the
  // scan does not descend into sub-directories.
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir())) {
    const std::string path = entry.path().string();
    INFO(path);
    const bool seen = loaded_files.count(path) + skipped_files.count(path) > 0;
    CHECK(seen == (entry.is_regular_file() && entry.path().extension() == ".so"));
  }
  CHECK(registry.find(VOLT_KIND_CALLBACK, "counting") == nullptr);

  // Files are loaded in name order.
  std::vector<std::string> order;
  for (const auto& p : registry.plugins())
    if (order.empty() || order.back() != p.file) order.push_back(p.file);
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("scanning a missing directory is reported, not fatal", "[plugin][scan]") {
  ScopedRegistry registry;
  const auto missing = corpus_dir() / "no_such_directory";
  registry.scan_directory(missing);
  REQUIRE(registry.skipped().size() == 1);
  CHECK(registry.skipped()[0].file == missing.string());
  CHECK_THAT(registry.skipped()[0].reason,
             Catch::Matchers::Contains(missing.string() + ": plugin directory does not exist"));
  CHECK(registry.plugins().empty());
}

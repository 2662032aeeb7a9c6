// init()/deinit() bookkeeping across registries, and create() after shutdown.
#include "corpus.hpp"

#include <dlfcn.h>

#include <string>

using Catch::Matchers::Contains;
using volt::test::corpus_file;
using volt::test::ScopedRegistry;

namespace {

struct Counts {
  int init = 0, deinit = 0;
  std::string path;
  const volt_host_api* host = nullptr;
};

// Reads the counters of isolated/counting.so, which must already be loaded.
Counts counting_counts() {
  void* handle = dlopen(corpus_file("isolated/counting.so").c_str(), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(handle != nullptr);
  using Fn = void (*)(int*, int*, const char**, const volt_host_api**);
  auto fn = reinterpret_cast<Fn>(dlsym(handle, "corpus_counts"));
  REQUIRE(fn != nullptr);
  Counts c;
  const char* path = nullptr;
  fn(&c.init, &c.deinit, &path, &c.host);
  c.path = path;
  dlclose(handle);  // only drops the reference dlopen just added
  return c;
}

}  // namespace

TEST_CASE("init runs once per library and deinit once after the last registry shuts down",
          "[plugin][lifecycle]") {
  const std::string file = corpus_file("isolated/counting.so");
  volt::host::PluginRegistry a;
  REQUIRE(a.load_file(file));
  const Counts start = counting_counts();
  CHECK(start.path == file);
  CHECK(start.host == volt::host::host_api());

  volt::host::PluginRegistry b;
  REQUIRE(b.load_file(file));
  CHECK(counting_counts().init == start.init);  // already initialised by `a`

  a.shutdown();
  CHECK(counting_counts().deinit == start.deinit);  // `b` still uses it
  a.shutdown();                                     // a second shutdown does nothing
  CHECK(counting_counts().deinit == start.deinit);
  b.shutdown();
  CHECK(counting_counts().deinit == start.deinit + 1);

  // The library stays loaded; a new registry initialises it again.
  ScopedRegistry c;
  REQUIRE(c.load_file(file));
  CHECK(counting_counts().init == start.init + 1);
}

TEST_CASE("create() after shutdown() throws", "[plugin][lifecycle]") {
  volt::host::PluginRegistry registry;
  REQUIRE(registry.load_file(corpus_file("no_hooks.so")));
  const volt::host::PluginRecord record = registry.plugins().at(0);
  registry.shutdown();
  CHECK_THROWS_WITH(registry.create(record, nullptr, "{}"), Contains("was shut down"));
  // Records stay readable after shutdown.
  CHECK(registry.plugins().at(0).id == "no_hooks");
}

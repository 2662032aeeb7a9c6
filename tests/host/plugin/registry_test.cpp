// Loading each file of the corpus on its own: what is refused, why, and what loads.
#include "corpus.hpp"

#include <volt/sdk/core.hpp>

#include <torch/version.h>

#include <string>
#include <vector>

using Catch::Matchers::Contains;
using volt::host::PluginRecord;
using volt::test::corpus_file;
using volt::test::only_reason;
using volt::test::ScopedRegistry;

namespace {

std::string host_abi() {
  return std::to_string(VOLT_ABI_MAJOR) + "." + std::to_string(VOLT_ABI_MINOR);
}

std::string size_of(size_t size) { return std::to_string(size); }

}  // namespace

TEST_CASE("corpus build info matches the host's LibTorch build", "[plugin][corpus]") {
  // The C corpus gets these from CMake; if they drift, the mismatch tests below prove nothing.
  CHECK(std::string(VOLT_TEST_TORCH_VERSION) == TORCH_VERSION);
  CHECK(VOLT_TEST_CXX11_ABI == _GLIBCXX_USE_CXX11_ABI);
  CHECK(VOLT_TEST_TORCH_CUDA == VOLT_TORCH_CUDA);
}

TEST_CASE("broken libraries are refused with a reason naming the file and the values",
          "[plugin][corpus]") {
  struct Case {
    std::string file;
    std::vector<std::string> fragments;
  };
  const std::string cxx11 = std::to_string(_GLIBCXX_USE_CXX11_ABI);
  const std::string other_cxx11 = std::to_string(!_GLIBCXX_USE_CXX11_ABI);
  const std::vector<Case> cases = {
      {"not_a_library.so", {"cannot load", "no ELF signature"}},
      {"does_not_exist.so", {"cannot load", "No such file"}},
      {"no_entry.so", {"no entry symbol volt_entry (not a Volt plugin?)"}},
      {"null_entry.so", {"volt_entry() returned NULL"}},
      {"wrong_major.so",
       {"plugin ABI " + std::to_string(VOLT_ABI_MAJOR + 1) + ".0, host ABI " + host_abi() +
        ": incompatible major version"}},
      {"small_entry.so",
       {"entry struct_size " + size_of(VOLT_STRUCT_SIZE(volt_plugin_entry, plugin_descriptor)),
        size_of(VOLT_STRUCT_SIZE(volt_plugin_entry, create)) + " bytes"}},
      {"missing_create.so", {"entry has no create function"}},
      {"torch_mismatch.so",
       {"built against LibTorch 0.0.1, host uses LibTorch " + std::string(TORCH_VERSION)}},
      {"cxx11_mismatch.so",
       {"built with _GLIBCXX_USE_CXX11_ABI=" + other_cxx11 +
        ", host uses _GLIBCXX_USE_CXX11_ABI=" + cxx11}},
      {"cuda_mismatch.so",
       {VOLT_TORCH_CUDA ? "built against a CPU-only LibTorch, host uses a CUDA LibTorch"
                        : "built against a CUDA LibTorch, host uses a CPU-only LibTorch"}},
      {"init_error.so", {"init() failed: license server unreachable"}},
      {"small_descriptor.so",
       {"plugin #0: descriptor struct_size " +
            size_of(VOLT_STRUCT_SIZE(volt_plugin_descriptor, description)),
        size_of(VOLT_STRUCT_SIZE(volt_plugin_descriptor, config_schema)) + " bytes"}},
  };
  for (const Case& c : cases) {
    SECTION(c.file) {
      ScopedRegistry registry;
      const std::string file = corpus_file(c.file);
      CHECK_FALSE(registry.load_file(file));
      CHECK(registry.plugins().empty());
      const std::string reason = only_reason(registry, file);
      CHECK_THAT(reason, Contains(file));
      for (const std::string& fragment : c.fragments) CHECK_THAT(reason, Contains(fragment));
    }
  }
}

TEST_CASE("libraries that differ only in the minor version load", "[plugin][corpus]") {
  SECTION("newer minor, with an entry field the host does not know") {
    ScopedRegistry registry;
    REQUIRE(registry.load_file(corpus_file("newer_minor.so")));
    REQUIRE(registry.plugins().size() == 1);
    CHECK(registry.plugins()[0].abi_minor == VOLT_ABI_MINOR + 1);
  }
  SECTION("older minor, on a host whose minor is newer") {
    // host_api()'s minor is still VOLT_ABI_MINOR; a copy with a higher one plays a newer host.
    static const volt_host_api newer_host = [] {
      volt_host_api api = *volt::host::host_api();
      api.abi_minor = VOLT_ABI_MINOR + 3;
      return api;
    }();
    ScopedRegistry registry(&newer_host);
    REQUIRE(registry.load_file(corpus_file("older_minor.so")));
    REQUIRE(registry.plugins().size() == 1);
    CHECK(registry.plugins()[0].abi_minor < newer_host.abi_minor);
  }
}

TEST_CASE("optional pieces may be missing", "[plugin][corpus]") {
  ScopedRegistry registry;
  SECTION("no init and no deinit") {
    REQUIRE(registry.load_file(corpus_file("no_hooks.so")));
    const PluginRecord* record = registry.find(VOLT_KIND_CALLBACK, "no_hooks");
    REQUIRE(record != nullptr);
    volt_host_context context{"callback 'no_hooks'", nullptr};
    auto* cb = static_cast<volt_callback*>(registry.create(*record, &context, "{}"));
    REQUIRE(cb != nullptr);
    CHECK(cb->struct_size > 0);
    cb->destroy(cb);
  }
  SECTION("a library claiming exactly the host's LibTorch build") {
    CHECK(registry.load_file(corpus_file("torch_match.so")));
    CHECK(registry.find(VOLT_KIND_CALLBACK, "torch_match") != nullptr);
  }
}

TEST_CASE("a plain C library registers its plugins", "[plugin][corpus]") {
  ScopedRegistry registry;
  const std::string file = corpus_file("plain_c.so");
  REQUIRE(registry.load_file(file));
  CHECK(registry.skipped().empty());
  REQUIRE(registry.plugins().size() == 2);

  const PluginRecord* record = registry.find(VOLT_KIND_CALLBACK, "plain_c");
  REQUIRE(record != nullptr);
  CHECK(record->version == "1.2.3");
  CHECK(record->description == "a plain C callback");
  CHECK_THAT(record->schema, Contains("verbose"));
  CHECK(record->file == file);
  CHECK(record->abi_major == VOLT_ABI_MAJOR);
  CHECK(record->abi_minor == VOLT_ABI_MINOR);
  CHECK(record->index == 0);
  CHECK(registry.find(VOLT_KIND_LOGGER, "plain_c") != nullptr);  // same id, other kind
  CHECK(registry.find(VOLT_KIND_MODULE, "plain_c") == nullptr);
  CHECK(registry.ids(VOLT_KIND_CALLBACK) == std::vector<std::string>{"plain_c"});
  CHECK(registry.ids(VOLT_KIND_STRATEGY).empty());

  volt_host_context context{"callback 'plain_c'", nullptr};
  auto* cb = static_cast<volt_callback*>(registry.create(*record, &context, R"({"verbose":true})"));
  REQUIRE(cb != nullptr);
  CHECK(cb->struct_size == VOLT_STRUCT_SIZE(volt_callback, load_state_json));
  CHECK(std::string(cb->state_key(cb)) == "corpus");
  cb->destroy(cb);
}

TEST_CASE("create() failures throw volt::Error naming the plugin, kind and file",
          "[plugin][corpus]") {
  ScopedRegistry registry;
  volt_host_context context{"test", nullptr};
  auto expect_error = [&](const std::string& name, int32_t kind, const std::string& id,
                          const std::string& detail, volt_error_code code) {
    const std::string file = corpus_file(name);
    REQUIRE(registry.load_file(file));
    const PluginRecord* record = registry.find(kind, id);
    REQUIRE(record != nullptr);
    try {
      registry.create(*record, &context, R"({"a":1})");
      FAIL("create() did not throw");
    } catch (const volt::Error& e) {
      CHECK_THAT(e.what(), Contains("cannot create " + std::string(volt::host::kind_name(kind)) +
                                    " '" + id + "' (from " + file + "): " + detail));
      CHECK(e.code() == code);
    }
  };
  SECTION("an error from the plugin keeps its message and code") {
    expect_error("create_error.so", VOLT_KIND_MODULE, "create_error",
                 R"(rejected config {"a":1})", VOLT_ERROR_INVALID_ARGUMENT);
  }
  SECTION("neither instance nor error") {
    expect_error("create_null.so", VOLT_KIND_DATAMODULE, "create_null",
                 "create() returned no instance and no error", VOLT_ERROR_INTERNAL);
  }
  SECTION("an exception in a C++ plugin becomes an error") {
    expect_error("create_throws.so", VOLT_KIND_CALLBACK, "create_throws",
                 R"(constructor failed with {"a":1})", VOLT_ERROR_FAILED_PRECONDITION);
  }
  SECTION("an instance without struct_size") {
    expect_error("create_zero_size.so", VOLT_KIND_CALLBACK, "create_zero_size",
                 "create() returned an instance with struct_size 0", VOLT_ERROR_INTERNAL);
  }
}

TEST_CASE("broken descriptors are refused one by one", "[plugin][corpus]") {
  ScopedRegistry registry;
  const std::string file = corpus_file("bad_descriptors.so");
  CHECK_FALSE(registry.load_file(file));
  REQUIRE(registry.plugins().size() == 1);
  CHECK(registry.plugins()[0].id == "bd_good");
  CHECK(registry.plugins()[0].version == "1.0.0");  // the first declaration wins

  const std::vector<std::string> expected = {
      "plugin #1: plugin_descriptor() returned NULL",
      "plugin #2 ('bd_kind'): kind 42 is not a known kind (expected 0..5)",
      "plugin #3: empty id",
      "callback 'bd_null_schema': no config schema (config_schema is NULL)",
      "callback 'bd_bad_json': config_schema is not valid JSON",
      "callback 'bd_array': config_schema is not a JSON object",
      "callback 'bd_good': declared twice in this file",
  };
  REQUIRE(registry.skipped().size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(registry.skipped()[i].file == file);
    CHECK_THAT(registry.skipped()[i].reason, Contains(file + ": " + expected[i]));
  }
}

TEST_CASE("the first library to declare a (kind, id) wins", "[plugin][corpus]") {
  ScopedRegistry registry;
  const std::string first = corpus_file("plain_c.so");
  const std::string second = corpus_file("plain_c_duplicate.so");
  REQUIRE(registry.load_file(first));
  CHECK_FALSE(registry.load_file(second));
  CHECK(registry.find(VOLT_KIND_CALLBACK, "plain_c")->file == first);
  CHECK(registry.find(VOLT_KIND_CALLBACK, "dup_only")->file == second);
  const std::string reason = only_reason(registry, second);
  CHECK_THAT(reason, Contains(second + ": callback 'plain_c': already registered from " + first));
}

TEST_CASE("loading the same library twice is refused the second time", "[plugin][corpus]") {
  ScopedRegistry registry;
  const std::string file = corpus_file("plain_c.so");
  REQUIRE(registry.load_file(file));
  CHECK_FALSE(registry.load_file(file));
  CHECK(registry.plugins().size() == 2);
  CHECK_THAT(only_reason(registry, file), Contains("already loaded"));
}

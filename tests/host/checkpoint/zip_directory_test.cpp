// Checkpoint records are checked against their CRC-32 and local headers on read
// (host/checkpoint/zip_directory.cpp): LibTorch's miniz skips the check, so once every flipped
// byte in tensor data or data.pkl loaded silently. Files come from Volt's writer and from
// Debian's python3-torch (miniz's writer), flipped one byte at a time.
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/pickle_writer.hpp"
#include "support/python.hpp"
#include "support/trainer_harness.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace volt::host {
namespace {

struct Span {
  size_t begin;
  size_t end;
  std::string what;
};

uint64_t le(const std::vector<char>& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The spans a flip must never pass in: the data of each record the reader uses (data.pkl, the
// tensors, version) and its local header's signature and name, and its CRC unless the writer put
// it in a data descriptor (Python's does). Found from the central directory (no comment).
std::vector<Span> guarded_spans(const std::vector<char>& b) {
  std::vector<Span> spans;
  REQUIRE(b.size() >= 22);
  const size_t end = b.size() - 22;
  REQUIRE(le(b, end, 4) == 0x06054b50);
  size_t at = le(b, end + 16, 4);
  for (uint64_t i = 0, count = le(b, end + 10, 2); i < count; ++i) {
    REQUIRE(le(b, at, 4) == 0x02014b50);
    const uint64_t flags = le(b, at + 8, 2);
    const size_t size = le(b, at + 20, 4);
    const size_t name_length = le(b, at + 28, 2);
    const std::string name(b.data() + at + 46, name_length);
    const size_t local = le(b, at + 42, 4);
    const size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    at += 46 + name_length + le(b, at + 30, 2) + le(b, at + 32, 2);
    const bool used = name.find("/data/") != std::string::npos || ends_with(name, "/data.pkl") ||
                      ends_with(name, "/version");
    if (!used) continue;
    spans.push_back({local, local + 4, name + " (local header signature)"});
    if ((flags & 0x0008) == 0) spans.push_back({local + 14, local + 18, name + " (local header CRC)"});
    spans.push_back({local + 30, local + 30 + name_length, name + " (local header name)"});
    spans.push_back({data, data + size, name + " (data)"});
  }
  return spans;
}

// Flips each byte of `file` in turn: every flip in a guarded span must be refused naming the
// damage, and no flip anywhere may change what loads.
void check_every_flip(const std::vector<char>& file, const at::Tensor& expected) {
  const auto spans = guarded_spans(file);
  REQUIRE(spans.size() >= 9);  // data.pkl, the tensor and version, three or four spans each
  size_t refused = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    std::vector<char> damaged = file;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
    std::string error;
    at::Tensor loaded;
    try {
      loaded = read_torch_bytes(damaged.data(), damaged.size()).value.toGenericDict().at("w").toTensor();
    } catch (const Error& e) {
      error = e.what();
    }
    const Span* guarded = nullptr;
    for (const auto& s : spans)
      if (i >= s.begin && i < s.end) guarded = &s;
    INFO("byte " << i << (guarded ? " in " + guarded->what : std::string(" (unguarded)")) << ": " << error);
    if (!error.empty()) {
      ++refused;
      continue;
    }
    CHECK(guarded == nullptr);
    CHECK(loaded.equal(expected));
  }
  CHECK(refused > 0);
}

at::Tensor weights() { return torch::arange(24, torch::kFloat32).reshape({4, 6}) / 7; }

TEST_CASE("a flipped byte in a Volt checkpoint's data or headers is refused, never loaded",
          "[checkpoint][zip][limits]") {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("w", weights());
  d.insert("epoch", int64_t{3});
  check_every_flip(torch_file_bytes(d), weights());
}

TEST_CASE("a flipped byte in a file Python's torch.save wrote is refused, never loaded",
          "[checkpoint][zip][python]") {
  REQUIRE_PYTHON_TORCH();
  trainer_test::TempDir dir("zip-crc-python");
  auto r = test_python::run_python(
      "import torch\n"
      "torch.save({'w': torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7, 'epoch': 3}, 'w.pt')\n",
      dir);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(dir / "w.pt", std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(read_torch_bytes(file.data(), file.size()).value.toGenericDict().at("w").toTensor().equal(weights()));
  check_every_flip(file, weights());
}

TEST_CASE("a legacy (pre-zip) torch.save file is named as such, with how to convert it",
          "[checkpoint][python]") {
  REQUIRE_PYTHON_TORCH();
  trainer_test::TempDir dir("legacy-torch-save");
  auto r = test_python::run_python(
      "import torch\n"
      "torch.save({'w': torch.ones(2)}, 'legacy.pt', _use_new_zipfile_serialization=False)\n",
      dir);
  REQUIRE(r.exit_code == 0);
  try {
    read_torch_file(dir / "legacy.pt");
    FAIL("the legacy file loaded");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("legacy torch.save file") &&
                             Catch::Contains("_use_new_zipfile_serialization=False") &&
                             Catch::Contains("torch.save(torch.load(old), new)"));
  }
}

}  // namespace
}  // namespace volt::host

// The checkpoint zip writer (host/checkpoint/zip_writer) read back by two independent readers:
// LibTorch's PyTorchStreamReader (miniz, which checks each record's CRC-32) and Python's
// zipfile (testzip() checks every CRC), in the plain layout and with ZIP64 fields (which files
// over 4 GiB need; forced here on a small file).
#include "checkpoint/zip_writer.hpp"
#include "support/python.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>

namespace volt::host {
namespace {

using trainer_test::TempDir;

TEST_CASE("crc32_of is the zip CRC-32", "[checkpoint][zip]") {
  CHECK(crc32_of("123456789", 9) == 0xCBF43926u);  // the standard check value
  CHECK(crc32_of("", 0) == 0u);
}

TEST_CASE("the zip writer's files read back with LibTorch and with Python", "[checkpoint][zip]") {
  const bool zip64 = GENERATE(false, true);
  INFO("force_zip64 " << zip64);
  // A record large enough for the threaded CRC, a small one, an empty one.
  std::vector<char> big(3 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) ^ (i >> 9));
  const std::string small = "a small record";

  std::vector<char> bytes;
  TorchZipWriter zip(
      [&](const void* d, size_t n) {
        bytes.insert(bytes.end(), static_cast<const char*>(d), static_cast<const char*>(d) + n);
      },
      zip64);
  zip.add("big", big.data(), big.size());
  zip.add("small", small.data(), small.size());
  zip.add("data/empty", nullptr, 0);
  zip.finish();

  caffe2::serialize::PyTorchStreamReader reader(
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
  for (const auto& [name, expected] :
       std::vector<std::pair<std::string, std::string>>{{"big", std::string(big.begin(), big.end())},
                                                        {"small", small},
                                                        {"data/empty", ""},
                                                        {"version", "3\n"}}) {
    INFO("record " << name);
    REQUIRE(reader.hasRecord(name));
    auto [ptr, size] = reader.getRecord(name);  // miniz checks the CRC here
    REQUIRE(size == expected.size());
    CHECK((size == 0 || std::memcmp(ptr.get(), expected.data(), size) == 0));  // no null to memcmp
    CHECK(reader.getRecordOffset(name) % 64 == 0);  // aligned like PyTorch's writer
  }

  REQUIRE_PYTHON_TORCH();
  TempDir dir("zip-writer");
  std::ofstream(dir / "a.zip", std::ios::binary).write(bytes.data(), bytes.size());
  auto r = test_python::run_python(R"py(
import zipfile
z = zipfile.ZipFile("a.zip")
assert z.testzip() is None, "bad CRC"
names = [i.filename for i in z.infolist()]
assert names == ["archive/big", "archive/small", "archive/data/empty", "archive/version"], names
assert z.read("archive/small") == b"a small record"
assert z.read("archive/version") == b"3\n"
print("ok", len(z.read("archive/big")))
)py", dir);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok 3145728") != std::string::npos);
}

}  // namespace
}  // namespace volt::host

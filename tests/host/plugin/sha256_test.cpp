// SHA-256 against the FIPS 180-2 example vectors, and against `sha256sum` (an independent
// implementation) on every padding boundary and on a real plugin library.
#include "plugin/sha256.hpp"
#include "support/remove_tree.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using volt::host::sha256_hex;
using volt::host::sha256_hex_of_file;

namespace {

// Runs `command` through the shell and returns what it printed.
std::string run_command(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  INFO(command);
  REQUIRE(::pclose(pipe) == 0);
  return out;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("SHA-256 of the FIPS 180-2 examples", "[plugin_policy][sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                   "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 agrees with sha256sum on every padding boundary", "[plugin_policy][sha256]") {
  // Lengths 0..129 cover one and two padding blocks around 55, 56, 63 and 64 bytes.
  const fs::path dir = fs::temp_directory_path() / ("volt-sha256-" + std::to_string(::getpid()));
  volt::test::remove_tree(dir);
  fs::create_directories(dir);
  std::string command = "cd " + quoted(dir) + " && sha256sum";
  std::vector<std::string> inputs;
  for (int length = 0; length < 130; ++length) {
    std::string bytes;
    for (int i = 0; i < length; ++i) bytes += static_cast<char>((i * 37 + length) & 0xff);
    std::ofstream(dir / std::to_string(length), std::ios::binary) << bytes;
    command += " " + std::to_string(length);
    inputs.push_back(bytes);
  }
  std::istringstream lines(run_command(command));
  std::string digest, name;
  int checked = 0;
  while (lines >> digest >> name) {
    const int length = std::stoi(name);
    INFO("length " << length);
    CHECK(sha256_hex(inputs.at(length)) == digest);
    CHECK(sha256_hex_of_file(dir / name) == digest);
    ++checked;
  }
  CHECK(checked == 130);
  volt::test::remove_tree(dir);
}

TEST_CASE("SHA-256 of a plugin library matches sha256sum", "[plugin_policy][sha256]") {
  const fs::path file = fs::path(VOLT_TEST_SHIPPED_PLUGIN_DIR) / "volt_logger_csv.so";
  REQUIRE(fs::is_regular_file(file));
  const std::string expected = run_command("sha256sum " + quoted(file)).substr(0, 64);
  // Larger than one read chunk, so the streaming path is exercised.
  CHECK(fs::file_size(file) > (1u << 16));
  CHECK(sha256_hex_of_file(file) == expected);
  CHECK(sha256_hex(read_bytes(file)) == expected);
}

TEST_CASE("SHA-256 of an unreadable file throws naming it", "[plugin_policy][sha256]") {
  const fs::path missing = fs::temp_directory_path() / "volt-sha256-no-such-file";
  CHECK_THROWS_WITH(sha256_hex_of_file(missing),
                    Contains(missing.string()) && Contains("No such file"));
  const fs::path folder = fs::temp_directory_path();
  CHECK_THROWS_WITH(sha256_hex_of_file(folder),
                    Contains(folder.string()) && Contains("Is a directory"));
}

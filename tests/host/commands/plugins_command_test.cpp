// `volt plugins`: the table and the JSON listing of the corpus.
#include "commands/plugins_command.hpp"

#include "../plugin/corpus.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

using Catch::Matchers::Contains;
using volt::host::run_plugins_command;
using volt::test::corpus_dir;
using volt::test::corpus_file;

TEST_CASE("plugins command prints a table and the skipped files", "[plugin][command]") {
  std::ostringstream out;
  CHECK(run_plugins_command({corpus_dir()}, false, out) == 0);
  const std::string text = out.str();
  CHECK_THAT(text, Contains("KIND"));
  CHECK_THAT(text, Contains("DESCRIPTION"));
  CHECK_THAT(text, Contains("a plain C callback"));
  CHECK_THAT(text, Contains(corpus_file("plain_c.so")));
  CHECK_THAT(text, Contains("Skipped files:"));
  CHECK_THAT(text, Contains(corpus_file("wrong_major.so") + ": plugin ABI"));
  // Header and rows share column positions: "ID" sits above each id.
  const size_t header = text.find("KIND");
  const size_t id_column = text.find("ID", header) - header;
  const size_t row = text.find("\ncallback ") + 1;
  CHECK(text.compare(row + id_column, 7, "bd_good") == 0);  // first callback by id
}

TEST_CASE("plugins command prints JSON", "[plugin][command]") {
  std::ostringstream out;
  CHECK(run_plugins_command({corpus_dir()}, true, out) == 0);
  const auto json = nlohmann::json::parse(out.str());
  REQUIRE(json.at("plugins").is_array());
  REQUIRE(json.at("skipped").is_array());
  const nlohmann::json* plain = nullptr;
  for (const auto& p : json["plugins"])
    if (p.at("id") == "plain_c" && p.at("kind") == "callback") plain = &p;
  REQUIRE(plain != nullptr);
  CHECK(plain->at("version") == "1.2.3");
  CHECK(plain->at("abi") == std::to_string(VOLT_ABI_MAJOR) + "." + std::to_string(VOLT_ABI_MINOR));
  CHECK(plain->at("file") == corpus_file("plain_c.so"));
  CHECK(plain->at("description") == "a plain C callback");
  CHECK(plain->at("schema").at("properties").contains("verbose"));
  std::string wrong_major;
  for (const auto& s : json["skipped"])
    if (s.at("file") == corpus_file("wrong_major.so")) wrong_major = s.at("reason");
  CHECK_THAT(wrong_major, Contains("incompatible major version"));
}

TEST_CASE("plugins command with nothing to list", "[plugin][command]") {
  const auto empty = std::filesystem::temp_directory_path() / "volt_plugins_command_empty";
  std::filesystem::create_directories(empty);
  std::ostringstream out;
  CHECK(run_plugins_command({empty}, false, out) == 0);
  CHECK_THAT(out.str(), Contains("No plugins found in:\n  " + empty.string()));
  CHECK_THAT(out.str(), !Contains("Skipped files:"));
  std::filesystem::remove(empty);
}

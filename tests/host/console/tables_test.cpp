// The results table of validate / test (host/console/tables.hpp), byte for byte: a rule as
// wide as the longest name plus the value column, the title row, one row per metric in name
// order with the value as %.6g, a closing rule; nothing at all for no metrics.
#include "console/tables.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

namespace {

std::string printed(const std::string& title, const std::map<std::string, double>& metrics) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  volt::host::print_metrics_table(title, metrics, f);
  std::string out(static_cast<size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  size_t got = std::fread(out.data(), 1, out.size(), f);
  std::fclose(f);
  out.resize(got);
  return out;
}

TEST_CASE("the metrics table lists each metric under the title, in name order", "[console]") {
  // The longest name (15) is wider than the title (11): the rule is 15 + 26 dashes.
  std::string rule(41, '-');
  std::string expected = rule + "\n" +
                         "  Test metric       Value\n" + rule + "\n" +
                         "  test_acc          0.875\n" +
                         "  test_loss_epoch   0.333333\n" +
                         "  z                 1.5e+07\n" + rule + "\n";
  CHECK(printed("Test metric", {{"z", 1.5e7}, {"test_loss_epoch", 1.0 / 3.0}, {"test_acc", 0.875}}) ==
        expected);
}

TEST_CASE("the metrics table is as wide as its title when the names are shorter", "[console]") {
  std::string rule(15 + 26, '-');
  CHECK(printed("Validate metric", {{"acc", 1}}) ==
        rule + "\n  Validate metric   Value\n" + rule + "\n  acc               1\n" + rule + "\n");
}

TEST_CASE("no metrics print no table", "[console]") { CHECK(printed("Test metric", {}).empty()); }

}  // namespace

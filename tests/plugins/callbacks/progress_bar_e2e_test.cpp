// The `progress_bar` callback through the real `volt` binary (stdout is a pipe here, so the bar
// prints plain lines: the training bar at 25/50/75% and at the end, each evaluation bar once at
// its end) and Lightning's rules for it: added by default, none with
// enable_progress_bar=false, an error for both at once, replaceable.
#include "e2e_support.hpp"

#include <catch2/catch.hpp>

namespace volt::trainer_test::callbacks_e2e {
namespace {

// Lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

std::vector<std::string> two_epochs(const TempDir& tmp, std::vector<std::string> extra) {
  std::vector<std::string> args = fit_args(tmp, {"--trainer.max_epochs=2"});
  // fit_args turns the bar off; the last value of an option wins.
  args.push_back("--trainer.enable_progress_bar=true");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_CASE("progress_bar is Lightning's default bar: epochs, validation and prog_bar metrics",
          "[callbacks][progress_bar][e2e]") {
  TempDir tmp("progress-bar");
  ProcessResult r = volt(two_epochs(tmp, {}), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  // 192 samples / 32 = 6 batches per epoch; 64 / 32 = 2 validation batches.
  std::vector<std::string> epoch0 = lines_starting(r.out, "Epoch 0: ");
  std::vector<std::string> epoch1 = lines_starting(r.out, "Epoch 1: ");
  // A line when a new quarter of the 6 batches is reached (batches 2, 3 and 5), then the end.
  REQUIRE(epoch0.size() == 4);
  CHECK(epoch0[0].rfind("Epoch 0:  33% 2/6 [", 0) == 0);
  CHECK(epoch0[1].rfind("Epoch 0:  50% 3/6 [", 0) == 0);
  CHECK(epoch0[2].rfind("Epoch 0:  83% 5/6 [", 0) == 0);
  CHECK(epoch0[3].rfind("Epoch 0: 100% 6/6 [", 0) == 0);
  REQUIRE(epoch1.size() == 4);
  // Metrics logged with prog_bar=True: train_loss from the first batch, val_* once the
  // epoch's validation ran (it runs before the bar's last line, at on_train_epoch_end).
  CHECK(epoch0[0].find("train_loss=") != std::string::npos);
  CHECK(epoch0[0].find("val_loss=") == std::string::npos);
  CHECK(epoch0[3].find("val_loss=") != std::string::npos);
  CHECK(epoch0[3].find("val_acc=") != std::string::npos);
  CHECK(lines_starting(r.out, "Sanity Checking: 100% 2/2 [").size() == 1);
  CHECK(lines_starting(r.out, "Validation: 100% 2/2 [").size() == 2);

  // The resolved config names it, so the saved config.yaml reproduces the run with it.
  std::vector<std::string> print_args = two_epochs(tmp, {});
  print_args.push_back("--print-config=json");
  ProcessResult printed = volt(print_args, tmp);
  REQUIRE(printed.exit_code == 0);
  nlohmann::json config = nlohmann::json::parse(printed.out);
  REQUIRE(config["callbacks"].size() == 1);
  CHECK(config["callbacks"][0] == nlohmann::json::parse(
                                      R"({"id": "progress_bar",
                                          "config": {"refresh_rate": 1, "leave": false}})"));
}

TEST_CASE("enable_progress_bar=false, refresh_rate=0 and a configured bar", "[callbacks][progress_bar][e2e]") {
  TempDir tmp("progress-bar-off");
  SECTION("enable_progress_bar=false prints no bar") {
    ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=1"}), tmp);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(lines_starting(r.out, "Epoch 0").empty());
  }
  SECTION("a configured progress_bar replaces the default one") {
    ProcessResult r = volt(two_epochs(tmp, {"--callbacks+=progress_bar", "--callbacks.refresh_rate=0"}), tmp);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(lines_starting(r.out, "Epoch 0").empty());  // the configured one, turned off
  }
  SECTION("enable_progress_bar=false with a progress bar among the callbacks is an error") {
    ProcessResult r = volt(fit_args(tmp, {"--callbacks+=progress_bar"}), tmp);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("enable_progress_bar=false but found the progress bar 'progress_bar'") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace volt::trainer_test::callbacks_e2e

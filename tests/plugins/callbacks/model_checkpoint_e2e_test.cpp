// model_checkpoint in real `volt fit` runs: top-k by a monitored metric with Lightning's file
// names, last.ckpt, the version counter for clashing names, every_n_train_steps, and its state
// restored from a checkpoint.
#include "plugins/callbacks/e2e_support.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace volt::trainer_test {
using namespace callbacks_e2e;
namespace {

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

std::vector<std::string> top_k_args(int max_epochs) {
  return {"--trainer.max_epochs=" + std::to_string(max_epochs), "--callbacks+=model_checkpoint",
          "--callbacks.monitor=val_loss", "--callbacks.save_top_k=2",
          "--callbacks.filename={epoch}-{val_loss:.2f}", "--callbacks.save_last=true"};
}

TEST_CASE("model_checkpoint keeps the top k and last.ckpt", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("cb-ckpt");
  ProcessResult r = volt(fit_args(tmp, top_k_args(4)), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::set<std::string> files = files_in(tmp / "root/lightning_logs/version_0/checkpoints");
  INFO("files: " << Catch::Detail::stringify(std::vector<std::string>(files.begin(), files.end())));
  CHECK(files.count("last.ckpt") == 1);
  CHECK(files.size() == 3);  // the two best and last
  std::vector<std::string> val = column(tmp, "val_loss");
  REQUIRE(val.size() == 4);
  for (const auto& f : files)
    if (f != "last.ckpt")
      CHECK_THAT(f, Catch::StartsWith("epoch=") && Catch::Contains("-val_loss=") &&
                        Catch::EndsWith(".ckpt"));
}

TEST_CASE("model_checkpoint adds -v1 to names that already exist", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("cb-ckpt");
  const std::string dir = (tmp / "ckpts").string();
  auto args = [&] {
    return fit_args(tmp, {"--trainer.max_epochs=1", "--callbacks+=model_checkpoint",
                          "--callbacks.dirpath=" + dir, "--callbacks.save_last=true"});
  };
  ProcessResult first = volt(args(), tmp);
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  CHECK(files_in(dir) == std::set<std::string>{"epoch=0-step=6.ckpt", "last.ckpt"});
  ProcessResult second = volt(args(), tmp);  // same seed: the same names
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.out + second.err, Catch::Contains("exists and is not empty"));
  CHECK(files_in(dir) == std::set<std::string>{"epoch=0-step=6.ckpt", "epoch=0-step=6-v1.ckpt",
                                               "last.ckpt", "last-v1.ckpt"});
}

TEST_CASE("model_checkpoint every_n_train_steps with save_top_k=-1", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("cb-ckpt");
  const std::string dir = (tmp / "ckpts").string();
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=2", "--callbacks+=model_checkpoint",
                                        "--callbacks.dirpath=" + dir,
                                        "--callbacks.every_n_train_steps=4",
                                        "--callbacks.save_top_k=-1"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  // 6 steps per epoch: steps 4, 8 and 12; nothing extra at epoch ends.
  CHECK(files_in(dir) == std::set<std::string>{"epoch=0-step=4.ckpt", "epoch=1-step=8.ckpt",
                                               "epoch=1-step=12.ckpt"});
}

TEST_CASE("model_checkpoint state comes back with --ckpt_path", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("cb-ckpt");
  const std::string dir = (tmp / "ckpts").string();
  auto args = [&](int epochs) {
    return fit_args(tmp, {"--trainer.max_epochs=" + std::to_string(epochs),
                          "--callbacks+=model_checkpoint", "--callbacks.dirpath=" + dir,
                          "--callbacks.monitor=val_loss", "--callbacks.save_last=true"});
  };
  ProcessResult first = volt(args(2), tmp);
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  REQUIRE(files_in(dir).size() == 2);  // the best and last
  std::vector<std::string> resume = args(4);
  resume.push_back("--ckpt_path=" + dir + "/last.ckpt");
  ProcessResult second = volt(resume, tmp);
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  // With best_k_models restored, a better epoch replaces the old best instead of adding a
  // second file next to it (a fresh callback would keep both).
  std::set<std::string> files = files_in(dir);
  INFO("files: " << Catch::Detail::stringify(std::vector<std::string>(files.begin(), files.end())));
  CHECK(files.size() == 2);
  CHECK(files.count("last.ckpt") == 1);
}

}  // namespace
}  // namespace volt::trainer_test

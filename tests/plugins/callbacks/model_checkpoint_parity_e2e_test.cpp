// model_checkpoint against Lightning's tests: the checkpoint a fit resumed from stays
// (test_resume_and_old_checkpoint_files_remain), monitor="step"/"epoch" rank by the counters,
// save_last="link" makes last.ckpt a symlink to the checkpoint just saved.
#include "plugins/callbacks/e2e_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace volt::trainer_test {
using namespace callbacks_e2e;
namespace {

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("model_checkpoint keeps the checkpoint the fit resumed from", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("mc-resume");
  std::string dir = (tmp / "ck").string();
  std::vector<std::string> mc{"--callbacks+=model_checkpoint", "--callbacks.dirpath=" + dir,
                              "--callbacks.filename={epoch}"};
  auto first = mc;
  first.push_back("--trainer.max_epochs=2");
  ProcessResult r = volt(fit_args(tmp, first), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(names_in(dir) == std::vector<std::string>{"epoch=1.ckpt"});
  auto second = mc;
  second.push_back("--trainer.max_epochs=4");
  second.push_back("--ckpt_path=" + dir + "/epoch=1.ckpt");
  r = volt(fit_args(tmp, second), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  // save_top_k=1 drops each previous file, except the one the fit resumed from.
  CHECK(names_in(dir) == std::vector<std::string>{"epoch=1.ckpt", "epoch=3.ckpt"});
}

TEST_CASE("model_checkpoint monitors step and epoch as Lightning's monitor candidates",
          "[callbacks][e2e][checkpoint]") {
  TempDir tmp("mc-step");
  std::string dir = (tmp / "ck").string();
  std::string monitor = GENERATE(as<std::string>{}, "step", "epoch");
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=3", "--callbacks+=model_checkpoint",
                                        "--callbacks.dirpath=" + dir, "--callbacks.monitor=" + monitor,
                                        "--callbacks.mode=min", "--callbacks.save_top_k=1",
                                        "--callbacks.filename={epoch}"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(names_in(dir) == std::vector<std::string>{"epoch=0.ckpt"});  // the smallest counter
}

TEST_CASE("save_last=link makes last.ckpt a relative symlink to the newest checkpoint",
          "[callbacks][e2e][checkpoint]") {
  TempDir tmp("mc-link");
  fs::path dir = tmp / "ck";
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=2", "--callbacks+=model_checkpoint",
                                        "--callbacks.dirpath=" + dir.string(),
                                        "--callbacks.save_last=link", "--callbacks.filename={epoch}"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(names_in(dir) == std::vector<std::string>{"epoch=1.ckpt", "last.ckpt"});
  REQUIRE(fs::is_symlink(dir / "last.ckpt"));
  CHECK(fs::read_symlink(dir / "last.ckpt") == fs::path("epoch=1.ckpt"));
}

TEST_CASE("model_checkpoint saves every train_time_interval of training", "[callbacks][e2e][checkpoint]") {
  TempDir tmp("mc-time");
  fs::path dir = tmp / "ck";
  // A tiny interval: every batch (after the first) is past it, so every step saves, and
  // save_top_k=-1 keeps them all (6 batches of 32 an epoch, 2 epochs).
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=2", "--callbacks+=model_checkpoint",
                                        "--callbacks.dirpath=" + dir.string(),
                                        "--callbacks.train_time_interval=0.000001",
                                        "--callbacks.save_top_k=-1", "--callbacks.filename={step}"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names = names_in(dir);
  CHECK(names.size() == 12);
  CHECK(std::count(names.begin(), names.end(), "step=12.ckpt") == 1);
}

}  // namespace
}  // namespace volt::trainer_test

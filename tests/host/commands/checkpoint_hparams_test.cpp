// volt validate/test/predict --ckpt_path builds the module from the checkpoint's
// hyper_parameters (Lightning's load_from_checkpoint), with the command line still on top.
#include "plugins/callbacks/e2e_support.hpp"

#include <catch2/catch.hpp>

namespace volt::trainer_test {
using namespace callbacks_e2e;
namespace {

TEST_CASE("test with a checkpoint needs no architecture flags", "[commands][checkpoint][hparams]") {
  TempDir tmp("ckpt-hparams");
  fs::path dir = tmp / "ck";
  ProcessResult r = volt(fit_args(tmp, {"--model.hidden_sizes=[24,12]", "--trainer.max_epochs=1",
                                        "--callbacks+=model_checkpoint",
                                        "--callbacks.dirpath=" + dir.string(),
                                        "--callbacks.filename=model"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::string ckpt = (dir / "model.ckpt").string();
  // The flags of fit_args without hidden_sizes: the default [128] would not fit the weights.
  std::vector<std::string> test{"test", "--model=mlp", "--model.in_features=8",
                                "--model.num_classes=3", "--data=synthetic", "--data.shape=[8]",
                                "--data.size=192", "--data.val_size=64", "--data.test_size=16",
                                "--data.num_classes=3", "--data.batch_size=32",
                                "--trainer.enable_progress_bar=false",
                                "--trainer.default_root_dir=" + (tmp / "root").string(),
                                "--ckpt_path=" + ckpt};
  r = volt(test, tmp);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("test_loss"));
  // A flag still wins over the checkpoint: a wrong width is the state_dict mismatch again.
  test.push_back("--model.hidden_sizes=[5]");
  r = volt(test, tmp);
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("layers.0.weight"));
}

}  // namespace
}  // namespace volt::trainer_test

// fashion_mnist against damaged IDX files (written here with Python's gzip): more labels than
// images, a label outside 0..9, a header that claims more data than there is, a gzip bomb
// header. Each is an error naming the file (and the index of a bad label) before training,
// where it once trained or failed inside the loss.
#include "plugins/callbacks/e2e_support.hpp"
#include "support/python.hpp"

#include <catch2/catch.hpp>

namespace volt::trainer_test {
using namespace callbacks_e2e;
namespace {

// Writes the four files into the current folder: `train_images`/`train_labels` counts and an
// optional bad label at index 7 of the training labels.
constexpr const char* kWriteIdx = R"py(
import gzip, struct, sys
n_images, n_labels, bad_label, claimed = (int(a) for a in open("args.txt").read().split())
def write(name, dims, data):
    with gzip.open(name, "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data)
labels = bytearray(i % 10 for i in range(n_labels))
if bad_label >= 0:
    labels[7] = bad_label
write("train-images-idx3-ubyte.gz", [claimed or n_images, 28, 28], bytes(n_images * 784))
write("train-labels-idx1-ubyte.gz", [n_labels], bytes(labels))
write("t10k-images-idx3-ubyte.gz", [10, 28, 28], bytes(10 * 784))
write("t10k-labels-idx1-ubyte.gz", [10], bytes(range(10)))
)py";

ProcessResult fit_on(const TempDir& tmp, const std::string& args) {
  std::ofstream(tmp / "args.txt") << args;
  ProcessResult made = volt::test_python::run_python(kWriteIdx, tmp);
  REQUIRE(made.exit_code == 0);
  return volt({"fit", "--model=mlp", "--data=fashion_mnist", "--data.path=" + tmp.str(),
               "--data.val_size=5", "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false",
               "--trainer.default_root_dir=" + (tmp / "root").string()},
              tmp);
}

TEST_CASE("fashion_mnist refuses IDX files that do not fit together, naming the file",
          "[datamodules][limits]") {
  TempDir tmp("idx");
  std::string labels = (tmp / "train-labels-idx1-ubyte.gz").string();
  std::string images = (tmp / "train-images-idx3-ubyte.gz").string();
  SECTION("good files train") {
    ProcessResult r = fit_on(tmp, "40 40 -1 0");
    INFO(describe(r));
    CHECK(r.exit_code == 0);
  }
  SECTION("61 labels for 60 images") {
    ProcessResult r = fit_on(tmp, "60 61 -1 0");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(labels + ": 61 labels for the 60 images of " + images));
  }
  SECTION("a label of 200 in a 10-class set") {
    ProcessResult r = fit_on(tmp, "40 40 200 0");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(labels + ": label 200 at index 7 is not a class of 0..9"));
  }
  SECTION("a header that claims more images than the file holds") {
    ProcessResult r = fit_on(tmp, "40 40 -1 4000000");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(images + ": expected ") && Catch::Contains("data bytes"));
  }
}

}  // namespace
}  // namespace volt::trainer_test

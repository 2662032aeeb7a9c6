// ModelCheckpoint file names (plugins/callbacks/checkpoint_filename.hpp) against Lightning's
// doctest examples (lightning.md section 6) and the regex rule `(\{.*?)[:\}]`.
#include "../../plugins/callbacks/checkpoint_filename.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace volt::callbacks;

namespace {

// A metrics dict as Python would hold it: ints and floats.
struct Metrics {
  std::map<std::string, PyNumber> values;
  Metrics& i(const std::string& k, int64_t v) {
    values[k] = PyNumber::integer(v);
    return *this;
  }
  Metrics& f(const std::string& k, double v) {
    values[k] = PyNumber::real(v);
    return *this;
  }
  MetricLookup lookup() const {
    return [this](const std::string& k) -> std::optional<PyNumber> {
      auto it = values.find(k);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
};

std::string name(const std::string& tmpl, const Metrics& m, bool auto_insert = true,
                 std::optional<int> ver = std::nullopt, const std::string& dir = "") {
  return format_checkpoint_name(tmpl, m.lookup(), auto_insert, ver, dir);
}

}  // namespace

TEST_CASE("checkpoint names: Lightning's doctest examples", "[callbacks][checkpoint]") {
  CHECK(name("{epoch}", Metrics().i("epoch", 0)) == "epoch=0.ckpt");
  CHECK(name("{epoch:03d}", Metrics().i("epoch", 5)) == "epoch=005.ckpt");
  CHECK(name("{epoch}-{val_loss:.2f}", Metrics().i("epoch", 2).f("val_loss", 0.123456)) ==
        "epoch=2-val_loss=0.12.ckpt");
  CHECK(name("{epoch}-{val_loss:.2f}", Metrics().i("epoch", 2).f("val_loss", 0.123456), true,
             std::nullopt, "/tmp/ckpts") == "/tmp/ckpts/epoch=2-val_loss=0.12.ckpt");
  CHECK(name("{missing:d}", Metrics()) == "missing=0.ckpt");
  CHECK(name("epoch={epoch}-validation_loss={val_loss:.2f}",
             Metrics().i("epoch", 2).f("val_loss", 0.123456), /*auto_insert=*/false) ==
        "epoch=2-validation_loss=0.12.ckpt");
}

TEST_CASE("checkpoint names: defaults, versions and last", "[callbacks][checkpoint]") {
  Metrics m = Metrics().i("epoch", 3).i("step", 120);
  CHECK(name("", m) == "epoch=3-step=120.ckpt");
  CHECK(name(kDefaultCheckpointFilename, m, true, 1) == "epoch=3-step=120-v1.ckpt");
  CHECK(name(kCheckpointNameLast, m) == "last.ckpt");
  CHECK(name(kCheckpointNameLast, m, true, 2, "out/") == "out/last-v2.ckpt");
}

TEST_CASE("checkpoint names: values without a spec print like Python's str", "[callbacks][checkpoint]") {
  CHECK(name("{val_loss}", Metrics().f("val_loss", 0.5)) == "val_loss=0.5.ckpt");
  CHECK(name("{val_loss}", Metrics().f("val_loss", static_cast<double>(0.25f))) ==
        "val_loss=0.25.ckpt");
  CHECK(name("{missing}", Metrics()) == "missing=0.ckpt");
  CHECK(name("{epoch:.1f}", Metrics().i("epoch", 4)) == "epoch=4.0.ckpt");
}

TEST_CASE("checkpoint names: longer keys are replaced first", "[callbacks][checkpoint]") {
  Metrics m = Metrics().i("epoch", 1).f("epoch_test", 0.25);
  CHECK(name("{epoch}-{epoch_test:.2f}", m) == "epoch=1-epoch_test=0.25.ckpt");
  CHECK(name("{epoch_test:.1f}_{epoch}", m) == "epoch_test=0.2_epoch=1.ckpt");
  CHECK(name("{epoch}-{epoch}", m) == "epoch=1-epoch=1.ckpt");
}

TEST_CASE("checkpoint names: keys with dots and slashes", "[callbacks][checkpoint]") {
  CHECK(name("{val/loss:.2f}", Metrics().f("val/loss", 0.5)) == "val/loss=0.50.ckpt");
  CHECK(name("{train.acc:.3f}", Metrics().f("train.acc", 0.875)) == "train.acc=0.875.ckpt");
}

TEST_CASE("checkpoint names: groups as Lightning's regex finds them", "[callbacks][checkpoint]") {
  using V = std::vector<std::string>;
  CHECK(checkpoint_filename_groups("{epoch}-{val_loss:.2f}") == V{"{epoch", "{val_loss"});
  CHECK(checkpoint_filename_groups("plain") == V{});
  CHECK(checkpoint_filename_groups("{a:{b}") == V{"{a", "{b"});
  CHECK(checkpoint_filename_groups("{{x}") == V{"{{x"});
  CHECK(checkpoint_filename_groups("{open") == V{});
}

TEST_CASE("checkpoint names: format errors name the template", "[callbacks][checkpoint]") {
  CHECK_THROWS_WITH(name("{val_loss:d}", Metrics().f("val_loss", 0.5)),
                    Catch::Contains("checkpoint filename") &&
                        Catch::Contains("Unknown format code 'd'"));
  CHECK_THROWS_WITH(name("a}b", Metrics()), Catch::Contains("Single '}'"));
}

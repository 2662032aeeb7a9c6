// The tensorboard logger's event file read by a reader written here from the formats' specs
// (TFRecord framing with masked CRC-32C, protobuf wire format, TensorBoard's Event/Summary and
// hparams plugin messages), not from the writer's code: every scalar csv wrote is there with
// its step, the hparams summaries are there, and a file with a flipped byte is refused.
#include "support/csv_column.hpp"
#include "support/subprocess.hpp"
#include "support/tfrecord_reader.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

using namespace volt::trainer_test;  // NOLINT: TempDir, run_process
using volt::test::little_endian;
using volt::test::read_records;

namespace {

// A protobuf message as (field, wire type, raw value) triples; varints decoded into `number`.
struct Field {
  uint32_t number = 0;
  int wire = 0;
  uint64_t varint = 0;
  std::string bytes;  // length-delimited, fixed32 and fixed64 payloads
};

std::vector<Field> parse(const std::string& m) {
  std::vector<Field> out;
  size_t at = 0;
  auto read_varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (at >= m.size() || shift > 63) throw std::runtime_error("bad varint");
      auto b = static_cast<unsigned char>(m[at++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
  };
  while (at < m.size()) {
    uint64_t key = read_varint();
    Field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    size_t len = 0;
    switch (f.wire) {
      case 0: f.varint = read_varint(); break;
      case 1: len = 8; break;
      case 2: len = read_varint(); break;
      case 5: len = 4; break;
      default: throw std::runtime_error("unsupported wire type");
    }
    if (f.wire != 0) {
      if (at + len > m.size()) throw std::runtime_error("field overruns message");
      f.bytes = m.substr(at, len);
      at += len;
    }
    out.push_back(std::move(f));
  }
  return out;
}

const Field* find(const std::vector<Field>& fields, uint32_t number) {
  for (const auto& f : fields)
    if (f.number == number) return &f;
  return nullptr;
}

double as_double(const std::string& b) {
  uint64_t v = little_endian(b);
  double d;
  std::memcpy(&d, &v, 8);
  return d;
}
float as_float(const std::string& b) {
  auto v = static_cast<uint32_t>(little_endian(b));
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Scalar {
  std::string tag;
  float value;
  int64_t step;
};

}  // namespace

TEST_CASE("tensorboard event files hold every scalar with its step, and the hparams",
          "[loggers][tensorboard][e2e]") {
  TempDir tmp("tensorboard");
  std::vector<std::string> args{
      VOLT_TEST_VOLT_BINARY, "fit", "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
      "--model.num_classes=3", "--data=synthetic", "--data.shape=[8]", "--data.size=128",
      "--data.val_size=32", "--data.num_classes=3", "--data.batch_size=16",
      "--trainer.max_epochs=2", "--trainer.log_every_n_steps=2",
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--trainer.default_root_dir=" + (tmp / "root").string(), "--seed_everything=1",
      "--logger=csv,tensorboard"};
  fs::create_directories(tmp / "run");
  ProcessResult r = run_process(args, tmp / "run", tmp / "run");
  INFO("exit " << r.exit_code << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);

  fs::path dir = tmp / "root/lightning_logs/version_1";  // csv took version_0
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0) files.push_back(e.path());
  REQUIRE(files.size() == 1);
  CHECK(std::regex_match(files[0].filename().string(),
                         std::regex(R"(events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+)")));
  CHECK(fs::exists(dir / "hparams.yaml"));

  std::string bytes = slurp(files[0]);
  std::vector<std::string> records = read_records(bytes);
  REQUIRE(records.size() > 3);
  // The first event: wall time and file_version.
  std::vector<Field> first = parse(records[0]);
  REQUIRE(find(first, 3) != nullptr);
  CHECK(find(first, 3)->bytes == "brain.Event:2");
  CHECK(as_double(find(first, 1)->bytes) > 1.6e9);

  std::vector<Scalar> scalars;
  std::vector<std::string> plugin_tags;
  for (size_t i = 1; i < records.size(); ++i) {
    std::vector<Field> ev = parse(records[i]);
    REQUIRE(find(ev, 1) != nullptr);  // wall_time
    const Field* summary = find(ev, 5);
    REQUIRE(summary != nullptr);
    int64_t step = find(ev, 2) ? static_cast<int64_t>(find(ev, 2)->varint) : 0;
    for (const Field& value : parse(summary->bytes)) {
      std::vector<Field> v = parse(value.bytes);
      std::string tag = find(v, 1)->bytes;
      if (const Field* simple = find(v, 2)) scalars.push_back({tag, as_float(simple->bytes), step});
      if (const Field* meta = find(v, 9)) {
        std::vector<Field> plugin = parse(find(parse(meta->bytes), 1)->bytes);
        CHECK(find(plugin, 1)->bytes == "hparams");
        plugin_tags.push_back(tag);
        if (tag == "_hparams_/session_start_info") {
          // HParamsPluginData.session_start_info.hparams["lr"].number_value
          std::vector<Field> start = parse(find(parse(find(plugin, 2)->bytes), 3)->bytes);
          bool found_lr = false;
          for (const Field& entry : start)
            if (entry.number == 1) {
              std::vector<Field> kv = parse(entry.bytes);
              if (find(kv, 1)->bytes == "lr") {
                found_lr = true;
                CHECK(as_double(find(parse(find(kv, 2)->bytes), 2)->bytes) == 0.001);
              }
            }
          CHECK(found_lr);
        }
      }
    }
  }
  CHECK(plugin_tags == std::vector<std::string>{"_hparams_/experiment", "_hparams_/session_start_info",
                                                "_hparams_/session_end_info"});

  // Every csv value is in the event file with the same step (float32 there).
  fs::path csv = tmp / "root/lightning_logs/version_0/metrics.csv";
  for (const char* metric : {"train_loss", "val_loss", "val_acc"}) {
    std::vector<std::string> values = volt::test_csv::csv_column(csv, metric);
    std::vector<Scalar> logged;
    for (const auto& s : scalars)
      if (s.tag == metric) logged.push_back(s);
    INFO(metric);
    REQUIRE(logged.size() == values.size());
    REQUIRE_FALSE(values.empty());
    for (size_t i = 0; i < values.size(); ++i)
      CHECK(logged[i].value == static_cast<float>(std::stod(values[i])));
  }
  bool hp_metric = false;
  for (const auto& s : scalars) hp_metric |= s.tag == "hp_metric" && s.value == -1.0f && s.step == 0;
  CHECK(hp_metric);  // Lightning's default_hp_metric

  // The reader is strict: a flipped byte anywhere in a record is refused.
  for (size_t at : {size_t{3}, size_t{10}, bytes.size() / 2, bytes.size() - 2}) {
    std::string broken = bytes;
    broken[at] = static_cast<char>(broken[at] ^ 0x20);
    CHECK_THROWS(read_records(broken));
  }
}

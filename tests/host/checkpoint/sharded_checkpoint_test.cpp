// Sharded checkpoints (host/checkpoint/sharded_checkpoint): the ranks' pieces put back together
// into the single-device tensors, everything else taken from rank 0, a folder that appears
// only once every rank wrote its file, and found by ckpt_path=last / hpc (ckpt_path).
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/ckpt_path.hpp"
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/sharded_checkpoint.hpp"
#include "support/require_error.hpp"
#include "support/trainer_harness.hpp"

#include <volt/sdk/core.hpp>
#include <volt/sdk/strategy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

namespace volt::host {
namespace {

using trainer_test::TempDir;
namespace fs = std::filesystem;
using Dict = c10::impl::GenericDict;

Dict new_dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

// Rank `rank`'s checkpoint when `whole` (shape [3, 4]) is cut at `cuts` (flat positions).
Dict rank_checkpoint(const torch::Tensor& whole, const std::vector<int64_t>& cuts, size_t rank) {
  int64_t begin = cuts[rank], end = cuts[rank + 1];
  Dict sd = new_dict();
  sd.insert("layer.weight", volt::shard_entry(whole.reshape({-1}).slice(0, begin, end), begin, whole.sizes()));
  sd.insert("layer.bias", torch::arange(4, torch::kFloat));  // held whole by every rank
  Dict ck = new_dict();
  ck.insert("epoch", int64_t{3});
  ck.insert("state_dict", sd);
  ck.insert("rank_written", static_cast<int64_t>(rank));  // differs: rank 0's is kept
  return ck;
}

using test::require_error;

TEST_CASE("consolidating puts the ranks' pieces back in offset order", "[checkpoint][sharded]") {
  torch::Tensor whole = torch::arange(12, torch::kFloat).reshape({3, 4});
  // Three ranks, the middle one holding nothing of this tensor, the files in another order.
  std::vector<int64_t> cuts{0, 7, 7, 12};
  std::vector<c10::IValue> ranks{rank_checkpoint(whole, cuts, 0), rank_checkpoint(whole, cuts, 2),
                                 rank_checkpoint(whole, cuts, 1)};
  Dict merged = consolidate_shards(ranks, "test").toGenericDict();
  Dict sd = merged.at("state_dict").toGenericDict();
  CHECK(torch::equal(sd.at("layer.weight").toTensor(), whole));
  CHECK(torch::equal(sd.at("layer.bias").toTensor(), torch::arange(4, torch::kFloat)));
  CHECK(merged.at("epoch").toInt() == 3);
  CHECK(merged.at("rank_written").toInt() == 0);
  CHECK(is_shard_entry(rank_checkpoint(whole, cuts, 0).at("state_dict").toGenericDict().at("layer.weight")));
  CHECK_FALSE(is_shard_entry(sd.at("layer.weight")));
}

TEST_CASE("consolidating names what does not fit together", "[checkpoint][sharded]") {
  torch::Tensor whole = torch::arange(12, torch::kFloat).reshape({3, 4});
  SECTION("a gap between pieces") {
    std::vector<c10::IValue> ranks{rank_checkpoint(whole, {0, 5, 12}, 0),
                                   rank_checkpoint(whole, {0, 6, 12}, 1)};
    require_error([&] { consolidate_shards(ranks, "ckpt X"); },
                  {"ckpt X", "state_dict/layer.weight", "do not tile", "starts at element 6", "5"});
  }
  SECTION("a missing piece") {
    std::vector<c10::IValue> ranks{rank_checkpoint(whole, {0, 5, 12}, 0)};
    require_error([&] { consolidate_shards(ranks, "ckpt X"); }, {"layer.weight", "5 elements", "12"});
  }
  SECTION("an entry only rank 0 has") {
    Dict other = rank_checkpoint(whole, {0, 5, 12}, 1);
    other.erase("epoch");
    std::vector<c10::IValue> ranks{rank_checkpoint(whole, {0, 5, 12}, 0), other};
    require_error([&] { consolidate_shards(ranks, "ckpt X"); }, {"rank 1", "no 'epoch'"});
  }
  SECTION("another shape") {
    Dict other = rank_checkpoint(whole.reshape({4, 3}), {0, 5, 12}, 1);
    std::vector<c10::IValue> ranks{rank_checkpoint(whole, {0, 5, 12}, 0), other};
    require_error([&] { consolidate_shards(ranks, "ckpt X"); }, {"layer.weight", "[4, 3]", "[3, 4]"});
  }
}

TEST_CASE("a sharded checkpoint folder round-trips and replaces an older one only when complete",
          "[checkpoint][sharded]") {
  TempDir tmp("sharded-folder");
  torch::Tensor whole = torch::arange(12, torch::kFloat).reshape({3, 4});
  fs::path path = tmp / "epoch=0-step=4.ckpt";
  auto no_other_rank = [](int64_t x) { return x; };
  // Two ranks written one after the other: the second call's folder replaces the first's, so
  // write both files through one world of size 1 each time and then as rank 1 of 2 by hand.
  save_sharded_checkpoint(path, 0, 1, rank_checkpoint(whole, {0, 12}, 0), no_other_rank);
  REQUIRE(is_sharded_checkpoint(path));
  CHECK(fs::is_regular_file(path / "shard-0-of-1.ckpt"));
  CHECK_FALSE(fs::exists(tmp / "epoch=0-step=4.ckpt.partial"));
  // Each shard is an ordinary torch.save file.
  TorchFile shard = read_torch_file(path / "shard-0-of-1.ckpt");
  CHECK(is_shard_entry(shard.value.toGenericDict().at("state_dict").toGenericDict().at("layer.weight")));
  CheckpointFile loaded = load_checkpoint_file(path);
  CHECK(torch::equal(loaded.state_dict().at("layer.weight").toTensor(), whole));
  CHECK(loaded.find("epoch")->toInt() == 3);

  SECTION("another rank's failure keeps the older checkpoint") {
    auto other_rank_failed = [](int64_t x) { return x + 1; };
    require_error([&] {
      save_sharded_checkpoint(path, 0, 2, rank_checkpoint(whole * 2, {0, 12}, 0), other_rank_failed);
    }, {"sharded checkpoint", path.string(), "not saved", "older checkpoint"});
    CHECK(torch::equal(load_checkpoint_file(path).state_dict().at("layer.weight").toTensor(), whole));
    CHECK_FALSE(fs::exists(tmp / "epoch=0-step=4.ckpt.partial"));
  }
  SECTION("a newer save replaces it") {
    save_sharded_checkpoint(path, 0, 1, rank_checkpoint(whole * 2, {0, 12}, 0), no_other_rank);
    CHECK(torch::equal(load_checkpoint_file(path).state_dict().at("layer.weight").toTensor(), whole * 2));
    CHECK_FALSE(fs::exists(tmp / "epoch=0-step=4.ckpt.old"));
  }
  SECTION("a missing shard is named") {
    std::ofstream(path / "index.json")
        << R"({"format": "volt.sharded_checkpoint", "format_version": 1, "world_size": 2,
               "shards": ["shard-0-of-1.ckpt", "shard-1-of-2.ckpt"]})";
    require_error([&] { load_checkpoint_file(path); }, {path.string(), "shard-1-of-2.ckpt", "missing"});
  }
  SECTION("an index that is not one") {
    std::ofstream(path / "index.json") << "{\"format\": \"something else\"}";
    require_error([&] { load_checkpoint_file(path); }, {path.string(), "index.json", "not a Volt shard index"});
  }
  SECTION("an index with wrong types names the file, not a JSON library error") {
    std::ofstream(path / "index.json")
        << R"({"format": 7, "format_version": "one", "world_size": 1, "shards": [3]})";
    require_error([&] { load_checkpoint_file(path); }, {path.string(), "not a Volt shard index"});
    std::ofstream(path / "index.json")
        << R"({"format": "volt.sharded_checkpoint", "world_size": 1, "shards": [3]})";
    require_error([&] { load_checkpoint_file(path); }, {path.string(), "names the shard 3"});
  }
  SECTION("an index naming files outside its folder is refused") {
    for (const char* name : {"/etc/passwd", "../epoch=0-step=4.ckpt", "..", "sub/shard.ckpt"}) {
      INFO(name);
      std::ofstream(path / "index.json")
          << R"({"format": "volt.sharded_checkpoint", "format_version": 1, "world_size": 1, "shards": [")"
          << name << "\"]}";
      require_error([&] { load_checkpoint_file(path); },
                    {path.string(), "not a file name inside the folder"});
    }
  }
  SECTION("a folder without an index") {
    fs::remove(path / "index.json");
    require_error([&] { load_checkpoint_file(path); }, {path.string(), "folder without index.json"});
  }
}

TEST_CASE("ckpt_path=last and hpc find sharded checkpoint folders", "[checkpoint][sharded]") {
  TempDir tmp("sharded-last");
  torch::Tensor whole = torch::arange(12, torch::kFloat).reshape({3, 4});
  auto one_rank = [](int64_t x) { return x; };
  save_checkpoint_file(tmp / "checkpoints" / "epoch=0-step=4.ckpt", rank_checkpoint(whole, {0, 12}, 0));
  fs::last_write_time(tmp / "checkpoints" / "epoch=0-step=4.ckpt",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  save_sharded_checkpoint(tmp / "checkpoints" / "epoch=1-step=8.ckpt", 0, 1, rank_checkpoint(whole, {0, 12}, 0),
                          one_rank);
  CkptSearch where;
  where.root_dir = tmp.path();
  CHECK(find_last_checkpoint(where) == tmp / "checkpoints" / "epoch=1-step=8.ckpt");

  save_checkpoint_file(tmp / "hpc_ckpt_1.ckpt", rank_checkpoint(whole, {0, 12}, 0));
  save_sharded_checkpoint(tmp / "hpc_ckpt_2.ckpt", 0, 1, rank_checkpoint(whole, {0, 12}, 0), one_rank);
  CHECK(find_hpc_checkpoint(tmp.path()) == tmp / "hpc_ckpt_2.ckpt");
}

}  // namespace
}  // namespace volt::host

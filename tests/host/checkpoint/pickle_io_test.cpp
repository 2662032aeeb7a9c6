// The torch.save format reader and writer (host/checkpoint/pickle_*): round trips, files made
// by torch::pickle_save (the SDK's side of optimizer state), and malformed input.
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/pickle_writer.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <torch/serialize.h>

namespace volt::host {
namespace {

using c10::IValue;
using Dict = c10::impl::GenericDict;

Dict str_dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

IValue at(const IValue& d, const std::string& key) {
  return d.toGenericDict().at(IValue(key));
}

TEST_CASE("pickle writer and reader round-trip nested checkpoint values", "[checkpoint]") {
  Dict d = str_dict();
  d.insert("int", int64_t{-5});
  d.insert("big", int64_t{1} << 40);
  d.insert("negative_big", -(int64_t{1} << 40));
  d.insert("byte", int64_t{200});
  d.insert("short", int64_t{60000});
  d.insert("float", 0.1);
  d.insert("true", true);
  d.insert("none", IValue());
  d.insert("text", std::string("epoch=1-step=12"));
  d.insert("pair", c10::ivalue::Tuple::create({0.9, 0.999}));
  c10::impl::GenericList list(c10::AnyType::get());
  list.push_back(int64_t{1});
  list.push_back(std::string("two"));
  d.insert("list", list);
  Dict by_index(c10::IntType::get(), c10::AnyType::get());
  by_index.insert(int64_t{3}, torch::arange(6, torch::kFloat).reshape({2, 3}));
  d.insert("state", by_index);
  d.insert("double", torch::rand({4}, torch::kDouble));
  d.insert("long", torch::tensor({1, 2, 3}, torch::kLong));
  d.insert("bool", torch::tensor({true, false}));
  d.insert("half", torch::ones({2}, torch::kHalf));
  d.insert("scalar", torch::scalar_tensor(2.5));
  d.insert("empty", torch::zeros({0, 3}));
  d.insert("view", torch::arange(12, torch::kFloat).reshape({3, 4}).t());  // not contiguous

  std::vector<char> bytes = torch_file_bytes(d);
  TorchFile back = read_torch_bytes(bytes.data(), bytes.size());
  IValue v = back.value;
  REQUIRE(v.isGenericDict());
  CHECK(back.unknown.empty());
  CHECK(at(v, "int").toInt() == -5);
  CHECK(at(v, "big").toInt() == (int64_t{1} << 40));
  CHECK(at(v, "negative_big").toInt() == -(int64_t{1} << 40));
  CHECK(at(v, "byte").toInt() == 200);
  CHECK(at(v, "short").toInt() == 60000);
  CHECK(at(v, "float").toDouble() == 0.1);
  CHECK(at(v, "true").toBool());
  CHECK(at(v, "none").isNone());
  CHECK(at(v, "text").toStringRef() == "epoch=1-step=12");
  REQUIRE(at(v, "pair").isTuple());
  CHECK(at(v, "pair").toTupleRef().elements()[1].toDouble() == 0.999);
  CHECK(at(v, "list").toListRef()[1].toStringRef() == "two");
  const IValue& state = at(v, "state");
  REQUIRE(state.isGenericDict());
  CHECK(state.toGenericDict().keyType()->kind() == c10::TypeKind::IntType);
  CHECK(torch::equal(state.toGenericDict().at(int64_t{3}).toTensor(),
                     torch::arange(6, torch::kFloat).reshape({2, 3})));
  for (const char* key : {"double", "long", "bool", "half", "scalar", "empty", "view"}) {
    INFO(key);
    const at::Tensor expected = d.at(std::string(key)).toTensor();
    const at::Tensor got = at(v, key).toTensor();
    CHECK(got.scalar_type() == expected.scalar_type());
    CHECK(got.sizes() == expected.sizes());
    CHECK(torch::equal(got, expected));
  }
}

TEST_CASE("the reader reads what torch::pickle_save writes (the SDK's optimizer state)",
          "[checkpoint]") {
  Dict d = str_dict();
  d.insert("exp_avg", torch::randn({3, 2}));
  Dict groups(c10::IntType::get(), c10::AnyType::get());
  groups.insert(int64_t{0}, std::string("x"));
  d.insert("state", groups);
  c10::List<int64_t> typed({1, 2, 3});  // a typed list: pickled with build_intlist
  d.insert("params", typed);
  std::vector<char> bytes = torch::pickle_save(d);
  IValue v = read_torch_bytes(bytes.data(), bytes.size()).value;
  CHECK(torch::equal(at(v, "exp_avg").toTensor(), d.at("exp_avg").toTensor()));
  CHECK(at(v, "state").toGenericDict().at(int64_t{0}).toStringRef() == "x");
  CHECK(at(v, "params").toListRef().size() == 3);
  CHECK(at(v, "params").toListRef()[2].toInt() == 3);
}

TEST_CASE("torch::pickle_load reads what the writer writes (state handed to plugins)",
          "[checkpoint]") {
  Dict d = str_dict();
  d.insert("t", torch::randn({5}));
  d.insert("n", int64_t{4});
  IValue v = torch::pickle_load(torch_file_bytes(d));
  REQUIRE(v.isGenericDict());
  CHECK(torch::equal(at(v, "t").toTensor(), d.at("t").toTensor()));
  CHECK(at(v, "n").toInt() == 4);
}

TEST_CASE("malformed torch files are errors, not crashes", "[checkpoint]") {
  Dict d = str_dict();
  d.insert("w", torch::randn({64}));
  std::vector<char> good = torch_file_bytes(d);
  std::vector<std::vector<char>> bad;
  bad.push_back({});                                                // empty
  bad.push_back(std::vector<char>(good.begin(), good.begin() + good.size() / 2));  // truncated
  bad.push_back(std::vector<char>(100, 'x'));                      // not a zip
  for (size_t cut = 1; cut < good.size(); cut += 97)               // every kind of truncation
    bad.push_back(std::vector<char>(good.begin(), good.begin() + static_cast<long>(cut)));
  for (size_t i = 0; i < 64; ++i) {                                 // scrambled headers
    std::vector<char> b = good;
    b[i * 7 % b.size()] ^= 0x5a;
    bad.push_back(b);
  }
  int errors = 0;
  for (const auto& b : bad) {
    try {
      read_torch_bytes(b.data(), b.size());
    } catch (const Error&) {
      ++errors;
    }
  }
  // Every truncation and the garbage fail; a flipped byte inside tensor data or padding may
  // go unnoticed (the zip reader does not verify checksums), but nothing may crash.
  CHECK(errors >= static_cast<int>(bad.size()) - 64);
}

TEST_CASE("the writer rejects values a checkpoint cannot hold", "[checkpoint]") {
  Dict d = str_dict();
  d.insert("sparse", torch::eye(3).to_sparse());
  CHECK_THROWS_AS(torch_file_bytes(d), Error);
}

}  // namespace
}  // namespace volt::host

// The pickle reader's limits (host/checkpoint/pickle_reader.cpp, docs/limits.md) against
// hostile pickles made here: nesting 100,000 and 1,000,000 deep (once a stack overflow in
// c10's destructors) and shared references that expand to 2^40 values (once a hang). Each must
// be an error naming what is wrong, quickly.
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/zip_writer.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace volt::host {
namespace {

// A torch.save-style zip holding `pickle` as archive/data.pkl.
std::vector<char> torch_zip(const std::string& pickle) {
  std::vector<char> out;
  TorchZipWriter zip([&](const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    out.insert(out.end(), p, p + size);
  });
  zip.add("data.pkl", pickle.data(), pickle.size());
  zip.finish();
  return out;
}

std::string error_reading(const std::string& pickle) {
  std::vector<char> file = torch_zip(pickle);
  try {
    read_torch_bytes(file.data(), file.size());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::string kProto = "\x80\x02";

TEST_CASE("a pickle nested 100,000 and 1,000,000 deep is an error, not a stack overflow",
          "[checkpoint][limits]") {
  for (size_t depth : {size_t{100000}, size_t{1000000}}) {
    INFO("depth " << depth);
    // Tuples: None, then TUPLE1 around it `depth` times.
    std::string tuples = kProto + "N" + std::string(depth, '\x85') + ".";
    CHECK_THAT(error_reading(tuples), Catch::Contains("nests deeper than 512"));
    // Lists: `depth` empty lists, each appended to the one below it.
    std::string lists = kProto + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
    CHECK_THAT(error_reading(lists), Catch::Contains("nests deeper than 512"));
  }
}

TEST_CASE("shared references that expand to 2^40 values are an error, not a hang",
          "[checkpoint][limits]") {
  // x = None; 40 times: x = (x, x) by DUP + TUPLE2: 41 objects in the file, 2^40 leaves.
  std::string pickle = kProto + "N";
  for (int i = 0; i < 40; ++i) pickle += "2\x86";
  pickle += ".";
  CHECK_THAT(error_reading(pickle), Catch::Contains("expands to more than") &&
                                        Catch::Contains("shared references"));
}

TEST_CASE("nesting within the limit still reads", "[checkpoint][limits]") {
  std::string pickle = kProto + "N" + std::string(500, '\x85') + ".";
  std::vector<char> file = torch_zip(pickle);
  c10::IValue v = read_torch_bytes(file.data(), file.size()).value;
  int depth = 0;
  while (v.isTuple()) {
    v = v.toTupleRef().elements().at(0);
    ++depth;
  }
  CHECK(depth == 500);
}

}  // namespace
}  // namespace volt::host

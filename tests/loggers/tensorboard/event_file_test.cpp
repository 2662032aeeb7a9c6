// loggers/tensorboard/event_file on its own: TensorBoard's file name, the file_version record
// first, records queued by append() and written by flush() or the writer thread, all framed
// as TFRecords that an independent reader (tests/support/tfrecord_reader.hpp) accepts, and
// the masked CRC-32C against the Castagnoli check value.
#include "support/tfrecord_reader.hpp"
#include "support/trainer_harness.hpp"
#include "tensorboard/event_file.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace {

using volt::loggers::tensorboard::EventFile;
using namespace std::chrono_literals;

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("masked_crc32c is TFRecord's mask of the Castagnoli CRC", "[loggers][tensorboard]") {
  // CRC-32C("123456789") = 0xE3069283, the polynomial's published check value.
  const std::string check = "123456789";
  REQUIRE(volt::test::crc32c(check) == 0xE3069283u);
  CHECK(volt::loggers::tensorboard::masked_crc32c(check.data(), check.size()) ==
        volt::test::masked(0xE3069283u));
}

TEST_CASE("an event file is named as TensorBoard names it and starts with file_version",
          "[loggers][tensorboard]") {
  volt::trainer_test::TempDir tmp("tb-event");
  EventFile file(tmp / "run", 1h);
  std::string name = file.path().filename().string();
  CHECK(std::regex_match(name, std::regex(R"(events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+)")));
  CHECK(file.path().parent_path() == tmp / "run");
  std::vector<std::string> records = volt::test::read_records(contents(file.path()));
  REQUIRE(records.size() == 1);  // written by the constructor, before any append
  CHECK(records[0].find("brain.Event:2") != std::string::npos);
}

TEST_CASE("append queues a record that flush writes after the others", "[loggers][tensorboard]") {
  volt::trainer_test::TempDir tmp("tb-event");
  EventFile file(tmp.path(), 1h);  // the writer thread would wait an hour: only flush() writes
  size_t before = contents(file.path()).size();
  file.append("first");
  file.append(std::string("sec\0nd", 6));
  CHECK(contents(file.path()).size() == before);  // queued, not written
  file.flush();
  std::vector<std::string> records = volt::test::read_records(contents(file.path()));
  REQUIRE(records.size() == 3);
  CHECK(records[1] == "first");
  CHECK(records[2] == std::string("sec\0nd", 6));
  CHECK(contents(file.path()).size() == before + (12 + 5 + 4) + (12 + 6 + 4));
}

TEST_CASE("the writer thread writes queued records every flush interval", "[loggers][tensorboard]") {
  volt::trainer_test::TempDir tmp("tb-event");
  EventFile file(tmp.path(), 10ms);
  file.append("late");
  // No timing is asserted: the record must appear without a flush() (bounded wait).
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<std::string> records;
  while (std::chrono::steady_clock::now() < deadline) {
    records = volt::test::read_records(contents(file.path()));
    if (records.size() == 2) break;
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(records.size() == 2);
  CHECK(records[1] == "late");
}

}  // namespace

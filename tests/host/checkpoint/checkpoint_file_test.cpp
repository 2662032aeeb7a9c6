// Checkpoint files on disk: atomic writes that never damage the previous file, and errors that
// name the file for anything unreadable (host/checkpoint/atomic_file, checkpoint_file).
#include "checkpoint/atomic_file.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/pickle_writer.hpp"
#include "support/require_error.hpp"
#include "support/trainer_harness.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace volt::host {
namespace {

using trainer_test::TempDir;
using trainer_test::read_file;
namespace fs = std::filesystem;

c10::impl::GenericDict checkpoint(float value) {
  c10::impl::GenericDict sd(c10::StringType::get(), c10::AnyType::get());
  sd.insert("layer.weight", torch::full({2, 2}, value));
  c10::impl::GenericDict ck(c10::StringType::get(), c10::AnyType::get());
  ck.insert("epoch", int64_t{0});
  ck.insert("state_dict", sd);
  return ck;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

using test::require_error;

TEST_CASE("a checkpoint file round-trips and leaves no temporary file", "[checkpoint]") {
  TempDir tmp("ckpt-file");
  fs::path path = tmp / "sub" / "dir" / "a.ckpt";  // folders are created
  save_checkpoint_file(path, checkpoint(1.5f));
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));
  CheckpointFile f = load_checkpoint_file(path);
  CHECK(f.kind == CheckpointFile::Kind::Lightning);
  CHECK(torch::equal(f.state_dict().at(std::string("layer.weight")).toTensor(),
                     torch::full({2, 2}, 1.5f)));
  save_checkpoint_file(path, checkpoint(2.5f));  // replaces the previous file
  CHECK(torch::equal(load_checkpoint_file(path).state_dict().at(std::string("layer.weight")).toTensor(),
                     torch::full({2, 2}, 2.5f)));
}

TEST_CASE("a failed checkpoint write leaves the previous file intact", "[checkpoint]") {
  TempDir tmp("ckpt-atomic");
  fs::path path = tmp / "last.ckpt";
  save_checkpoint_file(path, checkpoint(1.0f));
  std::string before = trainer_test::read_file(path);
  // The temporary file cannot be opened when a folder stands in its place.
  fs::create_directories(path.string() + ".tmp");
  require_error([&] { save_checkpoint_file(path, checkpoint(9.0f)); },
                {path.string() + ".tmp", "left unchanged"});
  CHECK(trainer_test::read_file(path) == before);
  CHECK(torch::equal(load_checkpoint_file(path).state_dict().at(std::string("layer.weight")).toTensor(),
                     torch::full({2, 2}, 1.0f)));
}

TEST_CASE("an AtomicFile that is not committed leaves nothing behind", "[checkpoint]") {
  TempDir tmp("ckpt-abandon");
  fs::path path = tmp / "x.ckpt";
  write_bytes(path, "old");
  {
    AtomicFile f(path);
    f.write("new", 3);
    CHECK(fs::exists(f.temporary_path()));
  }  // e.g. an exception while serialising
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));
  CHECK(trainer_test::read_file(path) == "old");
}

TEST_CASE("unreadable checkpoint files are errors naming the file", "[checkpoint]") {
  TempDir tmp("ckpt-bad");
  fs::path good = tmp / "good.ckpt";
  save_checkpoint_file(good, checkpoint(1.0f));
  std::string bytes = trainer_test::read_file(good);

  SECTION("missing") {
    fs::path p = tmp / "missing.ckpt";
    require_error([&] { load_checkpoint_file(p); }, {p.string(), "no such file"});
  }
  SECTION("empty") {
    fs::path p = tmp / "empty.ckpt";
    write_bytes(p, "");
    require_error([&] { load_checkpoint_file(p); }, {p.string(), "empty"});
  }
  SECTION("truncated") {
    fs::path p = tmp / "truncated.ckpt";
    write_bytes(p, bytes.substr(0, bytes.size() / 2));
    require_error([&] { load_checkpoint_file(p); }, {p.string(), "truncated or corrupt"});
  }
  SECTION("garbage") {
    fs::path p = tmp / "garbage.ckpt";
    write_bytes(p, std::string(4096, '\x42'));
    require_error([&] { load_checkpoint_file(p); }, {p.string(), "not a readable torch.save file"});
  }
  SECTION("corrupt pickle") {
    // The pickle record comes first; break its opcodes but keep the zip intact.
    fs::path p = tmp / "corrupt.ckpt";
    std::string b = bytes;
    size_t at = b.find("data.pkl");
    REQUIRE(at != std::string::npos);
    size_t pickle = b.find('\x80', at);  // PROTO opcode
    REQUIRE(pickle != std::string::npos);
    b[pickle + 2] = '\xff';
    write_bytes(p, b);
    require_error([&] { load_checkpoint_file(p); }, {p.string()});
  }
  SECTION("a folder") {
    require_error([&] { load_checkpoint_file(tmp.path()); }, {tmp.str(), "folder"});
  }
  SECTION("not a checkpoint") {
    fs::path p = tmp / "list.ckpt";
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("epoch", int64_t{3});
    std::vector<char> b = torch_file_bytes(d);
    write_bytes(p, std::string(b.begin(), b.end()));
    require_error([&] { load_checkpoint_file(p); }, {p.string(), "neither a Lightning checkpoint"});
  }
}

TEST_CASE("a dict of tensors reads as a plain state_dict", "[checkpoint]") {
  TempDir tmp("ckpt-sd");
  fs::path p = tmp / "weights.pt";
  c10::impl::GenericDict sd(c10::StringType::get(), c10::AnyType::get());
  sd.insert("a.weight", torch::ones({2}));
  std::vector<char> b = torch_file_bytes(sd);
  write_bytes(p, std::string(b.begin(), b.end()));
  CheckpointFile f = load_checkpoint_file(p);
  CHECK(f.kind == CheckpointFile::Kind::StateDict);
  CHECK(f.find("epoch") == nullptr);
  CHECK(torch::equal(f.state_dict().at(std::string("a.weight")).toTensor(), torch::ones({2})));
}

}  // namespace
// A SIGKILL during a save leaves <name>.ckpt.tmp (240 MB in one report): the next save into the
// folder removes it, but never a temporary that a writer still holds or has just opened.
TEST_CASE("a save removes the stale checkpoint temporaries of its folder", "[checkpoint]") {
  TempDir dir("stale-tmp");
  auto make = [&](const std::string& name, bool old) {
    fs::path p = dir / name;
    std::ofstream(p) << "partial";
    if (old) fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(1));
    return p;
  };
  fs::path stale = make("epoch=3-step=40.ckpt.tmp", true);
  fs::path fresh = make("epoch=4-step=50.ckpt.tmp", false);
  fs::path other = make("notes.txt.tmp", true);
  fs::path held = make("epoch=5-step=60.ckpt.tmp", true);
  int fd = ::open(held.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);  // a writer in another process
  const char data[] = "checkpoint";
  write_file_atomically(dir / "last.ckpt", data, sizeof(data));
  ::close(fd);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(fresh));
  CHECK(fs::exists(other));
  CHECK(fs::exists(held));
  CHECK(fs::exists(dir / "last.ckpt"));
}

}  // namespace volt::host

// The distributed toolkit's process group (sdk/distributed, volt/sdk/distributed/
// process_group.hpp) with 2 ranks, each a thread of this process meeting the other through the
// TCPStore rendezvous on loopback: every collective is checked against what each rank
// contributed, and a rank that never arrives ends the rendezvous with an error, not a hang.
#include <volt/sdk/distributed/process_group.hpp>

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#ifdef VOLT_TEST_HAVE_DISTRIBUTED

namespace {

using volt::distributed::ProcessGroup;
using volt::distributed::RendezvousOptions;

// A TCP port nothing listens on now (the kernel's choice for port 0).
int32_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

RendezvousOptions options(int32_t rank, int32_t port, std::chrono::milliseconds timeout) {
  RendezvousOptions o;
  o.label = "process_group_test";
  o.main_port = port;
  o.rank = rank;
  o.world_size = 2;
  o.timeout = timeout;
  return o;
}

// What rank `rank` computes with its group; returned to the test thread to be checked.
struct Seen {
  at::Tensor gathered, sum, mean_of_ints, from1, scattered, coalesced_a, coalesced_b;
  std::string backend;
};

Seen run_rank(int32_t rank, int32_t port) {
  auto group = ProcessGroup::connect(options(rank, port, std::chrono::seconds(60)));
  double r = rank + 1;
  Seen s;
  s.backend = group->backend();
  s.gathered = group->all_gather(at::full({2, 2}, r, at::kFloat));
  s.sum = group->reduce(at::tensor({r, 10 * r}, at::kDouble), volt::Reduce::Sum);
  s.mean_of_ints = group->reduce(at::tensor({rank}, at::kLong), volt::Reduce::Mean);
  at::Tensor b = at::full({3}, r, at::kFloat);
  group->broadcast(b, 1);
  s.from1 = b;
  // Rank r holds [r+1] * 4: the sum is [3, 3, 3, 3]; rank r keeps elements [2r, 2r + 2).
  s.scattered = group->reduce_scatter(at::full({4}, r, at::kFloat), volt::Reduce::Sum);
  s.coalesced_a = at::full({2, 3}, r, at::kFloat);
  s.coalesced_b = at::full({5}, 10 * r, at::kFloat);
  group->all_reduce_coalesced({s.coalesced_a, s.coalesced_b}, volt::Reduce::Mean);
  group->barrier();
  return s;
}

}  // namespace

TEST_CASE("the toolkit's process group: every collective on 2 ranks", "[distributed][collectives]") {
  int32_t port = unused_port();
  auto rank1 = std::async(std::launch::async, [port] { return run_rank(1, port); });
  Seen seen[2] = {run_rank(0, port), rank1.get()};
  for (int rank = 0; rank < 2; ++rank) {
    INFO("rank " << rank);
    const Seen& s = seen[rank];
    CHECK(s.backend == "gloo");
    REQUIRE(s.gathered.sizes().vec() == std::vector<int64_t>{2, 2, 2});
    CHECK(torch::equal(s.gathered[0], at::full({2, 2}, 1.0, at::kFloat)));
    CHECK(torch::equal(s.gathered[1], at::full({2, 2}, 2.0, at::kFloat)));
    CHECK(torch::equal(s.sum, at::tensor({3.0, 30.0}, at::kDouble)));
    CHECK(s.mean_of_ints.scalar_type() == at::kDouble);
    CHECK(s.mean_of_ints.item<double>() == 0.5);
    CHECK(torch::equal(s.from1, at::full({3}, 2.0, at::kFloat)));
    CHECK(torch::equal(s.scattered, at::full({2}, 3.0, at::kFloat)));
    CHECK(torch::equal(s.coalesced_a, at::full({2, 3}, 1.5, at::kFloat)));
    CHECK(torch::equal(s.coalesced_b, at::full({5}, 15.0, at::kFloat)));
  }
  // Bitwise the same on both ranks.
  CHECK(torch::equal(seen[0].coalesced_a, seen[1].coalesced_a));
}

TEST_CASE("reduce_scatter names a size the world size does not divide", "[distributed][collectives]") {
  int32_t port = unused_port();
  auto call = [port](int32_t rank) {
    auto group = ProcessGroup::connect(options(rank, port, std::chrono::seconds(60)));
    try {
      group->reduce_scatter(at::ones({3}), volt::Reduce::Sum);
    } catch (const volt::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto rank1 = std::async(std::launch::async, call, 1);
  CHECK_THAT(call(0), Catch::Contains("whose size (3) the world size (2) divides"));
  rank1.get();
}

TEST_CASE("a rendezvous whose other rank never comes ends with an error", "[distributed][collectives]") {
  auto started = std::chrono::steady_clock::now();
  try {
    ProcessGroup::connect(options(0, unused_port(), std::chrono::seconds(2)));
    FAIL("connect returned without the other rank");
  } catch (const volt::Error& e) {
    // Named by the strategy, with the address and no C++ backtrace.
    CHECK_THAT(e.what(), Catch::StartsWith("process_group_test: ") && Catch::Contains("2 processes") &&
                             Catch::Contains("127.0.0.1:"));
    CHECK_THAT(e.what(), !Catch::Contains("frame #"));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
}

#endif  // VOLT_TEST_HAVE_DISTRIBUTED

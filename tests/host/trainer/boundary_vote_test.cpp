// The step-boundary vote (host/trainer/boundary_vote): ranks run as threads over an in-memory
// sum that completes once every rank started it, like an all-reduce. Every rank must act on
// the same requests (stop, hpc checkpoint, interrupt) at the same step: at once when every
// rank asked, one step later when only some did; a rank that does not ask never waits for the
// sum it just started.
#include "trainer/boundary_vote.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using volt::host::BoundaryVote;
using volt::host::PendingSum;
using volt::host::RequestCounts;
using volt::host::kRequestHpcCheckpoint;
using volt::host::kRequestInterrupt;
using volt::host::kRequestStop;

namespace {

// Round k sums the k-th value every rank started; waiting blocks until all have.
class FakeAllReduce {
 public:
  explicit FakeAllReduce(int ranks) : ranks_(ranks) {}

  std::unique_ptr<PendingSum> start(int rank, int boundary, const RequestCounts& value) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t round = started_[static_cast<size_t>(rank)]++;
    if (sums_.size() <= round) sums_.resize(round + 1), arrived_.resize(round + 1);
    for (size_t k = 0; k < value.size(); ++k) sums_[round][k] += value[k];
    if (++arrived_[round] == ranks_) done_.notify_all();
    return std::make_unique<Pending>(*this, rank, boundary, round);
  }

  // (rank, boundary of the start, boundary of the wait) for every wait.
  struct Wait {
    int rank, started_at, waited_at;
  };
  std::vector<Wait> waits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return waits_;
  }
  size_t rounds() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sums_.size();
  }
  void at_boundary(int rank, int b) {
    std::lock_guard<std::mutex> lock(mutex_);
    boundary_[static_cast<size_t>(rank)] = b;
  }

 private:
  class Pending final : public PendingSum {
   public:
    Pending(FakeAllReduce& owner, int rank, int boundary, size_t round)
        : owner_(owner), rank_(rank), boundary_(boundary), round_(round) {}
    RequestCounts wait() override {
      std::unique_lock<std::mutex> lock(owner_.mutex_);
      owner_.waits_.push_back({rank_, boundary_, owner_.boundary_[static_cast<size_t>(rank_)]});
      owner_.done_.wait(lock, [&] { return owner_.arrived_[round_] == owner_.ranks_; });
      return owner_.sums_[round_];
    }

   private:
    FakeAllReduce& owner_;
    int rank_, boundary_;
    size_t round_;
  };

  int ranks_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<RequestCounts> sums_;
  std::vector<int> arrived_;
  std::vector<size_t> started_ = std::vector<size_t>(8, 0);
  std::vector<int> boundary_ = std::vector<int>(8, -1);
  std::vector<Wait> waits_;
};

struct RankResult {
  int stopped_at = -1;  // step boundary where the vote said stop; -1: ran to the end
  std::vector<std::pair<int, uint32_t>> acted;  // (boundary, requests) the vote returned
  uint32_t settled = 0;                          // what the epoch-end decision returned
};

// asks[rank](boundary): what the rank asks for there. As in the trainer, a request stays asked
// until the vote returns it. Runs `steps` boundaries, then the epoch-end settle.
using Asks = std::function<uint32_t(int boundary)>;
std::vector<RankResult> run_ranks(const std::vector<Asks>& asks, int steps, FakeAllReduce& net) {
  const int ranks = static_cast<int>(asks.size());
  std::vector<RankResult> results(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      int boundary = 0;
      BoundaryVote vote(ranks, [&](const RequestCounts& c) { return net.start(r, boundary, c); });
      RankResult& out = results[static_cast<size_t>(r)];
      uint32_t kept = 0;
      for (; boundary < steps; ++boundary) {
        net.at_boundary(r, boundary);
        kept |= asks[static_cast<size_t>(r)](boundary);
        uint32_t act = vote.at_step_boundary(kept);
        kept &= ~act;
        if (act != 0) out.acted.emplace_back(boundary, act);
        if ((act & kRequestStop) != 0) {
          out.stopped_at = boundary;
          break;
        }
      }
      net.at_boundary(r, boundary + 1000);  // the "epoch end"
      out.settled = vote.settle(kept);
    });
  for (auto& t : threads) t.join();
  return results;
}

// A rank that asks to stop from boundary `from` on (-1: never).
Asks stop_from(int from) {
  return [from](int b) { return from >= 0 && b >= from ? uint32_t{kRequestStop} : 0u; };
}
// A rank that asks for `requests` once, at boundary `at`.
Asks once(int at, uint32_t requests) {
  return [at, requests](int b) { return b == at ? requests : 0u; };
}

}  // namespace

TEST_CASE("every rank wishing to stop stops every rank at that step", "[boundary_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({stop_from(3), stop_from(3)}, 10, net);
  CHECK(r[0].stopped_at == 3);
  CHECK(r[1].stopped_at == 3);
}

TEST_CASE("a stop wished on one rank stops every rank one step later", "[boundary_vote]") {
  for (int wisher : {0, 1}) {
    FakeAllReduce net(3);
    std::vector<Asks> wish{stop_from(-1), stop_from(-1), stop_from(-1)};
    wish[static_cast<size_t>(wisher)] = stop_from(4);
    auto r = run_ranks(wish, 10, net);
    INFO("rank " << wisher << " wishes at step 4");
    for (const auto& rank : r) CHECK(rank.stopped_at == 5);
  }
  FakeAllReduce net(2);
  auto r = run_ranks({stop_from(6), stop_from(2)}, 10, net);  // the earlier wish decides
  CHECK(r[0].stopped_at == 3);
  CHECK(r[1].stopped_at == 3);
}

TEST_CASE("ranks that do not wish to stop never wait for the sum they just started", "[boundary_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({stop_from(-1), stop_from(5)}, 12, net);
  REQUIRE(r[0].stopped_at == 6);
  REQUIRE(r[1].stopped_at == 6);
  for (const auto& w : net.waits()) {
    INFO("rank " << w.rank << " started at " << w.started_at << ", waited at " << w.waited_at);
    if (w.waited_at >= 1000) continue;  // the epoch end's decision blocks on purpose
    if (w.rank == 0) CHECK(w.waited_at == w.started_at + 1);  // the previous boundary's sum
    if (w.rank == 1 && w.started_at < 5) CHECK(w.waited_at == w.started_at + 1);
    if (w.rank == 1 && w.started_at == 5) CHECK(w.waited_at == 5);  // the wisher waits at once
  }
  // Boundaries 0..5 each started one sum on every rank, the stop at 6 none, the epoch end one.
  CHECK(net.rounds() == 7);
}

TEST_CASE("a wish at the last boundary reaches every rank at the epoch's end", "[boundary_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({stop_from(-1), stop_from(9)}, 10, net);  // boundaries 0..9: the last one
  CHECK(r[0].stopped_at == -1);
  CHECK(r[1].stopped_at == -1);
  CHECK(r[0].settled == kRequestStop);
  CHECK(r[1].settled == kRequestStop);

  FakeAllReduce quiet(2);
  auto q = run_ranks({stop_from(-1), stop_from(-1)}, 10, quiet);
  CHECK(q[0].settled == 0u);
  CHECK(q[1].settled == 0u);
  CHECK(q[0].stopped_at == -1);
  // Every sum started was waited for by both ranks (the last ones by settle).
  CHECK(quiet.waits().size() == 2 * quiet.rounds());
}

TEST_CASE("a checkpoint asked on one rank is taken by every rank at the same step, and "
          "training goes on", "[boundary_vote]") {
  FakeAllReduce net(3);
  auto r = run_ranks({once(-1, 0), once(4, kRequestHpcCheckpoint), once(-1, 0)}, 10, net);
  for (const auto& rank : r) {
    CHECK(rank.stopped_at == -1);
    REQUIRE(rank.acted.size() == 1);
    CHECK(rank.acted[0] == std::make_pair(5, uint32_t{kRequestHpcCheckpoint}));
    CHECK(rank.settled == 0u);
  }
}

TEST_CASE("requests every rank makes at one boundary are acted on there, all kinds together",
          "[boundary_vote]") {
  FakeAllReduce net(2);
  // A signal sent to every process: one rank also wants to stop.
  auto r = run_ranks({once(3, kRequestInterrupt | kRequestStop), once(3, kRequestInterrupt)}, 10, net);
  for (const auto& rank : r) {
    REQUIRE(rank.acted.size() == 1);
    CHECK(rank.acted[0] == std::make_pair(3, uint32_t{kRequestInterrupt | kRequestStop}));
    CHECK(rank.stopped_at == 3);
  }
}

TEST_CASE("a request made while an earlier one is decided is kept for the next sum",
          "[boundary_vote]") {
  // Rank 1 asks for a checkpoint at 2 (decided at 3); rank 0 asks to stop at 3, when the vote
  // reads the earlier sum and counts nothing new. Its stop is asked again at 4 and taken at 5.
  FakeAllReduce net(2);
  auto r = run_ranks({stop_from(3), once(2, kRequestHpcCheckpoint)}, 10, net);
  for (const auto& rank : r) {
    REQUIRE(rank.acted.size() == 2);
    CHECK(rank.acted[0] == std::make_pair(3, uint32_t{kRequestHpcCheckpoint}));
    CHECK(rank.acted[1] == std::make_pair(5, uint32_t{kRequestStop}));
    CHECK(rank.stopped_at == 5);
  }
}

TEST_CASE("one process decides alone, without a sum", "[boundary_vote]") {
  int started = 0;
  BoundaryVote vote(1, [&](const RequestCounts&) -> std::unique_ptr<PendingSum> {
    ++started;
    return nullptr;
  });
  CHECK(vote.at_step_boundary(0) == 0u);
  CHECK(vote.at_step_boundary(kRequestStop) == kRequestStop);
  CHECK(vote.at_step_boundary(kRequestInterrupt) == kRequestInterrupt);
  CHECK(vote.settle(kRequestHpcCheckpoint) == kRequestHpcCheckpoint);
  CHECK(started == 0);
}

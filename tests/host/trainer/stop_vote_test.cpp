// The step-boundary stop vote (host/trainer/stop_vote): ranks run as threads over an in-memory
// sum that completes once every rank started it, like an all-reduce. Every rank must stop at
// the same step: at once when every rank wished it, one step later when only some did; a rank
// that does not wish to stop never waits for the sum it just started.
#include "trainer/stop_vote.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using volt::host::PendingSum;
using volt::host::StepStopVote;

namespace {

// Round k sums the k-th value every rank started; waiting blocks until all have.
class FakeAllReduce {
 public:
  explicit FakeAllReduce(int ranks) : ranks_(ranks) {}

  std::unique_ptr<PendingSum> start(int rank, int boundary, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t round = started_[static_cast<size_t>(rank)]++;
    if (sums_.size() <= round) sums_.resize(round + 1), arrived_.resize(round + 1);
    sums_[round] += value;
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
    double wait() override {
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
  std::vector<double> sums_;
  std::vector<int> arrived_;
  std::vector<size_t> started_ = std::vector<size_t>(8, 0);
  std::vector<int> boundary_ = std::vector<int>(8, -1);
  std::vector<Wait> waits_;
};

struct RankResult {
  int stopped_at = -1;  // step boundary where the vote said stop; -1: ran to the end
  bool drained_stop = false;
};

// Each rank wishes to stop from step wish_from[rank] on (-1: never), for `steps` boundaries.
std::vector<RankResult> run_ranks(const std::vector<int>& wish_from, int steps, FakeAllReduce& net) {
  const int ranks = static_cast<int>(wish_from.size());
  std::vector<RankResult> results(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      int boundary = 0;
      StepStopVote vote(ranks, [&](double v) { return net.start(r, boundary, v); });
      RankResult& out = results[static_cast<size_t>(r)];
      for (; boundary < steps; ++boundary) {
        net.at_boundary(r, boundary);
        bool wish = wish_from[static_cast<size_t>(r)] >= 0 && boundary >= wish_from[static_cast<size_t>(r)];
        if (vote.at_step_boundary(wish)) {
          out.stopped_at = boundary;
          break;
        }
      }
      net.at_boundary(r, boundary + 1000);  // the "epoch end"
      out.drained_stop = vote.drain();
    });
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace

TEST_CASE("every rank wishing to stop stops every rank at that step", "[stop_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({3, 3}, 10, net);
  CHECK(r[0].stopped_at == 3);
  CHECK(r[1].stopped_at == 3);
}

TEST_CASE("a stop wished on one rank stops every rank one step later", "[stop_vote]") {
  for (int wisher : {0, 1}) {
    FakeAllReduce net(3);
    std::vector<int> wish{-1, -1, -1};
    wish[static_cast<size_t>(wisher)] = 4;
    auto r = run_ranks(wish, 10, net);
    INFO("rank " << wisher << " wishes at step 4");
    for (const auto& rank : r) CHECK(rank.stopped_at == 5);
  }
  FakeAllReduce net(2);
  auto r = run_ranks({6, 2}, 10, net);  // the earlier wish decides
  CHECK(r[0].stopped_at == 3);
  CHECK(r[1].stopped_at == 3);
}

TEST_CASE("ranks that do not wish to stop never wait for the sum they just started", "[stop_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({-1, 5}, 12, net);
  REQUIRE(r[0].stopped_at == 6);
  REQUIRE(r[1].stopped_at == 6);
  for (const auto& w : net.waits()) {
    INFO("rank " << w.rank << " started at " << w.started_at << ", waited at " << w.waited_at);
    if (w.rank == 0) CHECK(w.waited_at == w.started_at + 1);  // the previous boundary's sum
    if (w.rank == 1 && w.started_at < 5) CHECK(w.waited_at == w.started_at + 1);
    if (w.rank == 1 && w.started_at == 5) CHECK(w.waited_at == 5);  // the wisher waits at once
  }
  // Boundaries 0..5 each started one sum on every rank; the stop at 6 started none.
  CHECK(net.rounds() == 6);
}

TEST_CASE("a wish at the last boundary reaches every rank through drain", "[stop_vote]") {
  FakeAllReduce net(2);
  auto r = run_ranks({-1, 9}, 10, net);  // boundaries 0..9: the wish comes at the last one
  CHECK(r[0].stopped_at == -1);
  CHECK(r[1].stopped_at == -1);
  CHECK(r[0].drained_stop);
  CHECK(r[1].drained_stop);

  FakeAllReduce quiet(2);
  auto q = run_ranks({-1, -1}, 10, quiet);
  CHECK_FALSE(q[0].drained_stop);
  CHECK_FALSE(q[1].drained_stop);
  CHECK(q[0].stopped_at == -1);
  // Every sum started was waited for by both ranks (the last one by drain).
  CHECK(quiet.waits().size() == 2 * quiet.rounds());
}

TEST_CASE("one process decides alone, without a sum", "[stop_vote]") {
  int started = 0;
  StepStopVote vote(1, [&](double) -> std::unique_ptr<PendingSum> {
    ++started;
    return nullptr;
  });
  CHECK_FALSE(vote.at_step_boundary(false));
  CHECK(vote.at_step_boundary(true));
  CHECK_FALSE(vote.drain());
  CHECK(started == 0);
}

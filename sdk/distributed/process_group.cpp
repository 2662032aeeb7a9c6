// The Gloo backend of ProcessGroup: the TCPStore rendezvous and the c10d Gloo group, with the
// network interface chosen for one node (loopback) or several (the address towards MASTER_ADDR).
#include <volt/sdk/distributed/process_group.hpp>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

namespace volt::distributed {

namespace {

// The local address this machine uses to reach `host` (a UDP connect sends nothing).
std::string local_address_towards(const std::string& label, const std::string& host,
                                  int32_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, label + ": cannot resolve MASTER_ADDR '" + host + "'");
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  bool ok = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0;
  ::freeaddrinfo(found);
  if (fd >= 0) ::close(fd);
  if (!ok) throw Error(VOLT_ERROR_UNAVAILABLE, label + ": no route from this machine to MASTER_ADDR '" + host + "'");
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof(text));
  return text;
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::ostringstream s;
  s << static_cast<double>(d.count()) / 1000.0 << " s";
  return s.str();
}

// An exception's message without c10's C++ backtrace.
std::string reason(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

c10d::ReduceOp to_c10d(Reduce op) {
  switch (op) {
    case Reduce::Sum:
    case Reduce::Mean: return c10d::ReduceOp::SUM;  // Gloo has no AVG: the caller divides
    case Reduce::Max: return c10d::ReduceOp::MAX;
    case Reduce::Min: return c10d::ReduceOp::MIN;
  }
  return c10d::ReduceOp::SUM;
}

class GlooWork final : public PendingWork {
 public:
  GlooWork(c10::intrusive_ptr<c10d::Work> work, const std::string& label)
      : work_(std::move(work)), label_(label) {}
  void wait() override {
    try {
      work_->wait();
    } catch (const std::exception& e) {
      throw Error(VOLT_ERROR_UNAVAILABLE, label_ + ": collective failed (another rank stopped "
                                                   "or timed out?): " + reason(e));
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  std::string label_;
};

class GlooProcessGroup final : public ProcessGroup {
 public:
  GlooProcessGroup(c10::intrusive_ptr<c10d::Store> store,
                  c10::intrusive_ptr<c10d::ProcessGroupGloo> group, int32_t rank, int32_t size,
                  std::string label)
      : store_(std::move(store)), group_(std::move(group)), rank_(rank), size_(size),
        label_(std::move(label)) {}

  int32_t rank() const override { return rank_; }
  int32_t world_size() const override { return size_; }
  std::string backend() const override { return "gloo"; }

  std::unique_ptr<PendingWork> all_reduce_async(at::Tensor& t, Reduce op) override {
    std::vector<at::Tensor> tensors{t};
    c10d::AllreduceOptions options;
    options.reduceOp = to_c10d(op);
    return std::make_unique<GlooWork>(group_->allreduce(tensors, options), label_);
  }

  void broadcast(at::Tensor& t, int32_t src) override {
    std::vector<at::Tensor> tensors{t};
    c10d::BroadcastOptions options;
    options.rootRank = src;
    GlooWork(group_->broadcast(tensors, options), label_).wait();
  }

  void all_gather(at::Tensor& full, const at::Tensor& shard) override {
    int64_t n = shard.numel();
    if (full.numel() != n * size_ || !full.is_contiguous())
      throw Error(VOLT_ERROR_INTERNAL, label_ + ": all_gather: the output holds " +
                                           std::to_string(full.numel()) + " elements, expected " +
                                           std::to_string(n * size_) + " (contiguous)");
    // Gloo reads the input while it writes the outputs: a shard that is a view of `full`
    // travels as a copy.
    std::vector<at::Tensor> input{shard.reshape({n}).clone()};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int32_t r = 0; r < size_; ++r) outputs[0].push_back(full.narrow(0, r * n, n));
    GlooWork(group_->allgather(outputs, input), label_).wait();
  }

  void barrier() override { GlooWork(group_->barrier(), label_).wait(); }

 private:
  c10::intrusive_ptr<c10d::Store> store_;  // the group keeps using it
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  int32_t rank_;
  int32_t size_;
  std::string label_;
};

// The rendezvous itself, blocking in c10d's waits.
std::unique_ptr<ProcessGroup> connect_blocking(const RendezvousOptions& o) {
  std::string where = o.main_address + ":" + std::to_string(o.main_port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.main_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<std::size_t>(o.world_size);
    so.waitWorkers = true;
    so.timeout = o.timeout;
    store = c10::make_intrusive<c10d::TCPStore>(o.main_address, so);
  } catch (const std::exception& e) {
    throw Error(VOLT_ERROR_UNAVAILABLE, o.label + ": rendezvous of " + std::to_string(o.world_size) +
                                            " processes at " + where + " failed (rank " +
                                            std::to_string(o.rank) + "): " + reason(e));
  }
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0')
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(
          o.single_node ? std::string("127.0.0.1") : local_address_towards(o.label, o.main_address, o.main_port)));
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
    return std::make_unique<GlooProcessGroup>(store, std::move(group), o.rank, o.world_size,
                                             o.label);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(VOLT_ERROR_UNAVAILABLE,
                o.label + ": the Gloo process group of " + std::to_string(o.world_size) +
                    " processes did not form (rank " + std::to_string(o.rank) + ", store at " +
                    where + "; did every rank start, with the same MASTER_ADDR and MASTER_PORT, "
                    "within the timeout?): " + reason(e));
  }
}

// What the rendezvous thread hands back.
struct Outcome {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::unique_ptr<ProcessGroup> group;
  std::exception_ptr error;
};

}  // namespace

// c10d's waits neither see signals nor always keep their timeout (a client whose store port is
// answered by another program waits in recv() for good), so the rendezvous runs on a thread of
// its own and this one waits for it, at most the timeout and only while the run goes on. A
// rendezvous given up on stays blocked on its thread until the process ends; it owns
// everything it uses.
std::unique_ptr<ProcessGroup> ProcessGroup::connect(const RendezvousOptions& o) {
  auto outcome = std::make_shared<Outcome>();
  RendezvousOptions blocking = o;
  blocking.cancelled = nullptr;  // it may refer to the strategy, which can end before the thread
  std::thread([outcome, blocking] {
    std::unique_ptr<ProcessGroup> group;
    std::exception_ptr error;
    try {
      group = connect_blocking(blocking);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(outcome->mutex);
    outcome->group = std::move(group);
    outcome->error = error;
    outcome->done = true;
    outcome->done_cv.notify_all();
  }).detach();

  // c10d's own timeout errors say more: they get a second to arrive first.
  auto deadline = std::chrono::steady_clock::now() + o.timeout + std::chrono::seconds(1);
  std::string what = o.label + ": rendezvous of " + std::to_string(o.world_size) +
                     " processes at " + o.main_address + ":" + std::to_string(o.main_port) +
                     " (rank " + std::to_string(o.rank) + ")";
  std::unique_lock<std::mutex> lock(outcome->mutex);
  while (!outcome->done) {
    outcome->done_cv.wait_for(lock, std::chrono::milliseconds(50));
    if (outcome->done) break;
    if (o.cancelled && o.cancelled())
      throw Error(VOLT_ERROR_CANCELLED, what + " given up: the run was asked to stop");
    if (std::chrono::steady_clock::now() > deadline)
      throw Error(VOLT_ERROR_UNAVAILABLE,
                  what + " did not complete within the timeout of " + seconds_text(o.timeout) +
                      " (did every rank start, with the same MASTER_ADDR and MASTER_PORT? is "
                      "that port Volt's, not another program's?)");
  }
  if (outcome->error) std::rethrow_exception(outcome->error);
  return std::move(outcome->group);
}

}  // namespace volt::distributed

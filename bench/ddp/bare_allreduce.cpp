#include "bare_allreduce.hpp"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace volt::bench {

namespace {

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

BareAllReduce bare_allreduce(int rank, int world, int port, int64_t numel, int iters) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(world);
  so.timeout = std::chrono::seconds(120);
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(120));
  options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
  std::vector<at::Tensor> tensors{at::ones({numel}, at::kFloat)};
  std::vector<double> seconds;
  double cpu_start = 0;
  for (int i = 0; i < iters + 5; ++i) {  // 5 warm-up rounds
    if (i == 5) cpu_start = process_cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    group->allreduce(tensors)->wait();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= 5) seconds.push_back(s);
  }
  BareAllReduce result;
  result.cpu_s = (process_cpu_seconds() - cpu_start) / iters;
  group->barrier()->wait();
  std::sort(seconds.begin(), seconds.end());
  result.wall_s = seconds[seconds.size() / 2];
  return result;
}

}  // namespace volt::bench

// The bare c10d all-reduce that bench/ddp compares training with: a TCPStore, a Gloo process
// group on loopback, and `iters` all-reduces (sum) of one float tensor, nothing else.
#pragma once

#include <cstdint>

namespace volt::bench {

struct BareAllReduce {
  double wall_s = 0;  // median of one all-reduce
  double cpu_s = 0;   // CPU time of the whole process (every thread) per all-reduce, mean
};

// Runs as rank `rank` of `world`.
BareAllReduce bare_allreduce(int rank, int world, int port, int64_t numel, int iters);

}  // namespace volt::bench

// The bare c10d all-reduce that bench/ddp compares training with: a TCPStore, a Gloo process
// group on loopback, and `iters` all-reduces (sum) of one float tensor, nothing else.
#pragma once

#include <cstdint>

namespace volt::bench {

// Runs as rank `rank` of `world`; returns the median seconds of one all-reduce.
double bare_allreduce_seconds(int rank, int world, int port, int64_t numel, int iters);

}  // namespace volt::bench

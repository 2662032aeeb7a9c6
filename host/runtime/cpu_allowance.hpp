// How many CPUs this process may actually use: its CPU affinity mask (taskset, cpusets, SLURM's
// binding) and, where one is set, the CPU quota of its cgroup (a container limited to 2 CPUs on
// a 64-core host may run 2 CPUs' worth, not 64). The smaller of the two is the allowance.
//
// The cgroup is found as the kernel describes it: /proc/self/cgroup names the process's cgroup
// in each hierarchy, /proc/self/mountinfo where each hierarchy is mounted. cgroup v2 keeps the
// quota in cpu.max ("200000 100000" or "max 100000"), v1 in cpu.cfs_quota_us and
// cpu.cfs_period_us (-1: none). A quota set on a parent cgroup limits its children too, so every
// level from the process's cgroup up to the mount's root is read and the smallest quota wins.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace volt::host {

// A CPU quota: `cpus` = quota / period, as the cgroup file gave them.
struct CpuQuota {
  double cpus = 0;
  std::string file;     // e.g. "/sys/fs/cgroup/cpu.max"
  std::string setting;  // the file's numbers, e.g. "200000 100000"
};

struct CpuAllowance {
  int64_t cpus = 1;    // >= 1
  std::string reason;  // "2 CPUs allowed by affinity", "2 CPUs allowed by the cgroup CPU quota ..."
};

// Reads a whole (small) file: nullopt when it is missing or unreadable. Tests pass a fake file
// system.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// The real file system; files over 1 MiB are treated as unreadable (these are a few lines).
std::optional<std::string> read_small_file(const std::string& path);

// The smallest quota on the path from the process's cgroup to its hierarchy's root, in v2 and
// v1 hierarchies alike; nullopt when none is set or nothing can be read. Never throws:
// unexpected file contents count as "no quota" there.
std::optional<CpuQuota> cgroup_cpu_quota(const FileReader& read);

// CPUs in this process's affinity mask (sched_getaffinity); 1 when it cannot be read.
int64_t affinity_cpu_count();

// min(affinity, ceil(quota)), at least 1, with the limit that decided it.
CpuAllowance combine_cpu_limits(int64_t affinity_cpus, const std::optional<CpuQuota>& quota);

// This process's allowance, from the real affinity mask and cgroup files.
CpuAllowance cpu_allowance();

// "1 CPU", "2 CPUs": a count and its noun, for the reasons above and the thread choice's.
inline std::string count_of(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace volt::host

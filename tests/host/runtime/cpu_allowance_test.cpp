// The CPUs a process may use: cgroup v2 and v1 quotas read from fake /proc and /sys files laid
// out as the kernel lays them (a container, a nested cgroup, Docker without a cgroup namespace,
// this kind of hybrid machine), the smaller of quota and affinity, and the real affinity count
// against /proc/self/status read independently, also after sched_setaffinity (in a child).
#include "runtime/cpu_allowance.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

using volt::host::cgroup_cpu_quota;
using volt::host::combine_cpu_limits;
using volt::host::CpuQuota;

namespace {

using Files = std::map<std::string, std::string>;

volt::host::FileReader reader(const Files& files) {
  return [files](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

// mountinfo lines as the kernel writes them.
const std::string kV2Mount = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
const std::string kHybridMounts =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// The CPUs in this process's mask as /proc/self/status lists them ("0-1,4").
int64_t cpus_allowed_list_count() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Cpus_allowed_list:", 0) != 0) continue;
    std::stringstream ranges(line.substr(line.find(':') + 1));
    std::string range;
    int64_t count = 0;
    while (std::getline(ranges, range, ',')) {
      auto dash = range.find('-');
      int64_t first = std::stoll(range.substr(0, dash));
      int64_t last = dash == std::string::npos ? first : std::stoll(range.substr(dash + 1));
      count += last - first + 1;
    }
    return count;
  }
  return -1;
}

}  // namespace

TEST_CASE("cgroup v2: the process's cpu.max quota", "[runtime][threads]") {
  Files files{{"/proc/self/mountinfo", kV2Mount},
              {"/proc/self/cgroup", "0::/\n"},
              {"/sys/fs/cgroup/cpu.max", "200000 100000\n"}};
  auto quota = cgroup_cpu_quota(reader(files));
  REQUIRE(quota);
  CHECK(quota->cpus == Approx(2.0));
  CHECK(quota->file == "/sys/fs/cgroup/cpu.max");
  CHECK(quota->setting == "200000 100000");

  files["/sys/fs/cgroup/cpu.max"] = "max 100000\n";  // no limit
  CHECK_FALSE(cgroup_cpu_quota(reader(files)));
}

TEST_CASE("cgroup v2: a parent's smaller quota limits a nested cgroup", "[runtime][threads]") {
  Files files{{"/proc/self/mountinfo", kV2Mount},
              {"/proc/self/cgroup", "0::/system.slice/job.scope\n"},
              {"/sys/fs/cgroup/system.slice/job.scope/cpu.max", "400000 100000\n"},
              {"/sys/fs/cgroup/system.slice/cpu.max", "150000 100000\n"},
              {"/sys/fs/cgroup/cpu.max", "max 100000\n"}};
  auto quota = cgroup_cpu_quota(reader(files));
  REQUIRE(quota);
  CHECK(quota->cpus == Approx(1.5));
  CHECK(quota->file == "/sys/fs/cgroup/system.slice/cpu.max");
}

TEST_CASE("cgroup v1: cfs quota and period, -1 for none (the hybrid layout of this kind of machine)",
          "[runtime][threads]") {
  Files files{{"/proc/self/mountinfo", kHybridMounts},
              {"/proc/self/cgroup", "9:name=systemd:/\n2:cpuacct:/\n1:cpu:/\n0::/\n"},
              {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n"},
              {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n"}};
  CHECK_FALSE(cgroup_cpu_quota(reader(files)));

  files["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] = "50000\n";
  auto quota = cgroup_cpu_quota(reader(files));
  REQUIRE(quota);
  CHECK(quota->cpus == Approx(0.5));
  CHECK(quota->setting == "50000 / 100000");
}

TEST_CASE("cgroup v1 without a cgroup namespace: the mount shows the container's subtree",
          "[runtime][threads]") {
  // Docker on cgroup v1: /proc/self/cgroup has the full path, the mount's root is that path.
  Files files{
      {"/proc/self/mountinfo",
       "700 690 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n"},
      {"/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n"},
      {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n"},
      {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"}};
  auto quota = cgroup_cpu_quota(reader(files));
  REQUIRE(quota);
  CHECK(quota->cpus == Approx(3.0));
}

TEST_CASE("mount points with escaped spaces are decoded", "[runtime][threads]") {
  Files files{{"/proc/self/mountinfo", "30 23 0:26 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n"},
              {"/proc/self/cgroup", "0::/\n"},
              {"/mnt/my cgroup/cpu.max", "100000 100000\n"}};
  auto quota = cgroup_cpu_quota(reader(files));
  REQUIRE(quota);
  CHECK(quota->cpus == Approx(1.0));
}

TEST_CASE("unreadable or malformed cgroup files mean no known quota", "[runtime][threads]") {
  CHECK_FALSE(cgroup_cpu_quota(reader({})));
  for (const std::string bad : {"", "max", "abc 100000", "-5 100000", "100000 0", "1 2 3",
                                "99999999999999999999 100000"}) {
    INFO(bad);
    Files files{{"/proc/self/mountinfo", kV2Mount},
                {"/proc/self/cgroup", "0::/\n"},
                {"/sys/fs/cgroup/cpu.max", bad}};
    CHECK_FALSE(cgroup_cpu_quota(reader(files)));
  }
  // A path far deeper than any real cgroup: the walk is bounded and finds nothing.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "/d";
  Files files{{"/proc/self/mountinfo", kV2Mount}, {"/proc/self/cgroup", "0::" + deep + "\n"}};
  CHECK_FALSE(cgroup_cpu_quota(reader(files)));
}

TEST_CASE("the allowance is the smaller of affinity and the quota, rounded up",
          "[runtime][threads]") {
  CpuQuota two{2.0, "/sys/fs/cgroup/cpu.max", "200000 100000"};
  auto a = combine_cpu_limits(64, two);
  CHECK(a.cpus == 2);
  CHECK(a.reason == "2 CPUs allowed by the cgroup CPU quota (/sys/fs/cgroup/cpu.max: 200000 100000; "
                    "64 in the affinity mask)");
  CHECK(combine_cpu_limits(64, CpuQuota{1.5, "f", "s"}).cpus == 2);
  CHECK(combine_cpu_limits(64, CpuQuota{0.25, "f", "s"}).cpus == 1);
  auto wide = combine_cpu_limits(2, CpuQuota{8.0, "f", "s"});
  CHECK(wide.cpus == 2);
  CHECK(wide.reason == "2 CPUs allowed by affinity");
  CHECK(combine_cpu_limits(1, std::nullopt).reason == "1 CPU allowed by affinity");
  CHECK(combine_cpu_limits(0, std::nullopt).cpus == 1);
}

TEST_CASE("the affinity count follows the process's mask", "[runtime][threads]") {
  CHECK(volt::host::affinity_cpu_count() == cpus_allowed_list_count());
  // In a child, so that this process keeps its mask: pinned to its first allowed CPU.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (::sched_getaffinity(0, sizeof(mine), &mine) != 0) ::_exit(10);
    int first = 0;
    while (!CPU_ISSET(first, &mine)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (::sched_setaffinity(0, sizeof(one), &one) != 0) ::_exit(11);
    bool ok = volt::host::affinity_cpu_count() == 1 && cpus_allowed_list_count() == 1;
    ::_exit(ok ? 0 : 12);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

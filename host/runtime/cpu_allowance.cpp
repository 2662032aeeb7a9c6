#include "runtime/cpu_allowance.hpp"

#include <sched.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace volt::host {

namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;
// cgroup trees are a few levels deep; this bounds the walk on a malformed path.
constexpr int kMaxLevels = 64;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

bool has_token(const std::string& list, const std::string& token) {
  for (const auto& t : split(list, ','))
    if (t == token) return true;
  return false;
}

// A positive decimal integer that fits in int64 and nothing else (no sign, no spaces).
std::optional<int64_t> positive_integer(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<int64_t>(value) : std::nullopt;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t start = s.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : s.substr(start);
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size();
    for (std::size_t k = 1; octal && k <= 3; ++k) octal = s[i + k] >= '0' && s[i + k] <= '7';
    if (octal) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct Mount {
  std::string root;         // the part of the hierarchy mounted there
  std::string mount_point;  // where
};

// The mount of the v2 hierarchy (`v1_controller` empty) or of the v1 hierarchy carrying
// `v1_controller`.
std::optional<Mount> find_mount(const std::string& mountinfo, const std::string& v1_controller) {
  std::istringstream lines(mountinfo);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> left = split(line.substr(0, dash), ' ');
    std::vector<std::string> right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    bool match = v1_controller.empty() ? right[0] == "cgroup2"
                                       : right[0] == "cgroup" && has_token(right[2], v1_controller);
    if (match) return Mount{unescape_octal(left[3]), unescape_octal(left[4])};
  }
  return std::nullopt;
}

// The process's cgroup path in the v2 hierarchy ("0::/path") or in the v1 one with `controller`.
std::optional<std::string> find_cgroup_path(const std::string& proc_cgroup,
                                            const std::string& v1_controller) {
  std::istringstream lines(proc_cgroup);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t first = line.find(':');
    std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string id = line.substr(0, first);
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    bool match = v1_controller.empty() ? id == "0" && controllers.empty()
                                       : has_token(controllers, v1_controller);
    if (match) return path;
  }
  return std::nullopt;
}

// The folders from the process's cgroup up to the mount point, innermost first.
std::vector<std::string> cgroup_dirs(const Mount& mount, const std::string& cgroup_path) {
  std::string relative = cgroup_path;
  if (mount.root != "/") {
    // Without a cgroup namespace the process sees the full path; the mount shows a subtree.
    if (relative.rfind(mount.root, 0) == 0) relative = relative.substr(mount.root.size());
    else relative.clear();  // not below the mount's root: only the mount itself is known
  }
  std::string base = mount.mount_point;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::vector<std::string> dirs;
  while (!relative.empty() && relative.back() == '/') relative.pop_back();
  for (int level = 0; level < kMaxLevels; ++level) {
    dirs.push_back(base + relative);
    if (relative.empty()) break;
    std::size_t slash = relative.rfind('/');
    relative = slash == std::string::npos ? std::string() : relative.substr(0, slash);
  }
  return dirs;
}

std::optional<CpuQuota> quota_v2(const FileReader& read, const std::string& dir) {
  std::string file = dir + "/cpu.max";
  std::optional<std::string> text = read(file);
  if (!text) return std::nullopt;
  std::vector<std::string> fields = split(trim(*text), ' ');
  if (fields.size() != 2) return std::nullopt;
  auto quota = positive_integer(fields[0]);  // "max": no quota
  auto period = positive_integer(fields[1]);
  if (!quota || !period) return std::nullopt;
  return CpuQuota{static_cast<double>(*quota) / static_cast<double>(*period), file, trim(*text)};
}

std::optional<CpuQuota> quota_v1(const FileReader& read, const std::string& dir) {
  std::string quota_file = dir + "/cpu.cfs_quota_us";
  std::optional<std::string> quota_text = read(quota_file);
  std::optional<std::string> period_text = read(dir + "/cpu.cfs_period_us");
  if (!quota_text || !period_text) return std::nullopt;
  auto quota = positive_integer(trim(*quota_text));  // -1: no quota
  auto period = positive_integer(trim(*period_text));
  if (!quota || !period) return std::nullopt;
  return CpuQuota{static_cast<double>(*quota) / static_cast<double>(*period), quota_file,
                  trim(*quota_text) + " / " + trim(*period_text)};
}

void keep_smaller(std::optional<CpuQuota>& best, std::optional<CpuQuota> candidate) {
  if (candidate && (!best || candidate->cpus < best->cpus)) best = std::move(candidate);
}

}  // namespace

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return std::nullopt;
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) return std::nullopt;
  return text;
}

std::optional<CpuQuota> cgroup_cpu_quota(const FileReader& read) {
  try {
    std::optional<std::string> mountinfo = read("/proc/self/mountinfo");
    std::optional<std::string> proc_cgroup = read("/proc/self/cgroup");
    if (!mountinfo || !proc_cgroup) return std::nullopt;
    std::optional<CpuQuota> best;
    for (const std::string controller : {"", "cpu"}) {
      auto mount = find_mount(*mountinfo, controller);
      auto path = find_cgroup_path(*proc_cgroup, controller);
      if (!mount || !path) continue;
      for (const auto& dir : cgroup_dirs(*mount, *path))
        keep_smaller(best, controller.empty() ? quota_v2(read, dir) : quota_v1(read, dir));
    }
    return best;
  } catch (const std::exception&) {
    return std::nullopt;  // e.g. bad_alloc on a huge path: no quota known
  }
}

int64_t affinity_cpu_count() {
  // Grow the set for machines with more CPUs than cpu_set_t holds (1024).
  for (int ncpus = 1024; ncpus <= (1 << 20); ncpus *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpus);
    if (set == nullptr) return 1;
    std::size_t size = CPU_ALLOC_SIZE(ncpus);
    int rc = ::sched_getaffinity(0, size, set);
    int count = rc == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    if (rc == 0) return count > 0 ? count : 1;
    if (errno != EINVAL) return 1;
  }
  return 1;
}

CpuAllowance combine_cpu_limits(int64_t affinity_cpus, const std::optional<CpuQuota>& quota) {
  int64_t affinity = affinity_cpus > 0 ? affinity_cpus : 1;
  if (quota) {
    // Part of a CPU is a CPU to use (as Go's and Java's runtimes round up).
    auto quota_cpus = static_cast<int64_t>(std::ceil(quota->cpus - 1e-9));
    if (quota_cpus < 1) quota_cpus = 1;
    if (quota_cpus < affinity) {
      std::ostringstream s;
      s << count_of(quota_cpus, "CPU", "CPUs") << " allowed by the cgroup CPU quota (" << quota->file << ": "
        << quota->setting << "; " << affinity << " in the affinity mask)";
      return {quota_cpus, s.str()};
    }
  }
  return {affinity, count_of(affinity, "CPU", "CPUs") + " allowed by affinity"};
}

CpuAllowance cpu_allowance() {
  return combine_cpu_limits(affinity_cpu_count(), cgroup_cpu_quota(read_small_file));
}

}  // namespace volt::host

#include "malloc_tuning.hpp"

#include <algorithm>
#include <cctype>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace volt::host {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Why the environment's own choice wins, or "" when it makes none.
std::string configured_elsewhere(const std::map<std::string, std::string>& env) {
  auto tuning = env.find("VOLT_MALLOC_TUNING");
  if (tuning != env.end()) {
    std::string v = lower(tuning->second);
    if (v == "0" || v == "false" || v == "off" || v == "no") return "VOLT_MALLOC_TUNING=" + tuning->second;
  }
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                           "MALLOC_MMAP_MAX_"})
    if (env.count(name) != 0) return std::string(name) + " is set";
  auto tunables = env.find("GLIBC_TUNABLES");
  if (tunables != env.end() && tunables->second.find("glibc.malloc.") != std::string::npos)
    return "GLIBC_TUNABLES sets glibc.malloc";
  auto preload = env.find("LD_PRELOAD");
  if (preload != env.end()) {
    std::string p = lower(preload->second);
    for (const char* allocator : {"jemalloc", "tcmalloc", "mimalloc"})
      if (p.find(allocator) != std::string::npos) return std::string(allocator) + " is preloaded";
  }
  return "";
}

}  // namespace

std::string tune_malloc_for_training(const std::map<std::string, std::string>& env) {
  std::string elsewhere = configured_elsewhere(env);
  if (!elsewhere.empty()) return "malloc settings left as they are (" + elsewhere + ")";
#if defined(__GLIBC__)
  // mallopt returns 1 on success; a value glibc refuses leaves its default in place.
  bool mmap_ok = ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
  bool trim_ok = ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
  if (!mmap_ok || !trim_ok) return "malloc settings: glibc refused the mmap or trim threshold";
  return "malloc: blocks under " + std::to_string(kMmapThresholdBytes >> 20) +
         " MiB come from the heap and up to " + std::to_string(kTrimThresholdBytes >> 20) +
         " MiB of freed heap stays in the process (VOLT_MALLOC_TUNING=0 turns this off)";
#else
  return "malloc settings left as they are (not glibc)";
#endif
}

}  // namespace volt::host

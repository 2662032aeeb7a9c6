#include "console/tables.hpp"

#include <algorithm>

namespace volt::host {

void print_metrics_table(const std::string& title, const std::map<std::string, double>& metrics,
                         std::FILE* out) {
  if (metrics.empty()) return;
  size_t w = title.size();
  for (const auto& kv : metrics) w = std::max(w, kv.first.size());
  std::string rule(w + 26, '-');
  std::fprintf(out, "%s\n  %-*s   %s\n%s\n", rule.c_str(), static_cast<int>(w), title.c_str(),
               "Value", rule.c_str());
  for (const auto& [name, value] : metrics)
    std::fprintf(out, "  %-*s   %.6g\n", static_cast<int>(w), name.c_str(), value);
  std::fprintf(out, "%s\n", rule.c_str());
}

}  // namespace volt::host

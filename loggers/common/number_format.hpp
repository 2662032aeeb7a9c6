// Numbers in log files: integers without a decimal point (as Python prints ints), other values
// in the shortest form that reads back exactly; nan, inf and -inf as Python prints them.
#pragma once

#include <charconv>
#include <cmath>
#include <string>

namespace volt::loggers {

inline std::string format_value(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace volt::loggers

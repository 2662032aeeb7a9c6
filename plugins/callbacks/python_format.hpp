// Python's number formatting, as Lightning's messages and checkpoint names use it:
//  - python_repr(x): repr(float) (shortest round-trip digits; exponent when the decimal point
//    is before -4 or after 16 digits: 1e-05, 0.0001, 1e+16, 3.0, inf, nan);
//  - format_number(value, spec): format(value, spec) for the common part of Python's format
//    spec mini-language: [[fill]align][sign][0][width][.precision][type] with type one of
//    d f F e E g G % or none. Anything else throws std::invalid_argument naming the spec.
// Integers and floats are distinct, as in Python: `{epoch:03d}` formats an int; `:d` on a float
// is an error ("Unknown format code 'd' for object of type 'float'").
#pragma once

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace volt::callbacks {

// A number as Python sees it: an int or a float.
struct PyNumber {
  bool is_int = false;
  int64_t i = 0;
  double f = 0.0;

  static PyNumber integer(int64_t v) { return {true, v, static_cast<double>(v)}; }
  static PyNumber real(double v) { return {false, 0, v}; }
  double as_double() const { return is_int ? static_cast<double>(i) : f; }
};

inline std::string python_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string s(buf, res.ptr);  // e.g. "-1.2345e-05", "3e+00"
  std::string sign;
  if (!s.empty() && s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  int exponent = std::stoi(s.substr(e + 1));
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  int decpt = exponent + 1;  // position of the decimal point relative to the digits
  int n = static_cast<int>(digits.size());
  std::string out;
  if (decpt <= -4 || decpt > 16) {
    out = digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  } else if (decpt <= 0) {
    out = "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  } else if (decpt >= n) {
    out = digits + std::string(static_cast<size_t>(decpt - n), '0') + ".0";
  } else {
    out = digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
  }
  return sign + out;
}

// repr(str): single quotes unless the text has a single quote and no double quote.
inline std::string python_repr(const std::string& s) {
  char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == '\\' || c == q) out += '\\';
    out += c;
  }
  return out + q;
}

namespace detail {

struct FormatSpec {
  char fill = ' ';
  char align = 0;  // 0: default ('>' for numbers)
  char sign = '-';
  bool zero = false;
  int width = 0;
  int precision = -1;
  char type = 0;
};

inline FormatSpec parse_format_spec(const std::string& spec) {
  auto unsupported = [&](const std::string& why) {
    throw std::invalid_argument("format spec '" + spec + "': " + why);
  };
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '=' || c == '^'; };
  FormatSpec f;
  size_t i = 0;
  if (spec.size() >= 2 && is_align(spec[1])) {
    f.fill = spec[0];
    f.align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    f.align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) f.sign = spec[i++];
  if (i < spec.size() && (spec[i] == '#' || spec[i] == 'z'))
    unsupported(std::string("the '") + spec[i] + "' option is not supported");
  if (i < spec.size() && spec[i] == '0') {
    f.zero = true;
    ++i;
  }
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
    f.width = f.width * 10 + (spec[i++] - '0');
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_'))
    unsupported("digit grouping is not supported");
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i >= spec.size() || !std::isdigit(static_cast<unsigned char>(spec[i])))
      unsupported("format specifier missing precision");
    f.precision = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
      f.precision = f.precision * 10 + (spec[i++] - '0');
  }
  if (i < spec.size()) f.type = spec[i++];
  if (i != spec.size()) unsupported("invalid format specifier");
  if (f.type != 0 && std::string("dfFeEgG%").find(f.type) == std::string::npos)
    unsupported(std::string("type '") + f.type + "' is not supported (use d, f, e, g or %)");
  return f;
}

inline std::string printf_double(const char* fmt, int precision, double x) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), fmt, precision, x);
  return buf;
}

// Python's format(x, '.Np') with no type: like 'g', but switching to exponent notation when
// exp >= p-1 and keeping one digit after the point in fixed notation.
inline std::string format_general_none(double x, int p) {
  if (p == 0) p = 1;
  std::string e = printf_double("%.*e", p - 1, x);
  int exp = std::stoi(e.substr(e.find('e') + 1));
  auto strip = [](std::string s) {
    size_t epos = s.find('e');
    std::string tail = epos == std::string::npos ? "" : s.substr(epos);
    std::string head = s.substr(0, epos);
    if (head.find('.') != std::string::npos) {
      while (head.back() == '0') head.pop_back();
      if (head.back() == '.') head.pop_back();
    }
    return head + tail;
  };
  if (exp < -4 || exp >= p - 1) return strip(e);
  std::string fixed = strip(printf_double("%.*f", p - 1 - exp, x));
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

}  // namespace detail

inline std::string format_number(const PyNumber& value, const std::string& spec) {
  detail::FormatSpec f = detail::parse_format_spec(spec);
  bool negative = false;
  std::string body;
  if (value.is_int && (f.type == 0 || f.type == 'd')) {
    if (f.precision >= 0)
      throw std::invalid_argument("format spec '" + spec +
                                  "': precision not allowed in integer format specifier");
    negative = value.i < 0;
    uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value.i) : static_cast<uint64_t>(value.i);
    body = std::to_string(magnitude);
  } else {
    if (!value.is_int && f.type == 'd')
      throw std::invalid_argument("format spec '" + spec +
                                  "': Unknown format code 'd' for object of type 'float'");
    double x = value.as_double();
    negative = std::signbit(x) && !std::isnan(x);
    double a = std::fabs(x);
    int p = f.precision;
    switch (f.type) {
      case 0:
        body = p < 0 ? python_repr(a) : detail::format_general_none(a, p);
        break;
      case 'f': body = detail::printf_double("%.*f", p < 0 ? 6 : p, a); break;
      case 'F': body = detail::printf_double("%.*F", p < 0 ? 6 : p, a); break;
      case 'e': body = detail::printf_double("%.*e", p < 0 ? 6 : p, a); break;
      case 'E': body = detail::printf_double("%.*E", p < 0 ? 6 : p, a); break;
      case 'g': body = detail::printf_double("%.*g", p < 0 ? 6 : (p == 0 ? 1 : p), a); break;
      case 'G': body = detail::printf_double("%.*G", p < 0 ? 6 : (p == 0 ? 1 : p), a); break;
      case '%': body = detail::printf_double("%.*f", p < 0 ? 6 : p, a * 100.0) + "%"; break;
      default: break;
    }
  }
  std::string sign = negative ? "-" : (f.sign == '+' ? "+" : (f.sign == ' ' ? " " : ""));
  char align = f.align;
  char fill = f.fill;
  if (align == 0 && f.zero) {
    align = '=';
    fill = '0';
  }
  if (align == 0) align = '>';
  size_t len = sign.size() + body.size();
  if (f.width <= 0 || static_cast<size_t>(f.width) <= len) return sign + body;
  size_t pad = static_cast<size_t>(f.width) - len;
  switch (align) {
    case '<': return sign + body + std::string(pad, fill);
    case '^': return std::string(pad / 2, fill) + sign + body + std::string(pad - pad / 2, fill);
    case '=': return sign + std::string(pad, fill) + body;
    default: return std::string(pad, fill) + sign + body;
  }
}

}  // namespace volt::callbacks

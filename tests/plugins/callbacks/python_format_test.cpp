// Python's repr(float) and format(value, spec), as Lightning's messages and checkpoint names
// print numbers (plugins/callbacks/python_format.hpp). Expected strings are what CPython 3.11
// prints for the same calls.
#include "../../plugins/callbacks/python_format.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using volt::callbacks::format_number;
using volt::callbacks::PyNumber;
using volt::callbacks::python_repr;

namespace {
std::string f(double x, const std::string& spec) { return format_number(PyNumber::real(x), spec); }
std::string i(int64_t x, const std::string& spec) { return format_number(PyNumber::integer(x), spec); }
}  // namespace

TEST_CASE("python_repr matches repr(float)", "[callbacks][format]") {
  CHECK(python_repr(0.0) == "0.0");
  CHECK(python_repr(-0.0) == "-0.0");
  CHECK(python_repr(3.0) == "3.0");
  CHECK(python_repr(0.1) == "0.1");
  CHECK(python_repr(0.123) == "0.123");
  CHECK(python_repr(-2.5) == "-2.5");
  CHECK(python_repr(0.0001) == "0.0001");
  CHECK(python_repr(0.00001) == "1e-05");
  CHECK(python_repr(1.5e-7) == "1.5e-07");
  CHECK(python_repr(1e16) == "1e+16");
  CHECK(python_repr(1234567890123456.0) == "1234567890123456.0");
  CHECK(python_repr(1.2345e100) == "1.2345e+100");
  CHECK(python_repr(100.0) == "100.0");
  // A float32 value read back as a double (what .item() gives for a float32 tensor).
  CHECK(python_repr(static_cast<double>(0.123456f)) == "0.12345600128173828");
  CHECK(python_repr(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(python_repr(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(python_repr(std::nan("")) == "nan");
}

TEST_CASE("python_repr of strings uses Python's quotes", "[callbacks][format]") {
  CHECK(python_repr(std::string("val_loss")) == "'val_loss'");
  CHECK(python_repr(std::string("it's")) == "\"it's\"");
  CHECK(python_repr(std::string("a'b\"c")) == "'a\\'b\"c'");
}

TEST_CASE("format_number: float presentation types", "[callbacks][format]") {
  CHECK(f(0.123456, ".2f") == "0.12");
  CHECK(f(0.125, ".2f") == "0.12");  // exact binary value rounds half to even here, as Python
  CHECK(f(2.0, ".3f") == "2.000");
  CHECK(f(-1.5, ".1f") == "-1.5");
  CHECK(f(0.000123, ".2e") == "1.23e-04");
  CHECK(f(12345.678, ".3E") == "1.235E+04");
  CHECK(f(0.5, "f") == "0.500000");
  CHECK(f(1234.5, "g") == "1234.5");
  CHECK(f(0.00001234, ".3g") == "1.23e-05");
  CHECK(f(0.256, ".1%") == "25.6%");
  CHECK(f(0.5, "") == "0.5");
  CHECK(f(1.0, ".3") == "1.0");
  CHECK(f(100.0, ".3") == "1e+02");
  CHECK(f(0.123456, ".3") == "0.123");
  CHECK(f(std::numeric_limits<double>::infinity(), ".2f") == "inf");
  CHECK(f(std::nan(""), ".2f") == "nan");
}

TEST_CASE("format_number: width, fill, alignment and sign", "[callbacks][format]") {
  CHECK(f(3.14159, "08.3f") == "0003.142");
  CHECK(f(-3.14159, "08.3f") == "-003.142");
  CHECK(f(1.5, "+.1f") == "+1.5");
  CHECK(f(1.5, " .1f") == " 1.5");
  CHECK(f(1.5, "6.1f") == "   1.5");
  CHECK(f(1.5, "<6.1f") == "1.5   ");
  CHECK(f(1.5, "*^7.1f") == "**1.5**");
  CHECK(i(5, "03d") == "005");
  CHECK(i(-5, "04d") == "-005");
  CHECK(i(42, ">5") == "   42");
}

TEST_CASE("format_number: ints and floats stay distinct, as in Python", "[callbacks][format]") {
  CHECK(i(7, "") == "7");
  CHECK(i(7, "d") == "7");
  CHECK(i(2, ".2f") == "2.00");  // format(2, '.2f')
  CHECK(i(3, "e") == "3.000000e+00");
  CHECK_THROWS_WITH(f(0.5, "d"), Catch::Contains("Unknown format code 'd' for object of type 'float'"));
  CHECK_THROWS_WITH(i(1, ".2d"), Catch::Contains("precision not allowed"));
}

TEST_CASE("format_number: unsupported specs are rejected by name", "[callbacks][format]") {
  CHECK_THROWS_WITH(f(1.0, ",.2f"), Catch::Contains("',.2f'") && Catch::Contains("grouping"));
  CHECK_THROWS_WITH(i(255, "x"), Catch::Contains("type 'x' is not supported"));
  CHECK_THROWS_WITH(f(1.0, "#.2f"), Catch::Contains("not supported"));
  CHECK_THROWS_WITH(f(1.0, ".f"), Catch::Contains("missing precision"));
  CHECK_THROWS_WITH(f(1.0, ".2fx"), Catch::Contains("invalid format specifier"));
}

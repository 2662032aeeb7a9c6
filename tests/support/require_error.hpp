// Runs a callable that must throw volt::Error, and checks that the message names every given
// part (a file, a key, the expected and the actual value).
#pragma once

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace volt::test {

template <class Fn>
void require_error(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL("no error");
  } catch (const Error& e) {
    std::string message = e.what();
    INFO(message);
    for (const auto& p : parts) CHECK(message.find(p) != std::string::npos);
  }
}

}  // namespace volt::test

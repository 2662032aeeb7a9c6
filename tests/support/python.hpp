// The Python (Debian's python3-torch) that tests use as an independent reference: torch.load
// for checkpoints, torch.optim.lr_scheduler for schedules. scripts/install-deps.sh installs it,
// so a missing one fails the test; VOLT_TEST_ALLOW_NO_PYTHON=1 turns that into a skip.
#pragma once

#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

namespace volt::test_python {

inline std::string python() { return VOLT_TEST_PYTHON; }

// Empty when usable, else why not.
inline std::string python_torch_missing() {
  static const std::string why = [] {
    namespace fs = std::filesystem;
    if (!fs::exists(python())) return python() + " does not exist";
    volt::trainer_test::TempDir tmp("py-probe");
    auto r = volt::trainer_test::run_process({python(), "-c", "import torch"}, tmp.path(), tmp.path());
    return r.exit_code == 0 ? std::string() : python() + " cannot import torch: " + r.err;
  }();
  return why;
}

inline bool python_optional() {
  const char* v = std::getenv("VOLT_TEST_ALLOW_NO_PYTHON");
  return v != nullptr && std::string(v) == "1";
}

// Runs a Python script in `dir`; returns its result (stdout, stderr, exit code).
inline volt::trainer_test::ProcessResult run_python(const std::string& script, const volt::trainer_test::TempDir& dir) {
  std::filesystem::path file = dir / "script.py";
  std::ofstream(file) << script;
  return volt::trainer_test::run_process({python(), file.string()}, dir.path(), dir.path());
}

}  // namespace volt::test_python

// At the top of a test that needs Python with torch.
#define REQUIRE_PYTHON_TORCH()                                                          \
  do {                                                                                  \
    const std::string why_ = ::volt::test_python::python_torch_missing();               \
    if (!why_.empty()) {                                                                \
      if (::volt::test_python::python_optional()) {                                     \
        WARN("skipped (VOLT_TEST_ALLOW_NO_PYTHON=1): " << why_);                        \
        return;                                                                         \
      }                                                                                 \
      FAIL(why_ << " (install python3-torch: scripts/install-deps.sh)");               \
    }                                                                                   \
  } while (false)

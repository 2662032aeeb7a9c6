// The host's malloc settings: when they apply, and that a step's freed buffers stay in the
// process instead of being faulted in again each step (page faults counted by getrusage, in a
// child process so that this one's settings are untouched).
#include "runtime/malloc_tuning.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using Catch::Matchers::Contains;
using volt::host::tune_malloc_for_training;

namespace {

using Env = std::map<std::string, std::string>;

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
// Page faults while a "step" allocates, fills and frees an 8 MiB buffer, over the steps after
// the first (which may map memory once).
long faults_of_repeated_steps() {
  constexpr size_t kBlock = size_t{8} << 20;
  long before = 0;
  for (int step = 0; step < 4; ++step) {
    if (step == 1) {
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      before = usage.ru_minflt;
    }
    char* p = static_cast<char*>(std::malloc(kBlock));
    std::memset(p, step, kBlock);
    asm volatile("" : : "g"(p) : "memory");  // the compiler may not drop the buffer
    std::free(p);
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt - before;
}

// In a child: with glibc's starting thresholds, each step maps and faults the buffer in again
// (2048 pages of 4 KiB); with the host's settings it is reused. Exit code: bit 0 when the
// defaults did not fault (the check would prove nothing), bit 1 when the tuned settings did.
int child_exit_code() {
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  int code = faults_of_repeated_steps() < 3 * 1024 ? 1 : 0;
  tune_malloc_for_training(Env{});
  if (faults_of_repeated_steps() > 64) code |= 2;
  return code;
}
#endif

}  // namespace

TEST_CASE("the host keeps freed tensor memory in the process with glibc's malloc", "[malloc]") {
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(child_exit_code());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  INFO("bit 0: glibc's defaults did not fault the buffer in again; bit 1: the host's did");
  CHECK(WEXITSTATUS(status) == 0);
#else
  WARN("not glibc 2.33 or later: nothing to check");
#endif
}

TEST_CASE("the malloc settings are left to the environment when it chooses them", "[malloc]") {
  CHECK_THAT(tune_malloc_for_training(Env{{"VOLT_MALLOC_TUNING", "0"}}), Contains("VOLT_MALLOC_TUNING=0"));
  CHECK_THAT(tune_malloc_for_training(Env{{"VOLT_MALLOC_TUNING", "Off"}}), Contains("left as they are"));
  CHECK_THAT(tune_malloc_for_training(Env{{"MALLOC_TRIM_THRESHOLD_", "0"}}),
             Contains("MALLOC_TRIM_THRESHOLD_ is set"));
  CHECK_THAT(tune_malloc_for_training(Env{{"MALLOC_MMAP_THRESHOLD_", "65536"}}),
             Contains("MALLOC_MMAP_THRESHOLD_ is set"));
  CHECK_THAT(tune_malloc_for_training(Env{{"GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0"}}),
             Contains("GLIBC_TUNABLES sets glibc.malloc"));
  CHECK_THAT(tune_malloc_for_training(Env{{"LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"}}),
             Contains("jemalloc is preloaded"));
#if defined(__GLIBC__)
  // Settings that do not touch malloc leave the host's choice in place.
  CHECK_THAT(tune_malloc_for_training(Env{{"GLIBC_TUNABLES", "glibc.rtld.nns=2"}, {"VOLT_MALLOC_TUNING", "1"}}),
             Contains("MiB come from the heap"));
#endif
}

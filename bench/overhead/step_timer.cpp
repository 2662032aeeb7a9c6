// `step_timer`: a callback for bench/overhead. It records CLOCK_MONOTONIC at every
// on_train_batch_start and once at on_train_end, and writes
//   {"batch_start_ns": [...], "end_ns": N, "cpu_clock_every": K,
//    "batch_start_cpu_ns": [...], "first_step_process_cpu_ns": N}
// to `output` when training ends. Consecutive batch starts bound one whole step of the loop
// (data fetch, hooks, logging, forward, backward, optimizer), which is what the benchmark
// compares with a hand-written loop. batch_start_cpu_ns is the thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID) at the start of steps 0, K, 2K, ... (`cpu_clock_every`), and
// first_step_process_cpu_ns the process's CPU time at the first step: on a shared machine they
// do not count time spent waiting for a core. The CPU clocks are read every K steps, not every
// step, because reading them is a system call: on a VM with page-table isolation and no PCID
// each one flushes the TLB, which in one measurement added 12 us to a 64 us step of both
// programs and more to the program that touches more pages afterwards (bench/README.md).
//
// `step_phase_timer` (same options) also records CLOCK_MONOTONIC at on_before_zero_grad
// (forward done), on_before_backward, on_after_backward and on_train_batch_end of every step,
// written as
//   "phase_ns": {"forward_end": [...], "backward_start": [...], "backward_end": [...],
//                "batch_end": [...]}
// so that the driver can split a step into fetch / forward / zero_grad / backward / optimizer.
// It is a class of its own because the host calls a callback only for the hooks its class
// overrides: plain step_timer adds no call to those phases.
//
// Built into <build>/bench/plugins, outside the default plugin folder: pass that folder with
// --plugin-dir and select it with --callbacks+=step_timer --callbacks.output=PATH.
#include <volt/sdk.hpp>

#include <time.h>

#include <cstdio>
#include <string>
#include <vector>

namespace volt::bench {

namespace {

// CLOCK_MONOTONIC is system-wide, so the driver can compare it with its own fork time.
inline int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void append_array(std::string& text, const char* key, const std::vector<int64_t>& values) {
  text += "\"";
  text += key;
  text += "\": [";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(values[i]);
  }
  text += "]";
}

}  // namespace

constexpr const char* kSchema =
    R"json({"type": "object", "additionalProperties": false, "required": ["output"],
            "properties": {"output": {"type": "string",
                                      "description": "JSON file written at on_train_end"},
                           "cpu_clock_every": {"type": "integer", "minimum": 1, "default": 1,
                                               "description": "read the thread's CPU clock every N steps"}}})json";

class StepTimer : public Callback {
 public:
  static PluginInfo info() {
    return {"step_timer", "1.0.0",
            "Benchmark probe: CLOCK_MONOTONIC at every training batch start, written as JSON",
            kSchema};
  }

  explicit StepTimer(const nlohmann::json& config, bool phases = false)
      : output_(config.at("output").get<std::string>()),
        cpu_clock_every_(config.value("cpu_clock_every", int64_t{1})),
        phases_(phases) {
    // Enough for long runs without reallocating inside the timed loop.
    starts_.reserve(1 << 16);
    cpu_starts_.reserve(1 << 16);
    if (phases_)
      for (auto& p : phase_ns_) p.reserve(1 << 16);
  }

  void on_train_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) override {
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (starts_.empty()) first_process_cpu_ns_ = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (static_cast<int64_t>(starts_.size()) % cpu_clock_every_ == 0)
      cpu_starts_.push_back(clock_ns(CLOCK_THREAD_CPUTIME_ID));
    starts_.push_back(now);
  }

  void on_train_end() override {
    // Taken once, as the hand-written loop does after its last epoch (not at every batch end:
    // that would be a clock read per step the reference does not make).
    end_ns_ = clock_ns(CLOCK_MONOTONIC);
    if (global_rank() != 0) return;  // ranks step in lockstep; rank 0 speaks for the run
    std::string text = "{";
    append_array(text, "batch_start_ns", starts_);
    text += ", \"end_ns\": " + std::to_string(end_ns_);
    text += ", \"cpu_clock_every\": " + std::to_string(cpu_clock_every_) + ", ";
    append_array(text, "batch_start_cpu_ns", cpu_starts_);
    text += ", \"first_step_process_cpu_ns\": " + std::to_string(first_process_cpu_ns_);
    if (phases_) {
      text += ", \"phase_ns\": {";
      for (size_t i = 0; i < kPhaseCount; ++i) {
        if (i > 0) text += ", ";
        append_array(text, kPhaseNames[i], phase_ns_[i]);
      }
      text += "}";
    }
    text += "}\n";
    std::FILE* f = std::fopen(output_.c_str(), "w");
    if (f == nullptr) throw Error(VOLT_ERROR_UNAVAILABLE, "step_timer: cannot write " + output_);
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok) throw Error(VOLT_ERROR_DATA_LOSS, "step_timer: cannot write " + output_);
  }

 protected:
  enum Phase : size_t { kForwardEnd, kBackwardStart, kBackwardEnd, kBatchEnd, kPhaseCount };
  static constexpr const char* kPhaseNames[kPhaseCount] = {"forward_end", "backward_start",
                                                           "backward_end", "batch_end"};

  void mark(Phase p) { phase_ns_[p].push_back(clock_ns(CLOCK_MONOTONIC)); }

 private:
  std::string output_;
  int64_t cpu_clock_every_;
  bool phases_;
  std::vector<int64_t> phase_ns_[kPhaseCount];
  std::vector<int64_t> starts_;      // CLOCK_MONOTONIC
  std::vector<int64_t> cpu_starts_;  // CLOCK_THREAD_CPUTIME_ID, every cpu_clock_every_ steps
  int64_t end_ns_ = 0;
  int64_t first_process_cpu_ns_ = 0;
};

class StepPhaseTimer final : public StepTimer {
 public:
  static PluginInfo info() {
    return {"step_phase_timer", "1.0.0",
            "Benchmark probe: step_timer plus the phases of every step, written as JSON", kSchema};
  }
  explicit StepPhaseTimer(const nlohmann::json& config) : StepTimer(config, true) {}

  void on_before_zero_grad(int32_t /*optimizer_idx*/) override { mark(kForwardEnd); }
  void on_before_backward(const torch::Tensor& /*loss*/) override { mark(kBackwardStart); }
  void on_after_backward() override { mark(kBackwardEnd); }
  void on_train_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                          int64_t /*batch_idx*/) override {
    mark(kBatchEnd);
  }
};

}  // namespace volt::bench

VOLT_PLUGINS(volt::bench::StepTimer, volt::bench::StepPhaseTimer)

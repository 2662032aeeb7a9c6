// `model_state_meter`: a callback for bench/fsdp. Just before each optimizer step (gradients
// reduced, optimizer state allocated from the second step on) it adds up the bytes of the
// storages behind this rank's parameters, their gradients and the optimizer state, each storage
// counted once, and keeps the largest total. At on_train_end every rank writes
//   {"rank": R, "params": B, "grads": B, "optimizer": B, "peak_rss": B}
// to `output` with "{rank}" replaced by its rank (peak_rss: the process's VmHWM).
//
// Built into <build>/bench/plugins, beside step_timer.
#include <volt/sdk.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_set>

namespace volt::bench {

namespace {

using Storages = std::unordered_set<const void*>;

int64_t add_storage(Storages& seen, const torch::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return 0;
  const c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  return seen.insert(s).second ? static_cast<int64_t>(s->nbytes()) : 0;
}

int64_t add_tensors(Storages& seen, const c10::IValue& v) {
  if (v.isTensor()) return add_storage(seen, v.toTensor());
  int64_t n = 0;
  if (v.isGenericDict())
    for (const auto& e : v.toGenericDict()) n += add_tensors(seen, e.value());
  else if (v.isList())
    for (const c10::IValue e : v.toListRef()) n += add_tensors(seen, e);
  else if (v.isTuple())
    for (const auto& e : v.toTupleRef().elements()) n += add_tensors(seen, e);
  return n;
}

int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // kB
  return 0;
}

}  // namespace

class ModelStateMeter : public Callback {
 public:
  static PluginInfo info() {
    return {"model_state_meter", "1.0.0",
            "Benchmark probe: bytes of parameters, gradients and optimizer state on this rank",
            R"json({"type": "object", "additionalProperties": false, "required": ["output"],
              "properties": {"output": {"type": "string",
                "description": "JSON file written by every rank at on_train_end; {rank} is replaced"}}})json"};
  }

  explicit ModelStateMeter(const nlohmann::json& config)
      : output_(config.at("output").get<std::string>()) {}

  void on_before_optimizer_step(int32_t /*optimizer_idx*/) override {
    Storages params, grads, state;
    int64_t p = 0, g = 0, o = 0;
    for (auto& [name, t] : module().named_parameters()) {
      p += add_storage(params, t);
      g += add_storage(grads, t.grad());
    }
    size_t count = detail::host().optimizer_count(context());
    for (size_t i = 0; i < count; ++i) {
      volt_optimizer_info info{};
      info.struct_size = volt::abi_size(&info);
      if (!detail::host().optimizer_info(context(), i, &info)) continue;
      o += add_tensors(state, state_dict_of(OptimizerRef(const_cast<volt_optimizer*>(info.optimizer))));
    }
    if (p + g + o > params_ + grads_ + optimizer_) params_ = p, grads_ = g, optimizer_ = o;
  }

  void on_train_end() override {
    std::string path = output_;
    auto at = path.find("{rank}");
    if (at != std::string::npos) path.replace(at, 6, std::to_string(global_rank()));
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw Error(VOLT_ERROR_UNAVAILABLE, "model_state_meter: cannot write " + path);
    std::fprintf(f, "{\"rank\": %d, \"params\": %lld, \"grads\": %lld, \"optimizer\": %lld, \"peak_rss\": %lld}\n",
                 global_rank(), static_cast<long long>(params_), static_cast<long long>(grads_),
                 static_cast<long long>(optimizer_), static_cast<long long>(peak_rss_bytes()));
    if (std::fclose(f) != 0) throw Error(VOLT_ERROR_DATA_LOSS, "model_state_meter: cannot write " + path);
  }

 private:
  std::string output_;
  int64_t params_ = 0, grads_ = 0, optimizer_ = 0;
};

}  // namespace volt::bench

VOLT_PLUGINS(volt::bench::ModelStateMeter)

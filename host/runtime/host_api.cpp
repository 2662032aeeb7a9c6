#include "host_api.hpp"

#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <cstring>
#include <new>

// Host-side error object: the only definition of volt_error.
struct volt_error {
  volt_error_code code;
  std::string message;
};

namespace volt::host {
namespace {

// Handed back when even an error cannot be allocated; error_free never deletes it.
volt_error* out_of_memory_error() {
  static volt_error oom{VOLT_ERROR_INTERNAL, "out of memory while creating an error"};
  return &oom;
}

volt_error* error_new(volt_error_code code, const char* message) {
  try {
    return new volt_error{code, message != nullptr ? message : ""};
  } catch (...) {
    return out_of_memory_error();
  }
}

void error_free(volt_error* e) {
  if (e != nullptr && e != out_of_memory_error()) delete e;
}

volt_error_code error_code(const volt_error* e) { return e != nullptr ? e->code : VOLT_OK; }
const char* error_message(const volt_error* e) { return e != nullptr ? e->message.c_str() : ""; }

void log_message(const volt_host_context* ctx, int32_t severity, const char* message) {
  const char* label = ctx != nullptr ? ctx->label.c_str() : "plugin";
  const char* text = message != nullptr ? message : "";
  switch (severity) {
    case VOLT_LOG_DEBUG: log::debug("[", label, "] ", text); break;
    case VOLT_LOG_INFO: log::info("[", label, "] ", text); break;
    case VOLT_LOG_WARNING: log::warning("[", label, "] ", text); break;
    default: log::error("[", label, "] ", text); break;
  }
}

bool is_cancelled(const volt_host_context*) { return cancel_flag().load(std::memory_order_relaxed); }

volt_tensor* tensor_retain(volt_tensor* t) {
  if (t == nullptr) return nullptr;
  return volt::new_ref(volt::unwrap(t));
}

void tensor_release(volt_tensor* t) {
  if (t != nullptr) volt::release_ref(t);
}

volt_error* tensor_to_dlpack(volt_tensor* t, volt_dl_managed_tensor** out) {
  *out = nullptr;
  if (t == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "tensor_to_dlpack: NULL tensor");
  try {
    *out = volt::to_dlpack(volt::unwrap(t).detach());
    return nullptr;
  } catch (const std::exception& e) {
    return error_new(VOLT_ERROR_INTERNAL, e.what());
  }
}

volt_error* tensor_from_dlpack(volt_dl_managed_tensor* dl, volt_tensor** out) {
  *out = nullptr;
  if (dl == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "tensor_from_dlpack: NULL");
  try {
    *out = volt::new_ref(volt::from_dlpack(dl));
    return nullptr;
  } catch (const std::exception& e) {
    return error_new(VOLT_ERROR_INVALID_ARGUMENT, e.what());
  }
}

// Runs a call into the running trainer, turning its exceptions into an error value.
template <class Fn>
volt_error* with_services(volt_host_context* ctx, const char* what, Fn&& fn) {
  if (ctx == nullptr || ctx->services == nullptr)
    return error_new(VOLT_ERROR_FAILED_PRECONDITION,
                     (std::string(what) + " called outside a running trainer").c_str());
  return error_from([&] { fn(*ctx->services); });
}

volt_error* log_metric(volt_host_context* ctx, const volt_log_args* args) {
  if (args == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "log: NULL arguments");
  return with_services(ctx, "log()", [&](TrainerServices& s) { s.log_metric(*args); });
}

void trainer_state(const volt_host_context* ctx, volt_trainer_state* out) {
  if (out == nullptr) return;
  volt_trainer_state s{};
  s.struct_size = volt::abi_size(&s);
  s.max_epochs = -1;
  s.max_steps = -1;
  s.world_size = 1;
  s.hook = VOLT_HOOK_NONE;
  if (ctx != nullptr && ctx->services != nullptr) ctx->services->fill_state(s);
  // Copy only what the caller's struct can hold.
  size_t n = out->struct_size < sizeof(s) ? out->struct_size : sizeof(s);
  size_t caller_size = out->struct_size;
  std::memcpy(out, &s, n);
  out->struct_size = caller_size;
}

bool callback_metric(const volt_host_context* ctx, const char* name, double* out) {
  if (ctx == nullptr || ctx->services == nullptr || name == nullptr || out == nullptr) return false;
  return ctx->services->callback_metric(name, *out);
}

void request_stop(volt_host_context* ctx, const char* reason) {
  if (ctx != nullptr && ctx->services != nullptr)
    ctx->services->request_stop(reason != nullptr ? reason : "");
}

volt_error* save_checkpoint(volt_host_context* ctx, const char* path, bool weights_only) {
  if (path == nullptr || *path == '\0')
    return error_new(VOLT_ERROR_INVALID_ARGUMENT, "save_checkpoint: empty path");
  return with_services(ctx, "save_checkpoint",
                       [&](TrainerServices& s) { s.save_checkpoint(path, weights_only); });
}

size_t optimizer_count(const volt_host_context* ctx) {
  return ctx != nullptr && ctx->services != nullptr ? ctx->services->optimizer_count() : 0;
}

bool optimizer_info(const volt_host_context* ctx, size_t index, volt_optimizer_info* out) {
  if (ctx == nullptr || ctx->services == nullptr || out == nullptr) return false;
  volt_optimizer_info info{};
  info.struct_size = volt::abi_size(&info);
  if (!ctx->services->optimizer_info(index, info)) return false;
  size_t caller_size = out->struct_size;
  std::memcpy(out, &info, caller_size < sizeof(info) ? caller_size : sizeof(info));
  out->struct_size = caller_size;
  return true;
}

volt_error* set_accumulate_grad_batches(volt_host_context* ctx, int64_t n) {
  return with_services(ctx, "set_accumulate_grad_batches",
                       [&](TrainerServices& s) { s.set_accumulate_grad_batches(n); });
}

// A trainer's metrics as JSON for the host table's string getters; "{}" outside a run.
template <class Get>
const char* metrics_text(const volt_host_context* ctx, std::string& text, Get get) {
  try {
    text = ctx != nullptr && ctx->services != nullptr ? get(*ctx->services) : "{}";
  } catch (...) {
    text = "{}";
  }
  return text.c_str();
}

const char* progress_bar_metrics(const volt_host_context* ctx) {
  static std::string text;  // main thread only, valid until the next call
  return metrics_text(ctx, text, [](TrainerServices& s) { return s.progress_bar_metrics_json(); });
}

const char* callback_metrics_json(const volt_host_context* ctx) {
  static std::string text;  // main thread only, valid until the next call
  return metrics_text(ctx, text, [](TrainerServices& s) { return s.callback_metrics_json(); });
}

volt_error* rank_reduce(volt_host_context* ctx, volt_tensor* t, int32_t op, volt_tensor** out) {
  if (t == nullptr || out == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "reduce: NULL argument");
  return with_services(ctx, "reduce", [&](TrainerServices& s) { *out = s.rank_reduce(t, op); });
}

volt_error* rank_broadcast(volt_host_context* ctx, volt_tensor* t, int32_t src, volt_tensor** out) {
  if (t == nullptr || out == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "broadcast: NULL argument");
  return with_services(ctx, "broadcast", [&](TrainerServices& s) { *out = s.rank_broadcast(t, src); });
}

volt_error* rank_all_gather(volt_host_context* ctx, volt_tensor* t, volt_tensor** out) {
  if (t == nullptr || out == nullptr) return error_new(VOLT_ERROR_INVALID_ARGUMENT, "all_gather: NULL argument");
  return with_services(ctx, "all_gather", [&](TrainerServices& s) { *out = s.rank_all_gather(t); });
}

volt_error* rank_barrier(volt_host_context* ctx, const char* name) {
  return with_services(ctx, "barrier",
                       [&](TrainerServices& s) { s.rank_barrier(name != nullptr ? name : ""); });
}

}  // namespace

std::atomic<bool>& cancel_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

const volt_host_api* host_api() {
  static const volt_host_api api = [] {
    volt_host_api a{};
    a.struct_size = volt::abi_size(&a);
    a.abi_major = VOLT_ABI_MAJOR;
    a.abi_minor = VOLT_ABI_MINOR;
    a.host_version = VOLT_SDK_VERSION;
    a.error_new = &error_new;
    a.error_free = &error_free;
    a.error_code = &error_code;
    a.error_message = &error_message;
    a.log = &log_message;
    a.is_cancelled = &is_cancelled;
    a.tensor_retain = &tensor_retain;
    a.tensor_release = &tensor_release;
    a.tensor_to_dlpack = &tensor_to_dlpack;
    a.tensor_from_dlpack = &tensor_from_dlpack;
    a.log_metric = &log_metric;
    a.trainer_state = &trainer_state;
    a.callback_metric = &callback_metric;
    a.request_stop = &request_stop;
    a.save_checkpoint = &save_checkpoint;
    a.optimizer_count = &optimizer_count;
    a.optimizer_info = &optimizer_info;
    a.set_accumulate_grad_batches = &set_accumulate_grad_batches;
    a.progress_bar_metrics = &progress_bar_metrics;
    a.callback_metrics_json = &callback_metrics_json;
    a.reduce = &rank_reduce;
    a.broadcast = &rank_broadcast;
    a.all_gather = &rank_all_gather;
    a.barrier = &rank_barrier;
    return a;
  }();
  // The C++ layer's helpers (volt::detail::check...) are used by the host too.
  volt::detail::host_slot() = &api;
  return &api;
}

volt_error* error_from(const std::function<void()>& fn) noexcept {
  try {
    fn();
    return nullptr;
  } catch (const volt::Error& e) {
    return error_new(e.code(), e.what());
  } catch (const c10::Error& e) {
    return error_new(VOLT_ERROR_INTERNAL, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return error_new(VOLT_ERROR_INTERNAL, e.what());
  } catch (...) {
    return error_new(VOLT_ERROR_INTERNAL, "unknown exception");
  }
}

std::string take_error_message(volt_error* error) {
  if (error == nullptr) return "";
  std::string message = error->message;
  error_free(error);
  return message;
}

void check_plugin(volt_error* error, const std::string& label, const char* what) {
  if (error == nullptr) return;
  std::string message = error->message;
  volt_error_code code = error->code;
  error_free(error);
  std::string prefix = label;
  if (what != nullptr) prefix += std::string(" (") + what + ")";
  throw volt::Error(code, prefix + ": " + message);
}

}  // namespace volt::host

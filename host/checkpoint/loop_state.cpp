#include "checkpoint/loop_state.hpp"

#include <volt/sdk/core.hpp>

namespace volt::host {

namespace {

using Dict = c10::impl::GenericDict;

Dict dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

// Lightning's progress classes differ in which of the four counters they have.
enum Fields { kAll, kReadyCompleted, kReadyStartedCompleted };

Dict counters(const Progress& p, Fields f) {
  Dict d = dict();
  d.insert("ready", p.ready);
  if (f != kReadyCompleted) d.insert("started", p.started);
  if (f == kAll) d.insert("processed", p.processed);
  d.insert("completed", p.completed);
  return d;
}
Dict pair(const ProgressPair& p, Fields f = kAll) {
  Dict d = dict();
  d.insert("total", counters(p.total, f));
  d.insert("current", counters(p.current, f));
  return d;
}

Dict eval_loop(const ProgressPair& batch) {
  Dict d = dict();
  d.insert("state_dict", dict());
  Dict b = pair(batch);
  b.insert("is_last_batch", false);
  d.insert("batch_progress", b);
  return d;
}

const c10::IValue* find(const c10::IValue& d, const char* key) {
  if (!d.isGenericDict()) return nullptr;
  const auto& dict = d.toGenericDict();
  auto it = dict.find(c10::IValue(std::string(key)));
  return it == dict.end() ? nullptr : &it->value();
}
int64_t integer(const c10::IValue* v) { return v != nullptr && v->isInt() ? v->toInt() : 0; }

Progress read_counters(const c10::IValue* d) {
  Progress p;
  if (d == nullptr) return p;
  p.ready = integer(find(*d, "ready"));
  p.started = integer(find(*d, "started"));
  p.processed = integer(find(*d, "processed"));
  p.completed = integer(find(*d, "completed"));
  return p;
}
ProgressPair read_pair(const c10::IValue* d) {
  ProgressPair p;
  if (d == nullptr) return p;
  p.total = read_counters(find(*d, "total"));
  p.current = read_counters(find(*d, "current"));
  return p;
}

}  // namespace

c10::IValue loops_to_ivalue(const FitProgress& p) {
  Dict fit = dict();
  fit.insert("state_dict", dict());
  fit.insert("epoch_progress", pair(p.epoch));
  Dict epoch_loop_state = dict();
  epoch_loop_state.insert("_batches_that_stepped", p.batches_that_stepped);
  epoch_loop_state.insert("volt_validated_batch", p.validated_batch);
  fit.insert("epoch_loop.state_dict", epoch_loop_state);
  Dict batch = pair(p.batch);
  batch.insert("is_last_batch", p.is_last_batch);
  fit.insert("epoch_loop.batch_progress", batch);
  Dict optimizer = dict();
  optimizer.insert("step", pair(p.optimizer_step, kReadyCompleted));
  optimizer.insert("zero_grad", pair(p.zero_grad, kReadyStartedCompleted));
  Dict optim_progress = dict();
  optim_progress.insert("optimizer", optimizer);
  fit.insert("epoch_loop.automatic_optimization.state_dict", dict());
  fit.insert("epoch_loop.automatic_optimization.optim_progress", optim_progress);
  fit.insert("epoch_loop.val_loop.state_dict", dict());
  Dict val = pair(p.val_batch);
  val.insert("is_last_batch", false);
  fit.insert("epoch_loop.val_loop.batch_progress", val);

  Dict loops = dict();
  loops.insert("fit_loop", fit);
  loops.insert("validate_loop", eval_loop({}));
  loops.insert("test_loop", eval_loop({}));
  loops.insert("predict_loop", eval_loop({}));
  return loops;
}

FitProgress fit_progress_from(const c10::IValue& loops) {
  const c10::IValue* fit = find(loops, "fit_loop");
  if (fit == nullptr || !fit->isGenericDict())
    throw Error(VOLT_ERROR_DATA_LOSS, "its 'loops' entry has no 'fit_loop' dict");
  FitProgress p;
  p.epoch = read_pair(find(*fit, "epoch_progress"));
  const c10::IValue* batch = find(*fit, "epoch_loop.batch_progress");
  p.batch = read_pair(batch);
  if (const c10::IValue* last = batch != nullptr ? find(*batch, "is_last_batch") : nullptr;
      last != nullptr && last->isBool())
    p.is_last_batch = last->toBool();
  if (const c10::IValue* s = find(*fit, "epoch_loop.state_dict")) {
    p.batches_that_stepped = integer(find(*s, "_batches_that_stepped"));
    if (const c10::IValue* v = find(*s, "volt_validated_batch"); v != nullptr && v->isInt())
      p.validated_batch = v->toInt();
  }
  if (const c10::IValue* o = find(*fit, "epoch_loop.automatic_optimization.optim_progress")) {
    const c10::IValue* opt = find(*o, "optimizer");
    if (opt != nullptr) {
      p.optimizer_step = read_pair(find(*opt, "step"));
      p.zero_grad = read_pair(find(*opt, "zero_grad"));
    }
  }
  p.val_batch = read_pair(find(*fit, "epoch_loop.val_loop.batch_progress"));
  return p;
}

}  // namespace volt::host

// Exposes DataModule, Strategy, PrecisionPlugin, Logger and Callback objects through their C
// tables. Each adapter owns its object; the table's destroy() deletes the adapter.
#pragma once

#include <volt/sdk/callback.hpp>
#include <volt/sdk/datamodule.hpp>
#include <volt/sdk/hook_dispatch.hpp>
#include <volt/sdk/hook_overrides.hpp>
#include <volt/sdk/logger.hpp>
#include <volt/sdk/precision.hpp>
#include <volt/sdk/state_codec.hpp>
#include <volt/sdk/strategy.hpp>

namespace volt::detail {

template <class Table, class Object>
struct Adapter {
  Table table{};
  std::shared_ptr<Object> object;
  std::string text;  // storage for strings returned to the host
  std::string key;   // a second one (a precision plugin's state_key)
  BatchBuffer batch_buffer;  // for the Batch of batch hooks, batch_to_device, convert_input
  HookSet hooks = HookSet::all();  // a callback's implements_hook (ABI 1.7)

  explicit Adapter(std::shared_ptr<Object> o) : object(std::move(o)) {
    table.struct_size = volt::abi_size(&table);
    table.impl = this;
    table.destroy = [](Table* self) { delete static_cast<Adapter*>(self->impl); };
  }
  static Adapter& get(const Table* self) { return *static_cast<Adapter*>(self->impl); }
  static Object& obj(const Table* self) { return *get(self).object; }
};

inline LoaderArgs loader_args(const volt_loader_args* a) {
  LoaderArgs l;
  l.split = static_cast<Split>(a->split);
  l.epoch = a->epoch;
  l.rank = a->rank;
  l.world_size = a->world_size;
  if (a->shuffle != VOLT_DEFAULT) l.shuffle = a->shuffle == VOLT_TRUE;
  return l;
}

// Replaces each handle of an in/out batch array by the tensors in `batch`.
inline void write_back(const Batch& batch, volt_tensor** handles, size_t len) {
  for (size_t i = 0; i < len && i < batch.size(); ++i) {
    if (unwrap(handles[i]).unsafeGetTensorImpl() == batch[i].unsafeGetTensorImpl()) continue;
    host().tensor_release(handles[i]);
    handles[i] = new_ref(batch[i]);
  }
}

inline volt_datamodule* adapt(std::shared_ptr<DataModule> o) {
  using A = Adapter<volt_datamodule, DataModule>;
  auto* a = new A(std::move(o));
  a->table.prepare_data = [](volt_datamodule* s) { return guard([&] { A::obj(s).prepare_data(); }); };
  a->table.setup = [](volt_datamodule* s, int32_t stage) {
    return guard([&] { A::obj(s).setup(static_cast<Stage>(stage)); });
  };
  a->table.num_batches = [](volt_datamodule* s, const volt_loader_args* l, int64_t* out) {
    return guard([&] { *out = A::obj(s).num_batches(loader_args(l)); });
  };
  a->table.get_batch = [](volt_datamodule* s, const volt_loader_args* l, int64_t index,
                          volt_dl_managed_tensor** out, size_t capacity, size_t* count) {
    return guard([&] {
      *count = 0;
      Batch b = A::obj(s).get_batch(loader_args(l), index);
      if (b.size() > capacity)
        throw Error(VOLT_ERROR_OUT_OF_RANGE, "batch has " + std::to_string(b.size()) +
                                                 " tensors, the host accepts " +
                                                 std::to_string(capacity));
      for (auto& t : b) out[(*count)++] = to_dlpack(t.contiguous());
    });
  };
  a->table.hparams_json = [](volt_datamodule* s) {
    A& me = A::get(s);
    me.text = me.object->hparams().dump();
    return me.text.c_str();
  };
  return &a->table;
}

// `has`: the collectives the class implements; the others stay NULL (ABI 1.8: one process).
inline volt_strategy* adapt(std::shared_ptr<Strategy> o, StrategyCollectives has = {}) {
  using A = Adapter<volt_strategy, Strategy>;
  auto* a = new A(std::move(o));
  a->table.setup_environment = [](volt_strategy* s, volt_strategy_info* out) {
    return guard([&] {
      if (out->struct_size >= VOLT_STRUCT_SIZE(volt_strategy_info, accelerator)) {
        ClusterInfo c;
        c.global_rank = out->global_rank;
        c.local_rank = out->local_rank;
        c.node_rank = out->node_rank;
        c.world_size = out->world_size;
        c.num_nodes = out->num_nodes;
        c.local_world_size = out->local_world_size;
        if (out->main_address != nullptr) c.main_address = out->main_address;
        c.main_port = out->main_port;
        if (out->environment != nullptr) c.environment = out->environment;
        if (out->accelerator != nullptr) c.accelerator = out->accelerator;
        A::obj(s).set_cluster(std::move(c));
      }
      StrategyInfo i = A::obj(s).setup_environment();
      A::get(s).text = i.root_device;
      out->global_rank = i.global_rank;
      out->local_rank = i.local_rank;
      out->node_rank = i.node_rank;
      out->world_size = i.world_size;
      out->root_device = A::get(s).text.c_str();
    });
  };
  a->table.setup_module = [](volt_strategy* s, volt_module* m) {
    return guard([&] { A::obj(s).setup_module(ModuleRef(m)); });
  };
  a->table.setup_optimizer = [](volt_strategy* s, volt_optimizer* o) {
    return guard([&] { A::obj(s).setup_optimizer(OptimizerRef(o)); });
  };
  a->table.batch_to_device = [](volt_strategy* s, volt_tensor** batch, size_t len) {
    return guard([&] {
      BorrowedBatch b(A::get(s).batch_buffer, batch, len);
      A::obj(s).batch_to_device(b.get());
      write_back(b.get(), batch, len);
    });
  };
  a->table.backward = [](volt_strategy* s, volt_module* m, volt_tensor* loss, bool sync) {
    return guard([&] { A::obj(s).backward(ModuleRef(m), unwrap(loss), sync); });
  };
  a->table.optimizer_step = [](volt_strategy* s, volt_module* m, volt_optimizer* o) {
    return guard([&] { A::obj(s).optimizer_step(ModuleRef(m), OptimizerRef(o)); });
  };
  a->table.reduce = [](volt_strategy* s, volt_tensor* t, int32_t op, volt_tensor** out) {
    return guard([&] { *out = new_ref(A::obj(s).reduce(unwrap(t), static_cast<Reduce>(op))); });
  };
  a->table.barrier = [](volt_strategy* s, const char* name) {
    return guard([&] { A::obj(s).barrier(name != nullptr ? name : ""); });
  };
  a->table.module_state = [](volt_strategy* s, volt_module* m, volt_state_visitor visit,
                             void* ctx) {
    return guard([&] {
      for (auto& kv : A::obj(s).module_state(ModuleRef(m)))
        visit(ctx, kv.first.c_str(), borrow(kv.second));
    });
  };
  a->table.teardown = [](volt_strategy* s) { return guard([&] { A::obj(s).teardown(); }); };
  a->table.broadcast = [](volt_strategy* s, volt_tensor* t, int32_t src, volt_tensor** out) {
    return guard([&] { *out = new_ref(A::obj(s).broadcast(unwrap(t), src)); });
  };
  // The pending handle is the PendingReduce itself, owned by the host until finish_reduce.
  a->table.start_reduce = [](volt_strategy* s, volt_tensor* t, int32_t op, volt_pending_reduce** out) {
    return guard([&] {
      *out = reinterpret_cast<volt_pending_reduce*>(
          A::obj(s).start_reduce(unwrap(t), static_cast<Reduce>(op)).release());
    });
  };
  a->table.finish_reduce = [](volt_strategy* /*s*/, volt_pending_reduce* pending, volt_tensor** out) {
    std::unique_ptr<PendingReduce> owned(reinterpret_cast<PendingReduce*>(pending));
    if (out == nullptr) return static_cast<volt_error*>(nullptr);
    return guard([&] { *out = new_ref(owned->wait()); });
  };
  a->table.step_begin = [](volt_strategy* s, volt_module* m, int32_t step) {
    return guard([&] { A::obj(s).step_begin(ModuleRef(m), step); });
  };
  a->table.step_end = [](volt_strategy* s, volt_module* m, int32_t step) {
    return guard([&] { A::obj(s).step_end(ModuleRef(m), step); });
  };
  a->table.optimizer_state = [](volt_strategy* s, volt_optimizer* o, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).optimizer_state(OptimizerRef(o)), sink); });
  };
  a->table.load_optimizer_state = [](volt_strategy* s, volt_optimizer* o, const volt_state_view* state) {
    return guard([&] { A::obj(s).load_optimizer_state(OptimizerRef(o), read_state(state)); });
  };
  a->table.clip_grad_norm = [](volt_strategy* s, volt_optimizer* o, double max_norm,
                               double norm_type, double* total_norm) {
    return guard([&] {
      double norm = A::obj(s).clip_grad_norm(OptimizerRef(o), max_norm, norm_type);
      if (total_norm != nullptr) *total_norm = norm;
    });
  };
  a->table.saves_sharded = [](const volt_strategy* s) {
    try {
      return A::obj(s).saves_sharded();
    } catch (...) {
      return false;  // nothing may cross the boundary; the host then saves gathered state
    }
  };
  a->table.module_state_shard = [](volt_strategy* s, volt_module* m, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).module_state_shard(ModuleRef(m)), sink); });
  };
  a->table.optimizer_state_shard = [](volt_strategy* s, volt_optimizer* o, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).optimizer_state_shard(OptimizerRef(o)), sink); });
  };
  a->table.save_state = [](volt_strategy* s, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).state_dict(), sink); });
  };
  a->table.load_state = [](volt_strategy* s, const volt_state_view* state) {
    return guard([&] { A::obj(s).load_state_dict(read_state(state)); });
  };
  a->table.on_train_start = [](volt_strategy* s) { return guard([&] { A::obj(s).on_train_start(); }); };
  a->table.on_train_end = [](volt_strategy* s) { return guard([&] { A::obj(s).on_train_end(); }); };
  a->table.all_gather = [](volt_strategy* s, volt_tensor* t, volt_tensor** out) {
    return guard([&] { *out = new_ref(A::obj(s).all_gather(unwrap(t))); });
  };
  if (!has.reduce) {
    a->table.reduce = nullptr;
    a->table.start_reduce = nullptr;
    a->table.finish_reduce = nullptr;
  }
  if (!has.broadcast) a->table.broadcast = nullptr;
  if (!has.barrier) a->table.barrier = nullptr;
  if (!has.all_gather) a->table.all_gather = nullptr;
  return &a->table;
}

inline volt_precision* adapt(std::shared_ptr<PrecisionPlugin> o) {
  using A = Adapter<volt_precision, PrecisionPlugin>;
  auto* a = new A(std::move(o));
  a->text = a->object->name();
  a->table.name = [](const volt_precision* s) { return A::get(s).text.c_str(); };
  a->table.convert_module = [](volt_precision* s, volt_module* m) {
    return guard([&] { A::obj(s).convert_module(ModuleRef(m)); });
  };
  a->table.convert_input = [](volt_precision* s, volt_tensor** batch, size_t len) {
    return guard([&] {
      BorrowedBatch b(A::get(s).batch_buffer, batch, len);
      A::obj(s).convert_input(b.get());
      write_back(b.get(), batch, len);
    });
  };
  a->table.forward_begin = [](volt_precision* s) { return guard([&] { A::obj(s).forward_begin(); }); };
  a->table.forward_end = [](volt_precision* s) { return guard([&] { A::obj(s).forward_end(); }); };
  a->table.pre_backward = [](volt_precision* s, volt_tensor* loss, volt_tensor** out) {
    return guard([&] { *out = new_ref(A::obj(s).pre_backward(unwrap(loss))); });
  };
  a->table.before_optimizer_step = [](volt_precision* s, volt_optimizer* o, bool* skip) {
    return guard([&] { *skip = !A::obj(s).before_optimizer_step(OptimizerRef(o)); });
  };
  a->table.after_optimizer_step = [](volt_precision* s, volt_optimizer* o) {
    return guard([&] { A::obj(s).after_optimizer_step(OptimizerRef(o)); });
  };
  a->table.save_state = [](volt_precision* s, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).state_dict(), sink); });
  };
  a->table.load_state = [](volt_precision* s, const volt_state_view* state) {
    return guard([&] { A::obj(s).load_state_dict(read_state(state)); });
  };
  a->key = a->object->state_key();
  a->table.state_key = [](const volt_precision* s) { return A::get(s).key.c_str(); };
  return &a->table;
}

inline volt_logger* adapt(std::shared_ptr<Logger> o) {
  using A = Adapter<volt_logger, Logger>;
  auto* a = new A(std::move(o));
  a->table.log_dir = [](volt_logger* s) -> const char* {
    A& me = A::get(s);
    me.text = me.object->log_dir();
    return me.text.empty() ? nullptr : me.text.c_str();
  };
  a->table.log_hyperparams = [](volt_logger* s, const char* json) {
    return guard([&] { A::obj(s).log_hyperparams(nlohmann::json::parse(json)); });
  };
  a->table.log_metrics = [](volt_logger* s, const volt_metric* m, size_t n, int64_t step) {
    return guard([&] {
      MetricRow row;
      row.reserve(n);
      for (size_t i = 0; i < n; ++i) row.emplace_back(m[i].name, m[i].value);
      A::obj(s).log_metrics(row, step);
    });
  };
  a->table.save = [](volt_logger* s) { return guard([&] { A::obj(s).save(); }); };
  a->table.finalize = [](volt_logger* s, const char* status) {
    return guard([&] { A::obj(s).finalize(status != nullptr ? status : "success"); });
  };
  return &a->table;
}

// `hooks`: those the callback's class overrides (VOLT_PLUGINS passes overridden_hooks<T>).
inline volt_callback* adapt(std::shared_ptr<Callback> o, HookSet hooks = HookSet::all()) {
  using A = Adapter<volt_callback, Callback>;
  auto* a = new A(std::move(o));
  a->hooks = hooks;
  a->table.state_key = [](volt_callback* s) {
    A& me = A::get(s);
    me.text = me.object->state_key();
    return me.text.c_str();
  };
  a->table.on_hook = [](volt_callback* s, int32_t hook, const volt_hook_args* args) {
    return guard([&] {
      Callback& cb = A::obj(s);
      if (VOLT_HAS_FIELD(args, volt_hook_args, module)) cb.set_module(args->module);
      dispatch_hook(cb, hook, args, A::get(s).batch_buffer);
    });
  };
  a->table.is_monitoring = [](volt_callback* s) { return A::obj(s).is_monitoring(); };
  a->table.state_json = [](volt_callback* s) {
    A& me = A::get(s);
    try {
      me.text = me.object->state_dict().dump();
    } catch (...) {
      me.text = "{}";
    }
    return me.text.c_str();
  };
  a->table.load_state_json = [](volt_callback* s, const char* json) {
    return guard([&] { A::obj(s).load_state_dict(nlohmann::json::parse(json)); });
  };
  a->table.save_state = [](volt_callback* s, const volt_state_sink* sink) {
    return guard([&] { write_state(A::obj(s).full_state_dict(), sink); });
  };
  a->table.load_state = [](volt_callback* s, const volt_state_view* state) {
    return guard([&] { A::obj(s).load_full_state_dict(read_state(state)); });
  };
  a->table.implements_hook = [](volt_callback* s, int32_t hook) { return A::get(s).hooks.has(hook); };
  return &a->table;
}

}  // namespace volt::detail

// ModelCheckpoint's definitions (included by model_checkpoint.hpp).
#pragma once

#include <algorithm>

namespace volt::callbacks {

inline PluginInfo ModelCheckpoint::info() {
  return {"model_checkpoint", "1.0.0",
          "Save checkpoints periodically, keeping the best k by a metric (Lightning's ModelCheckpoint)",
          R"json({"type": "object", "additionalProperties": false, "properties": {
            "dirpath": {"type": ["string", "null"], "default": null,
                        "description": "folder for checkpoints (null: <log_dir>/checkpoints, or <default_root_dir>/checkpoints without a logger)"},
            "filename": {"type": ["string", "null"], "default": null,
                         "description": "name template, e.g. {epoch}-{val_loss:.2f} (null: {epoch}-{step})"},
            "monitor": {"type": ["string", "null"], "default": null,
                        "description": "metric that ranks checkpoints (null: the latest is the best)"},
            "verbose": {"type": "boolean", "default": false, "description": "log each save"},
            "save_last": {"type": ["boolean", "string", "null"], "enum": [true, false, "link", null], "default": null,
                          "description": "also write last.ckpt at every save point (link: a symlink to the checkpoint just saved)"},
            "save_top_k": {"type": "integer", "minimum": -1, "default": 1,
                           "description": "checkpoints to keep (0: none, -1: all)"},
            "save_weights_only": {"type": "boolean", "default": false,
                                  "description": "save only the model weights"},
            "mode": {"type": "string", "enum": ["min", "max"], "default": "min",
                     "description": "min: lower monitored values are better; max: higher"},
            "auto_insert_metric_name": {"type": "boolean", "default": true,
                                        "description": "{val_loss} becomes val_loss=<value> in names"},
            "every_n_train_steps": {"type": ["integer", "null"], "minimum": 0, "default": null,
                                    "description": "save every N optimizer steps"},
            "train_time_interval": {"type": ["string", "number", "null"], "default": null,
                                    "description": "save every this much training time: DD:HH:MM:SS or seconds (checked after each batch)"},
            "every_n_epochs": {"type": ["integer", "null"], "minimum": 0, "default": null,
                               "description": "save every N epochs (1 when neither interval is set)"},
            "save_on_train_epoch_end": {"type": ["boolean", "null"], "default": null,
                                        "description": "true: save at train epoch end; false: at validation end; null: validation end when validation ran"},
            "enable_version_counter": {"type": "boolean", "default": true,
                                       "description": "add -v1, -v2 to names that exist already"}}})json"};
}

inline ModelCheckpoint::ModelCheckpoint(const nlohmann::json& config)
    : top_k_(config.value("mode", std::string("min")) == "max",
             config.value("save_top_k", int64_t{1})) {
  if (auto d = optional_value<std::string>(config, "dirpath")) {
    namespace fs = std::filesystem;
    std::string p = *d;
    if (p.rfind("~/", 0) == 0 && std::getenv("HOME") != nullptr) p = std::getenv("HOME") + p.substr(1);
    dirpath_ = fs::weakly_canonical(fs::absolute(p)).string();  // Lightning: realpath
    dirpath_given_ = true;
  }
  filename_ = optional_value<std::string>(config, "filename").value_or("");
  monitor_ = optional_value<std::string>(config, "monitor");
  verbose_ = config.value("verbose", false);
  if (auto it = config.find("save_last"); it != config.end() && it->is_string()) {
    if (*it != "link")
      throw Error("model_checkpoint: save_last must be true, false, null or \"link\", got " +
                  it->dump());
    save_last_ = true;
    save_last_link_ = true;
  } else {
    save_last_ = optional_value<bool>(config, "save_last");
  }
  save_top_k_opt_ = config.value("save_top_k", int64_t{1});
  save_weights_only_ = config.value("save_weights_only", false);
  std::string mode = config.value("mode", std::string("min"));
  if (mode != "min" && mode != "max") throw Error("model_checkpoint: `mode` can be min, max, got " + mode);
  mode_max_ = mode == "max";
  auto_insert_metric_name_ = config.value("auto_insert_metric_name", true);
  auto steps = optional_value<int64_t>(config, "every_n_train_steps");
  auto epochs = optional_value<int64_t>(config, "every_n_epochs");
  if (auto it = config.find("train_time_interval"); it != config.end() && !it->is_null()) {
    std::optional<double> seconds =
        it->is_number() ? std::optional<double>(it->get<double>())
                        : parse_timer_duration(it->get<std::string>());
    if (!seconds || *seconds <= 0)
      throw Error("model_checkpoint: train_time_interval must be a positive number of seconds or "
                  "DD:HH:MM:SS, got " + it->dump());
    train_time_interval_ = *seconds;
  }
  // Lightning's __validate_init_configuration: at most one of the three triggers.
  int set = (steps && *steps > 0 ? 1 : 0) + (epochs && *epochs > 0 ? 1 : 0) + (train_time_interval_ ? 1 : 0);
  if (set > 1)
    throw Error("Combination of parameters every_n_train_steps=" +
                std::to_string(steps.value_or(0)) + ", every_n_epochs=" +
                std::to_string(epochs.value_or(0)) + " and train_time_interval=" +
                (train_time_interval_
                     ? python_timedelta_str(static_cast<int64_t>(*train_time_interval_))
                     : std::string("None")) +
                " should be mutually exclusive.");
  if (!steps && !epochs && !train_time_interval_) {
    every_n_epochs_ = 1;
    every_n_train_steps_ = 0;
  } else {
    every_n_epochs_ = epochs.value_or(0);
    every_n_train_steps_ = steps.value_or(0);
  }
  save_on_train_epoch_end_ = optional_value<bool>(config, "save_on_train_epoch_end");
  enable_version_counter_ = config.value("enable_version_counter", true);

  // Lightning's __validate_init_configuration.
  if (save_top_k_opt_ < -1)
    throw Error("Invalid value for save_top_k=" + std::to_string(save_top_k_opt_) + ". Must be >= -1");
  if (every_n_train_steps_ < 0 || every_n_epochs_ < 0)
    throw Error("every_n_train_steps and every_n_epochs must be >= 0");
  if (!monitor_ && save_top_k_opt_ != -1 && save_top_k_opt_ != 0 && save_top_k_opt_ != 1)
    throw Error("ModelCheckpoint(save_top_k=" + std::to_string(save_top_k_opt_) +
                ", monitor=None) is not a valid configuration. No quantity for top_k to track.");
  // A template error shows now rather than at the first save (metrics are all missing here,
  // so only the syntax and the format specs are checked).
  try {
    format_checkpoint_stem(filename_, [](const std::string&) { return std::optional<PyNumber>(); },
                           auto_insert_metric_name_);
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("model_checkpoint: ") + e.what());
  }
}

inline void ModelCheckpoint::resolve_dirpath() {
  if (dirpath_given_ || !dirpath_.empty()) return;
  volt_trainer_state s = trainer_state();
  namespace fs = std::filesystem;
  if (s.log_dir != nullptr && *s.log_dir != '\0') {
    dirpath_ = (fs::path(s.log_dir) / "checkpoints").string();
  } else {
    fs::path root = s.root_dir != nullptr && *s.root_dir != '\0' ? fs::path(s.root_dir)
                                                                 : fs::current_path();
    dirpath_ = (root / "checkpoints").string();
  }
}

inline void ModelCheckpoint::setup(Stage stage) {
  resolve_dirpath();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (stage == Stage::Fit && global_rank() == 0 && save_top_k_opt_ != 0 && fs::is_directory(dirpath_, ec) &&
      !fs::is_empty(dirpath_, ec))
    log_warning("Checkpoint directory " + dirpath_ + " exists and is not empty.");
}

inline void ModelCheckpoint::on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) {
  volt_trainer_state s = trainer_state();
  if (should_skip_saving(s)) return;
  bool skip_batch = every_n_train_steps_ < 1 || s.global_step % every_n_train_steps_ != 0;
  bool skip_time = true;
  if (train_time_interval_) {
    // Lightning's: rank 0's clock decides, so that ranks whose clocks differ do not part ways.
    auto now = std::chrono::steady_clock::now();
    std::chrono::duration<double> since = now - last_time_checked_;
    skip_time = since.count() < *train_time_interval_;
    if (s.world_size > 1)
      skip_time = broadcast(torch::scalar_tensor(skip_time ? 1 : 0, torch::kInt64)).item<int64_t>() != 0;
    if (!skip_time) last_time_checked_ = now;
  }
  if (skip_batch && skip_time) return;
  save_top_k(s);
  save_last(s);
}

inline void ModelCheckpoint::on_validation_end() {
  volt_trainer_state s = trainer_state();
  if (s.stage != VOLT_STAGE_FIT || s.sanity_checking) return;
  val_has_run_ = true;
  validated_this_epoch_ = true;
  if (!should_skip_saving(s) && !should_save_on_train_epoch_end(s)) save_at_epoch_boundary(s);
}

inline void ModelCheckpoint::on_train_epoch_end() {
  volt_trainer_state s = trainer_state();
  if (!should_skip_saving(s) && should_save_on_train_epoch_end(s)) save_at_epoch_boundary(s);
}

// Lightning's _monitor_candidates: callback metrics plus integer epoch and step.
inline std::optional<PyNumber> ModelCheckpoint::metric(const std::string& name,
                                                       const volt_trainer_state& s) const {
  std::optional<double> v = callback_metric(name);
  if (name == "epoch") return PyNumber::integer(v ? static_cast<int64_t>(*v) : s.current_epoch);
  if (name == "step") return PyNumber::integer(v ? static_cast<int64_t>(*v) : s.global_step);
  if (v) return PyNumber::real(*v);
  return std::nullopt;
}

inline std::string ModelCheckpoint::checkpoint_name(const std::string& tmpl,
                                                    const volt_trainer_state& s,
                                                    std::optional<int> version) const {
  MetricLookup lookup = [&](const std::string& n) { return metric(n, s); };
  try {
    return format_checkpoint_name(tmpl, lookup, auto_insert_metric_name_, version, dirpath_);
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("model_checkpoint: ") + e.what());
  }
}

// Lightning's version counter: -v1, -v2, ... while the name exists (unless it is `allowed`).
inline std::string ModelCheckpoint::versioned_path(const std::string& tmpl,
                                                   const volt_trainer_state& s,
                                                   const std::string& allowed) const {
  std::string path = checkpoint_name(tmpl, s, std::nullopt);
  if (!enable_version_counter_) return path;
  std::error_code ec;
  for (int v = kCheckpointStartingVersion; std::filesystem::exists(path, ec) && path != allowed; ++v)
    path = checkpoint_name(tmpl, s, v);
  return path;
}

inline void ModelCheckpoint::save_top_k(const volt_trainer_state& s) {
  if (save_top_k_opt_ == 0) return;
  if (!monitor_) {  // Lightning's _save_none_monitor_checkpoint
    std::string previous = top_k_.best_model_path;
    std::string path = versioned_path(filename_, s, previous);
    top_k_.best_model_path = path;
    save_checkpoint(path, s);
    if (save_top_k_opt_ == 1 && !previous.empty() && should_remove(previous, path))
      remove_checkpoint(previous, s);
    return;
  }
  std::optional<double> current = monitored(s);
  if (!current) {
    // Lightning lists its monitor candidates: the callback metrics, then epoch and step.
    std::string candidates;
    std::vector<std::string> names = callback_metric_names();
    for (const char* key : {"epoch", "step"})
      if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
    for (const auto& name : names)
      candidates += (candidates.empty() ? "" : ", ") + python_repr(name);
    std::string m = "`ModelCheckpoint(monitor=" + python_repr(*monitor_) +
                    ")` could not find the monitored key in the returned metrics: [" + candidates +
                    "]. HINT: Did you call `log(" + python_repr(*monitor_) +
                    ", value)` in the `LightningModule`?";
    if (val_has_run_) throw Error(VOLT_ERROR_NOT_FOUND, m);
    if (!warned_missing_monitor_) log_warning(m);
    warned_missing_monitor_ = true;
  }
  auto epoch_step = [&] {
    return "Epoch " + std::to_string(metric("epoch", s)->i) + ", global step " +
           std::to_string(metric("step", s)->i) + ": " + python_repr(*monitor_);
  };
  if (!top_k_.should_save(current)) {
    if (verbose_ && current)
      log_info(epoch_step() + " was not in top " + std::to_string(save_top_k_opt_));
    return;
  }
  std::string path;
  std::string del = top_k_.update(
      *current, [&](const std::string& d) { return versioned_path(filename_, s, d); }, &path);
  if (verbose_)
    log_info(epoch_step() + " reached " + format_number(PyNumber::real(*top_k_.current_score), "0.5f") +
             " (best " + format_number(PyNumber::real(*top_k_.best_model_score), "0.5f") +
             "), saving model to " + python_repr(path) + " as top " +
             std::to_string(top_k_.k_for_message()));
  save_checkpoint(path, s);
  if (!del.empty() && should_remove(del, path)) remove_checkpoint(del, s);
}

inline void ModelCheckpoint::save_last(const volt_trainer_state& s) {
  if (!save_last_.value_or(false)) return;
  std::string previous = last_model_path_;
  std::string path = versioned_path(kCheckpointNameLast, s, previous);
  last_model_path_ = path;  // before saving: it is part of the saved state
  if (save_last_link_ && !last_checkpoint_saved_.empty() && save_top_k_opt_ != 0)
    link_checkpoint(last_checkpoint_saved_, path, s);
  else
    save_checkpoint(path, s);
  if (!previous.empty() && should_remove(previous, path)) remove_checkpoint(previous, s);
}

// Lightning's _link_checkpoint: a relative symlink on rank 0 (a copy where links fail).
inline void ModelCheckpoint::link_checkpoint(const std::string& target, const std::string& link,
                                             const volt_trainer_state& s) const {
  namespace fs = std::filesystem;
  if (s.global_rank == 0) {
    std::error_code ec;
    if (fs::is_symlink(link, ec) || fs::is_regular_file(link, ec)) fs::remove(link, ec);
    else if (fs::is_directory(link, ec)) fs::remove_all(link, ec);
    fs::path relative = fs::path(target).lexically_relative(fs::path(link).parent_path());
    fs::create_symlink(relative, link, ec);
    if (ec) {
      std::error_code copy_ec;
      fs::copy(target, link, fs::copy_options::recursive, copy_ec);
      if (copy_ec) throw Error("model_checkpoint: cannot link or copy " + target + " to " + link +
                               ": " + copy_ec.message());
    }
  }
  if (s.world_size > 1) barrier("model_checkpoint.link");
}

inline void ModelCheckpoint::save_checkpoint(const std::string& path, const volt_trainer_state& s) {
  const volt_host_api& h = volt::detail::host();
  if (!VOLT_HAS_FIELD(&h, volt_host_api, save_checkpoint) || h.save_checkpoint == nullptr)
    throw Error(VOLT_ERROR_UNIMPLEMENTED,
                "model_checkpoint: this Volt host cannot write checkpoints (host ABI " +
                    std::to_string(h.abi_major) + "." + std::to_string(h.abi_minor) +
                    " has no save_checkpoint service; it needs ABI 1.1 with save_checkpoint "
                    "implemented). Cannot save " + path);
  std::error_code ec;
  if (s.global_rank == 0) std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  volt_error* err = h.save_checkpoint(context(), path.c_str(), save_weights_only_);
  if (err != nullptr && h.error_code(err) == VOLT_ERROR_UNIMPLEMENTED) {
    std::string message = h.error_message(err);
    h.error_free(err);
    throw Error(VOLT_ERROR_UNIMPLEMENTED,
                "model_checkpoint: the host does not implement save_checkpoint yet (" + message +
                    "). Cannot save " + path);
  }
  volt::detail::check(err, ("model_checkpoint: saving " + path).c_str());
  last_global_step_saved_ = s.global_step;
  last_checkpoint_saved_ = path;
}

// Lightning's _should_remove_checkpoint: never the checkpoint the fit resumed from.
inline bool ModelCheckpoint::should_remove(const std::string& previous,
                                           const std::string& current) const {
  if (previous == current) return false;
  namespace fs = std::filesystem;
  fs::path prev = fs::absolute(previous).lexically_normal();
  if (volt::detail::host().abi_minor >= 9) {
    volt_trainer_state s = trainer_state();
    if (s.ckpt_path != nullptr && prev == fs::absolute(s.ckpt_path).lexically_normal()) return false;
  }
  fs::path dir = fs::absolute(dirpath_).lexically_normal();
  for (fs::path p = prev.parent_path(); !p.empty(); p = p.parent_path()) {
    if (p == dir) return true;
    if (p == p.parent_path()) break;
  }
  return false;
}

inline void ModelCheckpoint::remove_checkpoint(const std::string& path,
                                               const volt_trainer_state& s) const {
  if (s.global_rank != 0) return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // a file, or a sharded checkpoint's folder
}

inline nlohmann::json ModelCheckpoint::state_dict() const {
  return {{"monitor", monitor_ ? nlohmann::json(*monitor_) : nlohmann::json(nullptr)},
          {"best_model_score", score_to_json(top_k_.best_model_score)},
          {"best_model_path", top_k_.best_model_path},
          {"current_score", score_to_json(top_k_.current_score)},
          {"dirpath", dirpath_},
          {"best_k_models", top_k_.best_k_models_json()},
          {"kth_best_model_path", top_k_.kth_best_model_path},
          {"kth_value", score_to_json(top_k_.kth_value)},
          {"last_model_path", last_model_path_}};
}

inline c10::IValue ModelCheckpoint::full_state_dict() const {
  c10::impl::GenericDict d = json_to_ivalue(state_dict()).toGenericDict();
  d.insert_or_assign("best_model_score", score_ivalue(top_k_.best_model_score));
  d.insert_or_assign("current_score", score_ivalue(top_k_.current_score));
  d.insert_or_assign("best_k_models", score_dict_ivalue(top_k_.best_k_models));
  d.insert_or_assign("kth_value", score_ivalue(top_k_.kth_value));
  return d;
}

inline void ModelCheckpoint::load_state_dict(const nlohmann::json& state) {
  if (!state.is_object()) return;
  resolve_dirpath();
  std::string from_ckpt = state.value("dirpath", dirpath_);
  if (from_ckpt == dirpath_) {
    if (auto it = state.find("best_model_score"); it != state.end())
      top_k_.best_model_score = score_from_json(*it);
    top_k_.kth_best_model_path = state.value("kth_best_model_path", top_k_.kth_best_model_path);
    if (auto it = state.find("kth_value"); it != state.end())
      if (auto v = score_from_json(*it)) top_k_.kth_value = *v;
    if (auto it = state.find("best_k_models"); it != state.end()) top_k_.load_best_k_models(*it);
    last_model_path_ = state.value("last_model_path", last_model_path_);
  } else {
    log_warning("The dirpath has changed from " + python_repr(from_ckpt) + " to " +
                python_repr(dirpath_) + ", therefore `best_model_score`, `kth_best_model_path`, "
                "`kth_value`, `last_model_path` and `best_k_models` won't be reloaded. Only "
                "`best_model_path` will be reloaded.");
  }
  top_k_.best_model_path = state.value("best_model_path", top_k_.best_model_path);
}

}  // namespace volt::callbacks

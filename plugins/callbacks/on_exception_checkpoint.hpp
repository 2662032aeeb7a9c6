// `on_exception_checkpoint`: Lightning's OnExceptionCheckpoint. When fit fails with an
// exception (or is interrupted), saves a checkpoint to <dirpath>/<filename>.ckpt so the run
// can be resumed from the step where it stopped.
#pragma once

#include <volt/sdk.hpp>


#include <filesystem>
#include <string>

namespace volt::callbacks {

class OnExceptionCheckpoint : public Callback {
 public:
  static PluginInfo info() {
    return {"on_exception_checkpoint", "1.0.0",
            "Save a checkpoint when fit fails (Lightning's OnExceptionCheckpoint)",
            R"json({"type": "object", "additionalProperties": false, "required": ["dirpath"],
              "properties": {
                "dirpath": {"type": "string", "description": "folder of the checkpoint"},
                "filename": {"type": "string", "default": "on_exception",
                             "description": "file name without the .ckpt extension"}}})json"};
  }

  explicit OnExceptionCheckpoint(const nlohmann::json& config)
      : path_((std::filesystem::path(config.at("dirpath").get<std::string>()) /
               (config.value("filename", std::string("on_exception")) + ".ckpt"))
                  .string()) {}

  const std::string& ckpt_path() const { return path_; }

  void on_exception(const std::string& /*message*/) override {
    volt_trainer_state s = trainer_state();
    if (s.stage != VOLT_STAGE_FIT) return;  // Lightning saves only while fitting
    volt_error* err = volt::detail::host().save_checkpoint(context(), path_.c_str(), false);
    if (err != nullptr) {
      // Already failing: report this one too, without hiding the original exception.
      std::string why = volt::detail::host().error_message(err);
      volt::detail::host().error_free(err);
      throw Error(VOLT_ERROR_INTERNAL, "on_exception_checkpoint could not save " + path_ + ": " + why);
    }
  }

 private:
  std::string path_;
};

}  // namespace volt::callbacks

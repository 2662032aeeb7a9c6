// `64-true`, `16-true`, `bf16-true` (Lightning's DoublePrecision and HalfPrecision): the
// module's parameters and floating inputs in the dtype, and the default dtype switched while
// the steps run, so tensors they create match. The host also switches the default dtype while
// the module is built: each schema names its dtype under "x-volt-module-dtype".
#pragma once

#include <volt/sdk.hpp>

#include <c10/core/DefaultDtype.h>

namespace volt::plugins {

class TruePrecision : public PrecisionPlugin {
 public:
  TruePrecision(at::ScalarType dtype, std::string name) : dtype_(dtype), name_(std::move(name)) {}
  std::string name() const override { return name_; }

  void convert_module(ModuleRef module) override {
    NamedTensors params = module.named_parameters();
    std::string device = params.empty() ? "cpu" : params.front().second.device().str();
    module.to(device, dtype_);
  }
  void convert_input(Batch& batch) override {
    for (auto& t : batch)
      if (t.is_floating_point() && t.scalar_type() != dtype_) t = t.to(dtype_);
  }
  void forward_begin() override {
    previous_ = c10::get_default_dtype();
    c10::set_default_dtype(c10::scalarTypeToTypeMeta(dtype_));
  }
  void forward_end() override { c10::set_default_dtype(previous_); }

  static std::string schema(const char* dtype) {
    return std::string(R"json({"type": "object", "additionalProperties": false, "properties": {},
                               "x-volt-module-dtype": ")json") + dtype + "\"}";
  }

 private:
  at::ScalarType dtype_;
  std::string name_;
  caffe2::TypeMeta previous_ = caffe2::TypeMeta::Make<float>();
};

class DoublePrecision : public TruePrecision {
 public:
  static PluginInfo info() {
    static const std::string s = schema("float64");
    return {"64-true", "1.0.0", "float64 parameters and inputs (Lightning's 64-true)", s.c_str()};
  }
  explicit DoublePrecision(const nlohmann::json&) : TruePrecision(at::kDouble, "64-true") {}
};

class HalfPrecision : public TruePrecision {
 public:
  static PluginInfo info() {
    static const std::string s = schema("float16");
    return {"16-true", "1.0.0", "float16 parameters and inputs (Lightning's 16-true)", s.c_str()};
  }
  explicit HalfPrecision(const nlohmann::json&) : TruePrecision(at::kHalf, "16-true") {}
};

class BFloat16Precision : public TruePrecision {
 public:
  static PluginInfo info() {
    static const std::string s = schema("bfloat16");
    return {"bf16-true", "1.0.0", "bfloat16 parameters and inputs (Lightning's bf16-true)", s.c_str()};
  }
  explicit BFloat16Precision(const nlohmann::json&) : TruePrecision(at::kBFloat16, "bf16-true") {}
};

}  // namespace volt::plugins

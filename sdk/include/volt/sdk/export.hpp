// The one export line of a plugin library:
//
//   VOLT_PLUGINS(MyModule, MyDataModule, MyLogger)
//
// Each listed class derives from one of volt::LightningModule, DataModule, Strategy,
// PrecisionPlugin, Logger or Callback, has a constructor taking `const nlohmann::json& config`
// (already validated against its schema, defaults filled in), and a static `info()`:
//
//   static volt::PluginInfo info() {
//     return {"mlp", "1.0.0", "Multi-layer perceptron classifier", R"({...JSON Schema...})"};
//   }
//
// The macro defines the library's entry symbol; everything else stays hidden.
#pragma once

#include <volt/sdk/adapters.hpp>
#include <volt/sdk/module_adapter.hpp>

#include <torch/version.h>

#include <array>

namespace volt {

struct PluginInfo {
  const char* id;
  const char* version;
  const char* description;
  const char* schema;  // JSON Schema of the config
};

namespace detail {

#define VOLT_DETAIL_STR2(x) #x
#define VOLT_DETAIL_STR(x) VOLT_DETAIL_STR2(x)

inline const volt_build_info* build_info() {
  static const volt_build_info info = {
      VOLT_BUILD_INFO_SIZE,
      VOLT_SDK_VERSION,
      VOLT_DETAIL_STR(TORCH_VERSION_MAJOR) "." VOLT_DETAIL_STR(TORCH_VERSION_MINOR) "."
          VOLT_DETAIL_STR(TORCH_VERSION_PATCH),
#ifdef _GLIBCXX_USE_CXX11_ABI
      _GLIBCXX_USE_CXX11_ABI,
#else
      -1,
#endif
#if defined(VOLT_TORCH_CUDA) && VOLT_TORCH_CUDA
      1,
#else
      0,
#endif
#if defined(__clang__)
      "clang " __clang_version__,
#elif defined(__GNUC__)
      "gcc " __VERSION__,
#else
      "unknown compiler",
#endif
  };
  return &info;
}

template <class T>
constexpr int32_t kind_of() {
  if constexpr (std::is_base_of_v<LightningModule, T>) return VOLT_KIND_MODULE;
  else if constexpr (std::is_base_of_v<DataModule, T>) return VOLT_KIND_DATAMODULE;
  else if constexpr (std::is_base_of_v<Strategy, T>) return VOLT_KIND_STRATEGY;
  else if constexpr (std::is_base_of_v<PrecisionPlugin, T>) return VOLT_KIND_PRECISION;
  else if constexpr (std::is_base_of_v<Logger, T>) return VOLT_KIND_LOGGER;
  else if constexpr (std::is_base_of_v<Callback, T>) return VOLT_KIND_CALLBACK;
  else static_assert(sizeof(T) == 0, "a Volt plugin must derive from a Volt base class");
}

template <class T>
volt_plugin_descriptor describe() {
  PluginInfo i = T::info();
  volt_plugin_descriptor d{};
  d.struct_size = volt::abi_size(&d);
  d.kind = kind_of<T>();
  d.id = i.id;
  d.version = i.version;
  d.description = i.description;
  d.config_schema = i.schema;
  return d;
}

template <class T>
void* create(const volt_create_args* args) {
  host_slot() = args->host;
  nlohmann::json config =
      args->config_json != nullptr && *args->config_json != '\0'
          ? nlohmann::json::parse(args->config_json)
          : nlohmann::json::object();
  auto object = std::make_shared<T>(config);
  object->attach(args->context);
  if constexpr (kind_of<T>() == VOLT_KIND_MODULE) {
    return &(new ModuleAdapter(std::move(object), overridden_hooks<T, LightningModule>()))->table;
  } else if constexpr (kind_of<T>() == VOLT_KIND_CALLBACK) {
    object->set_state_key(T::info().id);
    return adapt(std::shared_ptr<Callback>(object), overridden_hooks<T, Callback>());
  } else if constexpr (kind_of<T>() == VOLT_KIND_STRATEGY) {
    return adapt(std::shared_ptr<Strategy>(object), strategy_collectives<T>());
  } else {
    return adapt(std::shared_ptr<typename std::remove_reference_t<decltype(*object)>>(object));
  }
}

template <class... Ts>
const volt_plugin_entry* make_entry() {
  using CreateFn = void* (*)(const volt_create_args*);
  static const std::array<volt_plugin_descriptor, sizeof...(Ts)> descriptors = {describe<Ts>()...};
  static const std::array<CreateFn, sizeof...(Ts)> creators = {&create<Ts>...};
  static const volt_plugin_entry entry = [] {
    volt_plugin_entry e{};
    e.struct_size = volt::abi_size(&e);
    e.abi_major = VOLT_ABI_MAJOR;
    e.abi_minor = VOLT_ABI_MINOR;
    e.build = build_info();
    e.init = [](const volt_host_api* host, const char*) -> volt_error* {
      host_slot() = host;
      return nullptr;
    };
    e.deinit = [] {};
    e.plugin_count = [] { return descriptors.size(); };
    e.plugin_descriptor = [](size_t i) -> const volt_plugin_descriptor* {
      return i < descriptors.size() ? &descriptors[i] : nullptr;
    };
    e.create = [](size_t i, const volt_create_args* args, void** out) -> volt_error* {
      *out = nullptr;
      if (args != nullptr && args->host != nullptr) host_slot() = args->host;
      if (i >= creators.size())
        return host().error_new(VOLT_ERROR_OUT_OF_RANGE, "no plugin with this index");
      return guard([&] { *out = creators[i](args); });
    };
    return e;
  }();
  return &entry;
}

}  // namespace detail
}  // namespace volt

#define VOLT_PLUGINS(...)                                          \
  VOLT_EXPORT const volt_plugin_entry* volt_entry(void) {   \
    return ::volt::detail::make_entry<__VA_ARGS__>();              \
  }

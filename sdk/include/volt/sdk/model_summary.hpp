// Lightning's ModelSummary table (layers down to max_depth, parameter counts and size), from a
// module's C table. Used by the host's default summary and by the `model_summary` callback.
#pragma once

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace volt {

namespace detail {

inline std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1000000) std::snprintf(buf, sizeof(buf), "%.1f M", n / 1e6);
  else if (n >= 1000) std::snprintf(buf, sizeof(buf), "%.1f K", n / 1e3);
  else std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(n));
  return buf;
}

}  // namespace detail

// Prints the summary of `module` to `out`. max_depth as Lightning's (1: top-level children;
// -1: every layer); 0 prints only the totals.
inline void print_model_summary(volt_module* module, int32_t max_depth, std::FILE* out) {
  struct Row {
    std::string name, type;
    int64_t params;
  };
  std::vector<Row> rows;
  if (max_depth != 0 && VOLT_HAS_FIELD(module, volt_module, visit_layers) &&
      module->visit_layers != nullptr) {
    module->visit_layers(
        module, max_depth,
        [](void* ctx, const char* name, const char* type, int64_t n, int32_t) {
          static_cast<std::vector<Row>*>(ctx)->push_back({name, type, n});
        },
        &rows);
  }
  struct Totals {
    int64_t trainable = 0, frozen = 0, bytes = 0;
  } totals;
  volt_error* err = module->named_tensors(
      module, VOLT_TENSORS_PARAMETERS,
      [](void* ctx, const char*, volt_tensor* t) {
        auto* tot = static_cast<Totals*>(ctx);
        const at::Tensor& p = unwrap(t);
        (p.requires_grad() ? tot->trainable : tot->frozen) += p.numel();
        tot->bytes += p.numel() * static_cast<int64_t>(p.element_size());
      },
      &totals);
  if (err != nullptr) detail::host().error_free(err);

  using detail::human_count;
  if (!rows.empty()) {
    size_t name_w = 4, type_w = 4;
    for (const auto& r : rows) {
      name_w = std::max(name_w, r.name.size());
      type_w = std::max(type_w, r.type.size());
    }
    std::fprintf(out, "  | %-*s | %-*s | Params\n", static_cast<int>(name_w), "Name",
                 static_cast<int>(type_w), "Type");
    std::fprintf(out, "%s\n", std::string(name_w + type_w + 18, '-').c_str());
    for (size_t i = 0; i < rows.size(); ++i)
      std::fprintf(out, "%zu | %-*s | %-*s | %s\n", i, static_cast<int>(name_w),
                   rows[i].name.c_str(), static_cast<int>(type_w), rows[i].type.c_str(),
                   human_count(rows[i].params).c_str());
    std::fprintf(out, "%s\n", std::string(name_w + type_w + 18, '-').c_str());
  }
  std::fprintf(out, "%-10s Trainable params\n", human_count(totals.trainable).c_str());
  std::fprintf(out, "%-10s Non-trainable params\n", human_count(totals.frozen).c_str());
  std::fprintf(out, "%-10s Total params\n", human_count(totals.trainable + totals.frozen).c_str());
  std::fprintf(out, "%-10.3f Total estimated model params size (MB)\n", totals.bytes / 1e6);
  std::fflush(out);
}

}  // namespace volt

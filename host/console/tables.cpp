#include "console/tables.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <vector>

namespace volt::host {

namespace {

struct Row {
  std::string name, type;
  int64_t params;
};

std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1000000) std::snprintf(buf, sizeof(buf), "%.1f M", n / 1e6);
  else if (n >= 1000) std::snprintf(buf, sizeof(buf), "%.1f K", n / 1e3);
  else std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(n));
  return buf;
}

}  // namespace

void print_model_summary(volt_module* module, int32_t max_depth, std::FILE* out) {
  std::vector<Row> rows;
  if (module->struct_size >= VOLT_STRUCT_SIZE(volt_module, visit_layers) &&
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
        const at::Tensor& p = volt::unwrap(t);
        (p.requires_grad() ? tot->trainable : tot->frozen) += p.numel();
        tot->bytes += p.numel() * static_cast<int64_t>(p.element_size());
      },
      &totals);
  if (err != nullptr) volt::detail::host().error_free(err);

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
  std::fprintf(out, "%-10s Trainable params\n", human_count(totals.trainable).c_str());
  std::fprintf(out, "%-10s Non-trainable params\n", human_count(totals.frozen).c_str());
  std::fprintf(out, "%-10s Total params\n", human_count(totals.trainable + totals.frozen).c_str());
  std::fprintf(out, "%-10.3f Total estimated model params size (MB)\n", totals.bytes / 1e6);
}

void print_metrics_table(const std::string& title, const std::map<std::string, double>& metrics,
                         std::FILE* out) {
  if (metrics.empty()) return;
  size_t w = title.size();
  for (const auto& kv : metrics) w = std::max(w, kv.first.size());
  std::string rule(w + 26, '-');
  std::fprintf(out, "%s\n  %-*s   %s\n%s\n", rule.c_str(), static_cast<int>(w), title.c_str(),
               "Value", rule.c_str());
  for (const auto& [name, value] : metrics)
    std::fprintf(out, "  %-*s   %.6g\n", static_cast<int>(w), name.c_str(), value);
  std::fprintf(out, "%s\n", rule.c_str());
}

}  // namespace volt::host

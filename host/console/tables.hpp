// Tables printed on the console: the model summary and the final metrics.
#pragma once

#include <volt/volt.h>

#include <cstdio>
#include <map>
#include <string>

namespace volt::host {

// Lightning's ModelSummary: one row per submodule down to `max_depth`, then parameter totals.
void print_model_summary(volt_module* module, int32_t max_depth, std::FILE* out);

// Lightning's results table after validate/test (and Volt's after fit).
void print_metrics_table(const std::string& title, const std::map<std::string, double>& metrics,
                         std::FILE* out);

}  // namespace volt::host

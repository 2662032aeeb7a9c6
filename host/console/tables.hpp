// Tables printed on the console: the final metrics (the model summary is
// volt::print_model_summary, shared with the model_summary callback).
#pragma once

#include <volt/volt.h>

#include <cstdio>
#include <map>
#include <string>

namespace volt::host {

// Lightning's results table after validate/test (and Volt's after fit).
void print_metrics_table(const std::string& title, const std::map<std::string, double>& metrics,
                         std::FILE* out);

}  // namespace volt::host

// Thrown out of fit when SIGINT or SIGTERM stopped it: the step in flight finished and a
// checkpoint was saved. run_command turns it into a message and exit status 128 + signal.
#pragma once

#include <volt/sdk/core.hpp>

#include <string>

namespace volt::host {

class Interrupted : public Error {
 public:
  Interrupted(int signal, std::string checkpoint);
  int signal() const { return signal_; }
  // "" when no checkpoint could be written (fast_dev_run).
  const std::string& checkpoint() const { return checkpoint_; }
  int exit_status() const { return 128 + signal_; }

 private:
  int signal_;
  std::string checkpoint_;
};

// "SIGTERM", "SIGINT", ...
std::string signal_name(int signal);

// Throws Interrupted after SIGINT/SIGTERM in validate, test and predict (VOLT_STAGE_*), which
// stop at the next batch; fit stops at its step boundaries, saving a checkpoint first.
void stop_if_signalled(int32_t stage);

}  // namespace volt::host

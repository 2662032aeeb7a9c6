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

}  // namespace volt::host

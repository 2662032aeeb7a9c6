// A module's state_dict in a checkpoint: fully qualified parameter and buffer names mapped to
// tensors, the keys Python's load_state_dict expects.
#pragma once

#include <volt/sdk/refs.hpp>

#include <string>

namespace volt::host {

// name -> detached tensor, in the given order.
c10::impl::GenericDict state_dict_of(const NamedTensors& tensors);

// Copies `saved` into the live tensors (values only; device and dtype stay the module's).
// Strict like Lightning's default: the names and shapes must match exactly. On a mismatch
// nothing is changed and the error lists the missing, unexpected and mis-shaped entries;
// `source` names the file for the message.
void load_state_dict(const NamedTensors& live, const c10::impl::GenericDict& saved,
                     const std::string& source);

}  // namespace volt::host

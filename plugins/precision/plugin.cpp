// The precision plugins shipped with Volt.
#include "full_precision.hpp"

VOLT_PLUGINS(volt::plugins::FullPrecision)

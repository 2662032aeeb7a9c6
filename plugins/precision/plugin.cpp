// The precision plugins shipped with Volt: every precision Lightning accepts.
#include "full_precision.hpp"
#include "mixed_precision.hpp"
#include "true_precision.hpp"

VOLT_PLUGINS(volt::plugins::FullPrecision, volt::plugins::DoublePrecision,
             volt::plugins::HalfPrecision, volt::plugins::BFloat16Precision,
             volt::plugins::Float16Mixed, volt::plugins::BFloat16Mixed)

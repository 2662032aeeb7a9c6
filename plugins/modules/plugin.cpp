// The LightningModules shipped with Volt.
#include "cnn.hpp"
#include "mlp.hpp"

VOLT_PLUGINS(volt::plugins::Mlp, volt::plugins::Cnn)

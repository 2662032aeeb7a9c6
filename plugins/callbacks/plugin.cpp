// The callbacks shipped with Volt (Lightning's callbacks, configured with Lightning's options).
// lr_monitor.hpp is compiled but not exported until the host lets callbacks see optimizers.
#include "early_stopping.hpp"
#include "lr_monitor.hpp"
#include "model_checkpoint.hpp"
#include "timer.hpp"

VOLT_PLUGINS(volt::callbacks::EarlyStopping, volt::callbacks::ModelCheckpoint,
             volt::callbacks::Timer)

// The callbacks shipped with Volt (Lightning's callbacks, configured with Lightning's options).
#include "early_stopping.hpp"
#include "ema_weight_averaging.hpp"
#include "gradient_accumulation_scheduler.hpp"
#include "lr_monitor.hpp"
#include "model_checkpoint.hpp"
#include "model_summary.hpp"
#include "on_exception_checkpoint.hpp"
#include "progress_bar.hpp"
#include "timer.hpp"

VOLT_PLUGINS(volt::callbacks::EarlyStopping, volt::callbacks::EMAWeightAveraging,
             volt::callbacks::GradientAccumulationScheduler,
             volt::callbacks::LearningRateMonitor, volt::callbacks::ModelCheckpoint, volt::callbacks::ModelSummary,
             volt::callbacks::OnExceptionCheckpoint, volt::callbacks::ProgressBar,
             volt::callbacks::Timer)

/* Volt plugin ABI: the whole C interface. A plugin written in C includes this header only.
 * See volt/c/abi.h for the conventions every header follows. */
#ifndef VOLT_VOLT_H
#define VOLT_VOLT_H

#include "c/abi.h"
#include "c/tensor.h"
#include "c/state.h"
#include "c/host.h"
#include "c/plugin.h"
#include "c/hooks.h"
#include "c/optimizer.h"
#include "c/module.h"
#include "c/datamodule.h"
#include "c/strategy.h"
#include "c/precision.h"
#include "c/logger.h"
#include "c/callback.h"

#endif /* VOLT_VOLT_H */

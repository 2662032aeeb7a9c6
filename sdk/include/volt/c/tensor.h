/* How tensors cross the Volt ABI.
 *
 * Two forms, chosen by whether autograd must survive the crossing:
 *  - volt_dl_managed_tensor: data without autograd handed from one side to the other with
 *    ownership (batches a datamodule produces, predictions, checkpoint payloads). Its layout is
 *    exactly DLPack's DLManagedTensor (DLPack 0.x, the unversioned struct that LibTorch 1.13 and
 *    2.x both import and export), so any DLPack producer or consumer can be used directly.
 *    Rules: the receiver owns it and calls `deleter(self)` exactly once; it never writes to the
 *    data unless it produced it.
 *  - volt_tensor: an opaque handle to a tensor in the process's single LibTorch, which keeps
 *    autograd (losses, parameters, gradients, logged values). Handles are only created and
 *    unwrapped by the C++ layer (volt/sdk.hpp), which shares the host's LibTorch build (the host
 *    checks this at load time). C code passes handles on, retains and releases them, and reads
 *    their data as DLPack through host->tensor_to_dlpack.
 */
#ifndef VOLT_C_TENSOR_H
#define VOLT_C_TENSOR_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device types, same numbers as DLPack's DLDeviceType. */
enum {
  VOLT_DL_CPU = 1,
  VOLT_DL_CUDA = 2,
  VOLT_DL_CUDA_HOST = 3
};

/* Type codes, same numbers as DLPack's DLDataTypeCode. */
enum {
  VOLT_DL_INT = 0,
  VOLT_DL_UINT = 1,
  VOLT_DL_FLOAT = 2,
  VOLT_DL_BFLOAT = 4,
  VOLT_DL_BOOL = 6
};

typedef struct volt_dl_device {
  int32_t device_type; /* VOLT_DL_* */
  int32_t device_id;
} volt_dl_device;

typedef struct volt_dl_dtype {
  uint8_t code; /* VOLT_DL_INT ... */
  uint8_t bits;
  uint16_t lanes;
} volt_dl_dtype;

typedef struct volt_dl_tensor {
  void* data;
  volt_dl_device device;
  int32_t ndim;
  volt_dl_dtype dtype;
  int64_t* shape;
  int64_t* strides; /* in elements; NULL means compact row-major */
  uint64_t byte_offset;
} volt_dl_tensor;

typedef struct volt_dl_managed_tensor {
  volt_dl_tensor dl_tensor;
  void* manager_ctx;
  /* Frees the tensor and the struct itself. Called exactly once by the owner. May be NULL. */
  void (*deleter)(struct volt_dl_managed_tensor* self);
} volt_dl_managed_tensor;

/* Opaque tensor handle (see above). Ownership is stated per function: "new reference" must be
 * released with host->tensor_release; "borrowed" is valid only for the duration of the call. */
typedef struct volt_tensor volt_tensor;

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_TENSOR_H */

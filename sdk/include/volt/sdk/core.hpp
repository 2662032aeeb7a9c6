// Core of the C++ layer: the host table, errors in both directions and tensor handles.
//
// A volt_tensor* is, in this LibTorch build, an at::Tensor* (the host refuses plugins built
// against another LibTorch, so both sides agree on the type). Borrowed handles may point at
// any live at::Tensor; new references are heap-allocated and freed by host->tensor_release.
#pragma once

#include <volt/volt.h>
#include <volt/sdk/abi_size.hpp>

#include <volt/sdk/torch_core.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace volt {

// An error with a Volt error code; what plugin code throws to choose the code.
class Error : public std::runtime_error {
 public:
  Error(volt_error_code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  explicit Error(const std::string& message) : Error(VOLT_ERROR_INVALID_ARGUMENT, message) {}
  volt_error_code code() const noexcept { return code_; }

 private:
  volt_error_code code_;
};

namespace detail {

// The host table this library was given (init or create). One per plugin library.
inline const volt_host_api*& host_slot() {
  static const volt_host_api* host = nullptr;
  return host;
}

inline const volt_host_api& host() {
  const volt_host_api* h = host_slot();
  if (h == nullptr) throw Error(VOLT_ERROR_FAILED_PRECONDITION, "Volt host table not set");
  return *h;
}

// Runs `fn` and turns any exception into a host-allocated volt_error (NULL on success).
// Every C entry point of the C++ layer goes through here: nothing throws across the ABI.
template <class Fn>
volt_error* guard(Fn&& fn) noexcept {
  volt_error_code code = VOLT_ERROR_UNKNOWN;
  std::string message;
  try {
    fn();
    return nullptr;
  } catch (const Error& e) {
    code = e.code();
    message = e.what();
  } catch (const c10::Error& e) {
    code = VOLT_ERROR_INTERNAL;
    message = e.what_without_backtrace();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown exception";
  }
  const volt_host_api* h = host_slot();
  if (h == nullptr) return nullptr;  // cannot report without a host; never happens after init
  return h->error_new(code, message.c_str());
}

// Turns an error returned by the other side into an exception (and frees it).
inline void check(volt_error* error, const char* what = nullptr) {
  if (error == nullptr) return;
  const volt_host_api& h = host();
  std::string message = h.error_message(error);
  volt_error_code code = h.error_code(error);
  h.error_free(error);
  if (what != nullptr) message = std::string(what) + ": " + message;
  throw Error(code, message);
}

}  // namespace detail

// --- tensor handles -------------------------------------------------------------------------

// The tensor a handle refers to (borrowed).
inline const at::Tensor& unwrap(const volt_tensor* handle) {
  return *reinterpret_cast<const at::Tensor*>(handle);
}
inline at::Tensor& unwrap(volt_tensor* handle) { return *reinterpret_cast<at::Tensor*>(handle); }

// A borrowed handle to `t`, valid while `t` lives. Costs nothing.
inline volt_tensor* borrow(const at::Tensor& t) {
  return reinterpret_cast<volt_tensor*>(const_cast<at::Tensor*>(&t));
}

// A new reference (the receiver releases it with host->tensor_release).
inline volt_tensor* new_ref(at::Tensor t) {
  return reinterpret_cast<volt_tensor*>(new at::Tensor(std::move(t)));
}

// Frees a new reference created by new_ref; the host table's tensor_release does exactly this.
inline void release_ref(volt_tensor* handle) { delete reinterpret_cast<at::Tensor*>(handle); }

// DLPack <-> tensor. Our volt_dl_managed_tensor has DLPack's DLManagedTensor layout.
at::Tensor from_dlpack(volt_dl_managed_tensor* dl);  // takes ownership
volt_dl_managed_tensor* to_dlpack(const at::Tensor& t);  // new, caller deletes

}  // namespace volt

#include <ATen/DLConvertor.h>

static_assert(sizeof(volt_dl_managed_tensor) == sizeof(DLManagedTensor),
              "volt_dl_managed_tensor must keep DLPack's DLManagedTensor layout");
static_assert(offsetof(volt_dl_managed_tensor, deleter) == offsetof(DLManagedTensor, deleter),
              "volt_dl_managed_tensor must keep DLPack's DLManagedTensor layout");

namespace volt {

namespace detail {

// One allocation per exported tensor: the DLPack struct and the tensor that keeps its storage,
// sizes and strides alive (shape and strides point into the tensor, as at::toDLPack's do).
struct ExportedTensor {
  volt_dl_managed_tensor managed{};
  at::Tensor tensor;
};

// The DLPack type of the dtypes batches use; false for the rest (at::toDLPack handles them).
inline bool dl_dtype(at::ScalarType type, volt_dl_dtype& out) {
  switch (type) {
    case at::kFloat: out = {VOLT_DL_FLOAT, 32, 1}; return true;
    case at::kDouble: out = {VOLT_DL_FLOAT, 64, 1}; return true;
    case at::kHalf: out = {VOLT_DL_FLOAT, 16, 1}; return true;
    case at::kBFloat16: out = {VOLT_DL_BFLOAT, 16, 1}; return true;
    case at::kLong: out = {VOLT_DL_INT, 64, 1}; return true;
    case at::kInt: out = {VOLT_DL_INT, 32, 1}; return true;
    case at::kShort: out = {VOLT_DL_INT, 16, 1}; return true;
    case at::kChar: out = {VOLT_DL_INT, 8, 1}; return true;
    case at::kByte: out = {VOLT_DL_UINT, 8, 1}; return true;
    default: return false;
  }
}

// The ATen dtype of the DLPack types dl_dtype produces; false for the rest.
inline bool aten_dtype(const volt_dl_dtype& d, at::ScalarType& out) {
  if (d.lanes != 1) return false;
  switch (d.code * 1000 + d.bits) {
    case VOLT_DL_FLOAT * 1000 + 32: out = at::kFloat; return true;
    case VOLT_DL_FLOAT * 1000 + 64: out = at::kDouble; return true;
    case VOLT_DL_FLOAT * 1000 + 16: out = at::kHalf; return true;
    case VOLT_DL_BFLOAT * 1000 + 16: out = at::kBFloat16; return true;
    case VOLT_DL_INT * 1000 + 64: out = at::kLong; return true;
    case VOLT_DL_INT * 1000 + 32: out = at::kInt; return true;
    case VOLT_DL_INT * 1000 + 16: out = at::kShort; return true;
    case VOLT_DL_INT * 1000 + 8: out = at::kChar; return true;
    case VOLT_DL_UINT * 1000 + 8: out = at::kByte; return true;
    default: return false;
  }
}

// The storage's deleter: hands the DLPack tensor back to its producer.
inline void release_imported(void* ctx) {
  auto* dl = static_cast<volt_dl_managed_tensor*>(ctx);
  if (dl->deleter != nullptr) dl->deleter(dl);
}

}  // namespace detail

// Every batch crosses here too. For a CPU tensor of a plain dtype the storage takes the DLPack
// struct as its deleter context; at::fromDLPack wraps a std::function in another allocation
// and builds the tensor through TensorMaker, about twice the work per tensor.
inline at::Tensor from_dlpack(volt_dl_managed_tensor* dl) {
  const volt_dl_tensor& d = dl->dl_tensor;
  // LibTorch 1.13's reader aborts the process on a negative stride: refuse it here.
  for (int32_t i = 0; i < d.ndim; ++i) {
    if (d.shape[i] >= 0 && (d.strides == nullptr || d.strides[i] >= 0)) continue;
    std::string what = "DLPack tensor: dimension " + std::to_string(i) + " has size " +
                       std::to_string(d.shape[i]) + " and stride " +
                       (d.strides != nullptr ? std::to_string(d.strides[i]) : "none") +
                       "; sizes and strides must not be negative";
    if (dl->deleter != nullptr) dl->deleter(dl);
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, what);
  }
  at::ScalarType type{};
  if (d.device.device_type != VOLT_DL_CPU || d.byte_offset != 0 || d.ndim < 0 ||
      !detail::aten_dtype(d.dtype, type))
    return at::fromDLPack(reinterpret_cast<DLManagedTensor*>(dl));
  at::IntArrayRef sizes(d.shape, static_cast<size_t>(d.ndim));
  size_t item = d.dtype.bits / 8;
  // Bytes the view spans: the element past the farthest one it reaches.
  size_t nbytes = 0;
  bool empty = false;
  for (int64_t s : sizes) empty = empty || s == 0;
  if (!empty) {
    int64_t last = 0;
    for (int32_t i = 0; i < d.ndim; ++i)
      last += (d.shape[i] - 1) * (d.strides != nullptr ? d.strides[i] : 1);
    int64_t contiguous = 1;
    for (int64_t s : sizes) contiguous *= s;
    nbytes = static_cast<size_t>(d.strides != nullptr ? last + 1 : contiguous) * item;
  }
  // From here the DataPtr owns `dl`: it is handed back also if what follows throws.
  c10::DataPtr data(d.data, dl, &detail::release_imported, at::Device(at::kCPU));
  c10::Storage storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data), nullptr, false);
  at::Tensor t = at::detail::make_tensor<c10::TensorImpl>(
      std::move(storage), c10::DispatchKeySet(c10::DispatchKey::CPU), c10::scalarTypeToTypeMeta(type));
  if (d.strides != nullptr)
    t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, at::IntArrayRef(d.strides, sizes.size()));
  else
    t.unsafeGetTensorImpl()->set_sizes_contiguous(sizes);
  return t;
}

// Every batch crosses here, so the common case (CPU or CUDA, a plain dtype) is written out:
// at::toDLPack costs several times more per tensor.
inline volt_dl_managed_tensor* to_dlpack(const at::Tensor& t) {
  volt_dl_dtype dtype{};
  int32_t device_type = !t.defined() ? 0 : t.is_cpu() ? VOLT_DL_CPU : t.is_cuda() ? VOLT_DL_CUDA : 0;
  if (device_type == 0 || !detail::dl_dtype(t.scalar_type(), dtype))
    return reinterpret_cast<volt_dl_managed_tensor*>(at::toDLPack(t));
  auto* e = new detail::ExportedTensor;
  e->tensor = t;
  volt_dl_tensor& d = e->managed.dl_tensor;
  d.data = e->tensor.data_ptr();
  d.device = {device_type, device_type == VOLT_DL_CPU ? 0 : static_cast<int32_t>(t.get_device())};
  d.ndim = static_cast<int32_t>(t.dim());
  d.dtype = dtype;
  d.shape = const_cast<int64_t*>(e->tensor.sizes().data());
  d.strides = const_cast<int64_t*>(e->tensor.strides().data());
  d.byte_offset = 0;
  e->managed.manager_ctx = e;
  e->managed.deleter = [](volt_dl_managed_tensor* self) {
    delete static_cast<detail::ExportedTensor*>(self->manager_ctx);
  };
  return &e->managed;
}

}  // namespace volt

// volt::to_dlpack (sdk/include/volt/sdk/core.hpp) writes the common cases itself; it must
// describe each tensor exactly as LibTorch's own at::toDLPack does, and round-trip through
// volt::from_dlpack (at::fromDLPack) to the same values without a copy.
#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <ATen/DLConvertor.h>

#include <vector>

namespace {

void check_same_description(const at::Tensor& t) {
  volt_dl_managed_tensor* ours = volt::to_dlpack(t);
  DLManagedTensor* torch_own = at::toDLPack(t);
  const volt_dl_tensor& a = ours->dl_tensor;
  const DLTensor& b = torch_own->dl_tensor;
  CHECK(a.data == b.data);
  CHECK(a.device.device_type == static_cast<int32_t>(b.device.device_type));
  CHECK(a.device.device_id == b.device.device_id);
  CHECK(a.dtype.code == b.dtype.code);
  CHECK(a.dtype.bits == b.dtype.bits);
  CHECK(a.dtype.lanes == b.dtype.lanes);
  REQUIRE(a.ndim == b.ndim);
  for (int d = 0; d < a.ndim; ++d) {
    INFO("dim " << d);
    CHECK(a.shape[d] == b.shape[d]);
    REQUIRE(b.strides != nullptr);
    CHECK(a.strides[d] == b.strides[d]);
  }
  CHECK(a.byte_offset == b.byte_offset);
  torch_own->deleter(torch_own);

  at::Tensor back = volt::from_dlpack(ours);  // takes ownership
  CHECK(back.data_ptr() == t.data_ptr());    // shared, not copied
  CHECK(back.sizes() == t.sizes());
  CHECK(back.strides() == t.strides());
  CHECK(back.scalar_type() == t.scalar_type());
  CHECK(torch::equal(back, t));
}

TEST_CASE("to_dlpack describes tensors as at::toDLPack does and round-trips", "[sdk][dlpack]") {
  const std::vector<at::ScalarType> types = {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16,
                                             at::kLong,  at::kInt,    at::kShort, at::kChar,
                                             at::kByte};  // LibTorch 1.13 exports no bool
  for (at::ScalarType type : types) {
    INFO("dtype " << c10::toString(type));
    at::Tensor t = torch::arange(24, torch::kDouble).reshape({2, 3, 4}).remainder(2).to(type);
    check_same_description(t);
    check_same_description(t.transpose(0, 2));           // non-contiguous strides
    check_same_description(t.select(1, 2));              // storage offset
    check_same_description(t.reshape({24})[5]);          // zero dimensions
  }
}

TEST_CASE("a tensor exported with to_dlpack outlives the caller's reference", "[sdk][dlpack]") {
  volt_dl_managed_tensor* dl = nullptr;
  {
    at::Tensor t = torch::full({3}, 7.0f);
    dl = volt::to_dlpack(t);
  }  // the DLPack struct keeps the storage alive
  REQUIRE(dl->dl_tensor.ndim == 1);
  CHECK(static_cast<const float*>(dl->dl_tensor.data)[2] == 7.0f);
  dl->deleter(dl);
}

}  // namespace

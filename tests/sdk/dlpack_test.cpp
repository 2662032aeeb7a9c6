// volt::to_dlpack and volt::from_dlpack (sdk/include/volt/sdk/core.hpp) write the common cases
// themselves; they must describe and read each tensor exactly as LibTorch's own at::toDLPack
// and at::fromDLPack do, round-trip without a copy, and hand each DLPack struct back to its
// producer exactly once.
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

// A DLPack struct as a C producer would write it: its own memory, shape and (optional)
// strides, and a deleter that counts its calls.
struct CProducer {
  std::vector<float> data;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  volt_dl_managed_tensor managed{};
  int deleted = 0;

  volt_dl_managed_tensor* make(bool with_strides) {
    volt_dl_tensor& d = managed.dl_tensor;
    d.data = data.data();
    d.device = {VOLT_DL_CPU, 0};
    d.ndim = static_cast<int32_t>(shape.size());
    d.dtype = {VOLT_DL_FLOAT, 32, 1};
    d.shape = shape.data();
    d.strides = with_strides ? strides.data() : nullptr;
    d.byte_offset = 0;
    managed.manager_ctx = this;
    managed.deleter = [](volt_dl_managed_tensor* self) {
      ++static_cast<CProducer*>(self->manager_ctx)->deleted;
    };
    return &managed;
  }
};

TEST_CASE("from_dlpack reads a C producer's tensor in place and returns it once",
          "[sdk][dlpack]") {
  CProducer p;
  p.data = {0, 1, 2, 3, 4, 5};
  p.shape = {2, 3};
  p.strides = {1, 2};  // column-major: element (i, j) at i + 2 j

  SECTION("without strides: row-major") {
    {
      at::Tensor t = volt::from_dlpack(p.make(false));
      CHECK(t.data_ptr() == p.data.data());
      CHECK(torch::equal(t, torch::arange(6, torch::kFloat).reshape({2, 3})));
      CHECK(t.storage().nbytes() == 6 * sizeof(float));
      at::Tensor view = t.select(0, 1);  // a view keeps the storage, so the struct stays taken
      t = at::Tensor();
      CHECK(p.deleted == 0);
      CHECK(view[2].item<float>() == 5.0f);
    }
    CHECK(p.deleted == 1);
  }
  SECTION("with strides: as the strides say") {
    {
      at::Tensor t = volt::from_dlpack(p.make(true));
      CHECK(t.strides() == at::IntArrayRef({1, 2}));
      CHECK(torch::equal(t, torch::arange(6, torch::kFloat).reshape({3, 2}).t()));
      CHECK(t.storage().nbytes() == 6 * sizeof(float));  // reaches element 1 + 2*2 = 5
    }
    CHECK(p.deleted == 1);
  }
  SECTION("an empty tensor spans no bytes") {
    p.shape = {0, 3};
    {
      at::Tensor t = volt::from_dlpack(p.make(true));
      CHECK(t.numel() == 0);
      CHECK(t.storage().nbytes() == 0);
    }
    CHECK(p.deleted == 1);
  }
  SECTION("a negative stride is refused by name, and the struct is still returned") {
    p.strides = {1, -2};  // LibTorch's own reader would abort the process
    try {
      volt::from_dlpack(p.make(true));
      FAIL("from_dlpack accepted a negative stride");
    } catch (const volt::Error& e) {
      CHECK(e.code() == VOLT_ERROR_INVALID_ARGUMENT);
      CHECK(std::string(e.what()).find("dimension 1 has size 3 and stride -2") != std::string::npos);
    }
    CHECK(p.deleted == 1);
  }
  SECTION("zero dimensions: one element") {
    p.shape = {};
    {
      at::Tensor t = volt::from_dlpack(p.make(false));
      CHECK(t.dim() == 0);
      CHECK(t.item<float>() == 0.0f);
    }
    CHECK(p.deleted == 1);
  }
}

TEST_CASE("from_dlpack reads what at::toDLPack exports, and leaves other dtypes to LibTorch",
          "[sdk][dlpack]") {
  at::Tensor base = torch::arange(24, torch::kFloat).reshape({2, 3, 4});
  for (const at::Tensor& t : {base, base.transpose(0, 2), base.select(1, 2), base.reshape({24})[5]}) {
    at::Tensor back = volt::from_dlpack(reinterpret_cast<volt_dl_managed_tensor*>(at::toDLPack(t)));
    CHECK(back.data_ptr() == t.data_ptr());
    CHECK(back.strides() == t.strides());
    CHECK(torch::equal(back, t));
  }
  // Complex numbers have no fast path: at::fromDLPack reads them.
  at::Tensor c = torch::complex(torch::arange(4, torch::kFloat), torch::ones({4}));
  at::Tensor back = volt::from_dlpack(reinterpret_cast<volt_dl_managed_tensor*>(at::toDLPack(c)));
  CHECK(back.scalar_type() == at::kComplexFloat);
  CHECK(torch::equal(back, c));
}

}  // namespace

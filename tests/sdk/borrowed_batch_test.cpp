// volt::detail::BorrowedBatch (sdk/include/volt/sdk/borrowed_batch.hpp): the Batch of one
// adapter call, built in the adapter's kept vector. It must hold the handles' tensors for the
// call, keep nothing after it, and not hand a nested call the vector its caller is using.
#include <volt/sdk/borrowed_batch.hpp>

#include <catch2/catch.hpp>

namespace {

TEST_CASE("a borrowed batch holds the handles' tensors for one call only", "[sdk][batch]") {
  at::Tensor x = torch::ones({2, 3});
  at::Tensor y = torch::zeros({2}, torch::kLong);
  volt_tensor* handles[] = {volt::borrow(x), volt::borrow(y)};
  volt::detail::BatchBuffer buffer;
  const size_t x_refs = x.use_count();

  {
    volt::detail::BorrowedBatch b(buffer, handles, 2);
    REQUIRE(b.get().size() == 2);
    CHECK(b.get()[0].unsafeGetTensorImpl() == x.unsafeGetTensorImpl());
    CHECK(b.get()[1].unsafeGetTensorImpl() == y.unsafeGetTensorImpl());
    CHECK(&b.get() == &buffer.batch);  // the adapter's vector
    CHECK(buffer.in_use);
    CHECK(x.use_count() == x_refs + 1);
  }
  CHECK_FALSE(buffer.in_use);
  CHECK(buffer.batch.empty());
  CHECK(buffer.batch.capacity() >= 2);  // kept for the next call
  CHECK(x.use_count() == x_refs);       // nothing held between calls
}

TEST_CASE("a call made inside another gets a batch of its own", "[sdk][batch]") {
  at::Tensor x = torch::ones({2});
  at::Tensor z = torch::full({4}, 3.0f);
  volt_tensor* outer_handles[] = {volt::borrow(x)};
  volt_tensor* inner_handles[] = {volt::borrow(z), volt::borrow(x)};
  volt::detail::BatchBuffer buffer;

  volt::detail::BorrowedBatch outer(buffer, outer_handles, 1);
  {
    volt::detail::BorrowedBatch inner(buffer, inner_handles, 2);
    CHECK(&inner.get() != &buffer.batch);
    REQUIRE(inner.get().size() == 2);
    CHECK(inner.get()[0].unsafeGetTensorImpl() == z.unsafeGetTensorImpl());
  }
  // The outer call's batch is untouched by the inner one ending.
  REQUIRE(outer.get().size() == 1);
  CHECK(outer.get()[0].unsafeGetTensorImpl() == x.unsafeGetTensorImpl());
  CHECK(buffer.in_use);
}

}  // namespace

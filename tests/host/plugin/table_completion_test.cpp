// Table completion (host/plugin/table_completion.hpp): a table of an older minor, whose
// struct_size ends early, is read with every later field NULL, whatever the bytes past its
// end hold; a table of this minor is read as it is. One case per kind of plugin table, with
// the oldest possible table: struct_size covering `destroy` only.
#include "plugin/table_completion.hpp"
#include "trainer/components.hpp"

#include <volt/volt.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

namespace {

int destroyed = 0;

// A plugin table of `struct_size` bytes followed by garbage up to the host's size: what the
// host would read past a short table if it did not complete it.
template <class Table>
struct ShortTable {
  explicit ShortTable(size_t struct_size) : bytes(sizeof(Table) + 64, 0xAB) {
    Table* t = get();
    t->struct_size = struct_size;
    t->impl = &destroyed;
    t->destroy = [](Table* self) { ++*static_cast<int*>(self->impl); };
  }
  Table* get() { return reinterpret_cast<Table*>(bytes.data()); }
  std::vector<unsigned char> bytes;
};

template <class Table>
bool zero_after(const Table& t, size_t from) {
  const auto* p = reinterpret_cast<const unsigned char*>(&t);
  for (size_t i = from; i < sizeof(Table); ++i)
    if (p[i] != 0) return false;
  return true;
}

template <class Table>
void check_kind() {
  const size_t oldest = VOLT_STRUCT_SIZE(Table, destroy);
  ShortTable<Table> plugin(oldest);
  Table full = volt::host::complete_table(plugin.get());
  CHECK(full.struct_size == oldest);
  CHECK(full.impl == &destroyed);
  CHECK(full.destroy == plugin.get()->destroy);
  CHECK(zero_after(full, oldest));

  // This host's own minor: nothing is cleared.
  ShortTable<Table> current(sizeof(Table));
  Table same = volt::host::complete_table(current.get());
  CHECK(std::memcmp(&same, current.get(), sizeof(Table)) == 0);
}

}  // namespace

TEST_CASE("each kind's table of the oldest minor reads as NULL past its struct_size", "[plugin][abi]") {
  check_kind<volt_module>();
  check_kind<volt_datamodule>();
  check_kind<volt_strategy>();
  check_kind<volt_precision>();
  check_kind<volt_logger>();
  check_kind<volt_callback>();
  check_kind<volt_optimizer>();
  check_kind<volt_lr_scheduler>();
}

TEST_CASE("an Instance calls the plugin's own table and reads later functions as NULL", "[plugin][abi]") {
  // A strategy of ABI 1.2: up to teardown; broadcast (1.3) onwards is garbage in the buffer.
  ShortTable<volt_strategy> plugin(VOLT_STRUCT_SIZE(volt_strategy, teardown));
  destroyed = 0;
  {
    volt::host::StrategyInstance instance(plugin.get(), std::make_unique<volt_host_context>());
    CHECK(instance.get() == plugin.get());
    CHECK(instance->broadcast == nullptr);
    CHECK(instance->start_reduce == nullptr);
    CHECK(instance->save_state == nullptr);
    CHECK(instance->all_gather == nullptr);
  }
  CHECK(destroyed == 1);  // destroy ran once, with the plugin's own table
}

TEST_CASE("struct_size constants end at the last field, before any padding", "[plugin][abi]") {
  CHECK(VOLT_STEP_ARGS_SIZE == offsetof(volt_step_args, dataloader_idx) + sizeof(int32_t));
  CHECK(VOLT_LOADER_ARGS_SIZE == offsetof(volt_loader_args, shuffle) + sizeof(int32_t));
  CHECK(VOLT_STRATEGY_SIZE == offsetof(volt_strategy, all_gather) + sizeof(void*));
  CHECK(volt::abi_size(static_cast<const volt_step_args*>(nullptr)) == VOLT_STEP_ARGS_SIZE);
}

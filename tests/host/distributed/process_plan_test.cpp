// How many processes a run uses and whether Volt starts them (host/distributed/process_plan).
#include "config/config_error.hpp"
#include "distributed/process_plan.hpp"
#include "support/fake_env.hpp"

#include <catch2/catch.hpp>

#include <map>

using volt::host::parse_devices;
using volt::test::fake_env;
using volt::host::plan_processes;
using volt::host::ProcessPlan;
using json = nlohmann::json;

namespace {

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const volt::host::config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("trainer.devices is read as Lightning reads it", "[distributed][plan]") {
  CHECK(parse_devices(json("auto"), "cpu", 0) == 1);
  CHECK(parse_devices(json("auto"), "cuda", 4) == 4);
  CHECK(parse_devices(json(3), "cpu", 0) == 3);
  CHECK(parse_devices(json("2"), "cpu", 0) == 2);
  CHECK(parse_devices(json(-1), "cuda", 8) == 8);
  CHECK(parse_devices(json("0,1"), "cuda", 8) == 2);
  CHECK(parse_devices(json("0,"), "cuda", 8) == 1);
  CHECK(parse_devices(json::array({1, 3, 5}), "cuda", 8) == 3);
  CHECK(config_error([] { parse_devices(json(-1), "cpu", 0); }) ==
        "trainer.devices=-1: with the CPU accelerator expected a number of processes > 0");
  CHECK(config_error([] { parse_devices(json("0,1"), "cpu", 0); }).find("need the cuda accelerator") !=
        std::string::npos);
  CHECK(config_error([] { parse_devices(json("many"), "cpu", 0); }).find("trainer.devices=\"many\"") == 0);
}

TEST_CASE("a launching strategy with several devices makes Volt start the workers",
          "[distributed][plan]") {
  json trainer{{"accelerator", "cpu"}, {"devices", 2}, {"num_nodes", 1}};
  ProcessPlan plan = plan_processes(trainer, "ddp", true, fake_env({}));
  CHECK(plan.launch_workers);
  CHECK(plan.devices == 2);
  CHECK(plan.cluster.world_size == 2);

  // A worker the launcher started (LOCAL_RANK set) runs its rank instead of launching again.
  ProcessPlan worker = plan_processes(
      trainer, "ddp", true, fake_env({{"LOCAL_RANK", "1"}, {"MASTER_PORT", "29500"}}));
  CHECK_FALSE(worker.launch_workers);
  CHECK(worker.cluster.global_rank == 1);
  CHECK(worker.cluster.world_size == 2);

  // torchrun started the processes: join as they are.
  ProcessPlan external = plan_processes(
      json{{"accelerator", "cpu"}}, "ddp", true,
      fake_env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "n1"},
              {"MASTER_PORT", "1234"}}));
  CHECK_FALSE(external.launch_workers);
  CHECK(external.cluster.kind == "torchelastic");
  CHECK(external.cluster.global_rank == 3);

  // One device per node: no launcher, this process is the node's only rank.
  ProcessPlan node = plan_processes(json{{"accelerator", "cpu"}, {"devices", 1}, {"num_nodes", 2}},
                                    "ddp", true, fake_env({{"NODE_RANK", "1"}, {"MASTER_PORT", "1"}}));
  CHECK_FALSE(node.launch_workers);
  CHECK(node.cluster.global_rank == 1);
  CHECK(node.cluster.world_size == 2);
}

TEST_CASE("a single-process strategy refuses several devices or nodes", "[distributed][plan]") {
  CHECK(config_error([] {
          plan_processes(json{{"accelerator", "cpu"}, {"devices", 2}}, "single_device", false,
                         fake_env({}));
        }) == "strategy 'single_device' runs one process on one device; trainer.devices=2 with "
              "trainer.num_nodes=1 needs a distributed strategy such as --strategy=ddp (a "
              "strategy runs one process per device when its config schema says "
              "\"x-volt-launcher\": \"subprocess\"; see docs/guides/strategy.md)");
  ProcessPlan plan = plan_processes(json{{"accelerator", "cpu"}, {"devices", "auto"}},
                                    "single_device", false, fake_env({}));
  CHECK_FALSE(plan.launch_workers);
  CHECK(plan.cluster.world_size == 1);
}

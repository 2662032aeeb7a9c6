// Cluster environments read as Lightning reads them (lightning.md, "Process-group setup"):
// TorchElastic, then SLURM, then Lightning's own; SLURM's node lists and ports; bad values.
#include "distributed/cluster_environment.hpp"
#include "support/fake_env.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <map>

namespace volt::host {
namespace {

using volt::test::fake_env;

TEST_CASE("no variables: one local process, Lightning's environment", "[distributed][env]") {
  ClusterEnvironment c = detect_cluster_environment(fake_env({}), 1, 1);
  CHECK(c.kind == "lightning");
  CHECK_FALSE(c.creates_processes_externally);
  CHECK(c.world_size == 1);
  CHECK(c.global_rank == 0);
  CHECK(c.main_address == "127.0.0.1");
  CHECK(c.main_port == 0);  // the launcher picks a free port
}

TEST_CASE("Lightning's environment computes ranks from devices and nodes", "[distributed][env]") {
  // A worker Volt's launcher started: node 1 of 2, 4 devices each, local rank 2.
  ClusterEnvironment c = detect_cluster_environment(
      fake_env({{"LOCAL_RANK", "2"}, {"NODE_RANK", "1"}, {"MASTER_ADDR", "10.0.0.5"},
            {"MASTER_PORT", "29500"}}),
      4, 2);
  CHECK(c.kind == "lightning");
  CHECK(c.creates_processes_externally);  // LOCAL_RANK present
  CHECK(c.world_size == 8);
  CHECK(c.global_rank == 6);  // node_rank * devices + local_rank
  CHECK(c.node_rank == 1);
  CHECK(c.main_address == "10.0.0.5");
  CHECK(c.main_port == 29500);
  // GROUP_RANK stands in for NODE_RANK.
  CHECK(detect_cluster_environment(fake_env({{"LOCAL_RANK", "0"}, {"GROUP_RANK", "1"}}), 2, 2)
            .global_rank == 2);
}

TEST_CASE("torchrun's variables are used as they are", "[distributed][env]") {
  auto vars = std::map<std::string, std::string>{
      {"TORCHELASTIC_RUN_ID", "abc"}, {"RANK", "5"},         {"WORLD_SIZE", "8"},
      {"LOCAL_RANK", "1"},            {"GROUP_RANK", "2"},   {"MASTER_ADDR", "head"}};
  ClusterEnvironment c = detect_cluster_environment(fake_env(vars), 1, 1);  // trainer values ignored
  CHECK(c.kind == "torchelastic");
  CHECK(c.creates_processes_externally);
  CHECK(c.world_size == 8);
  CHECK(c.global_rank == 5);
  CHECK(c.local_rank == 1);
  CHECK(c.node_rank == 2);
  CHECK(c.main_address == "head");
  CHECK(c.main_port == 12910);  // TorchElasticEnvironment's default
  SECTION("RANK, WORLD_SIZE and LOCAL_RANK without torchrun's run id are the same launch") {
    vars.erase("TORCHELASTIC_RUN_ID");
    CHECK(detect_cluster_environment(fake_env(vars), 1, 1).kind == "torchelastic");
  }
  SECTION("torchrun wins over SLURM, as in Lightning's detection order") {
    vars["SLURM_NTASKS"] = "16";
    CHECK(detect_cluster_environment(fake_env(vars), 1, 1).kind == "torchelastic");
  }
}

TEST_CASE("SLURM's variables, node list and port", "[distributed][env]") {
  auto vars = std::map<std::string, std::string>{
      {"SLURM_NTASKS", "8"},   {"SLURM_PROCID", "3"},   {"SLURM_LOCALID", "1"},
      {"SLURM_NODEID", "1"},   {"SLURM_JOB_ID", "4567891"}, {"SLURM_JOB_NAME", "train"},
      {"SLURM_NODELIST", "gpu[07-09,12],cpu1"}};
  ClusterEnvironment c = detect_cluster_environment(fake_env(vars), 4, 2);
  CHECK(c.kind == "slurm");
  CHECK(c.creates_processes_externally);
  CHECK(c.world_size == 8);
  CHECK(c.global_rank == 3);
  CHECK(c.local_rank == 1);
  CHECK(c.node_rank == 1);
  CHECK(c.main_address == "gpu07");
  CHECK(c.main_port == 7891 + 15000);  // the job id's last 4 digits + 15000
  CHECK(c.describe() ==
        "slurm: GLOBAL_RANK 3, MEMBER 4/8, LOCAL_RANK 1, NODE_RANK 1, MASTER_ADDR gpu07, "
        "MASTER_PORT 22891 (processes started by a launcher)");

  SECTION("MASTER_ADDR and MASTER_PORT override") {
    vars["MASTER_ADDR"] = "login1";
    vars["MASTER_PORT"] = "30000";
    ClusterEnvironment o = detect_cluster_environment(fake_env(vars), 4, 2);
    CHECK(o.main_address == "login1");
    CHECK(o.main_port == 30000);
  }
  SECTION("interactive jobs are not SLURM launches") {
    vars["SLURM_JOB_NAME"] = "bash";
    CHECK(detect_cluster_environment(fake_env(vars), 1, 1).kind == "lightning");
    vars["SLURM_JOB_NAME"] = "interactive";
    CHECK(detect_cluster_environment(fake_env(vars), 1, 1).kind == "lightning");
  }
}

TEST_CASE("SLURM node lists give their first host, as Lightning's resolve_root_node_address",
          "[distributed][env]") {
  CHECK(slurm_root_node("host0 host1 host3") == "host0");
  CHECK(slurm_root_node("host0,host1,host3") == "host0");
  CHECK(slurm_root_node("host[5-9]") == "host5");
  CHECK(slurm_root_node("host[5]") == "host5");
  CHECK(slurm_root_node("node[01-03,7],gpu5") == "node01");
  CHECK(slurm_root_node("alone") == "alone");
}

TEST_CASE("malformed variables are errors naming them", "[distributed][env]") {
  auto message = [](std::map<std::string, std::string> vars) {
    try {
      detect_cluster_environment(fake_env(std::move(vars)), 2, 1);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message({{"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "three"}}) ==
        "environment variable SLURM_PROCID='three' is not an integer");
  CHECK(message({{"MASTER_PORT", "70000"}}) ==
        "environment variable MASTER_PORT=70000 is not a TCP port");
  CHECK(message({{"RANK", "4"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "0"}}) ==
        "torchelastic environment: global rank 4, local rank 0, node rank 0 do not fit a world "
        "of size 4");
  CHECK(message({{"LOCAL_RANK", "2"}}) ==
        "lightning environment: global rank 2, local rank 2, node rank 0 do not fit a world of "
        "size 2");
}

}  // namespace
}  // namespace volt::host

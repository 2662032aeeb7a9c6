// Two "nodes" on one machine: two network namespaces joined by a veth pair, each with its own
// address, one ddp process per node (--trainer.num_nodes=2, NODE_RANK, MASTER_ADDR set to the
// first namespace's address). The run must train and match the single-process reference.
// Needs root and `ip` (iproute2); skips with a message where namespaces cannot be made.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

int sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

// Two namespaces with 10.231.S.1 and 10.231.S.2 on a veth pair; removed on destruction.
class TwoNamespaces {
 public:
  TwoNamespaces() {
    std::string id = std::to_string(::getpid() % 100000);
    subnet_ = "10.231." + std::to_string(::getpid() % 250) + ".";
    names_ = {"volt_n0_" + id, "volt_n1_" + id};
    std::string veth0 = "vv0_" + id, veth1 = "vv1_" + id;
    ok_ = ::geteuid() == 0 && sh("command -v ip") == 0 && sh("ip netns add " + names_[0]) == 0 &&
          sh("ip netns add " + names_[1]) == 0 &&
          sh("ip link add " + veth0 + " type veth peer name " + veth1) == 0 &&
          sh("ip link set " + veth0 + " netns " + names_[0]) == 0 &&
          sh("ip link set " + veth1 + " netns " + names_[1]) == 0 &&
          sh("ip -n " + names_[0] + " addr add " + address(0) + "/24 dev " + veth0) == 0 &&
          sh("ip -n " + names_[1] + " addr add " + address(1) + "/24 dev " + veth1) == 0 &&
          sh("ip -n " + names_[0] + " link set " + veth0 + " up") == 0 &&
          sh("ip -n " + names_[1] + " link set " + veth1 + " up") == 0 &&
          sh("ip -n " + names_[0] + " link set lo up") == 0 &&
          sh("ip -n " + names_[1] + " link set lo up") == 0;
  }
  ~TwoNamespaces() {
    sh("ip netns del " + names_[0]);
    sh("ip netns del " + names_[1]);
  }
  bool ok() const { return ok_; }
  const std::string& name(int node) const { return names_[static_cast<size_t>(node)]; }
  std::string address(int node) const { return subnet_ + std::to_string(node + 1); }

 private:
  bool ok_ = false;
  std::string subnet_;
  std::vector<std::string> names_;
};

}  // namespace

TEST_CASE("ddp across two nodes (network namespaces) matches one process", "[ddp][e2e][nodes]") {
  TwoNamespaces nodes;
  if (!nodes.ok()) {
    WARN("skipped: cannot create network namespaces here (needs root and iproute2's `ip netns`)");
    return;
  }
  TempDir tmp("ddp-nodes");
  ProcessResult ref = run(fit_args(tmp / "reference/root", 32, 2), tmp, "reference");
  INFO(describe(ref));
  REQUIRE(ref.exit_code == 0);

  std::vector<pid_t> pids;
  for (int node = 0; node < 2; ++node) {
    fs::path dir = tmp / ("node" + std::to_string(node));
    fs::create_directories(dir);
    std::vector<std::string> argv{"/usr/sbin/ip", "netns", "exec", nodes.name(node)};
    if (!fs::exists(argv[0])) argv[0] = "/sbin/ip";
    for (const auto& a : fit_args(tmp / "root", 16, 2,
                                  {"--strategy=ddp", "--trainer.num_nodes=2", "--trainer.devices=1",
                                   "--strategy.timeout=120"}))
      argv.push_back(a);
    pids.push_back(start_process(argv, dir, dir,
                                 {"NODE_RANK=" + std::to_string(node),
                                  "MASTER_ADDR=" + nodes.address(0), "MASTER_PORT=29531"}));
  }
  for (int node = 0; node < 2; ++node) {
    bool timed_out = false;
    ProcessResult r = wait_process(pids[static_cast<size_t>(node)],
                                   tmp / ("node" + std::to_string(node)), 300, &timed_out);
    INFO("node " << node << ": " << describe(r));
    CHECK_FALSE(timed_out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("GLOBAL_RANK " + std::to_string(node) + ", MEMBER " +
                     std::to_string(node + 1) + "/2") != std::string::npos);
  }
  CHECK(max_relative_difference(weights(only_checkpoint(tmp / "root")),
                                weights(only_checkpoint(tmp / "reference/root"))) <= 1e-5);
}

#endif  // VOLT_TEST_HAVE_DDP

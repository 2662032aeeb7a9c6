#include "distributed/cluster_environment.hpp"

#include <volt/sdk/core.hpp>

#include <sstream>

namespace volt::host {

namespace {

int64_t integer(const EnvLookup& env, const std::string& name, int64_t fallback) {
  std::optional<std::string> v = env(name);
  if (!v || v->empty()) return fallback;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (const std::exception&) {
  }
  throw Error(VOLT_ERROR_INVALID_ARGUMENT,
              "environment variable " + name + "='" + *v + "' is not an integer");
}

std::optional<std::string> text(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

int32_t port(const EnvLookup& env, int64_t fallback) {
  int64_t p = integer(env, "MASTER_PORT", fallback);
  if (p < 0 || p > 65535)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "environment variable MASTER_PORT=" + std::to_string(p) + " is not a TCP port");
  return static_cast<int32_t>(p);
}

// SLURM's port, as Lightning: the last 4 digits of the job id + 15000, unless MASTER_PORT.
int32_t slurm_port(const EnvLookup& env) {
  std::optional<std::string> job = text(env, "SLURM_JOB_ID");
  int64_t fallback = 12910;
  if (job) {
    std::string tail = job->size() > 4 ? job->substr(job->size() - 4) : *job;
    try {
      fallback = std::stoll(tail) + 15000;
    } catch (const std::exception&) {
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "environment variable SLURM_JOB_ID='" + *job + "' does not end in digits");
    }
  }
  return port(env, fallback);
}

void check_ranks(const ClusterEnvironment& c) {
  if (c.world_size < 1 || c.global_rank < 0 || c.global_rank >= c.world_size || c.local_rank < 0 ||
      c.node_rank < 0)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                c.kind + " environment: global rank " + std::to_string(c.global_rank) +
                    ", local rank " + std::to_string(c.local_rank) + ", node rank " +
                    std::to_string(c.node_rank) + " do not fit a world of size " +
                    std::to_string(c.world_size));
}

}  // namespace

std::string slurm_root_node(const std::string& nodelist) {
  // Lightning: re.sub(r"\[(.*?)[,-].*\]", r"\1", nodes), then r"\[(.*?)\]" -> r"\1", then the
  // first name before a space or a comma.
  std::string nodes = nodelist;
  size_t open = nodes.find('[');
  if (open != std::string::npos) {
    size_t close = nodes.rfind(']');
    size_t stop = nodes.find_first_of(",-]", open + 1);
    if (close != std::string::npos && close > open && stop != std::string::npos) {
      std::string first = nodes.substr(open + 1, stop - open - 1);
      nodes = nodes.substr(0, open) + first + nodes.substr(close + 1);
    }
  }
  size_t end = nodes.find_first_of(" ,");
  return end == std::string::npos ? nodes : nodes.substr(0, end);
}

ClusterEnvironment detect_cluster_environment(const EnvLookup& env, int64_t devices,
                                              int64_t num_nodes) {
  ClusterEnvironment c;
  bool torchrun_style = text(env, "RANK") && text(env, "WORLD_SIZE") && text(env, "LOCAL_RANK");
  std::optional<std::string> job_name = text(env, "SLURM_JOB_NAME");
  bool slurm = text(env, "SLURM_NTASKS") &&
               !(job_name && (*job_name == "bash" || *job_name == "interactive"));
  if (text(env, "TORCHELASTIC_RUN_ID") || torchrun_style) {
    c.kind = "torchelastic";
    c.creates_processes_externally = true;
    c.main_address = text(env, "MASTER_ADDR").value_or("127.0.0.1");
    c.main_port = port(env, 12910);
    c.world_size = integer(env, "WORLD_SIZE", 1);
    c.global_rank = integer(env, "RANK", 0);
    c.local_rank = integer(env, "LOCAL_RANK", 0);
    c.node_rank = integer(env, "GROUP_RANK", integer(env, "NODE_RANK", 0));
  } else if (slurm) {
    c.kind = "slurm";
    c.creates_processes_externally = true;
    c.main_address = text(env, "MASTER_ADDR")
                         .value_or(slurm_root_node(text(env, "SLURM_NODELIST").value_or("127.0.0.1")));
    c.main_port = slurm_port(env);
    c.world_size = integer(env, "SLURM_NTASKS", 1);
    c.global_rank = integer(env, "SLURM_PROCID", 0);
    c.local_rank = integer(env, "SLURM_LOCALID", 0);
    c.node_rank = integer(env, "SLURM_NODEID", 0);
  } else {
    c.kind = "lightning";
    c.creates_processes_externally = text(env, "LOCAL_RANK").has_value();
    c.main_address = text(env, "MASTER_ADDR").value_or("127.0.0.1");
    c.main_port = port(env, 0);
    c.local_rank = integer(env, "LOCAL_RANK", 0);
    c.node_rank = integer(env, "NODE_RANK", integer(env, "GROUP_RANK", 0));
    c.world_size = std::max<int64_t>(1, devices) * std::max<int64_t>(1, num_nodes);
    c.global_rank = c.node_rank * std::max<int64_t>(1, devices) + c.local_rank;
  }
  check_ranks(c);
  return c;
}

std::string ClusterEnvironment::describe() const {
  std::ostringstream s;
  s << kind << ": GLOBAL_RANK " << global_rank << ", MEMBER " << global_rank + 1 << "/"
    << world_size << ", LOCAL_RANK " << local_rank << ", NODE_RANK " << node_rank
    << ", MASTER_ADDR " << main_address << ", MASTER_PORT "
    << (main_port == 0 ? std::string("(a free port)") : std::to_string(main_port))
    << (creates_processes_externally ? " (processes started by a launcher)"
                                     : " (Volt starts the processes)");
  return s.str();
}

}  // namespace volt::host

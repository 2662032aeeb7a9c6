// The plugin loading flags as a user gives them to the real `volt`: --plugin-allowlist (and
// VOLT_PLUGIN_ALLOWLIST), --allow-insecure-plugins (and VOLT_ALLOW_INSECURE_PLUGINS), for
// `volt plugins` and for a run. Digests come from the `sha256sum` command, an independent
// implementation. The registry-level checks are in tests/host/plugin/load_policy_test.cpp.
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

namespace volt::trainer_test {
namespace {

using nlohmann::json;

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

ProcessResult volt(std::vector<std::string> args, const TempDir& tmp,
                   const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), kVolt);
  return run_process(args, tmp.path(), tmp.path(), env);
}

std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// `sha256sum` lines for every shipped library except `left_out`.
std::string allowlist_without(const TempDir& tmp, const std::string& left_out) {
  std::vector<std::string> argv{"/usr/bin/sha256sum"};
  for (const auto& entry : fs::directory_iterator(shipped_plugin_dir()))
    if (entry.path().filename() != left_out) argv.push_back(entry.path().string());
  ProcessResult r = run_process(argv, tmp.path(), tmp.path());
  REQUIRE(r.exit_code == 0);
  return r.out;
}

std::vector<std::string> listed(const std::string& out, const std::string& kind) {
  std::vector<std::string> ids;
  const json catalogue = json::parse(out);
  for (const auto& plugin : catalogue["plugins"])
    if (plugin["kind"] == kind) ids.push_back(plugin["id"].get<std::string>());
  return ids;
}

bool any_skip_reason(const std::string& out, const std::string& part) {
  const json catalogue = json::parse(out);
  for (const auto& skipped : catalogue["skipped"])
    if (skipped["reason"].get<std::string>().find(part) != std::string::npos) return true;
  return false;
}

std::vector<std::string> synthetic_run() {
  return {"fit", "--model=mlp", "--data=synthetic", "--print-config=json"};
}

}  // namespace

TEST_CASE("volt --plugin-allowlist loads only the listed libraries", "[plugin_policy][allowlist][e2e]") {
  TempDir tmp("allowlist-e2e");
  std::ofstream(tmp / "allow.txt") << allowlist_without(tmp, "volt_logger_csv.so");
  const std::string list = (tmp / "allow.txt").string();

  ProcessResult all = volt({"plugins", "--json"}, tmp);
  REQUIRE(all.exit_code == 0);
  CHECK(listed(all.out, "logger") == std::vector<std::string>{"csv", "jsonl", "mlflow", "tensorboard"});

  ProcessResult limited = volt({"plugins", "--json", "--plugin-allowlist", list}, tmp);
  INFO(describe(limited));
  REQUIRE(limited.exit_code == 0);
  CHECK(listed(limited.out, "logger") == std::vector<std::string>{"jsonl", "mlflow", "tensorboard"});
  CHECK(listed(limited.out, "module") == std::vector<std::string>{"cnn", "mlp"});
  CHECK(any_skip_reason(limited.out, "volt_logger_csv.so: SHA-256 "));
  CHECK(any_skip_reason(limited.out, " is not in the allow-list " + list));

  // The environment gives the same default; a run cannot select what was refused.
  ProcessResult env_run = volt(synthetic_run(), tmp, {"VOLT_PLUGIN_ALLOWLIST=" + list});
  CHECK(env_run.exit_code == 2);
  CHECK(env_run.err.find("unknown id 'csv'") != std::string::npos);
  std::vector<std::string> jsonl_run = synthetic_run();
  jsonl_run.insert(jsonl_run.end(), {"--logger=jsonl", "--plugin-allowlist=" + list});
  ProcessResult ok = volt(jsonl_run, tmp);
  INFO(describe(ok));
  CHECK(ok.exit_code == 0);

  std::ofstream(tmp / "bad.txt") << allowlist_without(tmp, "") << "not a digest\n";
  ProcessResult bad = volt({"plugins", "--plugin-allowlist", (tmp / "bad.txt").string()}, tmp);
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find((tmp / "bad.txt").string()) != std::string::npos);
  CHECK(bad.err.find("line ") != std::string::npos);
}

TEST_CASE("a plugin folder other users can write to is refused unless allowed",
          "[plugin_policy][e2e]") {
  TempDir tmp("insecure-e2e");
  const fs::path dir = tmp / "plugins";
  fs::create_directories(dir);
  fs::copy_file(fs::path(VOLT_TEST_C_LOGGER_DIR) / "volt_example_c_logger.so",
                dir / "tsv_logger.so");
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  const std::string flag = "--plugin-dir=" + dir.string();
  ProcessResult safe = volt({"plugins", "--json", flag}, tmp);
  INFO(describe(safe));
  REQUIRE(safe.exit_code == 0);
  const auto has_tsv = [](const std::string& out) {
    const auto ids = listed(out, "logger");
    return std::find(ids.begin(), ids.end(), "tsv") != ids.end();
  };
  REQUIRE(has_tsv(safe.out));

  REQUIRE(::chmod(dir.c_str(), 0757) == 0);
  ProcessResult refused = volt({"plugins", "--json", flag}, tmp);
  CHECK_FALSE(has_tsv(refused.out));
  CHECK(any_skip_reason(refused.out, "is writable by other users (mode 0757"));
  CHECK(any_skip_reason(refused.out, "--allow-insecure-plugins"));
  std::vector<std::string> run = synthetic_run();
  run.insert(run.end(), {flag, "--logger=tsv"});
  CHECK(volt(run, tmp).exit_code == 2);  // not loaded, so not a known logger

  ProcessResult allowed = volt({"plugins", "--json", flag, "--allow-insecure-plugins"}, tmp);
  CHECK(has_tsv(allowed.out));
  CHECK(allowed.err.find("writable by other users") != std::string::npos);  // still warned
  CHECK(has_tsv(volt({"plugins", "--json", flag}, tmp, {"VOLT_ALLOW_INSECURE_PLUGINS=1"}).out));
  run.push_back("--allow-insecure-plugins");
  CHECK(volt(run, tmp).exit_code == 0);
}

}  // namespace volt::trainer_test

#include "mlflow_store.hpp"

#include <volt/sdk.hpp>
#include <volt/sdk/yaml_writer.hpp>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

namespace volt::loggers::mlflow {

namespace fs = std::filesystem;

namespace {

std::string file_uri(const fs::path& p) { return "file://" + fs::absolute(p).lexically_normal().string(); }

void write_atomically(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "mlflow: cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// The value of `key: value` in a meta.yaml, unquoted.
std::string meta_value(const fs::path& meta, const std::string& key) {
  std::ifstream in(meta);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::string v = line.substr(key.size() + 1);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

void write_experiment_meta(const fs::path& root, const std::string& id, const std::string& name) {
  int64_t now = now_ms();
  std::ostringstream y;
  y << "artifact_location: " << file_uri(root / id) << "\n"
    << "creation_time: " << now << "\n"
    << "experiment_id: '" << id << "'\n"
    << "last_update_time: " << now << "\n"
    << "lifecycle_stage: active\n"
    << "name: " << volt::yaml::scalar(nlohmann::json(name)) << "\n";
  write_atomically(root / id / "meta.yaml", y.str());
}

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string find_or_create_experiment(const fs::path& root, const std::string& name) {
  fs::create_directories(root);
  if (!fs::exists(root / "0" / "meta.yaml")) write_experiment_meta(root, "0", "Default");
  int64_t highest = 0;
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory() || !fs::exists(e.path() / "meta.yaml")) continue;
    std::string id = e.path().filename().string();
    if (meta_value(e.path() / "meta.yaml", "name") == name) return id;
    if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos && id.size() < 18)
      highest = std::max<int64_t>(highest, std::stoll(id));
  }
  std::string id = std::to_string(highest + 1);
  write_experiment_meta(root, id, name);
  return id;
}

void write_run_meta(const fs::path& run_dir, const fs::path& root, const RunMeta& m) {
  (void)root;
  std::ostringstream y;
  y << "artifact_uri: " << file_uri(run_dir / "artifacts") << "\n"
    << "end_time: " << (m.end_time < 0 ? std::string("null") : std::to_string(m.end_time)) << "\n"
    << "entry_point_name: ''\n"
    << "experiment_id: '" << m.experiment_id << "'\n"
    << "lifecycle_stage: active\n"
    << "run_id: " << m.run_id << "\n"
    << "run_name: " << volt::yaml::scalar(nlohmann::json(m.run_name)) << "\n"
    << "run_uuid: " << m.run_id << "\n"
    << "source_name: ''\n"
    << "source_type: 4\n"
    << "source_version: ''\n"
    << "start_time: " << m.start_time << "\n"
    << "status: " << m.status << "\n"
    << "tags: []\n"
    << "user_id: " << volt::yaml::scalar(nlohmann::json(m.user)) << "\n";
  write_atomically(run_dir / "meta.yaml", y.str());
}

void write_key_file(const fs::path& dir, const std::string& key, const std::string& text) {
  fs::path path = dir / key;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "mlflow: cannot write " + path.string());
}

std::string new_run_id() {
  std::random_device device;
  std::mt19937_64 gen((static_cast<uint64_t>(device()) << 32) ^ device() ^
                      static_cast<uint64_t>(now_ms()));
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = hex[gen() & 15];
  id[12] = '4';                         // uuid version 4
  id[16] = hex[8 + (gen() & 3)];        // RFC 4122 variant
  return id;
}

}  // namespace volt::loggers::mlflow

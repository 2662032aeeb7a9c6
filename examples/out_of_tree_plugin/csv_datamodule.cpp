// A datamodule plugin: a CSV file of numbers, one sample per row, the last column the class
// label, the others the features. The first `val_fraction` of the rows is held out for
// validation; batching, shuffling per epoch and sharding across ranks come from
// volt::TensorDataModule (PyTorch's DataLoader and DistributedSampler rules).
#include <volt/sdk.hpp>
#include <volt/sdk/tensor_datamodule.hpp>

#include <fstream>
#include <sstream>

class CsvTable : public volt::TensorDataModule {
 public:
  static volt::PluginInfo info() {
    return {"csv_table", "1.0.0", "Rows of a CSV file: features, then an integer label (example)",
            R"json({"type": "object", "additionalProperties": false, "required": ["path"],
              "properties": {
                "path": {"type": "string", "description": "the CSV file (no header)"},
                "batch_size": {"type": "integer", "minimum": 1, "default": 32},
                "val_fraction": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.2},
                "seed": {"type": "integer", "default": 0}}})json"};
  }

  explicit CsvTable(const nlohmann::json& config)
      : TensorDataModule(config.at("batch_size").get<int64_t>(), config.at("seed").get<uint64_t>()),
        path_(config.at("path").get<std::string>()),
        val_fraction_(config.at("val_fraction").get<double>()) {}

  void setup(volt::Stage /*stage*/) override {
    std::ifstream in(path_);
    if (!in) throw volt::Error(VOLT_ERROR_NOT_FOUND, "csv_table: cannot open '" + path_ + "'");
    std::vector<float> features;
    std::vector<int64_t> labels;
    size_t width = 0;
    std::string line;
    for (int64_t row = 1; std::getline(in, line); ++row) {
      if (line.empty()) continue;
      std::vector<double> cells;
      std::stringstream cells_text(line);
      for (std::string cell; std::getline(cells_text, cell, ',');) {
        try {
          cells.push_back(std::stod(cell));
        } catch (const std::exception&) {
          throw volt::Error(path_ + " row " + std::to_string(row) + ": '" + cell + "' is not a number");
        }
      }
      if (width == 0) width = cells.size();
      if (cells.size() != width || width < 2)
        throw volt::Error(path_ + " row " + std::to_string(row) + ": " + std::to_string(cells.size()) +
                          " columns, expected " + std::to_string(width) + " (at least 2)");
      features.insert(features.end(), cells.begin(), cells.end() - 1);
      labels.push_back(static_cast<int64_t>(cells.back()));
    }
    auto n = static_cast<int64_t>(labels.size());
    if (n < 2) throw volt::Error(path_ + ": needs at least 2 rows, found " + std::to_string(n));
    torch::Tensor x = torch::tensor(features).view({n, static_cast<int64_t>(width) - 1});
    torch::Tensor y = torch::tensor(labels);
    auto n_val = static_cast<int64_t>(static_cast<double>(n) * val_fraction_);
    set_split(volt::Split::Validation, {x.narrow(0, 0, n_val), y.narrow(0, 0, n_val)});
    set_split(volt::Split::Train, {x.narrow(0, n_val, n - n_val), y.narrow(0, n_val, n - n_val)});
  }

 private:
  std::string path_;
  double val_fraction_;
};

VOLT_PLUGINS(CsvTable)

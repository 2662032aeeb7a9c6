// One column of a CSV file such as a run's metrics.csv (no quoting, as the CSV logger writes
// numbers and plain names), in row order, empty cells skipped.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace volt::test_csv {

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream s(line);
  for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

inline std::vector<std::string> csv_column(const std::filesystem::path& csv, const std::string& name) {
  std::ifstream in(csv);
  std::string line;
  std::vector<std::string> out;
  if (!std::getline(in, line)) return out;
  std::vector<std::string> header = split_csv_line(line);
  size_t col = std::find(header.begin(), header.end(), name) - header.begin();
  while (std::getline(in, line)) {
    std::vector<std::string> cells = split_csv_line(line);
    if (col < cells.size() && !cells[col].empty()) out.push_back(cells[col]);
  }
  return out;
}

}  // namespace volt::test_csv

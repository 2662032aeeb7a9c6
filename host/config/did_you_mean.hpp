// Typo suggestions for error messages ("did you mean 'hidden_sizes'?").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace volt::host::config {

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), ASCII
// case-insensitive: "mpl" -> "mlp" is 1.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word`, if it is close enough to be a plausible typo (distance at
// most 1 + candidate length / 4). Ties go to the first candidate in order.
std::optional<std::string> closest_match(const std::string& word,
                                         const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" when nothing is close. `quote` wraps the suggestion.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& quote = "'");

// Joins with `separator`: join({"a","b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& items, const std::string& separator);

}  // namespace volt::host::config

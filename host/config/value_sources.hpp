// Where each value of a composed config came from (a file's line and column, a flag, an
// environment variable), so that an error found only after composition, when the config is
// checked against the schemas, names the place to fix: `trainer.max_epochs: expected an
// integer or null, got "abc" (set in c.yaml, line 2, column 3)`.
//
// Paths are compared the way errors write them (config_error.hpp): the wrappers of a plugin
// selection (class_path, init_args, dict_kwargs, id, config), a leading subcommand section and
// the trainer.{logger,callbacks,strategy,precision} spellings are left out, so `model.lr`
// matches a file's model.init_args.lr and a flag --model.lr alike.
#pragma once

#include "config/config_error.hpp"
#include "config/yaml_format.hpp"

#include <optional>
#include <string>
#include <vector>

namespace volt::host::config {

class ValueSources {
 public:
  // The value at `path` (raw keys as the layer wrote them) was set by `where` ("set by
  // --model.lr").
  void add(const std::vector<std::string>& path, const std::string& where);
  // Every key of a file, at its position: "<prefix>line L, column C" (the prefix: "set in
  // <file>, ", or "" where the message names the file already).
  void add_file(const KeyPositions& positions, const std::string& prefix);
  // Who set the value at `key_path` ("model.hidden_sizes[1]"): the last source of that exact
  // path, else of the closest enclosing path, else of the first key below it. nullopt when
  // nothing recorded is related (a default).
  std::optional<std::string> find(const std::string& key_path) const;

  // `error` with its source appended, when it names a key path and the source is known.
  ConfigError annotate(const ConfigError& error) const;

 private:
  struct Entry {
    std::vector<std::string> path;  // normalized
    std::string where;
  };
  std::vector<Entry> entries_;
};

}  // namespace volt::host::config

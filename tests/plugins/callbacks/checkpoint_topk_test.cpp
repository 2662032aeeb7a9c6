// ModelCheckpoint's top-k bookkeeping (plugins/callbacks/checkpoint_topk.hpp): which files are
// kept and dropped for save_top_k = 1, k and -1 in both modes, NaN scores, ties, and the state
// written to checkpoints.
#include "../../plugins/callbacks/checkpoint_topk.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>

using volt::callbacks::TopKTracker;

namespace {

// Simulates ModelCheckpoint over a sequence of scores: file i is "e<i>.ckpt"; returns the set
// of files that exist at the end.
std::set<std::string> simulate(TopKTracker& t, const std::vector<double>& scores) {
  std::set<std::string> files;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!t.should_save(scores[i])) continue;
    std::string path;
    std::string del = t.update(scores[i], [&](const std::string&) { return "e" + std::to_string(i) + ".ckpt"; },
                               &path);
    files.insert(path);
    if (!del.empty() && del != path) files.erase(del);
  }
  return files;
}

std::set<std::string> keys(const TopKTracker& t) {
  std::set<std::string> out;
  for (const auto& kv : t.best_k_models) out.insert(kv.first);
  return out;
}

}  // namespace

TEST_CASE("top-k: save_top_k=1 keeps only the best (min)", "[callbacks][checkpoint]") {
  TopKTracker t(false, 1);
  auto files = simulate(t, {0.5, 0.4, 0.6, 0.3, 0.35});
  CHECK(files == std::set<std::string>{"e3.ckpt"});
  CHECK(t.best_model_path == "e3.ckpt");
  CHECK(*t.best_model_score == 0.3);
  CHECK(t.kth_best_model_path == "e3.ckpt");
  CHECK(t.kth_value == 0.3);
  CHECK(keys(t) == files);
}

TEST_CASE("top-k: save_top_k=2 in max mode drops the worst", "[callbacks][checkpoint]") {
  TopKTracker t(true, 2);
  auto files = simulate(t, {0.1, 0.5, 0.3, 0.7, 0.2});
  CHECK(files == std::set<std::string>{"e1.ckpt", "e3.ckpt"});
  CHECK(t.best_model_path == "e3.ckpt");
  CHECK(t.kth_best_model_path == "e1.ckpt");
  CHECK(t.kth_value == 0.5);
  CHECK(*t.current_score == 0.7);
}

TEST_CASE("top-k: save_top_k=-1 keeps everything", "[callbacks][checkpoint]") {
  TopKTracker t(false, -1);
  auto files = simulate(t, {0.5, 0.6, 0.4});
  CHECK(files.size() == 3);
  CHECK(t.best_model_path == "e2.ckpt");
  CHECK(t.kth_best_model_path == "e1.ckpt");  // the worst of all
  CHECK(t.k_for_message() == 3);
}

TEST_CASE("top-k: a missing score is never saved", "[callbacks][checkpoint]") {
  TopKTracker t(false, 3);
  CHECK_FALSE(t.should_save(std::nullopt));
  CHECK(t.should_save(1.0));
}

TEST_CASE("top-k: NaN is stored as the worst score", "[callbacks][checkpoint]") {
  TopKTracker t(false, 2);
  simulate(t, {std::nan(""), 0.5});
  CHECK(t.score_of("e0.ckpt") == std::numeric_limits<double>::infinity());
  CHECK(t.kth_best_model_path == "e0.ckpt");
  CHECK(t.best_model_path == "e1.ckpt");
  CHECK(t.should_save(0.9));  // anything finite beats inf
  TopKTracker m(true, 1);
  simulate(m, {std::nan("")});
  CHECK(m.score_of("e0.ckpt") == -std::numeric_limits<double>::infinity());
}

TEST_CASE("top-k: equal scores do not replace, ties keep the first", "[callbacks][checkpoint]") {
  TopKTracker t(false, 1);
  simulate(t, {0.5, 0.5});
  CHECK(t.best_model_path == "e0.ckpt");
  TopKTracker all(false, -1);
  simulate(all, {0.5, 0.5});
  CHECK(all.best_model_path == "e0.ckpt");
  CHECK(all.kth_best_model_path == "e0.ckpt");
}

TEST_CASE("top-k: the dropped name is offered for reuse", "[callbacks][checkpoint]") {
  TopKTracker t(false, 1);
  t.update(0.5, [](const std::string& del) { return del.empty() ? "a.ckpt" : "unused"; });
  std::string offered;
  std::string del = t.update(0.4, [&](const std::string& d) {
    offered = d;
    return d;  // the same name again (Lightning's version counter allows it)
  });
  CHECK(offered == "a.ckpt");
  CHECK(del == "a.ckpt");
  CHECK(t.best_k_models.size() == 1);
  CHECK(*t.best_model_score == 0.4);
}

TEST_CASE("top-k: best_k_models survive a JSON round trip", "[callbacks][checkpoint]") {
  TopKTracker t(false, 3);
  simulate(t, {0.5, std::nan(""), 0.25});
  nlohmann::json j = t.best_k_models_json();
  CHECK(j["e1.ckpt"] == "inf");
  CHECK(j["e0.ckpt"] == 0.5);
  TopKTracker u(false, 3);
  u.load_best_k_models(j);
  CHECK(keys(u) == keys(t));
  CHECK(u.score_of("e1.ckpt") == std::numeric_limits<double>::infinity());
  CHECK(u.score_of("e2.ckpt") == 0.25);
}

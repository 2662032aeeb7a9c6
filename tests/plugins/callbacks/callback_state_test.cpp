// The callback classes outside a trainer: configuration checks with Lightning's messages,
// Lightning's state keys, and state_dict / load_state_dict round trips (what checkpoints keep).
#include "../../plugins/callbacks/early_stopping.hpp"
#include "../../plugins/callbacks/model_checkpoint.hpp"
#include "../../plugins/callbacks/timer.hpp"

#include <catch2/catch.hpp>

using namespace volt::callbacks;
using nlohmann::json;

TEST_CASE("early_stopping: state key, state round trip", "[callbacks][early_stopping]") {
  EarlyStopping es(json{{"monitor", "val_acc"}, {"mode", "max"}, {"patience", 4}});
  CHECK(es.state_key() == "EarlyStopping{'monitor': 'val_acc', 'mode': 'max'}");
  CHECK(es.is_monitoring());
  json fresh = es.state_dict();
  CHECK(fresh == json{{"wait_count", 0}, {"stopped_epoch", 0}, {"best_score", "-inf"}, {"patience", 4}});

  EarlyStopping restored(json{{"monitor", "val_acc"}, {"mode", "max"}});
  restored.load_state_dict(json{{"wait_count", 2}, {"stopped_epoch", 7}, {"best_score", 0.75},
                                {"patience", 4}});
  CHECK(restored.state().wait_count == 2);
  CHECK(restored.state().stopped_epoch == 7);
  CHECK(restored.state().best_score == 0.75);
  CHECK(restored.state().patience == 4);
  CHECK(restored.state_dict()["best_score"] == 0.75);
}

TEST_CASE("early_stopping: configuration errors", "[callbacks][early_stopping]") {
  CHECK_THROWS_WITH(EarlyStopping(json{{"monitor", "val_loss"}, {"mode", "avg"}}),
                    Catch::Contains("`mode` can be min, max, got avg"));
  CHECK_THROWS_WITH(EarlyStopping(json{{"monitor", ""}}), Catch::Contains("monitor"));
}

TEST_CASE("model_checkpoint: Lightning's configuration checks", "[callbacks][checkpoint]") {
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"save_top_k", 2}}),
                    Catch::Contains("ModelCheckpoint(save_top_k=2, monitor=None) is not a valid "
                                    "configuration. No quantity for top_k to track."));
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"every_n_train_steps", 5}, {"every_n_epochs", 2}}),
                    Catch::Contains("should be mutually exclusive"));
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"save_top_k", -2}}),
                    Catch::Contains("Invalid value for save_top_k=-2"));
  CHECK_NOTHROW(ModelCheckpoint(json{{"save_top_k", 3}, {"monitor", "val_loss"}}));
  CHECK_NOTHROW(ModelCheckpoint(json{{"save_top_k", -1}}));
  // Template errors show at construction, not at the first save.
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"filename", "{epoch:x}"}}),
                    Catch::Contains("model_checkpoint: checkpoint filename") &&
                        Catch::Contains("type 'x' is not supported"));
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"filename", "a}"}}), Catch::Contains("Single '}'"));
}

TEST_CASE("model_checkpoint: state key follows Lightning's triggers", "[callbacks][checkpoint]") {
  CHECK(ModelCheckpoint(json::object()).state_key() ==
        "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
        "'every_n_epochs': 1, 'train_time_interval': None}");
  CHECK(ModelCheckpoint(json{{"monitor", "val_acc"}, {"mode", "max"}, {"every_n_train_steps", 10}})
            .state_key() ==
        "ModelCheckpoint{'monitor': 'val_acc', 'mode': 'max', 'every_n_train_steps': 10, "
        "'every_n_epochs': 0, 'train_time_interval': None}");
  // Lightning: repr(timedelta(minutes=90)) in the key; every_n_epochs falls to 0.
  CHECK(ModelCheckpoint(json{{"train_time_interval", "00:01:30:00"}}).state_key() ==
        "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
        "'every_n_epochs': 0, 'train_time_interval': datetime.timedelta(seconds=5400)}");
  CHECK(ModelCheckpoint(json{{"train_time_interval", 90000}}).state_key() ==
        "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
        "'every_n_epochs': 0, 'train_time_interval': datetime.timedelta(days=1, seconds=3600)}");
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"train_time_interval", 30}, {"every_n_epochs", 2}}),
                    Catch::Contains("Combination of parameters every_n_train_steps=0, "
                                    "every_n_epochs=2 and train_time_interval=0:00:30 should be "
                                    "mutually exclusive."));
  CHECK_THROWS_WITH(ModelCheckpoint(json{{"train_time_interval", "soon"}}),
                    Catch::Contains("train_time_interval must be a positive number of seconds"));
}

TEST_CASE("model_checkpoint: state round trip in the same folder", "[callbacks][checkpoint]") {
  std::string dir = (std::filesystem::temp_directory_path() / "volt-cb-state").string();
  json config{{"dirpath", dir}, {"monitor", "val_loss"}, {"save_top_k", 2}};
  ModelCheckpoint a(config);
  json state{{"monitor", "val_loss"},
             {"best_model_score", 0.2},
             {"best_model_path", dir + "/b.ckpt"},
             {"current_score", 0.3},
             {"dirpath", a.dirpath()},
             {"best_k_models", {{dir + "/a.ckpt", 0.3}, {dir + "/b.ckpt", 0.2}}},
             {"kth_best_model_path", dir + "/a.ckpt"},
             {"kth_value", 0.3},
             {"last_model_path", dir + "/last.ckpt"}};
  a.load_state_dict(state);
  json saved = a.state_dict();
  for (const char* key : {"monitor", "best_model_score", "best_model_path", "dirpath",
                          "best_k_models", "kth_best_model_path", "kth_value", "last_model_path"})
    CHECK(saved[key] == state[key]);
  CHECK(saved["current_score"].is_null());  // Lightning does not restore current_score

  // Another folder: only best_model_path comes back (Lightning warns).
  ModelCheckpoint b(json{{"dirpath", dir + "/other"}, {"monitor", "val_loss"}});
  b.load_state_dict(state);
  CHECK(b.tracker().best_model_path == dir + "/b.ckpt");
  CHECK(b.tracker().best_k_models.empty());
  CHECK(b.last_model_path().empty());
}

TEST_CASE("timer: configuration and state", "[callbacks][timer]") {
  CHECK_THROWS_WITH(Timer(json{{"duration", "1:00:00"}}),
                    Catch::Contains("`Timer(duration='1:00:00')` is not a valid duration. "
                                    "Expected a string in the format DD:HH:MM:SS."));
  Timer t(json{{"duration", "00:01:00:00"}});
  CHECK(t.time_remaining() == Approx(3600.0));
  CHECK(t.state_key() == "Timer");
  t.load_state_dict(json{{"time_elapsed", {{"train", 600.0}, {"validate", 5.0}}}});
  CHECK(t.time_elapsed() == Approx(600.0));
  CHECK(t.time_remaining() == Approx(3000.0));
  json s = t.state_dict();
  CHECK(s["time_elapsed"]["train"] == Approx(600.0));
  CHECK(s["time_elapsed"]["validate"] == 0.0);
  CHECK(s["time_elapsed"].size() == 5);
  CHECK_FALSE(Timer(json::object()).time_remaining());
}

// Interoperability with Python's torch (Debian's python3-torch): Python's torch.load opens a
// checkpoint from a real fit and finds Lightning's keys, shapes and values; a state_dict saved
// by Python's torch.save initialises a Volt module. python3-torch is required (support/python.hpp).
#include "checkpoint_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

namespace volt::checkpoint_test {
namespace {


// Reads the checkpoint, checks what Lightning promises, and prints the first values of every
// state_dict tensor as JSON (repr of floats is exact) for the C++ side to compare.
constexpr const char* kCheckCheckpoint = R"py(
import json, pickletools, sys, torch, zipfile
path = sys.argv[1] if len(sys.argv) > 1 else open("path.txt").read()
ck = torch.load(path)
# Only the globals torch.load(weights_only=True), the default since PyTorch 2.6, allows. (Its
# 1.13 version cannot load any float, so it is only called on PyTorch 2.)
archive = zipfile.ZipFile(path)
pickle = archive.read([n for n in archive.namelist() if n.endswith("/data.pkl")][0])
used = {arg for op, arg, _ in pickletools.genops(pickle) if op.name == "GLOBAL"}
allowed = {"collections OrderedDict", "torch._utils _rebuild_tensor_v2"} | {
    "torch " + t + "Storage" for t in ("Float", "Double", "Half", "BFloat16", "Long", "Int",
                                       "Short", "Char", "Byte", "Bool")}
assert used <= allowed, used - allowed
if int(torch.__version__.split(".")[0]) >= 2:
    assert sorted(torch.load(path, weights_only=True).keys()) == sorted(ck.keys())
expected = {"epoch", "global_step", "pytorch-lightning_version", "state_dict", "loops",
            "callbacks", "optimizer_states", "lr_schedulers", "hyper_parameters", "hparams_name",
            "volt_version"}
missing = expected - set(ck.keys())
assert not missing, missing
assert ck["epoch"] == 1 and ck["global_step"] == 12, (ck["epoch"], ck["global_step"])
fit = ck["loops"]["fit_loop"]
assert fit["epoch_progress"]["total"]["processed"] == 2, fit["epoch_progress"]
assert fit["epoch_progress"]["total"]["completed"] == 1, fit["epoch_progress"]
assert fit["epoch_loop.batch_progress"]["current"]["completed"] == 6
assert fit["epoch_loop.state_dict"]["_batches_that_stepped"] == 12
assert ck["hyper_parameters"]["optimizer"] == "adam", ck["hyper_parameters"]
assert ck["hyper_parameters"]["hidden_sizes"] == [16]
assert ck["callbacks"]["step_checkpointer"]["saves"] == 2, ck["callbacks"]

# The same architecture in Python loads the weights strictly, and the optimizer state too.
class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                          torch.nn.Linear(16, 3))
    def forward(self, x):
        return self.layers(x)
model = Mlp()
model.load_state_dict(ck["state_dict"], strict=True)
opt = torch.optim.Adam(model.parameters())
opt.load_state_dict(ck["optimizer_states"][0])
assert len(opt.state) == 4
assert float(opt.state_dict()["state"][0]["step"]) == 12.0
model(torch.randn(2, 8)).sum().backward()
opt.step()  # the restored state is usable

out = {k: {"shape": list(v.shape), "first": v.flatten()[:5].double().tolist()}
       for k, v in ck["state_dict"].items()}
print(json.dumps(out))
)py";

TEST_CASE("Python's torch.load reads a checkpoint of a real fit", "[checkpoint][python]") {
  REQUIRE_PYTHON_TORCH();
  TempDir root("py-load");
  fs::path saves = root / "saves";
  Run run = fit_with(resolve(with(small_fit(root.str(), "adam", 2),
                                  {"--callbacks+=step_checkpointer",
                                   "--callbacks.dirpath=" + saves.string(),
                                   "--callbacks.every_n_train_steps=6"})));
  fs::path ckpt = root / "checkpoints" / "epoch=1-step=12.ckpt";
  REQUIRE(fs::exists(ckpt));
  std::ofstream(root / "path.txt") << ckpt.string();
  ProcessResult r = run_python(kCheckCheckpoint, root);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json values = nlohmann::json::parse(r.out);
  REQUIRE(values.size() == run.fit.final_parameters.size());
  for (const auto& [name, t] : run.fit.final_parameters) {
    INFO(name);
    REQUIRE(values.contains(name));
    CHECK(values[name]["shape"].get<std::vector<int64_t>>() == t.sizes().vec());
    at::Tensor flat = t.flatten().to(torch::kDouble);
    auto first = values[name]["first"].get<std::vector<double>>();
    for (size_t i = 0; i < first.size(); ++i) CHECK(first[i] == flat[i].item<double>());
  }
}

// Deterministic weights both sides compute exactly: arange / 64 - index of the tensor.
constexpr const char* kSaveStateDict = R"py(
import torch
class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                          torch.nn.Linear(16, 3))
model = Mlp()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / 64 - i)
torch.save(model.state_dict(), "weights.pt")              # an OrderedDict with _metadata
torch.save({"state_dict": model.state_dict(), "epoch": 0, "global_step": 0,
            "pytorch-lightning_version": "2.6.2"}, "lightning_style.ckpt")
)py";

at::Tensor expected_weight(const at::Tensor& like, int64_t index) {
  return torch::arange(like.numel(), torch::kFloat32).reshape(like.sizes()) / 64 -
         static_cast<double>(index);
}

TEST_CASE("a state_dict saved by Python's torch.save initialises a Volt module",
          "[checkpoint][python]") {
  REQUIRE_PYTHON_TORCH();
  TempDir dir("py-save");
  ProcessResult r = run_python(kSaveStateDict, dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto flags = small_fit(dir.str(), "sgd", 1);
  for (const char* file : {"weights.pt", "lightning_style.ckpt"}) {
    INFO(file);
    NamedTensors loaded = validate_with(resolve(flags), (dir / file).string());
    REQUIRE(loaded.size() == 4);
    for (size_t i = 0; i < loaded.size(); ++i)
      CHECK(torch::equal(loaded[i].second, expected_weight(loaded[i].second, static_cast<int64_t>(i))));
  }
  // fit: a weights-only file initialises the model, then training starts from scratch.
  Run run = fit_with(resolve(flags), (dir / "weights.pt").string());
  CHECK(run.fit.global_step == 6);
  TempDir again("py-save-ref");
  Run from_scratch = fit_with(resolve(small_fit(again.str(), "sgd", 1)));
  CHECK_FALSE(all_equal(run.fit.final_parameters, from_scratch.fit.final_parameters));
}

// What Lightning's own callback code does with the state of a Volt checkpoint: EarlyStopping's
// _evaluate_stopping_criteria calls best_score.to(device), ModelCheckpoint.to_yaml calls .item()
// on best_k_models' values, kth_value starts as tensor(inf); the `{val_loss}` of a file name is
// the float32 metric, as Lightning formats it.
constexpr const char* kCheckCallbackState = R"py(
import math, os, torch
ck = torch.load(open("path.txt").read())
cbs = ck["callbacks"]
es = cbs["EarlyStopping{'monitor': 'val_loss', 'mode': 'min'}"]
assert sorted(es) == ["best_score", "patience", "stopped_epoch", "wait_count"], es
best = es["best_score"]
assert isinstance(best, torch.Tensor) and best.dim() == 0 and best.dtype == torch.float32, best
best.to("cpu")
mc = [v for k, v in cbs.items() if k.startswith("ModelCheckpoint{")]
assert len(mc) == 1, list(cbs)
mc = mc[0]
for key in ("best_model_score", "current_score", "kth_value"):
    v = mc[key]
    assert isinstance(v, torch.Tensor) and v.dim() == 0 and v.dtype == torch.float32, (key, v)
assert len(mc["best_k_models"]) == 2, mc["best_k_models"]
yaml_view = {k: v.item() for k, v in mc["best_k_models"].items()}
assert math.isclose(mc["best_model_score"].item(), min(yaml_view.values()))
name = os.path.basename(mc["best_model_path"])
assert ("val_loss=%r.ckpt" % mc["best_model_score"].item()) in name, (name, mc["best_model_score"])
fresh = torch.load(open("first.txt").read())["callbacks"]
fresh_mc = [v for k, v in fresh.items() if k.startswith("ModelCheckpoint{")][0]
assert math.isinf(fresh_mc["kth_value"].item()), fresh_mc["kth_value"]
print("ok")
)py";

TEST_CASE("callback state holds tensors where Lightning's callbacks expect them",
          "[checkpoint][python][callbacks]") {
  REQUIRE_PYTHON_TORCH();
  TempDir root("py-callback-state");
  auto flags = with(small_fit(root.str(), "sgd", 3),
                    {"--callbacks+=early_stopping", "--callbacks.monitor=val_loss",
                     "--callbacks.patience=10", "--callbacks+=model_checkpoint",
                     "--callbacks.monitor=val_loss", "--callbacks.save_top_k=2",
                     "--callbacks.filename={epoch}-{val_loss}",
                     "--callbacks.dirpath=" + (root / "ck").string()});
  fit_with(resolve(flags));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(root / "ck")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 2);
  // The later of the two kept files was saved with both in best_k_models.
  fs::path last = files.back();
  std::ofstream(root / "path.txt") << last.string();
  // A 1-epoch run's checkpoint: top-k not full yet.
  TempDir first_root("py-callback-state-1");
  fit_with(resolve(with(small_fit(first_root.str(), "sgd", 1),
                        {"--callbacks+=model_checkpoint", "--callbacks.monitor=val_loss",
                         "--callbacks.save_top_k=2",
                         "--callbacks.dirpath=" + (first_root / "ck").string()})));
  fs::path first = fs::directory_iterator(first_root / "ck")->path();
  std::ofstream(root / "first.txt") << first.string();
  ProcessResult r = run_python(kCheckCallbackState, root);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}

}  // namespace
}  // namespace volt::checkpoint_test

// volt::lr schedulers against torch.optim.lr_scheduler (Debian's python3-torch): the same
// schedules, stepped the same number of times, give the same learning rates (and momenta for
// OneCycleLR); state_dict() carries Python's keys and resumes a schedule exactly.
#include "support/python.hpp"

#include <volt/sdk/lr_schedulers.hpp>

#include <catch2/catch.hpp>

#include <set>

namespace {

using namespace volt::test_python;  // NOLINT
using volt::trainer_test::TempDir;

// Every case, in Python: the lr (and momentum) of group 0 after construction and each step.
constexpr const char* kReference = R"py(
import json, torch
from torch.optim import SGD, Adam
from torch.optim import lr_scheduler as L
def params(): return [torch.nn.Parameter(torch.zeros(2))]
def run(opt, sched, steps, metrics=None, key=None):
    lrs, moms = [opt.param_groups[0]["lr"]], []
    def mom():
        g = opt.param_groups[0]
        return g["betas"][0] if "betas" in g else g["momentum"]
    moms.append(mom())
    for i in range(steps):
        opt.step()
        sched.step(metrics[i]) if metrics else sched.step()
        lrs.append(opt.param_groups[0]["lr"]); moms.append(mom())
    return {"lrs": lrs, "momenta": moms, "keys": sorted(sched.state_dict().keys())}
out = {}
o = SGD(params(), lr=0.1); out["step"] = run(o, L.StepLR(o, step_size=3, gamma=0.5), 10)
o = SGD(params(), lr=0.1); out["multistep"] = run(o, L.MultiStepLR(o, [2, 5, 5, 8], gamma=0.1), 10)
o = SGD(params(), lr=0.1); out["cosine"] = run(o, L.CosineAnnealingLR(o, T_max=4, eta_min=0.001), 13)
o = SGD(params(), lr=0.1); out["linear"] = run(o, L.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7)
o = SGD(params(), lr=0.1, momentum=0.9); out["onecycle_sgd"] = run(o, L.OneCycleLR(o, max_lr=1.0, total_steps=10), 9)
o = Adam(params(), lr=0.1); out["onecycle_adam"] = run(o, L.OneCycleLR(o, max_lr=0.01, total_steps=12, pct_start=0.25, anneal_strategy="linear", three_phase=True), 11)
metrics = [1.0, 0.95, 0.94, 0.5, 0.6, 0.6, 0.6, 0.6, 0.49, 0.7, 0.7]
o = SGD(params(), lr=0.1); out["plateau"] = run(o, L.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1, threshold=0.1), len(metrics), metrics)
print(json.dumps(out))
)py";

const nlohmann::json& reference() {
  static const nlohmann::json ref = [] {
    TempDir dir("lr-ref");
    auto r = run_python(kReference, dir);
    if (r.exit_code != 0) throw std::runtime_error("reference script failed: " + r.err);
    return nlohmann::json::parse(r.out);
  }();
  return ref;
}

std::vector<torch::Tensor> params() { return {torch::zeros({2}).requires_grad_()}; }

double momentum(torch::optim::Optimizer& opt) {
  auto& o = opt.param_groups()[0].options();
  if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&o)) return sgd->momentum();
  return std::get<0>(dynamic_cast<torch::optim::AdamOptions&>(o).betas());
}

// Steps `sched` like the reference and compares lr (and momentum) after every step.
void check(const std::string& name, torch::optim::Optimizer& opt, volt::LRScheduler& sched,
           const std::vector<double>& metrics = {}, bool momenta = false) {
  INFO(name);
  const auto& ref = reference().at(name);
  auto expected_lrs = ref.at("lrs").get<std::vector<double>>();
  auto expected_mom = ref.at("momenta").get<std::vector<double>>();
  REQUIRE(opt.param_groups()[0].options().get_lr() == Approx(expected_lrs[0]).epsilon(1e-12));
  for (size_t i = 1; i < expected_lrs.size(); ++i) {
    INFO("after step " << i);
    opt.step();
    sched.step(metrics.empty() ? std::nullopt : std::optional<double>(metrics[i - 1]));
    CHECK(opt.param_groups()[0].options().get_lr() == Approx(expected_lrs[i]).epsilon(1e-12));
    if (momenta) CHECK(momentum(opt) == Approx(expected_mom[i]).epsilon(1e-12));
  }
  // Every key PyTorch 1.13 saves is in Volt's state_dict (Volt may add its own). Private
  // attributes that later PyTorch versions added (2.x: "_is_initial") are not Volt's format.
  nlohmann::json state = sched.state_dict();
  const std::set<std::string> private_1_13 = {"_step_count", "_get_lr_called_within_step",
                                              "_last_lr"};
  for (const auto& entry : ref.at("keys")) {
    std::string key = entry.get<std::string>();
    if (key == "anneal_func" || key == "_schedule_phases" || key == "use_beta1") continue;  // Python objects
    if (key[0] == '_' && private_1_13.count(key) == 0) continue;
    INFO("state_dict key " << key);
    CHECK(state.contains(key));
  }
}

torch::optim::SGD sgd(double momentum = 0) {
  return torch::optim::SGD(params(), torch::optim::SGDOptions(0.1).momentum(momentum));
}
template <class T>
std::shared_ptr<T> share(T&& t) { return std::make_shared<T>(std::move(t)); }

}  // namespace

TEST_CASE("volt::lr schedulers give torch.optim.lr_scheduler's learning rates", "[sdk][lr]") {
  REQUIRE_PYTHON_TORCH();
  using namespace volt::lr;
  SECTION("StepLR") {
    auto opt = share(sgd());
    StepLR s(opt, 3, 0.5);
    check("step", *opt, s);
  }
  SECTION("MultiStepLR with a repeated milestone") {
    auto opt = share(sgd());
    MultiStepLR s(opt, {2, 5, 5, 8}, 0.1);
    check("multistep", *opt, s);
  }
  SECTION("CosineAnnealingLR past T_max") {
    auto opt = share(sgd());
    CosineAnnealingLR s(opt, 4, 0.001);
    check("cosine", *opt, s);
  }
  SECTION("LinearLR warm-up") {
    auto opt = share(sgd());
    LinearLR s(opt, 0.25, 1.0, 4);
    check("linear", *opt, s);
  }
  SECTION("OneCycleLR cycles SGD's momentum") {
    auto opt = share(sgd(0.9));
    OneCycleLR s(opt, 1.0, 10);
    check("onecycle_sgd", *opt, s, {}, true);
  }
  SECTION("OneCycleLR, three phases, linear, cycles Adam's beta1") {
    auto opt = std::make_shared<torch::optim::Adam>(params(), torch::optim::AdamOptions(0.1));
    OneCycleOptions o;
    o.pct_start = 0.25;
    o.anneal_strategy = "linear";
    o.three_phase = true;
    OneCycleLR s(opt, 0.01, 12, o);
    check("onecycle_adam", *opt, s, {}, true);
  }
  SECTION("ReduceLROnPlateau with patience, threshold and cooldown") {
    auto opt = share(sgd());
    PlateauOptions o;
    o.patience = 1;
    o.factor = 0.5;
    o.cooldown = 1;
    o.threshold = 0.1;
    ReduceLROnPlateau s(opt, o);
    check("plateau", *opt, s, {1.0, 0.95, 0.94, 0.5, 0.6, 0.6, 0.6, 0.6, 0.49, 0.7, 0.7});
  }
}

TEST_CASE("a scheduler restored from its state_dict continues the schedule exactly", "[sdk][lr]") {
  using namespace volt::lr;
  auto run = [](int64_t split) {
    auto opt = share(sgd(0.9));
    auto s = std::make_unique<OneCycleLR>(opt, 1.0, 12);
    std::vector<double> lrs;
    for (int64_t i = 0; i < 11; ++i) {
      if (i == split) {  // a new optimizer and scheduler, as after a restart
        nlohmann::json state = nlohmann::json::parse(s->state_dict().dump());
        double lr = opt->param_groups()[0].options().get_lr(), m = momentum(*opt);
        opt = share(sgd(0.9));
        s = std::make_unique<OneCycleLR>(opt, 1.0, 12);
        s->load_state_dict(state);
        opt->param_groups()[0].options().set_lr(lr);  // the optimizer's own state_dict does this
        dynamic_cast<torch::optim::SGDOptions&>(opt->param_groups()[0].options()).momentum(m);
      }
      s->step(std::nullopt);
      lrs.push_back(opt->param_groups()[0].options().get_lr());
    }
    return lrs;
  };
  std::vector<double> straight = run(-1);
  for (int64_t split : {1, 4, 7}) {
    INFO("restarted before step " << split);
    CHECK(run(split) == straight);
  }
}

TEST_CASE("volt::lr schedulers reject bad arguments with the scheduler's name", "[sdk][lr]") {
  using namespace volt::lr;
  auto opt = share(sgd());
  CHECK_THROWS_WITH(StepLR(opt, 0), Catch::Contains("StepLR") && Catch::Contains("step_size"));
  auto adagrad = std::make_shared<torch::optim::Adagrad>(params(), torch::optim::AdagradOptions(0.1));
  CHECK_THROWS_WITH(OneCycleLR(adagrad, 1.0, 10), Catch::Contains("cycle_momentum"));
  OneCycleOptions o;
  o.cycle_momentum = false;
  OneCycleLR s(opt, 1.0, 2, o);
  s.step(std::nullopt);
  s.step(std::nullopt);
  CHECK_THROWS_WITH(s.step(std::nullopt), Catch::Contains("total steps is 2"));
  ReduceLROnPlateau p(opt);
  CHECK_THROWS_WITH(p.step(std::nullopt), Catch::Contains("monitor"));
}

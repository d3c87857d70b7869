// docs/architecture.md's recipes, proven: a target (tests/recipes/mem_target.cpp)
// and a backend with an option of its own (tests/recipes/echo_backend.cpp),
// each one file that nothing else names, run through the real parser, runner
// and writer; and a figure (syscalls_per_op), one entry in the figure table,
// reaching the summary, the JSON and the CSV with no other code naming it.
#include <gtest/gtest.h>

#include <sstream>

#include "core/errors.h"
#include "recipes/recipes.h"
#include "report/report.h"
#include "run/figures.h"
#include "test_util.h"

using namespace iobench;

namespace {

struct Recipes : testing::Test {
  TargetInfo target = recipes::mem_target();
  BackendInfo backend = recipes::echo_backend();
  // The parser the run layer builds, plus the test-only declarations.
  WorkloadParser parser = [this] {
    std::vector<const OptionDecl*> decls = workload_parser().options();
    decls.insert(decls.end(), target.options.begin(), target.options.end());
    decls.insert(decls.end(), backend.options.begin(), backend.options.end());
    return WorkloadParser(decls);
  }();
};

}  // namespace

TEST_F(Recipes, TargetAndBackendRunThroughTheRealRunnerAndWriter) {
  WorkloadSpec s;
  parser.apply(s, {{"rw", "read"}, {"qd", 8}, {"ops", 400}, {"size", "1M"}, {"verify", true}, {"target", "mem"},
                   {"mem_seed", 11}, {"echo_max_batch", 3}},
               "");
  ASSERT_EQ(s.target.kind, "mem");
  target.validate(s);
  auto t = target.make(s);
  static StopSignal stop;
  Result r = run_point(s, BackendChoice{&backend, 1}, *t, stop, RunOptions{});
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_EQ(r.variant, "reverse");
  EXPECT_EQ(r.summary.ops, 400u);
  EXPECT_EQ(r.summary.errors, 0u) << r.reason;  // verified against the target's own seed
  EXPECT_EQ(r.summary.counters.submitted, 400u);
  EXPECT_GT(r.summary.counters.own_value("refused"), 0u) << "the option limited each batch";
  nlohmann::json ctx = nlohmann::json::object();
  std::vector<Result> results{r};
  nlohmann::json doc = document_json(Report{ctx, results});
  const nlohmann::json& j = doc["results"][0];
  EXPECT_EQ(j["target"]["kind"], "mem");
  EXPECT_EQ(j["workload"]["echo_max_batch"], 3);
  EXPECT_EQ(j["workload"]["mem_seed"], 11);
  EXPECT_EQ(j["summary"]["counters"]["refused"], r.summary.counters.own_value("refused"));
}

// Results depended on the order of backends: dirty pages of a write run were
// flushed during whichever run came next. Now the target settles after every
// repetition that wrote, outside the measurement, and the result says so.
TEST_F(Recipes, AWriteRunSettlesTheTargetAfterEachRepetition) {
  static StopSignal stop;
  for (RwMode rw : {RwMode::RandWrite, RwMode::RandRead}) {
    WorkloadSpec s;
    s.rw = rw;
    s.ops = 200;
    s.repeat = 3;
    s.size = 1 << 20;
    s.target = {"mem", ""};
    auto t = target.make(s);
    Result r = run_point(s, resolve_backends({"sync"}).front(), *t, stop, RunOptions{});
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const bool wrote = rw == RwMode::RandWrite;
    EXPECT_EQ(recipes::times_settled(*t), wrote ? 3 : 0);
    EXPECT_EQ(std::count(r.notes.begin(), r.notes.end(), "mem: settled"), wrote ? 1 : 0);
  }
}

TEST_F(Recipes, AnOptionOfTheTestTargetIsValidatedLikeAnyOther) {
  WorkloadSpec s;
  try {
    parser.set(s, "mem_seed", 2'000'000, "--mem-seed");
    FAIL() << "accepted a value out of the declared range";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--mem-seed: expected an integer from 0 to 1000000"), std::string::npos)
        << e.what();
  }
  auto fields = parser.fields();
  EXPECT_TRUE(std::any_of(fields.begin(), fields.end(), [](auto& f) { return f.flag == "--echo-max-batch"; }));
}

TEST_F(Recipes, AFigureIsOneTableEntry) {
  WorkloadSpec s;
  s.rw = RwMode::Read;
  s.ops = 300;
  s.target = {"file", scratch_path("recipe-figure")};
  Result r = run_with(s, "sync");
  std::remove(s.target.arg.c_str());
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  const double want = static_cast<double>(r.summary.counters.syscalls) / static_cast<double>(r.summary.ops);
  EXPECT_DOUBLE_EQ(figure("syscalls_per_op").value(r.summary), want);
  nlohmann::json ctx = nlohmann::json::object();
  std::vector<Result> results{r};
  const Report rep{ctx, results};
  EXPECT_DOUBLE_EQ(document_json(rep)["results"][0]["summary"]["syscalls_per_op"].get<double>(), want);
  std::string csv = find_format("csv")->render(rep);
  EXPECT_NE(csv.substr(0, csv.find('\n')).find(",syscalls_per_op,"), std::string::npos) << csv;
}

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "core/errors.h"
#include "run/plan.h"
#include "spec/workload.h"

using namespace iobench;
using json = nlohmann::json;

namespace {

// The message a bad value gives, or "" when it is accepted.
std::string error_for(const std::string& key, const json& v) {
  WorkloadSpec s;
  try {
    workload_parser().set(s, key, v, "--" + key);
    validate(s);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Workload, EachBadFieldNamesItselfAndWhatIsAccepted) {
  struct Case {
    const char* key;
    json value;
    const char* expect;
  } cases[] = {
      {"rw", "randomread", "one of read, write, randread, randwrite, randrw"},
      {"bs", "4q", "a size such as 4096, 4k"},
      {"bs", 0, "at least 1"},
      {"qd", 0, "an integer from 1 to 4096"},
      {"qd", "lots", "an integer from 1 to 4096"},
      {"qd", -3, "an integer from 1 to 4096"},
      {"jobs", 1000, "an integer from 1 to 256"},
      {"size", "1x", "a size such as"},
      {"runtime", "5 parsecs", "a duration such as 200us"},
      {"runtime", "0s", "more than 0"},
      {"ramp", "fast", "a duration"},
      {"repeat", 0, "an integer from 1 to 1000"},
      {"rwmix_read", 101, "an integer from 0 to 100"},
      {"direct", "maybe", "true or false"},
      {"distribution", "zipf", "uniform or zipf:THETA"},
      {"distribution", "zipf:-1", "uniform or zipf:THETA"},
      {"distribution", "pareto:2", "uniform or zipf:THETA"},
      {"on_error", "ignore", "one of continue, stop"},
      {"seed", "x", "an integer"},
      {"cpus", "100000", "CPU numbers or ranges this process may use"},
      {"cpus", "1-0", "CPU numbers or ranges"},
      {"cpus", "0,,1", "CPU numbers or ranges"},
      {"cpus", "0-", "CPU numbers or ranges"},
      {"cpus", json::array({-1}), "CPU numbers or ranges"},
      {"cpus", json::array(), "CPU numbers or ranges"},
  };
  for (auto& c : cases) {
    std::string msg = error_for(c.key, c.value);
    EXPECT_NE(msg.find(std::string("--") + c.key), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.key << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

TEST(Workload, GoodValuesParse) {
  WorkloadSpec s;
  workload_parser().set(s, "bs", "64k", "--bs");
  workload_parser().set(s, "runtime", "500ms", "--runtime");
  workload_parser().set(s, "distribution", "zipf:1.2", "--distribution");
  workload_parser().set(s, "backends", "sync,null", "--backend");
  workload_parser().set(s, "direct", true, "--direct");
  workload_parser().set(s, "cpus", "0,0-0", "--cpus");  // CPU 0 is allowed unless the test runs under taskset
  EXPECT_EQ(s.cpus, std::vector<unsigned>{0});
  workload_parser().set(s, "cpus", json::array({0}), "cpus");
  EXPECT_EQ(s.cpus, std::vector<unsigned>{0});
  EXPECT_EQ(s.bs, 65536u);
  EXPECT_EQ(s.runtime_ns, 500'000'000u);
  EXPECT_EQ(s.distribution, Distribution::Zipf);
  EXPECT_DOUBLE_EQ(s.zipf_theta, 1.2);
  EXPECT_EQ(s.backends, (std::vector<std::string>{"sync", "null"}));
  EXPECT_EQ(s.direct, std::optional<bool>(true));
}

TEST(Workload, CrossFieldChecks) {
  WorkloadSpec s;
  s.direct = true;
  s.bs = 1000;
  EXPECT_THROW(validate(s), UsageError);
  s = WorkloadSpec{};
  s.verify = true;
  s.bs = 100;
  EXPECT_THROW(validate(s), UsageError);
  s = WorkloadSpec{};
  s.rw = RwMode::RandRead;
  s.fsync_every = 10;
  EXPECT_THROW(validate(s), UsageError);
}

TEST(Workload, FileRejectsUnknownFieldsAndBadJson) {
  const std::string path = testing::TempDir() + "iobench-wl.json";
  {
    std::ofstream(path) << R"({"rw": "read", "blocksize": "4k"})";
  }
  try {
    workload_parser().load(path);
    FAIL() << "accepted an unknown field";
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown field 'blocksize'"), std::string::npos) << m;
    EXPECT_NE(m.find("accepted: name, rw"), std::string::npos) << m;
  }
  {
    std::ofstream(path) << R"({"rw": "read",)";
  }
  EXPECT_THROW(workload_parser().load(path), UsageError);
  {
    std::ofstream(path) << R"({"rw": "read", "bs": 8192, "runtime": "1s", "backends": ["sync", "null"]})";
  }
  WorkloadSpec s = workload_parser().load(path);
  EXPECT_EQ(s.bs, 8192u);
  EXPECT_EQ(s.name, "iobench-wl");
  std::remove(path.c_str());
}

TEST(Workload, ShippedWorkloadsLoad) {
  for (const char* name : {"quick", "randread-4k", "seqwrite-1m", "mixed-70-30"}) {
    WorkloadSpec s = workload_parser().load(std::string(IOBENCH_SOURCE_DIR) + "/workloads/" + name + ".json");
    EXPECT_NO_THROW(validate(s)) << name;
    EXPECT_NO_THROW(resolve_backends(s.backends)) << name;
  }
}

TEST(Workload, BackendNamesResolve) {
  EXPECT_THROW(resolve_backends({"nosuch"}), UsageError);
  EXPECT_THROW(resolve_backends({"sync:turbo"}), UsageError);
  try {
    resolve_backends({"sync:turbo"});
    FAIL() << "an unknown variant was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("accepted: default"), std::string::npos) << e.what();
  }
  auto all = resolve_backends({"all"});
  EXPECT_EQ(all.size(), registry().size());
  auto twice = resolve_backends({"sync", "sync:default"});
  EXPECT_EQ(twice.size(), 1u);
}

// A FlagSet option given a list sweeps, innermost after bs, qd and jobs: each
// point holds one set, names it in its label and in its workload JSON.
TEST(Workload, AFlagSetListSweepsLikeQd) {
  WorkloadSpec s;
  workload_parser().set(s, "qd", "1,4", "--qd");
  workload_parser().set(s, "uring_setup", "none,coop+single+defer", "--uring-setup");
  const auto points = expand_sweeps(s);
  ASSERT_EQ(points.size(), 4u);
  const char* want[] = {"none", "coop+single+defer", "none", "coop+single+defer"};
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(to_json(points[i])["uring_setup"], want[i]);
    EXPECT_NE(points[i].label().find(std::string("uring_setup=") + want[i]), std::string::npos) << points[i].label();
    EXPECT_TRUE(points[i].option_sweeps.empty());
  }
  EXPECT_EQ(points[2].qd, 4u);
  // Names out of order are the same set; a name twice or an empty one is not a set.
  WorkloadSpec t;
  workload_parser().set(t, "uring_setup", "defer+coop", "--uring-setup");
  EXPECT_EQ(to_json(t)["uring_setup"], "coop+defer");
  for (const char* bad : {"coop+coop", "+", "coop+", "none+coop", ""})
    EXPECT_NE(error_for("uring_setup", bad).find("expected none, or names joined by '+'"), std::string::npos) << bad;
}

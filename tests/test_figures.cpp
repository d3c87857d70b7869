// The figure table against the JSON Schema: every figure, spread, option and
// histogram the writer can produce is a property the schema declares, so the
// strict schema and the table cannot drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "run/figures.h"
#include "run/plan.h"

using namespace iobench;
using json = nlohmann::json;

namespace {

const json& schema() {
  static const json s = json::parse(std::ifstream(std::string(IOBENCH_SOURCE_DIR) + "/docs/result.schema.json"));
  return s;
}

// The schema node for a JSON pointer inside a metrics object, or null.
const json* metrics_property(const std::string& path) {
  const json* node = &schema()["definitions"]["metrics"];
  for (size_t from = 1; from <= path.size();) {
    size_t to = std::min(path.find('/', from), path.size());
    std::string key = path.substr(from, to - from);
    if (!node->contains("properties") || !(*node)["properties"].contains(key)) return nullptr;
    node = &(*node)["properties"][key];
    if (node->contains("$ref"))  // "#/definitions/latency"
      node = &schema()["definitions"][(*node)["$ref"].get<std::string>().substr(sizeof("#/definitions/") - 1)];
    from = to + 1;
  }
  return node;
}

}  // namespace

TEST(Figures, EveryFigureIsInTheSchema) {
  for (auto& f : figures()) {
    const json* p = metrics_property(f.path);
    ASSERT_NE(p, nullptr) << f.name << " at " << f.path;
  }
}

TEST(Figures, NamesAreUniqueAndEachHasOneSource) {
  std::set<std::string> names;
  for (auto& f : figures()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    int sources = (f.count != nullptr) + (f.hist != nullptr) + (f.derive != nullptr);
    EXPECT_EQ(sources, 1) << f.name;
  }
}

TEST(Figures, SpreadsAndHistogramsAreInTheSchema) {
  const json& spread = schema()["definitions"]["metrics"]["properties"]["spread"]["properties"];
  size_t with_spread = 0;
  for (auto& f : figures())
    if (!f.spread_key.empty()) {
      ++with_spread;
      EXPECT_TRUE(spread.contains(f.spread_key)) << f.spread_key;
    }
  EXPECT_EQ(with_spread, spread.size()) << "the schema lists a spread no figure has";
  for (auto& h : histogram_fields()) EXPECT_NE(metrics_property("/" + std::string(h.key) + "/histogram"), nullptr);
}

TEST(Figures, EveryDeclaredOptionIsInTheWorkloadSchema) {
  const json& props = schema()["definitions"]["workload"]["properties"];
  ASSERT_FALSE(workload_parser().options().empty());
  for (const OptionDecl* d : workload_parser().options())
    EXPECT_TRUE(props.contains(std::string(d->json_key))) << d->field;
}

#include "run/ranks.h"

#include <nlohmann/json.hpp>

#include "run/figures.h"

namespace iobench {
namespace {

using json = nlohmann::json;

std::string cbor(const json& j) {
  const std::vector<uint8_t> b = json::to_cbor(j);
  return std::string(b.begin(), b.end());
}

std::string pack(const std::optional<Metrics>& m, const std::string& host) {
  if (!m) return cbor({{"host", host}});
  json j = {{"host", host},
            {"n", {m->ops, m->bytes, m->errors, m->runtime_ns, m->cpu_user_ns, m->cpu_sys_ns, m->cpu_helpers_ns,
                   m->ctx_voluntary, m->ctx_involuntary}}};
  for (auto& h : histogram_fields()) j["h"][std::string(h.key)] = (*m.*h.hist).pack();
  const Counters& c = m->counters;
  j["c"] = {c.syscalls, c.submit_batches, c.submitted, c.signals, c.fsyncs};
  for (size_t i = 0; i < c.n_own; ++i) j["own"][std::string(c.own[i].name)] = c.own[i].value;
  return cbor(j);
}

// A rank's metrics from its blob; its own counters take their names from
// `like` (rank 0's, of the same backend), as a Counters keeps names by view.
Metrics unpack(const json& j, const Counters& like) {
  Metrics m;
  const auto& n = j.at("n");
  m.ops = n[0], m.bytes = n[1], m.errors = n[2], m.runtime_ns = n[3];
  m.cpu_user_ns = n[4], m.cpu_sys_ns = n[5], m.cpu_helpers_ns = n[6];
  m.ctx_voluntary = n[7], m.ctx_involuntary = n[8];
  for (auto& h : histogram_fields()) {
    const auto w = j.at("h").at(std::string(h.key)).get<std::vector<uint64_t>>();
    m.*h.hist = Histogram::unpack(w.data(), w.size());
  }
  const auto& c = j.at("c");
  m.counters.syscalls = c[0], m.counters.submit_batches = c[1], m.counters.submitted = c[2];
  m.counters.signals = c[3], m.counters.fsyncs = c[4];
  if (j.contains("own"))
    for (size_t i = 0; i < like.n_own; ++i)
      if (auto it = j["own"].find(std::string(like.own[i].name)); it != j["own"].end())
        m.counters.add(like.own[i].name) = it->get<uint64_t>();
  return m;
}

// `from` added into `into`; runtime: the longer (ranks run side by side).
void add_side_by_side(Metrics& into, const Metrics& from) {
  for (auto& f : figures())
    if (f.count && f.count != &Metrics::runtime_ns) into.*f.count += from.*f.count;
  into.runtime_ns = std::max(into.runtime_ns, from.runtime_ns);
  for (auto& h : histogram_fields()) (into.*h.hist).merge(from.*h.hist);
  into.counters.add_all(from.counters);
}

}  // namespace

bool merge_ranks(Group& g, std::optional<Metrics>& m, std::vector<RankFigures>& ranks) {
  const std::vector<std::string> blobs = g.gather(pack(m, g.host()));
  if (g.rank() != 0) return true;
  std::vector<json> parsed;
  for (auto& b : blobs) parsed.push_back(json::from_cbor(b));
  ranks.resize(blobs.size());
  bool all = true;
  for (size_t r = 0; r < parsed.size(); ++r) {
    ranks[r].rank = static_cast<int>(r);
    ranks[r].host = parsed[r].at("host");
    all = all && parsed[r].contains("n");
  }
  if (!all || !m) return false;
  const Counters names = m->counters;
  Metrics merged;
  for (size_t r = 0; r < parsed.size(); ++r) {
    const Metrics one = r == 0 ? *m : unpack(parsed[r], names);
    // A rank's own total over repetitions: times add up, as in a summary.
    Metrics& t = ranks[r].total;
    for (auto& f : figures())
      if (f.count) t.*f.count += one.*f.count;
    for (auto& h : histogram_fields()) (t.*h.hist).merge(one.*h.hist);
    add_side_by_side(merged, one);
  }
  merged.series = m->series;
  m = std::move(merged);
  return true;
}

}  // namespace iobench

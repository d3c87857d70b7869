#include "run/figures.h"

#include <charconv>
#include <stdexcept>

namespace iobench {

double Figure::value(const Metrics& m) const {
  if (count) return static_cast<double>(m.*count);
  if (hist) {
    const Histogram& h = m.*hist;
    switch (stat) {
      case Stat::Min: return static_cast<double>(h.min());
      case Stat::Max: return static_cast<double>(h.max());
      case Stat::Mean: return h.mean();
      case Stat::Stddev: return h.stddev();
      case Stat::Percentile: return static_cast<double>(h.percentile(q));
    }
  }
  return derive(m);
}

bool Figure::present(const Metrics& m) const {
  if (!hist || (m.*hist).count()) return true;
  for (auto& h : histogram_fields())
    if (h.hist == hist) return h.always;
  return true;
}

std::string Figure::column() const {
  std::string c = path.substr(1);
  for (char& ch : c)
    if (ch == '/') ch = '.';
  return c;
}

const std::vector<HistogramField>& histogram_fields() {
  static const std::vector<HistogramField> all = {{"lat_ns", &Metrics::lat, true, true, true},
                                                  {"notify_ns", &Metrics::notify, false, true, true},
                                                  {"fsync_lat_ns", &Metrics::fsync_lat, false, false, false},
                                                  {"submit_ns", &Metrics::submit_lat, false, false, true},
                                                  {"issue_lateness_ns", &Metrics::issue_lateness, false, false, false},
                                                  {"cancel_lat_ns", &Metrics::cancel_lat, false, false, false}};
  return all;
}

std::string percentile_key(double q) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, q).ptr);
}

namespace {

std::string path_key(const std::string& path) { return path.substr(1); }

Figure named(std::string name, std::string path, Unit unit, Better better) {
  Figure f;
  f.name = std::move(name);
  f.path = std::move(path);
  f.unit = unit;
  f.better = better;
  return f;
}

std::vector<Figure> build() {
  std::vector<Figure> f;
  auto count = [&](std::string name, std::string path, Unit unit, uint64_t Metrics::*field) {
    Figure fig = named(std::move(name), std::move(path), unit, Better::Neither);
    fig.count = field;
    fig.integer = true;
    f.push_back(std::move(fig));
  };
  auto rate = [&](std::string name, std::string path, Unit unit, double (*derive)(const Metrics&)) {
    Figure fig = named(name, std::move(path), unit, Better::Higher);
    fig.derive = derive;
    fig.spread_key = path_key(fig.path);
    f.push_back(std::move(fig));
  };
  count("ops", "/ops", Unit::Count, &Metrics::ops);
  count("bytes", "/bytes", Unit::Count, &Metrics::bytes);
  count("errors", "/errors", Unit::Count, &Metrics::errors);
  count("runtime", "/runtime_ns", Unit::Ns, &Metrics::runtime_ns);
  rate("iops", "/iops", Unit::PerS, [](const Metrics& m) { return m.iops(); });
  rate("bw", "/bw_bytes_per_s", Unit::BytesPerS, [](const Metrics& m) { return m.bw_bytes_per_s(); });
  for (auto& h : histogram_fields()) {
    // The latency histogram's percentiles keep their short names (p99);
    // other histograms prefix theirs with the key's stem (notify_p99).
    std::string stem(h.key.substr(0, h.key.rfind('_')));
    std::string prefix = stem == "lat" ? "" : stem + "_";
    std::string base = "/" + std::string(h.key);
    auto stat = [&](std::string name, std::string path, Stat s, double q, Better b, bool integer, std::string spread) {
      Figure fig = named(std::move(name), std::move(path), Unit::Ns, b);
      fig.hist = h.hist;
      fig.stat = s;
      fig.q = q;
      fig.integer = integer;
      fig.spread_key = std::move(spread);
      f.push_back(std::move(fig));
    };
    stat(stem + "_min", base + "/min", Stat::Min, 0, Better::Neither, true, "");
    stat(stem + "_max", base + "/max", Stat::Max, 0, Better::Neither, true, "");
    stat(stem + "_mean", base + "/mean", Stat::Mean, 0, Better::Neither, false, "");
    stat(stem + "_stddev", base + "/stddev", Stat::Stddev, 0, Better::Neither, false, "");
    for (double q : kStandardPercentiles) {
      const std::string key = percentile_key(q);
      // Compared, with a spread: the request latency's (and the
      // notification delay's) median and the tail up to where repetitions
      // still agree.
      const bool compared = h.compared && q <= 99.9 && q != 90.0;
      const bool spread = h.compared && (q == 50.0 || q == 99.0);
      stat(prefix + "p" + key, base + "/percentiles/" + key, Stat::Percentile, q,
           compared ? Better::Lower : Better::Neither, true, spread ? stem + "_p" + key + "_ns" : "");
    }
  }
  count("cpu_user", "/cpu/user_ns", Unit::Ns, &Metrics::cpu_user_ns);
  count("cpu_sys", "/cpu/sys_ns", Unit::Ns, &Metrics::cpu_sys_ns);
  count("cpu_helpers", "/cpu/helpers_ns", Unit::Ns, &Metrics::cpu_helpers_ns);
  Figure cpu = named("cpu", "/cpu/per_op_ns", Unit::Ns, Better::Lower);
  cpu.derive = [](const Metrics& m) {
    return m.ops ? static_cast<double>(m.cpu_user_ns + m.cpu_sys_ns) / static_cast<double>(m.ops) : 0.0;
  };
  cpu.spread_key = "cpu_per_op_ns";
  f.push_back(std::move(cpu));
  Figure syscalls = named("syscalls_per_op", "/syscalls_per_op", Unit::Ratio, Better::Neither);
  syscalls.derive = [](const Metrics& m) {
    return m.ops ? static_cast<double>(m.counters.syscalls) / static_cast<double>(m.ops) : 0.0;
  };
  f.push_back(std::move(syscalls));
  count("ctx_voluntary", "/ctx_switches/voluntary", Unit::Count, &Metrics::ctx_voluntary);
  count("ctx_involuntary", "/ctx_switches/involuntary", Unit::Count, &Metrics::ctx_involuntary);
  return f;
}

}  // namespace

const std::vector<Figure>& figures() {
  static const std::vector<Figure> all = build();
  return all;
}

const Figure& figure(std::string_view name) {
  for (auto& f : figures())
    if (f.name == name) return f;
  throw std::out_of_range("no figure named " + std::string(name));
}

}  // namespace iobench

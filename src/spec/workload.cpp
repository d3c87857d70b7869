#include "spec/workload.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/units.h"
#include "spec/json_file.h"

namespace iobench {

using json = nlohmann::json;

namespace {

// A JSON integer that is not negative (a C++ caller's json(1) is signed).
bool is_count(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0); }

[[noreturn]] void bad(const std::string& where, const std::string& accepted, const json& v) {
  throw UsageError(where + ": expected " + accepted + ", got " + shown(v));
}

uint64_t as_uint(const json& v, const std::string& where, uint64_t lo, uint64_t hi) {
  std::string accepted = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  uint64_t out = 0;
  if (is_count(v)) {
    out = v.get<uint64_t>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) bad(where, accepted, v);
  } else {
    bad(where, accepted, v);
  }
  if (out < lo || out > hi) bad(where, accepted, v);
  return out;
}

uint64_t as_size(const json& v, const std::string& where, uint64_t lo) {
  std::string accepted = std::string(kSizeHelp) + " (at least " + format_size(lo) + ")";
  std::optional<uint64_t> r;
  if (is_count(v)) r = v.get<uint64_t>();
  else if (v.is_string()) r = parse_size(v.get<std::string>());
  if (!r || *r < lo) bad(where, accepted, v);
  return *r;
}

constexpr uint64_t kMaxDurationNs = 9'000'000'000'000'000'000ull;  // parse_duration_ns's bound too

uint64_t as_duration(const json& v, const std::string& where, bool allow_zero) {
  std::string accepted = std::string(kDurationHelp) + (allow_zero ? "" : " (more than 0)");
  std::optional<uint64_t> r;
  // A bare number is seconds; one whose nanoseconds do not fit is refused, not wrapped.
  if (is_count(v) && v.get<uint64_t>() <= kMaxDurationNs / 1'000'000'000ull) r = v.get<uint64_t>() * 1'000'000'000ull;
  else if (v.is_string()) r = parse_duration_ns(v.get<std::string>());
  if (!r || (!allow_zero && *r == 0)) bad(where, accepted, v);
  return *r;
}

bool as_bool(const json& v, const std::string& where) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no") return false;
  }
  bad(where, "true or false", v);
}

// "0-1,3" (or a JSON array of CPU numbers): CPUs this process may use, sorted.
std::vector<unsigned> as_cpus(const json& v, const std::string& where) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  std::string may;  // the allowed set, in the same notation
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed) && (c == 0 || !CPU_ISSET(c - 1, &allowed))) {
      int e = c;
      while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &allowed)) ++e;
      may += (may.empty() ? "" : ",") + std::to_string(c) + (e > c ? "-" + std::to_string(e) : "");
    }
  const std::string accepted = "CPU numbers or ranges this process may use (" + may + "), e.g. 0 or 0-1,3";
  std::vector<unsigned> cpus;
  auto add = [&](unsigned long lo, unsigned long hi) {
    if (lo > hi || hi >= CPU_SETSIZE) bad(where, accepted, v);
    for (unsigned long c = lo; c <= hi; ++c) {
      if (!CPU_ISSET(c, &allowed)) bad(where, accepted, v);
      cpus.push_back(static_cast<unsigned>(c));
    }
  };
  if (v.is_array()) {
    for (auto& e : v) {
      if (!e.is_number_integer() || e.get<long long>() < 0) bad(where, accepted, v);
      add(e.get<unsigned long>(), e.get<unsigned long>());
    }
  } else if (v.is_string()) {
    std::stringstream in(v.get<std::string>());
    for (std::string part; std::getline(in, part, ',');) {
      unsigned long lo = 0, hi = 0;
      const char* p = part.data();
      const char* end = p + part.size();
      auto r = std::from_chars(p, end, lo);
      if (r.ec != std::errc() || r.ptr == p) bad(where, accepted, v);
      hi = lo;
      if (r.ptr != end) {
        if (*r.ptr != '-') bad(where, accepted, v);
        auto r2 = std::from_chars(r.ptr + 1, end, hi);
        if (r2.ec != std::errc() || r2.ptr != end || r2.ptr == r.ptr + 1) bad(where, accepted, v);
      }
      add(lo, hi);
    }
  }
  if (cpus.empty()) bad(where, accepted, v);
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string as_string(const json& v, const std::string& where, const std::string& accepted) {
  if (!v.is_string() || v.get<std::string>().empty()) bad(where, accepted, v);
  // It goes into every result document, which is JSON.
  if (!is_utf8(v.get<std::string>())) bad(where, accepted + " in UTF-8", v);
  return v.get<std::string>();
}

// The names of an enum's values, '|'-separated in declaration order: the
// parser maps name i to value i, and the field table offers the same names
// (completion, list --json).
constexpr std::string_view kRwNames = "read|write|randread|randwrite|randrw", kFsyncKinds = "fsync|fdatasync",
                           kCacheNames = "as-is|cold|warm", kOnErrorNames = "continue|stop", kWaitNames = "block|spin",
                           kDrainNames = "wait|cancel", kCpuIdleNames = "as-is|shallow";

template <typename E>
E as_enum(const json& v, const std::string& where, std::string_view names) {
  std::string accepted = "one of ";
  size_t i = 0, found = SIZE_MAX;
  for (size_t from = 0; from <= names.size(); ++i) {
    const size_t bar = std::min(names.find('|', from), names.size());
    const std::string_view name = names.substr(from, bar - from);
    accepted += (i ? ", " : "") + std::string(name);
    if (v.is_string() && v.get<std::string>() == name) found = i;
    from = bar + 1;
  }
  if (found == SIZE_MAX) bad(where, accepted, v);
  return static_cast<E>(found);
}

// A sweepable field: a JSON array or "a,b,c" gives a list, else one value.
template <typename T, typename Parse>
std::vector<T> list_of(const json& v, const std::string& where, Parse parse) {
  std::vector<T> out;
  if (v.is_array()) {
    for (auto& e : v) out.push_back(static_cast<T>(parse(e)));
  } else if (v.is_string() && v.get<std::string>().find(',') != std::string::npos) {
    std::stringstream ss(v.get<std::string>());
    for (std::string part; std::getline(ss, part, ',');) out.push_back(static_cast<T>(parse(json(part))));
  } else {
    out.push_back(static_cast<T>(parse(v)));
  }
  // getline drops a trailing empty part: "4," would be "4".
  const bool trailing_comma = v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().back() == ',';
  if (out.empty() || trailing_comma) bad(where, "a value or a non-empty list of values", v);
  return out;
}

// --percentiles 50,99,99.9: fio's percentile_list, checked.
std::vector<double> as_percentiles(const json& v, const std::string& where) {
  const std::string accepted =
      "percentiles above 0 and below 100 with at most 6 decimals, ascending, at most 20 (e.g. 50,99,99.9)";
  std::vector<double> out = list_of<double>(v, where, [&](const json& e) {
    double p = -1;
    if (e.is_number()) {
      p = e.get<double>();
    } else if (e.is_string()) {
      const std::string t = e.get<std::string>();
      auto r = std::from_chars(t.data(), t.data() + t.size(), p, std::chars_format::fixed);
      if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) bad(where, accepted, v);
    }
    // The histogram ranks in millionths of a percent.
    if (!(p > 0 && p < 100) || std::abs(p * 1e6 - std::round(p * 1e6)) > 1e-3) bad(where, accepted, v);
    return p;
  });
  if (out.size() > 20 || std::adjacent_find(out.begin(), out.end(), std::greater_equal<>()) != out.end())
    bad(where, accepted, v);
  return out;
}

using Setter = void (*)(WorkloadSpec&, const json&, const std::string&);

struct CoreField {
  std::string_view field, flag, help;
  Setter set;
  bool is_switch = false;
  std::string_view off_flag = {};
};

const std::vector<CoreField>& core_fields() {
  static const std::vector<CoreField> table = {
      {"name", "--name", "name shown in tables",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.name = as_string(v, w, "a non-empty name"); }},
      {"rw", "--rw", "read, write, randread, randwrite or randrw",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.rw = as_enum<RwMode>(v, w, kRwNames);
       }},
      {"rwmix_read", "--rwmix-read", "percent of reads in randrw (0-100)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.rwmix_read = static_cast<unsigned>(as_uint(v, w, 0, 100)); }},
      {"bs", "--bs", "block size, e.g. 4k (a list sweeps)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.bs_sweep = list_of<uint64_t>(v, w, [&](const json& e) {
           uint64_t bs = as_size(e, w, 1);
           if (bs > (64u << 20)) bad(w, std::string(kSizeHelp) + " up to 64M", e);
           return bs;
         });
         s.bs = s.bs_sweep.front();
         if (s.bs_sweep.size() == 1) s.bs_sweep.clear();
       }},
      {"qd", "--qd", "requests in flight per job (a list sweeps)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.qd_sweep = list_of<unsigned>(v, w, [&](const json& e) { return as_uint(e, w, 1, 4096); });
         s.qd = s.qd_sweep.front();
         if (s.qd_sweep.size() == 1) s.qd_sweep.clear();
       }},
      {"jobs", "--jobs", "job threads (a list sweeps)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.jobs_sweep = list_of<unsigned>(v, w, [&](const json& e) { return as_uint(e, w, 1, 256); });
         s.jobs = s.jobs_sweep.front();
         if (s.jobs_sweep.size() == 1) s.jobs_sweep.clear();
       }},
      {"size", "--size", "bytes of the target to use, e.g. 1G",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.size = as_size(v, w, 4096); }},
      {"runtime", "--runtime", "measured time per repetition, e.g. 5s",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.runtime_ns = as_duration(v, w, false); }},
      {"ops", "--ops", "requests per job (instead of, or capped by, --runtime)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.ops = as_uint(v, w, 1, UINT64_MAX / 2); }},
      {"ramp", "--ramp", "unmeasured warm-up before each repetition",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.ramp_ns = as_duration(v, w, true); }},
      {"repeat", "--repeat", "repetitions",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.repeat = static_cast<unsigned>(as_uint(v, w, 1, 1000)); }},
      {"direct", "--direct", "O_DIRECT, bypassing the page cache (--buffered: through it)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.direct = as_bool(v, w); }, true, "--buffered"},
      {"fsync_every", "--fsync-every", "fsync after this many writes",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.fsync_every = as_uint(v, w, 0, UINT64_MAX / 2); }},
      {"fsync_kind", "--fsync-kind", "fsync or fdatasync: what --fsync-every's flush asks for, through each model's own "
                                     "interface (aio_fsync, IOCB_CMD_FSYNC/FDSYNC, IORING_OP_FSYNC)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.fsync_kind = as_enum<WorkloadSpec::FsyncKind>(v, w, kFsyncKinds);
         s.fsync_kind_given = true;
       }},
      {"rate_iops", "--rate", "IOPS limit per job; latency then counts from the intended issue time",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.rate_iops = as_uint(v, w, 0, 100'000'000); }},
      {"distribution", "--distribution", "uniform or zipf:THETA",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         const std::string accepted = "uniform or zipf:THETA with THETA a number > 0 (e.g. zipf:1.2)";
         if (!v.is_string()) bad(w, accepted, v);
         const std::string d = v.get<std::string>();
         if (d == "uniform") {
           s.distribution = Distribution::Uniform;
           s.zipf_theta = 0;
           return;
         }
         if (!d.starts_with("zipf:")) bad(w, accepted, v);
         double theta = 0;
         auto r = std::from_chars(d.data() + 5, d.data() + d.size(), theta);
         if (r.ec != std::errc() || r.ptr != d.data() + d.size() || !(theta > 0) || theta > 100) bad(w, accepted, v);
         s.distribution = Distribution::Zipf;
         s.zipf_theta = theta;
       }},
      {"seed", "--seed", "seed for offsets and data",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.seed = as_uint(v, w, 0, UINT64_MAX); }},
      {"backends", "--backend", "NAME[:VARIANT], NAME:*, all or all:* (comma-separated list)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         const std::string accepted = "a backend name, NAME:VARIANT, \"all\", or a list of them";
         std::vector<std::string> out;
         auto add = [&](const json& e) {
           std::string str = as_string(e, w, accepted);
           // "a,b" from the command line is a list too.
           std::stringstream ss(str);
           for (std::string part; std::getline(ss, part, ',');)
             if (!part.empty()) out.push_back(part);
         };
         if (v.is_array()) for (auto& e : v) add(e);
         else add(v);
         if (out.empty()) bad(w, accepted, v);
         s.backends = out;
       }},
      {"target", "--target", "KIND[:ARG]: file:PATH, emu, driver[:DEV] (default: a temporary file)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         const std::string accepted = "KIND or KIND:ARG (iobench list shows the targets), or \"\" for a temporary file";
         if (!v.is_string() || !is_utf8(v.get<std::string>())) bad(w, accepted + " in UTF-8", v);
         const std::string t = v.get<std::string>();
         auto colon = t.find(':');
         if (colon == 0) bad(w, accepted, v);
         s.target = t.empty() ? TargetSpec{} : TargetSpec{t.substr(0, colon), colon == std::string::npos ? "" : t.substr(colon + 1)};
         if (colon != std::string::npos && s.target.arg.empty()) bad(w, accepted, v);
       }},
      {"verify", "--verify", "stamp written blocks and check every block read",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.verify = as_bool(v, w); }, true},
      {"cache", "--cache",
       "a file target's page cache before each point and repetition: as-is (default: left alone), cold (written "
       "back and dropped, as fio does) or warm (read in whole)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.cache = as_enum<WorkloadSpec::Cache>(v, w, kCacheNames);
       }},
      {"percentiles", "--percentiles",
       "latency percentiles the table shows and the results add to 50, 90, 99, 99.9, 99.99: ascending, each above 0 "
       "and below 100, at most 20 (e.g. 50,95,99.999)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.percentiles = as_percentiles(v, w); }},
      {"shared_file", "--shared-file",
       "under mpirun: every rank uses the one --target file, each a region of its own (size / ranks)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.shared_file = as_bool(v, w); }, true},
      {"stonewall", "--stonewall", "under mpirun, with --ops: every rank stops when the first has finished its ops",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.stonewall = as_bool(v, w); }, true},
      {"on_error", "--on-error", "continue or stop",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.on_error = as_enum<OnError>(v, w, kOnErrorNames);
       }},
      {"allow_overwrite", "--allow-overwrite", "allow writing a file or device iobench did not create",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.allow_overwrite = as_bool(v, w); }, true},
      {"trace", "--trace",
       "write a trace of each point's requests, submit and wait calls and signals to FILE (Chrome JSON: Perfetto UI "
       "and chrome://tracing open it)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.trace = as_string(v, w, "a file path"); }},
      {"trace_limit", "--trace-limit", "requests traced per point, from the end of the ramp (default 20000)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.trace_limit = static_cast<uint32_t>(as_uint(v, w, 1, 10'000'000));
       }},
      {"series", "--series", "record IOPS, bandwidth and latency p50/p99/max per interval, e.g. 100ms (1ms to 1h)",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.series_ns = as_duration(v, w, false);
         if (s.series_ns < 1'000'000 || s.series_ns > 3'600'000'000'000) bad(w, "a duration from 1ms to 1h", v);
       }},
      {"lat_sample", "--lat-sample",
       "time one request in N (1 to 65536, chosen by the seed; default 1, every request): latency, notification and "
       "submission figures come from that sample, IOPS and bandwidth from every request; the clock reads it saves "
       "are most of iobench's own cost per request at qd 1",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.lat_sample = static_cast<uint32_t>(as_uint(v, w, 1, 65536));
       }},
      {"cpus", "--cpus", "CPUs the job threads run on, e.g. 0 or 0-1,3 (threads they start, like glibc's aio helpers, too)",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.cpus = as_cpus(v, w); }},
      {"wait", "--wait",
       "block, or spin: wait for completions by polling the interface without sleeping (zero-timeout poll, "
       "sigtimedwait, io_getevents, CQ peek, aio_error), so the cost of being woken is left out",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.wait = as_enum<WorkloadSpec::Wait>(v, w, kWaitNames);
       }},
      {"cancel_pct", "--cancel-pct",
       "cancel this percent of requests (0-100, chosen by the seed) right after their submission: aio_cancel, "
       "io_cancel, IORING_OP_ASYNC_CANCEL; counters say how many were taken back",
       [](WorkloadSpec& s, const json& v, const std::string& w) { s.cancel_pct = static_cast<unsigned>(as_uint(v, w, 0, 100)); }},
      {"drain", "--drain",
       "wait, or cancel: when a time-based run ends, cancel the requests still in flight instead of waiting for them",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.drain = as_enum<WorkloadSpec::Drain>(v, w, kDrainNames);
       }},
      {"cpu_idle", "--cpu-idle",
       "as-is, or shallow: idle CPUs poll instead of halting while a point runs (holds /dev/cpu_dma_latency at 0; "
       "root): a wake-up then costs no exit from a halt state, which on a VM is tens of us",
       [](WorkloadSpec& s, const json& v, const std::string& w) {
         s.cpu_idle = as_enum<WorkloadSpec::CpuIdle>(v, w, kCpuIdleNames);
       }},
  };
  return table;
}

uint64_t as_option(const OptionDecl& d, const json& v, const std::string& where) {
  uint64_t value = 0;
  std::string accepted;
  switch (d.type) {
    case OptionType::Count:
      value = as_uint(v, where, d.zero_means_none ? 0 : d.min, d.max);
      accepted = "an integer from " + std::to_string(d.min) + " to " + std::to_string(d.max);
      break;
    case OptionType::Duration:
      value = as_duration(v, where, true);
      accepted = "a duration from " + format_duration(d.min) + " to " + format_duration(d.max);
      break;
    case OptionType::Size:
      value = is_count(v) && v.get<uint64_t>() == 0 ? 0 : as_size(v, where, 1);
      accepted = std::string(kSizeHelp) + ", from " + format_size(d.min) + " to " + format_size(d.max);
      break;
    case OptionType::FlagSet: {
      accepted = "none, or names joined by '+' from: ";
      for (uint64_t i = 0; !d.choice(i).empty(); ++i) accepted += (i ? ", " : "") + std::string(d.choice(i));
      if (!v.is_string()) bad(where, accepted, v);
      const std::string set = v.get<std::string>();
      if (set == "none") return 0;
      uint64_t mask = 0;
      std::stringstream ss(set);
      for (std::string name; std::getline(ss, name, '+');) {
        uint64_t i = 0;
        while (!d.choice(i).empty() && d.choice(i) != name) ++i;
        if (d.choice(i).empty() || (mask >> i & 1)) bad(where, accepted, v);
        mask |= uint64_t{1} << i;
      }
      if (!mask || set.back() == '+') bad(where, accepted, v);
      return mask;
    }
    case OptionType::Choice: {
      accepted = "one of: ";
      for (uint64_t i = 0; !d.choice(i).empty(); ++i) {
        accepted += (i ? ", " : "") + std::string(d.choice(i));
        if (v.is_string() && v.get<std::string>() == d.choice(i)) return i;
      }
      bad(where, accepted, v);
    }
  }
  if ((value == 0 && d.zero_means_none) || (value >= d.min && value <= d.max)) return value;
  bad(where, accepted + (d.zero_means_none ? " (or 0: none)" : ""), v);
}

}  // namespace

bool WorkloadSpec::given(const OptionDecl& d) const {
  return std::any_of(options.begin(), options.end(), [&](auto& o) { return o.first == &d; });
}

uint64_t WorkloadSpec::get(const OptionDecl& d) const {
  for (auto& [decl, v] : options)
    if (decl == &d) return v;
  return d.fallback.value_or(0);
}

WorkloadParser::WorkloadParser(std::vector<const OptionDecl*> options,
                               std::vector<std::pair<std::string_view, std::string>> choices)
    : options_(std::move(options)), choices_(std::move(choices)) {}

void WorkloadParser::set(WorkloadSpec& spec, std::string_view key, const json& value, const std::string& where) const {
  for (auto& f : core_fields())
    if (f.field == key) return f.set(spec, value, where);
  for (const OptionDecl* d : options_)
    if (d->field == key) {
      std::vector<uint64_t> values;
      if (d->type == OptionType::FlagSet)
        values = list_of<uint64_t>(value, where, [&](const json& e) { return as_option(*d, e, where); });
      else
        values = {as_option(*d, value, where)};
      std::erase_if(spec.options, [&](auto& o) { return o.first == d; });
      std::erase_if(spec.option_sweeps, [&](auto& o) { return o.first == d; });
      spec.options.emplace_back(d, values.front());
      if (values.size() > 1) spec.option_sweeps.emplace_back(d, std::move(values));
      return;
    }
  std::string accepted;
  for (auto& f : fields()) accepted += (accepted.empty() ? "" : ", ") + std::string(f.field);
  throw UsageError(where + ": unknown field '" + std::string(key) + "' (accepted: " + accepted + ")");
}

std::vector<std::string> FieldInfo::choice_list() const {
  std::vector<std::string> out;
  for (size_t from = 0; from < choices.size();) {
    const size_t bar = std::min(choices.find('|', from), choices.size());
    out.push_back(choices.substr(from, bar - from));
    from = bar + 1;
  }
  return out;
}

std::vector<FieldInfo> WorkloadParser::fields() const {
  std::vector<FieldInfo> out;
  static constexpr std::pair<std::string_view, std::string_view> kEnums[] = {
      {"rw", kRwNames},     {"fsync_kind", kFsyncKinds}, {"cache", kCacheNames},      {"on_error", kOnErrorNames},
      {"wait", kWaitNames}, {"drain", kDrainNames},      {"cpu_idle", kCpuIdleNames}, {"distribution", "uniform|zipf:"}};
  for (auto& f : core_fields()) {
    out.push_back({f.field, std::string(f.flag), std::string(f.help), "", f.is_switch, f.off_flag, {}, false});
    for (auto& [field, names] : kEnums)
      if (field == f.field) out.back().choices = names;
    for (auto& [field, names] : choices_)
      if (field == f.field) out.back().choices = names;
  }
  for (const OptionDecl* d : options_) {
    out.push_back({d->field, d->flag(), std::string(d->owner) + ": " + std::string(d->help), d->owner, false, {}, {},
                   d->type == OptionType::FlagSet});
    if (d->type == OptionType::Choice) out.back().choices = d->choices;
    if (d->type == OptionType::FlagSet) out.back().choices = "none|" + std::string(d->choices);
  }
  return out;
}

void WorkloadParser::apply(WorkloadSpec& spec, const json& fields, const std::string& origin) const {
  for (auto& [k, v] : fields.items()) {
    std::string where = origin.empty() ? "--" + k : origin + ": field '" + k + "'";
    if (origin.empty()) std::replace(where.begin(), where.end(), '_', '-');
    set(spec, k, v, where);
  }
}

WorkloadSpec WorkloadParser::load(const std::string& path) const {
  const json doc = read_json_file(path, "--workload");
  if (!doc.is_object()) throw UsageError("--workload: '" + path + "' must hold a JSON object of workload fields");
  WorkloadSpec spec;
  spec.name = path.substr(path.find_last_of('/') + 1);
  if (spec.name.ends_with(".json")) spec.name.resize(spec.name.size() - 5);
  apply(spec, doc, path);
  return spec;
}

void validate(const WorkloadSpec& s) {
  // An option that does not apply to the mode is a mistake to hear about,
  // not a silent no-op.
  if (s.rwmix_read && s.rw != RwMode::RandRW)
    throw UsageError("--rwmix-read: only applies to --rw randrw, but rw is " + std::string(rw_name(s.rw)));
  if (s.distribution == Distribution::Zipf && !s.is_random())
    throw UsageError("--distribution: zipf only applies to the random modes, but rw is " + std::string(rw_name(s.rw)));
  if (s.is_direct() && s.bs % 512 != 0)
    throw UsageError("--bs: direct I/O needs a multiple of 512 bytes, got " + std::to_string(s.bs));
  if (s.cache != WorkloadSpec::Cache::AsIs && s.target.kind != "file")
    throw UsageError("--cache: a page cache belongs to a file target, but the target is " + s.target.kind);
  if (s.stonewall && !s.ops)
    throw UsageError("--stonewall: stops every rank when the first has done its --ops; give --ops N");
  if (s.shared_file && (s.target.kind != "file" || s.target.arg.empty()))
    throw UsageError("--shared-file: needs --target file:PATH, a file every rank can open (on a shared filesystem)");
  if (s.verify && s.bs % 512 != 0)
    throw UsageError("--bs: --verify checks 512-byte sectors, so bs must be a multiple of 512, got " + std::to_string(s.bs));
  if (s.size < s.bs)
    throw UsageError("--size: must be at least bs (" + format_size(s.bs) + "), got " + format_size(s.size));
  if (s.fsync_every && !s.writes())
    throw UsageError("--fsync-every: only applies to workloads that write, but rw is " + std::string(rw_name(s.rw)));
  if (s.drain == WorkloadSpec::Drain::Cancel && !s.effective_runtime_ns())
    throw UsageError("--drain: cancel applies to a time-based run (--runtime); with --ops alone every request is "
                     "waited for");
  // Each of these needs every request's time: an interval's figures, a
  // trace's slices, the intended issue time that a late slot is charged from.
  for (auto [on, flag] : {std::pair{s.series_ns != 0, "--series"}, {!s.trace.empty(), "--trace"}, {s.rate_iops != 0, "--rate"}})
    if (on && s.lat_sample > 1)
      throw UsageError("--lat-sample: " + std::string(flag) + " needs every request timed; use --lat-sample 1 with it");
  if (s.fsync_kind_given && !s.fsync_every)
    throw UsageError("--fsync-kind: only applies with --fsync-every N (how many writes between flushes)");
}

std::vector<WorkloadSpec> expand_sweeps(const WorkloadSpec& s) {
  auto or_one = [](const auto& list, auto v) { return list.empty() ? std::vector<decltype(v)>{v} : list; };
  std::vector<WorkloadSpec> out;
  for (uint64_t bs : or_one(s.bs_sweep, s.bs))
    for (unsigned qd : or_one(s.qd_sweep, s.qd))
      for (unsigned jobs : or_one(s.jobs_sweep, s.jobs)) {
        WorkloadSpec p = s;
        p.bs = bs;
        p.qd = qd;
        p.jobs = jobs;
        p.bs_sweep.clear();
        p.qd_sweep.clear();
        p.jobs_sweep.clear();
        std::string point;
        if (!s.bs_sweep.empty()) point += "bs=" + format_size(bs);
        if (!s.qd_sweep.empty()) point += (point.empty() ? "" : " ") + std::string("qd=") + std::to_string(qd);
        if (!s.jobs_sweep.empty()) point += (point.empty() ? "" : " ") + std::string("jobs=") + std::to_string(jobs);
        p.sweep_point = point;
        out.push_back(std::move(p));
      }
  // Owner options given a list (a FlagSet), innermost.
  for (auto& sweep : s.option_sweeps) {
    const OptionDecl* decl = sweep.first;  // not a structured binding: clang 14 cannot capture one below
    const std::vector<uint64_t>& values = sweep.second;
    std::vector<WorkloadSpec> swept;
    for (const WorkloadSpec& p : out)
      for (uint64_t v : values) {
        WorkloadSpec q = p;
        q.option_sweeps.clear();
        std::erase_if(q.options, [&](auto& o) { return o.first == decl; });
        q.options.emplace_back(decl, v);
        const std::string part = std::string(decl->field) + "=" + decl->flag_set_name(v);
        q.sweep_point += (q.sweep_point.empty() ? "" : " ") + part;
        q.option_point += (q.option_point.empty() ? "" : " ") + part;
        swept.push_back(std::move(q));
      }
    out = std::move(swept);
  }
  return out;
}

std::string WorkloadSpec::label() const {
  if (!name.empty()) return sweep_point.empty() ? name : name + " " + sweep_point;
  return std::string(rw_name(rw)) + " " + format_size(bs) + " qd" + std::to_string(qd) +
         (jobs > 1 ? " x" + std::to_string(jobs) : "") + (option_point.empty() ? "" : " " + option_point);
}

std::string_view rw_name(RwMode m) {
  switch (m) {
    case RwMode::Read: return "read";
    case RwMode::Write: return "write";
    case RwMode::RandRead: return "randread";
    case RwMode::RandWrite: return "randwrite";
    case RwMode::RandRW: return "randrw";
  }
  return "?";
}

json to_json(const WorkloadSpec& s) {
  json j;
  j["name"] = s.label();
  j["rw"] = rw_name(s.rw);
  j["rwmix_read"] = s.read_percent();
  j["bs_bytes"] = s.bs;
  j["qd"] = s.qd;
  j["jobs"] = s.jobs;
  j["size_bytes"] = s.size;
  j["runtime_ns"] = s.effective_runtime_ns();
  j["ops"] = s.ops;
  j["ramp_ns"] = s.ramp_ns;
  j["repeat"] = s.repeat;
  j["direct"] = s.is_direct();
  j["fsync_every"] = s.fsync_every;
  if (s.fsync_every) j["fsync_kind"] = s.fsync_kind == WorkloadSpec::FsyncKind::Fdatasync ? "fdatasync" : "fsync";
  j["rate_iops"] = s.rate_iops;
  j["distribution"] = s.distribution == Distribution::Zipf ? "zipf:" + json(s.zipf_theta).dump() : "uniform";
  j["seed"] = s.seed;
  j["verify"] = s.verify;
  j["on_error"] = s.on_error == OnError::Stop ? "stop" : "continue";
  if (!s.cpus.empty()) j["cpus"] = s.cpus;
  if (s.series_ns) j["series_ns"] = s.series_ns;
  if (s.lat_sample > 1) j["lat_sample"] = s.lat_sample;  // absent: every request (older results match)
  if (s.target.kind == "file")
    j["cache"] = s.cache == WorkloadSpec::Cache::Cold ? "cold" : s.cache == WorkloadSpec::Cache::Warm ? "warm" : "as-is";
  if (!s.percentiles.empty()) j["percentiles"] = s.percentiles;
  if (s.shared_file) j["shared_file"] = true;
  if (s.stonewall) j["stonewall"] = true;
  j["cpu_idle"] = s.cpu_idle == WorkloadSpec::CpuIdle::Shallow ? "shallow" : "as-is";
  if (s.wait == WorkloadSpec::Wait::Spin) j["wait"] = "spin";  // absent: block (older results match)
  if (s.cancel_pct) j["cancel_pct"] = s.cancel_pct;
  if (s.drain == WorkloadSpec::Drain::Cancel) j["drain"] = "cancel";
  for (auto& [decl, v] : s.options)
    j[std::string(decl->json_key)] = decl->type == OptionType::Choice    ? json(decl->choice(v))
                                     : decl->type == OptionType::FlagSet ? json(decl->flag_set_name(v))
                                                                         : json(v);
  return j;
}

}  // namespace iobench

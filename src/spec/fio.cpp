#include "spec/fio.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include "core/errors.h"

namespace iobench {
namespace {

using json = nlohmann::json;
using Options = std::vector<std::pair<std::string, std::string>>;

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ${VAR} from the environment, as fio expands it in job files.
std::string expand_env(const std::string& line, const std::string& where) {
  std::string out;
  for (size_t i = 0; i < line.size();) {
    const size_t at = line.find("${", i);
    if (at == std::string::npos) {
      out += line.substr(i);
      break;
    }
    const size_t end = line.find('}', at);
    if (end == std::string::npos) throw UsageError(where + ": '${' without its '}'");
    const std::string name = line.substr(at + 2, end - at - 2);
    const char* v = std::getenv(name.c_str());
    if (!v) throw UsageError(where + ": ${" + name + "} is not set in the environment");
    out += line.substr(i, at - i) + v;
    i = end + 1;
  }
  return out;
}

struct Section {
  std::string name;
  Options options;
  std::string where;  // "job.fio:12"
};

struct Reader {
  std::vector<std::pair<std::string, std::string>> sources;
  std::vector<Section> sections;
  bool outside = false;  // an option before any section

  void read(const std::string& path, int depth) {
    if (depth > 8) throw UsageError("--fio: '" + path + "': includes nested more than 8 deep");
    // A job file is a small regular file: not /dev/zero, a FIFO or a disk image.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)))
      throw UsageError("--fio: '" + path + "' is not a fio job file (" +
                       (S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file") + ")");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("--fio: cannot read '" + path + "': " + std::strerror(errno));
    std::stringstream buf;
    buf << in.rdbuf();
    if (in.bad()) throw UsageError("--fio: cannot read '" + path + "': " + std::strerror(errno));
    const std::string text = buf.str();
    if (text.find('\0') != std::string::npos) throw UsageError("--fio: '" + path + "' is not a fio job file (binary)");
    sources.emplace_back(path, text);
    const std::string dir = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
    std::istringstream lines(text);
    int n = 0;
    for (std::string raw; std::getline(lines, raw);) {
      const std::string where = path + ":" + std::to_string(++n);
      std::string line = trim(raw);
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
      line = expand_env(line, "--fio: " + where);
      if (line.rfind("include ", 0) == 0) {
        std::string inc = trim(line.substr(8));
        read(inc.empty() || inc[0] == '/' ? inc : dir + inc, depth + 1);
        continue;
      }
      if (line[0] == '[') {
        if (line.back() != ']' || line.size() < 3)
          throw UsageError("--fio: " + where + ": a section header is [NAME], got '" + line + "'");
        sections.push_back({trim(line.substr(1, line.size() - 2)), {}, where});
        continue;
      }
      if (sections.empty()) {
        outside = true;
        continue;
      }
      const size_t eq = line.find('=');
      std::string key = trim(line.substr(0, eq)), value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
      sections.back().options.emplace_back(key, value);
    }
  }
};

// fio's integer with a unit: k/m/g/t/p with an optional b, any case; with
// kb_base 1024 (fio's default) those are powers of 2 and "kib" etc. powers
// of 10 (fio's compatibility rule); kb_base 1000 the other way round.
std::optional<uint64_t> fio_size(const std::string& text, unsigned kb_base) {
  std::string s = lower(trim(text));
  uint64_t n = 0;
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, n);
  if (r.ec != std::errc() || r.ptr == s.data()) return std::nullopt;
  std::string unit(r.ptr, end);
  if (unit.empty()) return n;
  const bool iec = unit.size() >= 2 && unit[1] == 'i';
  const std::string rest = unit.substr(iec ? 2 : 1);
  if (rest != "" && rest != "b") return std::nullopt;
  const char* prefixes = "kmgtp";
  const char* p = std::strchr(prefixes, unit[0]);
  if (!p || !*p) return std::nullopt;
  const uint64_t base = (kb_base == 1024) != iec ? 1024 : 1000;
  uint64_t m = 1;
  for (const char* q = prefixes; q <= p; ++q) m *= base;
  if (n > UINT64_MAX / m) return std::nullopt;
  return n * m;
}

// fio's time: seconds unless a unit says otherwise (us, ms, s, m, h, d).
std::optional<uint64_t> fio_time_ns(const std::string& text) {
  const std::string s = lower(trim(text));
  uint64_t n = 0;
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, n);
  if (r.ec != std::errc() || r.ptr == s.data()) return std::nullopt;
  static const std::pair<const char*, uint64_t> units[] = {
      {"", 1'000'000'000},       {"s", 1'000'000'000},      {"sec", 1'000'000'000},       {"ms", 1'000'000},
      {"msec", 1'000'000},       {"us", 1'000},             {"usec", 1'000},              {"m", 60'000'000'000},
      {"min", 60'000'000'000},   {"h", 3'600'000'000'000}, {"hour", 3'600'000'000'000}, {"d", 86'400'000'000'000}};
  for (auto& [u, mult] : units)
    if (std::string_view(r.ptr, static_cast<size_t>(end - r.ptr)) == u) {
      if (n > UINT64_MAX / mult) return std::nullopt;
      return n * mult;
    }
  return std::nullopt;
}

bool fio_bool(const std::string& v) { return v.empty() || (v != "0" && lower(v) != "false"); }

// Translates one job's options; what iobench cannot honour goes to `cannot`.
class Translator {
 public:
  Translator(FioJob& job, std::vector<std::string>& cannot, const std::string& file)
      : job_(job), cannot_(cannot), file_(file) {}

  void run() {
    std::map<std::string, std::string> o;  // the last value of each option wins
    for (auto& [k, v] : job_.options) o[k] = v;
    if (auto it = o.find("kb_base"); it != o.end()) {
      if (it->second != "1000" && it->second != "1024") bad("kb_base", it->second, "1000 or 1024");
      kb_base_ = it->second == "1000" ? 1000 : 1024;
    }
    if (auto it = o.find("name"); it != o.end()) job_.name = it->second;
    set("name", job_.name, "[" + job_.name + "]");

    // The engine, and what io_uring's engine options choose among its variants.
    const std::string engine = o.count("ioengine") ? o["ioengine"] : "psync";
    std::string backend;
    for (auto [fio, ours] : {std::pair{"psync", "sync"}, {"sync", "sync"}, {"pvsync", "sync"}, {"pvsync2", "sync"},
                             {"vsync", "sync"}, {"libaio", "libaio"}, {"io_uring", "io_uring"},
                             {"posixaio", "posixaio"}, {"null", "null"}})
      if (engine == fio) backend = ours;
    if (backend.empty()) cannot("ioengine", engine, "iobench's models are psync/sync/pvsync/pvsync2, libaio, "
                                                    "io_uring, posixaio and null");
    const bool sync = backend == "sync";
    std::string variant;
    for (auto [opt, name] : {std::pair{"hipri", "iopoll"}, {"sqthread_poll", "sqpoll"}, {"fixedbufs", "fixed"}}) {
      if (!o.count(opt) || !fio_bool(o[opt])) continue;
      if (backend != "io_uring") cannot(opt, o[opt], "only io_uring's engine has it");
      else if (!variant.empty()) cannot(opt, o[opt], "iobench's io_uring variants take one of hipri, sqthread_poll, "
                                                    "fixedbufs, not two");
      else variant = name;
      used(opt);
    }
    if (!backend.empty()) set("backends", variant.empty() ? backend : backend + ":" + variant, "ioengine=" + engine);
    used("ioengine");

    std::string rw = o.count("rw") ? o["rw"] : o.count("readwrite") ? o["readwrite"] : "read";
    const std::string rw_key = o.count("rw") ? "rw" : "readwrite";
    if (const size_t colon = rw.find(':'); colon != std::string::npos) {
      cannot(rw_key, rw, "the offset modifier ':N' has no iobench equivalent");
      rw = rw.substr(0, colon);
    }
    bool random = false;
    if (rw == "read" || rw == "write" || rw == "randread" || rw == "randwrite" || rw == "randrw") {
      set("rw", rw, rw_key + "=" + rw);
      random = rw.rfind("rand", 0) == 0;
    } else if (rw == "rw" || rw == "readwrite") {
      cannot(rw_key, rw, "sequential mixed reads and writes: iobench mixes only random ones, randrw");
    } else {
      cannot(rw_key, rw, "iobench runs read, write, randread, randwrite and randrw");
    }
    used("rw"), used("readwrite");
    if (o.count("rwmixread")) set("rwmix_read", count("rwmixread", o["rwmixread"], 100), "rwmixread=" + o["rwmixread"]);
    if (o.count("rwmixwrite"))
      set("rwmix_read", 100 - count("rwmixwrite", o["rwmixwrite"], 100), "rwmixwrite=" + o["rwmixwrite"]);

    uint64_t bs = 4096;
    for (const char* key : {"bs", "blocksize"}) {
      if (!o.count(key)) continue;
      bs = one_of_split(key, o[key], [&](const std::string& v) { return size(key, v); });
      set("bs", bs, std::string(key) + "=" + o[key]);
    }
    std::optional<uint64_t> sz;
    if (o.count("size")) {
      if (o["size"].find('%') != std::string::npos) cannot("size", o["size"], "a share of a device; give a size");
      else sz = size("size", o["size"]), set("size", *sz, "size=" + o["size"]);
    }
    if (o.count("filename")) {
      const std::string& f = o["filename"];
      if (f.find(':') != std::string::npos) cannot("filename", f, "one file per job: iobench has one target");
      else set("target", "file:" + (o.count("directory") ? o["directory"] + "/" + f : f), "filename=" + f);
    } else if (o.count("directory")) {
      set("target", "file:" + o["directory"] + "/" + job_.name + ".0.0", "directory=" + o["directory"]);
    } else {
      job_.notes.push_back("fio lays out ./" + job_.name + ".0.0; without filename= iobench uses a temporary file");
    }
    if (!sz && !o.count("filename"))
      throw UsageError("--fio: " + file_ + " [" + job_.name + "]: no size= (fio needs one for a file it creates)");
    used("size"), used("filename"), used("directory");

    // fio's depth is 1 unless iodepth says otherwise, and always 1 with a
    // synchronous engine (numjobs threads are its only concurrency).
    const uint64_t qd = o.count("iodepth") ? count("iodepth", o["iodepth"], 4096) : 1;
    if (sync && qd > 1) {
      job_.notes.push_back("iodepth=" + o["iodepth"] + " ignored, as fio ignores it for a synchronous engine "
                           "(numjobs threads are its only concurrency)");
      set("qd", 1, "a synchronous engine");
    } else {
      set("qd", qd, o.count("iodepth") ? "iodepth=" + o["iodepth"] : "fio's default iodepth=1");
    }
    if (o.count("numjobs")) set("jobs", count("numjobs", o["numjobs"], 256), "numjobs=" + o["numjobs"]);

    const bool time_based = o.count("time_based") && fio_bool(o["time_based"]);
    if (o.count("runtime")) set("runtime", std::to_string(time_ns("runtime", o["runtime"])) + "ns", "runtime=" + o["runtime"]);
    else if (time_based) throw UsageError("--fio: " + file_ + " [" + job_.name + "]: time_based without runtime=");
    if (!time_based) {
      // fio moves io_size (or size) bytes per job, capped by runtime.
      uint64_t bytes = sz.value_or(0);
      std::string origin = "size=" + (o.count("size") ? o["size"] : "");
      for (const char* key : {"io_size", "io_limit"})
        if (o.count(key)) bytes = size(key, o[key]), origin = std::string(key) + "=" + o[key];
      if (o.count("number_ios")) set("ops", count("number_ios", o["number_ios"], UINT64_MAX / 2), "number_ios=" + o["number_ios"]);
      else if (bytes) set("ops", std::max<uint64_t>(1, bytes / bs), origin + " / bs");
    }
    used("time_based"), used("runtime"), used("io_size"), used("io_limit"), used("number_ios");
    if (o.count("ramp_time")) set("ramp", std::to_string(time_ns("ramp_time", o["ramp_time"])) + "ns", "ramp_time=" + o["ramp_time"]);

    bool direct = false;  // fio's default: buffered
    if (o.count("direct")) direct = fio_bool(o["direct"]);
    if (o.count("buffered")) direct = !fio_bool(o["buffered"]);
    set("direct", direct, o.count("direct") ? "direct=" + o["direct"] : "fio's default direct=0");
    used("direct"), used("buffered");
    if (o.count("fsync")) set("fsync_every", count("fsync", o["fsync"], UINT64_MAX / 2), "fsync=" + o["fsync"]);
    if (o.count("fdatasync")) {
      set("fsync_every", count("fdatasync", o["fdatasync"], UINT64_MAX / 2), "fdatasync=" + o["fdatasync"]);
      set("fsync_kind", "fdatasync", "fdatasync=" + o["fdatasync"]);
    }
    if (o.count("rate_iops"))
      set("rate_iops", one_of_split("rate_iops", o["rate_iops"], [&](const std::string& v) {
            return count("rate_iops", v, UINT64_MAX / 2);
          }), "rate_iops=" + o["rate_iops"]);
    if (o.count("random_distribution")) {
      const std::string& d = o["random_distribution"];
      if (d == "random") set("distribution", "uniform", "random_distribution=random");
      else if (d.rfind("zipf:", 0) == 0) set("distribution", d, "random_distribution=" + d);
      else cannot("random_distribution", d, "iobench draws offsets uniformly or by zipf:THETA");
    }
    if (o.count("randseed")) set("seed", count("randseed", o["randseed"], UINT64_MAX), "randseed=" + o["randseed"]);
    else if (o.count("randrepeat") && !fio_bool(o["randrepeat"])) {
      const uint64_t seed = std::random_device{}();
      set("seed", seed, "randrepeat=0");
      job_.notes.push_back("randrepeat=0: seed " + std::to_string(seed) + " drawn for this run (--seed repeats it)");
    }
    used("randseed"), used("randrepeat");
    if (o.count("verify") && o["verify"] != "0" && o["verify"] != "null" &&
        !(o.count("do_verify") && !fio_bool(o["do_verify"]))) {
      set("verify", true, "verify=" + o["verify"]);
      job_.notes.push_back("verify=" + o["verify"] + ": iobench stamps every block it writes with its offset and "
                           "checks every block it reads, during the run; fio's checksum is not computed");
    }
    used("verify"), used("do_verify");
    const bool invalidate = !o.count("invalidate") || fio_bool(o["invalidate"]);
    set("cache", invalidate ? "cold" : "as-is",
        o.count("invalidate") ? "invalidate=" + o["invalidate"] : "fio's default invalidate=1");
    used("invalidate");
    if (o.count("cpus_allowed")) set("cpus", o["cpus_allowed"], "cpus_allowed=" + o["cpus_allowed"]);
    if (o.count("cpus_allowed_policy") && o["cpus_allowed_policy"] != "shared")
      cannot("cpus_allowed_policy", o["cpus_allowed_policy"], "iobench's job threads share the --cpus set");
    used("cpus_allowed_policy");
    if (o.count("percentile_list")) {
      std::string list = o["percentile_list"];
      std::replace(list.begin(), list.end(), ':', ',');
      set("percentiles", list, "percentile_list=" + o["percentile_list"]);
    }
    if (o.count("loops")) {
      set("repeat", count("loops", o["loops"], 1000), "loops=" + o["loops"]);
      job_.notes.push_back("loops=" + o["loops"] + ": iobench measures each loop as a repetition and reports their "
                           "totals and spread");
    }
    if (random && !(o.count("norandommap") && fio_bool(o["norandommap"])))
      job_.notes.push_back("fio's random map touches each block once per pass; iobench draws offsets with "
                           "replacement, as fio does with norandommap=1");
    used("norandommap");
    // Options that change only what fio reports or how it schedules jobs (read by read_fio).
    for (const char* key : {"kb_base", "name", "description", "group_reporting", "new_group", "thread",
                            "stonewall", "wait_for_previous", "clat_percentiles", "lat_percentiles",
                            "slat_percentiles", "bs", "blocksize", "iodepth", "numjobs", "ramp_time", "fsync",
                            "fdatasync", "rate_iops", "random_distribution", "cpus_allowed", "percentile_list",
                            "loops", "rwmixread", "rwmixwrite"})
      used(key);
    for (auto& [k, v] : o)
      if (!used_.count(k)) cannot(k, v, "no iobench equivalent; docs/fio.md lists what translates");
  }

 private:
  void set(const std::string& field, json value, const std::string& origin) {
    job_.settings.erase(std::remove_if(job_.settings.begin(), job_.settings.end(),
                                       [&](auto& s) { return s.field == field; }),
                        job_.settings.end());
    job_.settings.push_back({field, std::move(value), origin});
  }
  void used(const std::string& key) { used_[key] = true; }
  void cannot(const std::string& key, const std::string& value, const std::string& why) {
    cannot_.push_back("[" + job_.name + "] " + key + (value.empty() ? "" : "=" + value) + " (" + why + ")");
    used(key);
  }
  [[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& accepted) {
    throw UsageError("--fio: " + file_ + " [" + job_.name + "] " + key + "=" + value + ": expected " + accepted);
  }
  uint64_t size(const std::string& key, const std::string& v) {
    const auto r = fio_size(v, kb_base_);
    if (!r || !*r) bad(key, v, "a size as fio reads it (4096, 4k, 1m, 2g; kb_base " + std::to_string(kb_base_) + ")");
    return *r;
  }
  uint64_t time_ns(const std::string& key, const std::string& v) {
    const auto r = fio_time_ns(v);
    if (!r) bad(key, v, "a time as fio reads it (seconds, or 500ms, 2m, 1h)");
    return *r;
  }
  uint64_t count(const std::string& key, const std::string& v, uint64_t max) {
    uint64_t n = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n > max)
      bad(key, v, "an integer up to " + std::to_string(max));
    return n;
  }
  // "4k" or fio's read,write[,trim] split: one value when they agree.
  template <typename Parse>
  uint64_t one_of_split(const std::string& key, const std::string& v, Parse parse) {
    std::vector<uint64_t> parts;
    std::stringstream ss(v);
    for (std::string p; std::getline(ss, p, ',');)
      if (!trim(p).empty()) parts.push_back(parse(trim(p)));
    if (parts.empty()) bad(key, v, "a value");
    if (std::adjacent_find(parts.begin(), parts.end(), std::not_equal_to<>()) != parts.end())
      cannot(key, v, "different values for reads and writes");
    return parts.front();
  }

  FioJob& job_;
  std::vector<std::string>& cannot_;
  const std::string& file_;
  unsigned kb_base_ = 1024;
  std::map<std::string, bool> used_;
};

}  // namespace

FioFile read_fio(const std::string& path, bool lenient) {
  Reader r;
  r.read(path, 0);
  FioFile f{path, r.sources, {}};
  Options global;
  std::vector<std::string> cannot;
  for (const Section& s : r.sections) {
    if (s.name == "global") {
      global.insert(global.end(), s.options.begin(), s.options.end());
      continue;
    }
    FioJob job{s.name, global, {}, {}};
    job.options.insert(job.options.end(), s.options.begin(), s.options.end());
    // fio starts every job of a file at once unless it waits for the
    // previous ones; iobench runs one point after another.
    if (!f.jobs.empty()) {
      bool waits = false;
      for (auto& [k, v] : job.options)
        if (k == "stonewall" || k == "wait_for_previous") waits = fio_bool(v);
      if (!waits)
        cannot.push_back("[" + job.name + "] (no stonewall: fio runs it at the same time as [" +
                         f.jobs.back().name + "], iobench after it)");
    }
    Translator(job, cannot, path).run();
    f.jobs.push_back(std::move(job));
  }
  if (f.jobs.empty())
    throw UsageError("--fio: '" + path + "' is not a fio job file (no [JOB] section" +
                     (r.outside ? ", and options outside any section)" : ")"));
  if (!cannot.empty() && !lenient) {
    std::string all;
    for (auto& c : cannot) all += (all.empty() ? "" : ", ") + c;
    throw UsageError("--fio: " + path + ": iobench cannot honour " + all + "; --fio-lenient runs without them, "
                     "with a note each");
  }
  for (auto& c : cannot) {  // "[job] option=value (why)"
    const size_t close = c.find("] ");
    for (FioJob& j : f.jobs)
      if (c.compare(1, close - 1, j.name) == 0) j.notes.push_back("--fio-lenient dropped " + c.substr(close + 2));
  }
  return f;
}

json settings_json(const FioJob& job) {
  json j = json::object();
  for (auto& s : job.settings) j[s.field] = s.value;
  return j;
}

json to_json(const FioFile& f) {
  json jobs = json::array();
  for (auto& job : f.jobs) {
    json options = json::array();
    for (auto& [k, v] : job.options) options.push_back(v.empty() ? k : k + "=" + v);
    jobs.push_back({{"name", job.name}, {"options", options}, {"workload", settings_json(job)}, {"notes", job.notes}});
  }
  json sources = json::array();
  for (auto& [p, text] : f.sources) sources.push_back({{"path", p}, {"text", text}});
  return {{"file", f.path}, {"sources", sources}, {"jobs", jobs}};
}

}  // namespace iobench

// Result documents as compare and history read them: checked for the shape
// they are read with, and told apart by what they measured.
#include "report/result_doc.h"

#include <sstream>

#include "core/errors.h"
#include "report/report.h"
#include "spec/json_file.h"

namespace iobench {

using json = nlohmann::json;

std::vector<const Figure*> compared_figures() {
  std::vector<const Figure*> out;
  for (auto& f : figures())
    if (f.better != Better::Neither) out.push_back(&f);
  return out;
}

namespace {

// Every part of a result document that compare and history read, with the
// type it reads it as: a document edited by hand or cut short is refused
// here with the place that is wrong, never met later as a library's exception.
void check_shape(const json& doc, const std::string& where) {
  auto bad = [&](const std::string& at, const char* want) {
    throw UsageError(where + " is not an iobench result document: " + at + " must be " + want);
  };
  auto object = [&](const json& v, const std::string& at) {
    if (!v.is_object()) bad(at, "an object");
  };
  // Optional members read with a default: if present, of the type read.
  auto typed = [&](const json& obj, const std::string& at, std::initializer_list<const char*> names,
                   bool (json::*is)() const noexcept, const char* want) {
    for (const char* n : names)
      if (obj.contains(n) && !(obj[n].*is)()) bad(at + "." + n, want);
  };
  object(doc, "the document");
  if (doc.contains("context")) object(doc["context"], "context");
  if (!doc.contains("results") || !doc["results"].is_array()) bad("results", "an array");
  const auto& results = doc["results"];
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    const std::string at = "results[" + std::to_string(i) + "]";
    object(r, at);
    typed(r, at, {"status", "backend", "variant"}, &json::is_string, "a string");
    if (r.value("status", "") != "ok") continue;
    for (const char* part : {"workload", "target"})
      if (!r.contains(part)) bad(at + "." + part, "an object");
      else object(r[part], at + "." + part);
    typed(r["workload"], at + ".workload", {"name", "rw"}, &json::is_string, "a string");
    typed(r["workload"], at + ".workload", {"bs_bytes", "qd", "jobs"}, &json::is_number, "a number");
    typed(r["workload"], at + ".workload", {"direct"}, &json::is_boolean, "true or false");
    typed(r["target"], at + ".target", {"kind", "path"}, &json::is_string, "a string");
    typed(r["target"], at + ".target", {"temporary"}, &json::is_boolean, "true or false");
    if (!r.contains("repetitions") || !r["repetitions"].is_array() || r["repetitions"].empty())
      bad(at + ".repetitions", "a non-empty array");
    for (size_t k = 0; k < r["repetitions"].size(); ++k) {
      const json& rep = r["repetitions"][k];
      const std::string rat = at + ".repetitions[" + std::to_string(k) + "]";
      object(rep, rat);
      // A figure is compared over every repetition: each has it, or none.
      for (const Figure* f : compared_figures()) {
        const json::json_pointer p(f->path);
        if (rep.contains(p) ? !rep[p].is_number() : r["repetitions"][0].contains(p))
          bad(rat + f->path, "a number (as in every repetition)");
      }
    }
  }
}

}  // namespace

json load_doc(const std::string& path, const char* which) {
  const json doc = read_json_file(path, which);
  const std::string where = std::string(which) + ": '" + path + "'";
  if (!doc.is_object() || !doc.contains("schema_version") || !doc.contains("results"))
    throw UsageError(where + " is not an iobench result document");
  if (doc["schema_version"] != kSchemaVersion)
    throw UsageError(where + " has schema_version " + shown(doc["schema_version"]) + "; this iobench reads " +
                     std::to_string(kSchemaVersion));
  check_shape(doc, where);
  return doc;
}

std::string match_key(const json& r) {
  json w = r.at("workload");
  w.erase("name");
  w.erase("repeat");
  w.erase("percentiles");  // what is reported, not what was measured
  json t = r.at("target");
  for (const char* counter : {"requests", "signals", "injected_errors", "errors_injected", "write_mismatches",
                              "max_inflight", "size_bytes", "resident_at_start"})
    t.erase(counter);
  if (t.value("temporary", false)) t.erase("path");
  return json{{"workload", w}, {"backend", r.value("backend", "")}, {"variant", r.value("variant", "")},
              {"target", t}}
      .dump();
}

std::string key_of(const json& r) {
  const json& w = r.at("workload");
  const json& t = r.at("target");
  std::string target = t.value("kind", "");
  if (target == "file" && !t.value("temporary", false)) target += ":" + t.value("path", "");
  std::ostringstream k;
  k << w.value("name", "") << " / " << w.value("rw", "") << " bs" << w.value("bs_bytes", 0) << " qd"
    << w.value("qd", 0) << " x" << w.value("jobs", 0) << (w.value("direct", false) ? " direct" : "") << " / "
    << r.value("backend", "") << ":" << r.value("variant", "") << " / " << target;
  return k.str();
}

std::vector<double> samples(const json& r, const Figure& f) {
  std::vector<double> v;
  const json::json_pointer p(f.path);
  for (auto& rep : r.at("repetitions")) v.push_back(rep.at(p).get<double>());
  return v;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace iobench

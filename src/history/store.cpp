#include "history/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "core/errors.h"
#include "report/result_doc.h"

namespace iobench {
namespace {

using json = nlohmann::json;

// PRAGMA application_id: "iobh". A database without it that has tables of
// its own belongs to something else and is left alone.
constexpr int kApplicationId = 0x696f6268;

// Each step takes the database from version i to i + 1; a database is
// brought forward step by step in one transaction. Never edit a step that
// has shipped: add the next one.
const char* const kMigrations[] = {
    // 1: the tables (docs/history.md).
    "CREATE TABLE testbeds(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hostname TEXT NOT NULL,"
    "  cpu_model TEXT NOT NULL, kernel TEXT NOT NULL, nproc INTEGER NOT NULL);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
    "  testbed_id INTEGER NOT NULL REFERENCES testbeds(id), time TEXT NOT NULL, iobench_version TEXT NOT NULL,"
    "  git_sha TEXT NOT NULL, source TEXT NOT NULL, added TEXT NOT NULL);"
    "CREATE TABLE labels(run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY(run_id, key));"
    "CREATE TABLE series(id INTEGER PRIMARY KEY, testbed_id INTEGER NOT NULL REFERENCES testbeds(id),"
    "  match_key TEXT NOT NULL, title TEXT NOT NULL, workload TEXT NOT NULL, backend TEXT NOT NULL,"
    "  variant TEXT NOT NULL, target TEXT NOT NULL, UNIQUE(testbed_id, match_key));"
    "CREATE TABLE samples(run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  series_id INTEGER NOT NULL REFERENCES series(id), figure TEXT NOT NULL, repetition INTEGER NOT NULL,"
    "  value REAL NOT NULL, PRIMARY KEY(run_id, series_id, figure, repetition));",
    // 2: check and show read series by series; the samples' key starts with the run.
    "CREATE INDEX samples_by_series ON samples(series_id, figure);",
};
static_assert(std::size(kMigrations) == HistoryDb::kSchemaVersion);

// The same document added twice is stored once: it is known by a digest of
// its canonical text (nlohmann writes keys sorted). FNV-1a, 64 bits, with
// the length: a collision among the documents of one history is negligible.
std::string digest(const json& doc) {
  const std::string text = doc.dump();
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  char buf[48];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx:%zu", static_cast<unsigned long long>(h), text.size());
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The context only describes a run: a member of another type (a document
// edited by hand) is kept as its JSON text, never refused.
std::string text_of(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return "";
  return obj[key].is_string() ? obj[key].get<std::string>() : obj[key].dump();
}

// A test bed named by what makes its figures comparable: the host, its
// CPU, the kernel release and how many CPUs.
std::string testbed_name(const json& c) {
  std::string kernel = text_of(c, "kernel");
  kernel = kernel.substr(0, kernel.find(' '));
  return text_of(c, "hostname") + "/" + text_of(c, "cpu_model") + "/" + kernel + "/" + text_of(c, "nproc") + "cpu";
}

}  // namespace

// One prepared statement; every failure names the database.
class Stmt {
 public:
  Stmt(HistoryDb& db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db.db_, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) db_.fail("cannot prepare a query");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_.fail("a query failed");
    return false;
  }
  void run() {
    step();
    sqlite3_reset(s_);
  }
  void reset() { sqlite3_reset(s_); }
  // The id a lookup finds (0: none), the statement ready for the next one.
  int64_t found() {
    const int64_t id = step() ? integer(0) : 0;
    reset();
    return id;
  }
  int64_t integer(int c) { return sqlite3_column_int64(s_, c); }
  double real(int c) { return sqlite3_column_double(s_, c); }
  std::string text(int c) {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  HistoryDb& db_;
  sqlite3_stmt* s_ = nullptr;
};

HistoryDb::HistoryDb(const std::string& path, bool create, int lock_timeout_ms) : path_(path) {
  struct stat st{};
  if (!create) {
    if (::stat(path.c_str(), &st) != 0) throw UsageError("DB: '" + path + "': " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) throw UsageError("DB: '" + path + "' is not a regular file");
  }
  auto open = [&](int flags) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    handle_.reset(db_);  // sqlite3_open_v2 makes a handle even when it fails
    return rc;
  };
  int rc = open(SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
  if (rc != SQLITE_OK && !create) rc = open(SQLITE_OPEN_READONLY);  // a read-only copy (an artifact) is still readable
  if (rc != SQLITE_OK) fail("cannot open it");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, lock_timeout_ms);
  exec("PRAGMA foreign_keys = ON");
  migrate();
}

void HistoryDb::Close::operator()(sqlite3* db) const { sqlite3_close(db); }

void HistoryDb::fail(const std::string& what) {
  const int code = sqlite3_errcode(db_) & 0xff;
  std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    why = "another process held the database longer than --lock-timeout (" + why + ")";
  else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    why += ": not an intact SQLite database; nothing was written to it";
  throw RuntimeError("history database '" + path_ + "': " + what + ": " + why);
}

void HistoryDb::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot run '" + std::string(sql) + "'");
}

int HistoryDb::schema_version() {
  Stmt s(*this, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void HistoryDb::migrate() {
  auto read_state = [&] {
    Stmt id(*this, "PRAGMA application_id");
    const int64_t app = id.step() ? id.integer(0) : 0;
    Stmt tables(*this, "SELECT count(*) FROM sqlite_master");
    const int64_t n = tables.step() ? tables.integer(0) : 0;
    const int version = schema_version();
    if (app != kApplicationId && (app != 0 || n != 0))
      throw RuntimeError("history database '" + path_ + "' is an SQLite database of something else (application_id " +
                         std::to_string(app) + ", " + std::to_string(n) + " schema objects); it is left as it is");
    if (version > kSchemaVersion)
      throw RuntimeError("history database '" + path_ + "' has schema version " + std::to_string(version) +
                         ", written by a newer iobench; this one reads up to version " +
                         std::to_string(kSchemaVersion));
    return version;
  };
  if (read_state() == kSchemaVersion) return;
  // Two processes may both find it old: the write lock decides, and the
  // second looks again under it.
  exec("BEGIN IMMEDIATE");
  try {
    for (int v = read_state(); v < kSchemaVersion; ++v) exec(kMigrations[v]);
    exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
    exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<AddOutcome> HistoryDb::add(const std::vector<AddInput>& in, const Labels& labels,
                                       const std::string& testbed) {
  std::vector<AddOutcome> out;
  exec("BEGIN IMMEDIATE");
  try {
    Stmt find_run(*this, "SELECT id FROM runs WHERE digest = ?");
    Stmt find_bed(*this, "SELECT id FROM testbeds WHERE name = ?");
    Stmt add_bed(*this, "INSERT INTO testbeds(name, hostname, cpu_model, kernel, nproc) VALUES (?, ?, ?, ?, ?)");
    Stmt add_run(*this,
                 "INSERT INTO runs(digest, testbed_id, time, iobench_version, git_sha, source, added)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)");
    Stmt add_label(*this, "INSERT INTO labels(run_id, key, value) VALUES (?, ?, ?)");
    Stmt find_series(*this, "SELECT id FROM series WHERE testbed_id = ? AND match_key = ?");
    Stmt add_series(*this,
                    "INSERT INTO series(testbed_id, match_key, title, workload, backend, variant, target)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)");
    // A document holding one measurement twice keeps the first.
    Stmt add_sample(*this,
                    "INSERT OR IGNORE INTO samples(run_id, series_id, figure, repetition, value)"
                    " VALUES (?, ?, ?, ?, ?)");
    const std::string now = utc_now();
    for (const AddInput& a : in) {
      AddOutcome o;
      o.source = a.source;
      const json none = json::object();
      const json& c = a.doc.contains("context") && a.doc["context"].is_object() ? a.doc["context"] : none;
      o.testbed = testbed.empty() ? testbed_name(c) : testbed;
      const std::string d = digest(a.doc);
      if ((o.run = find_run.bind(1, d).found())) {
        out.push_back(o);
        continue;
      }
      int64_t bed = find_bed.bind(1, o.testbed).found();
      if (!bed) {
        add_bed.bind(1, o.testbed).bind(2, text_of(c, "hostname")).bind(3, text_of(c, "cpu_model"));
        const int64_t nproc = c.contains("nproc") && c["nproc"].is_number_integer() ? c["nproc"].get<int64_t>() : 0;
        add_bed.bind(4, text_of(c, "kernel")).bind(5, nproc).run();
        bed = sqlite3_last_insert_rowid(db_);
      }
      const std::string time = c.contains("timestamp") && c["timestamp"].is_string() ? text_of(c, "timestamp") : now;
      add_run.bind(1, d).bind(2, bed).bind(3, time).bind(4, text_of(c, "iobench_version"));
      add_run.bind(5, text_of(c, "git_sha")).bind(6, a.source).bind(7, now).run();
      o.run = sqlite3_last_insert_rowid(db_);
      o.added = true;
      for (auto& [k, v] : labels) add_label.bind(1, o.run).bind(2, k).bind(3, v).run();
      for (const json& r : a.doc["results"]) {
        if (r.value("status", "") != "ok") {
          ++o.not_ok;
          continue;
        }
        ++o.results;
        const std::string key = match_key(r);
        int64_t series = find_series.bind(1, bed).bind(2, key).found();
        if (!series) {
          add_series.bind(1, bed).bind(2, key).bind(3, key_of(r)).bind(4, text_of(r["workload"], "name"));
          add_series.bind(5, text_of(r, "backend")).bind(6, text_of(r, "variant"));
          add_series.bind(7, text_of(r["target"], "kind")).run();
          series = sqlite3_last_insert_rowid(db_);
        }
        const json& reps = r["repetitions"];
        for (const Figure* fig : compared_figures()) {
          const json::json_pointer p(fig->path);
          for (size_t i = 0; i < reps.size(); ++i)
            if (reps[i].contains(p))
              add_sample.bind(1, o.run).bind(2, series).bind(3, fig->name).bind(4, static_cast<int64_t>(i))
                  .bind(5, reps[i][p].get<double>()).run();
        }
      }
      out.push_back(o);
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return out;
}

HistoryData HistoryDb::query(const HistoryFilter& flt, const std::vector<std::string>& figures) {
  std::vector<std::string> args;
  std::string where = " WHERE 1";
  auto equal = [&](const char* column, const std::string& v) {
    if (v.empty()) return;
    where += std::string(" AND ") + column + " = ?";
    args.push_back(v);
  };
  equal("b.name", flt.testbed);
  equal("s.workload", flt.workload);
  equal("s.backend", flt.backend);
  equal("s.variant", flt.variant);
  equal("s.target", flt.target);
  for (auto& [k, v] : flt.labels) {
    where += " AND EXISTS (SELECT 1 FROM labels l WHERE l.run_id = r.id AND l.key = ? AND l.value = ?)";
    args.push_back(k);
    args.push_back(v);
  }
  if (!figures.empty()) {
    where += " AND m.figure IN (?";
    for (size_t i = 1; i < figures.size(); ++i) where += ", ?";
    where += ")";
    args.insert(args.end(), figures.begin(), figures.end());
  }
  const std::string from =
      " FROM samples m JOIN runs r ON r.id = m.run_id JOIN series s ON s.id = m.series_id"
      " JOIN testbeds b ON b.id = s.testbed_id";
  HistoryData data;
  {
    Stmt q(*this, "SELECT DISTINCT r.id, r.time, r.git_sha" + from + where);
    for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
    while (q.step()) data.runs[q.integer(0)] = {q.integer(0), q.text(1), q.text(2), {}};
    Stmt l(*this, "SELECT run_id, key, value FROM labels");
    while (l.step())
      if (auto it = data.runs.find(l.integer(0)); it != data.runs.end()) it->second.labels[l.text(1)] = l.text(2);
  }
  Stmt q(*this,
         "SELECT s.id, b.name, s.title, m.figure, r.id, m.value" + from + where +
             " ORDER BY b.name, s.title, s.id, m.figure, r.time, r.id, m.repetition");
  for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
  int64_t series = -1, run = -1;
  std::string figure;
  while (q.step()) {
    if (q.integer(0) != series || q.text(3) != figure) {
      series = q.integer(0);
      figure = q.text(3);
      run = -1;
      data.series.push_back({q.text(1), q.text(2), figure, {}, {}});
    }
    HistorySeries& s = data.series.back();
    if (q.integer(4) != run) {
      run = q.integer(4);
      s.runs.push_back(&data.runs.at(run));
      s.reps.emplace_back();
    }
    s.reps.back().push_back(q.real(5));
  }
  if (flt.last)
    for (auto& s : data.series)
      if (s.runs.size() > flt.last) {
        const auto cut = static_cast<long>(s.runs.size() - flt.last);
        s.runs.erase(s.runs.begin(), s.runs.begin() + cut);
        s.reps.erase(s.reps.begin(), s.reps.begin() + cut);
      }
  return data;
}

}  // namespace iobench

#pragma once
// iobench history's database: every result's figures per repetition, in
// SQLite, keyed by test bed, what was measured and when. docs/history.md
// has the tables.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace iobench {

using Labels = std::map<std::string, std::string>;

// What `history add` was given for one result file.
struct AddInput {
  std::string source;  // the path, recorded
  nlohmann::json doc;  // load_doc's
};

struct AddOutcome {
  std::string source;
  int64_t run = 0;       // its row in runs
  bool added = false;    // false: the same document was stored before (as `run`)
  size_t results = 0;    // successful results stored
  size_t not_ok = 0;     // results not stored: skipped, failed or interrupted
  std::string testbed;
};

// Which series and runs show and check look at; empty fields match all.
struct HistoryFilter {
  std::string testbed, workload, backend, variant, target;
  Labels labels;      // runs carrying every one of these
  size_t last = 0;    // the newest N runs of each series (0: all)
};

struct HistoryRun {
  int64_t id = 0;
  std::string time;     // the result's context.timestamp (UTC)
  std::string git_sha;  // the iobench that measured it
  Labels labels;
};

// One figure of one series: its values run by run, oldest first.
struct HistorySeries {
  std::string testbed, title, figure;
  std::vector<const HistoryRun*> runs;
  std::vector<std::vector<double>> reps;  // per run, one value per repetition
};

struct HistoryData {
  std::map<int64_t, HistoryRun> runs;
  std::vector<HistorySeries> series;
};

class HistoryDb {
 public:
  static constexpr int kSchemaVersion = 2;
  // create: a missing file becomes an empty database (add); otherwise it must
  // exist. lock_timeout_ms: how long to wait for another process's write.
  HistoryDb(const std::string& path, bool create, int lock_timeout_ms);
  HistoryDb(const HistoryDb&) = delete;
  HistoryDb& operator=(const HistoryDb&) = delete;

  // Stores every document in one transaction: all of them or none.
  // `testbed`: the name to file them under ("" = from each one's context).
  std::vector<AddOutcome> add(const std::vector<AddInput>& in, const Labels& labels, const std::string& testbed);

  HistoryData query(const HistoryFilter& f, const std::vector<std::string>& figures);

  int schema_version();

 private:
  friend class Stmt;
  void migrate();
  void exec(const char* sql);
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  // Closed however the constructor or the object ends (a refused database
  // throws from the constructor, where no destructor runs).
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Close> handle_;
  sqlite3* db_ = nullptr;  // handle_'s
};

}  // namespace iobench

#pragma once
// fio job files (`iobench run --fio JOB.fio`): read as fio reads them
// ([global] and job sections, include, ${ENV}, fio's units) and translated
// option by option into iobench workload fields. An option iobench cannot
// honour is named, never skipped: a UsageError, or with `lenient` a note.
// docs/fio.md has the table of what maps to what.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace iobench {

// One workload field a fio option became, and which option it came from
// ("bs=4k"), for error messages.
struct FioSetting {
  std::string field;
  nlohmann::json value;
  std::string origin;
};

struct FioJob {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;  // [global] + its own, as fio applies them
  std::vector<FioSetting> settings;
  std::vector<std::string> notes;  // where iobench differs, and what --fio-lenient dropped
};

struct FioFile {
  std::string path;
  std::vector<std::pair<std::string, std::string>> sources;  // path, text: the file and what it includes
  std::vector<FioJob> jobs;
};

// Throws UsageError: a file that cannot be read or is not a job file, a
// value fio would not accept, and (unless lenient) every option iobench
// cannot honour, in one line.
FioFile read_fio(const std::string& path, bool lenient);

// A job's settings as a JSON object of workload fields; what the result
// records under context.fio.
nlohmann::json settings_json(const FioJob& job);
nlohmann::json to_json(const FioFile& f);

}  // namespace iobench

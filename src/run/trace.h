#pragma once
// --trace: one Chrome JSON trace file per run (Perfetto UI and
// chrome://tracing open it), written under a temporary name point by point
// and renamed onto its path at the end, so a reader never sees half of one.
// docs/trace.md says what each event means.
#include <memory>
#include <string>

#include "core/trace.h"
#include "run/metrics.h"

namespace iobench {

class AtomicFile;

class TraceWriter {
 public:
  // Opens the temporary file beside `path`; throws RuntimeError.
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  // A point's records, as a process lane named after it; sets result.trace.
  // A write failure is kept for error() and ends the tracing, not the run.
  void add(Result& result, const trace::Pool& pool);
  // Ends the document (otherData says whether the run was interrupted) and
  // renames it onto the path; a failure goes to error().
  void finish(bool interrupted);
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  void flush(bool force);

  std::string path_;
  std::unique_ptr<AtomicFile> file_;
  std::string buf_;
  unsigned pid_ = 0;
  uint64_t next_id_ = 1;
  bool first_event_ = true;
  std::string error_;
};

}  // namespace iobench

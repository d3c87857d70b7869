#include "run/trace.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/errors.h"
#include "core/fs.h"
#include "spec/json_file.h"

namespace iobench {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

const char* call_name(trace::Kind k) {
  switch (k) {
    case trace::Kind::Submit: return "submit";
    case trace::Kind::Wait: return "wait";
    case trace::Kind::Handler: return "signal handler";
    case trace::Kind::Signal: return "signal";
    case trace::Kind::Cancel: return "cancel";
  }
  return "?";
}

// One event of a point, before it is written: sorted by time, a longer
// slice before a shorter one that starts with it (so it nests inside).
struct Ev {
  enum Type : uint8_t { Call, Begin, End, Ready };
  uint64_t ts;
  uint64_t order;  // ties: UINT64_MAX - duration for a slice
  uint32_t index;  // into calls or requests
  Type type;
};

// CLOCK_MONOTONIC ns as the format's microseconds, to the nanosecond.
void put_us(std::string& out, uint64_t ns) {
  char b[32];
  int n = std::snprintf(b, sizeof b, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
  out.append(b, static_cast<size_t>(n));
}

}  // namespace

TraceWriter::TraceWriter(const std::string& path) : path_(path), file_(std::make_unique<AtomicFile>(path)) {
  buf_ = "{\"traceEvents\":[\n";
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::flush(bool force) {
  if (!file_ || (!force && buf_.size() < kFlushBytes)) return;
  try {
    file_->write(buf_);
  } catch (const RuntimeError& e) {
    error_ = std::string("--trace: ") + e.what();
    file_.reset();  // removes the temporary: no half trace is left
  }
  buf_.clear();
}

void TraceWriter::add(Result& result, const trace::Pool& pool) {
  if (!file_) return;
  const unsigned pid = ++pid_;
  const unsigned lanes = result.threads;
  const unsigned device_tid = lanes + 1;

  struct LaneCall {
    trace::Call call;
    uint16_t lane;
  };
  std::vector<LaneCall> calls;
  for (uint32_t c = 0; c < pool.chunks_claimed(); ++c)
    for (uint32_t i = 0; i < pool.used(c); ++i) calls.push_back({pool.chunk(c)[i], pool.owner(c)});
  std::vector<const trace::Req*> reqs;
  for (uint32_t i = 0; i < pool.requests_claimed(); ++i)
    reqs.push_back(&pool.req(i));

  std::vector<Ev> evs;
  evs.reserve(calls.size() + 3 * reqs.size());
  for (uint32_t i = 0; i < calls.size(); ++i) {
    const trace::Call& c = calls[i].call;
    evs.push_back({c.t0, UINT64_MAX - (c.t1 - c.t0), i, Ev::Call});
  }
  bool ready_lane = false;
  for (uint32_t i = 0; i < reqs.size(); ++i) {
    evs.push_back({reqs[i]->start, UINT64_MAX, i, Ev::Begin});
    evs.push_back({reqs[i]->done, UINT64_MAX, i, Ev::End});
    if (reqs[i]->ready) {
      evs.push_back({reqs[i]->ready, UINT64_MAX, i, Ev::Ready});
      ready_lane = true;
    }
  }
  std::stable_sort(evs.begin(), evs.end(),
                   [](const Ev& a, const Ev& b) { return a.ts != b.ts ? a.ts < b.ts : a.order < b.order; });

  char line[512];
  auto event = [&](const char* head) {
    buf_ += first_event_ ? "" : ",\n";
    first_event_ = false;
    buf_ += head;
  };
  auto meta = [&](const char* name, unsigned tid, const std::string& args) {
    std::snprintf(line, sizeof line, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"args\":", name, pid, tid);
    event(line);
    buf_ += args + "}";
  };
  const std::string name = result.backend + ":" + result.variant + " " + result.spec.label();
  meta("process_name", 0, "{\"name\":" + dump_text(nlohmann::json(name)) + "}");
  meta("process_sort_index", 0, "{\"sort_index\":" + std::to_string(pid) + "}");
  for (unsigned l = 0; l < lanes; ++l) {
    meta("thread_name", l + 1, "{\"name\":\"job " + std::to_string(l) + "\"}");
    meta("thread_sort_index", l + 1, "{\"sort_index\":" + std::to_string(l) + "}");
  }
  if (ready_lane) {
    meta("thread_name", device_tid, "{\"name\":\"device: block ready\"}");
    meta("thread_sort_index", device_tid, "{\"sort_index\":" + std::to_string(device_tid) + "}");
  }

  const uint64_t id0 = next_id_;
  next_id_ += reqs.size();
  for (const Ev& ev : evs) {
    if (ev.type == Ev::Call) {
      const trace::Call& c = calls[ev.index].call;
      const unsigned tid = calls[ev.index].lane + 1u;
      if (c.kind == trace::Kind::Signal) {
        std::snprintf(line, sizeof line, "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"signal\",\"name\":\"signal\",\"pid\":%u,"
                      "\"tid\":%u,\"ts\":", pid, tid);
        event(line);
        put_us(buf_, c.t0);
        buf_ += "}";
      } else {
        std::snprintf(line, sizeof line, "{\"ph\":\"X\",\"cat\":\"call\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":",
                      call_name(c.kind), pid, tid);
        event(line);
        put_us(buf_, c.t0);
        buf_ += ",\"dur\":";
        put_us(buf_, c.t1 - c.t0);
        std::snprintf(line, sizeof line, ",\"args\":{\"requests\":%u}}", c.n);
        buf_ += line;
      }
    } else {
      const trace::Req& r = *reqs[ev.index];
      const uint64_t id = id0 + ev.index;
      const char* op = r.write ? "write" : "read";
      if (ev.type == Ev::Ready) {
        std::snprintf(line, sizeof line, "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"device\",\"name\":\"ready\",\"pid\":%u,"
                      "\"tid\":%u,\"args\":{\"request\":%" PRIu64 "},\"ts\":", pid, device_tid, id);
        event(line);
        put_us(buf_, r.ready);
        buf_ += "}";
      } else if (ev.type == Ev::Begin) {
        std::snprintf(line, sizeof line, "{\"ph\":\"b\",\"cat\":\"request\",\"name\":\"%s\",\"id\":%" PRIu64
                      ",\"pid\":%u,\"tid\":%u,\"args\":{\"offset\":%" PRIu64 ",\"bytes\":%u,\"op\":\"%s\",\"result\":%" PRId64
                      "%s},\"ts\":", op, id, pid, r.lane + 1u, r.offset, r.len, op, r.result,
                      r.intended ? ",\"intended\":true" : "");
        event(line);
        put_us(buf_, r.start);
        buf_ += "}";
      } else {
        std::snprintf(line, sizeof line, "{\"ph\":\"e\",\"cat\":\"request\",\"name\":\"%s\",\"id\":%" PRIu64
                      ",\"pid\":%u,\"tid\":%u,\"ts\":", op, id, pid, r.lane + 1u);
        event(line);
        put_us(buf_, r.done);
        buf_ += "}";
      }
    }
    flush(false);
  }
  result.trace = Result::Traced{pid, reqs.size(), calls.size(), pool.calls_dropped.load()};
  if (result.trace->calls_dropped)
    result.notes.push_back("--trace: " + std::to_string(result.trace->calls_dropped) +
                           " calls of traced threads were not traced (the call records ran out)");
  flush(false);
}

void TraceWriter::finish(bool interrupted) {
  if (!file_) return;
  nlohmann::json other = {{"iobench_version", build_info::kVersion},
                          {"git_sha", build_info::kGitSha},
                          {"clock", "CLOCK_MONOTONIC"},
                          {"status", interrupted ? "interrupted" : "complete"},
                          {"points", pid_}};
  buf_ += "\n],\"displayTimeUnit\":\"ns\",\"otherData\":" + dump_text(other) + "}\n";
  flush(true);
  if (!file_) return;
  try {
    file_->commit();
  } catch (const RuntimeError& e) {
    error_ = std::string("--trace: ") + e.what();
  }
  file_.reset();
}

}  // namespace iobench

#pragma once
// Helpers every C++ test shares: one way to set a field, to run a point, and
// to name a scratch file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "core/fs.h"
#include "core/stop_signal.h"
#include "run/plan.h"
#include "targets/target.h"

// Why `backend` cannot run in this build, "" when it can. glibc's POSIX aio
// starts its helper threads from inside libc, where ThreadSanitizer does not
// see them: the first allocation in one crashes TSan's allocator (it has no
// state for the thread). posixaio runs in the release and ASan builds.
inline std::string sanitizer_cannot_run(const std::string& backend) {
#if defined(__SANITIZE_THREAD__)
  constexpr bool tsan = true;
#elif defined(__has_feature)
  constexpr bool tsan = __has_feature(thread_sanitizer);
#else
  constexpr bool tsan = false;
#endif
  if (tsan && backend.starts_with("posixaio"))
    return "ThreadSanitizer cannot follow glibc's aio helper threads (created inside libc)";
  return "";
}

// "io_uring:sqpoll" -> "io_uring_sqpoll": a valid test and file name.
inline std::string identifier(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

inline std::string param_name(const testing::TestParamInfo<std::string>& p) { return identifier(p.param); }

// A path for a scratch file, unique to this process and `what`, on a
// disk-backed filesystem ($TMPDIR or /var/tmp) where O_DIRECT works.
inline std::string scratch_path(const std::string& what) {
  return iobench::temp_dir() + "/iobench-test-" + std::to_string(getpid()) + "-" + identifier(what);
}

// Sets a workload field (an owner's option too) as a workload file would.
inline void set(iobench::WorkloadSpec& s, std::string_view field, const nlohmann::json& v) {
  iobench::workload_parser().set(s, field, v, "test");
}

// One point of `s` with one backend, on a target made for it.
inline iobench::Result run_with(const iobench::WorkloadSpec& s, const iobench::BackendChoice& b) {
  static iobench::StopSignal stop;
  auto target = iobench::make_target(s);
  return iobench::run_point(s, b, *target, stop, iobench::RunOptions{});
}

inline iobench::Result run_with(const iobench::WorkloadSpec& s, const std::string& backend) {
  return run_with(s, iobench::resolve_backends({backend}).front());
}

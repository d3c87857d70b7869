#include <algorithm>

#include "backends/backend.h"
#include "core/errors.h"

namespace iobench {

BackendInfo null_backend();
BackendInfo sync_backend();
BackendInfo posixaio_backend();
BackendInfo libaio_backend();
BackendInfo io_uring_backend();
BackendInfo poll_backend();
BackendInfo sigio_backend();

const std::vector<BackendInfo>& registry() {
  static const std::vector<BackendInfo> all = {sync_backend(),     poll_backend(),     sigio_backend(),
                                               posixaio_backend(), libaio_backend(),   io_uring_backend(),
                                               null_backend()};
  return all;
}

void check_backend_options(const WorkloadSpec& s, const std::vector<BackendChoice>& chosen) {
  auto uses = [&](const char* name, const char* variant) {
    return std::any_of(chosen.begin(), chosen.end(), [&](auto& c) {
      return c.info->name == name && (!variant || c.variant == variant);
    });
  };
  if (s.sqpoll_idle_ms && !uses("io_uring", "sqpoll"))
    throw UsageError("--sqpoll-idle: only applies to io_uring:sqpoll, which this run does not include");
  if (s.libaio_batch && !uses("libaio", nullptr))
    throw UsageError("--libaio-batch: only applies to libaio, which this run does not include");
  if (s.posixaio_fds && !uses("posixaio", nullptr))
    throw UsageError("--posixaio-fds: only applies to posixaio, which this run does not include");
  if (s.posixaio_threads && !uses("posixaio", nullptr))
    throw UsageError("--posixaio-threads: only applies to posixaio, which this run does not include");
}

const BackendInfo* find_backend(const std::string& name) {
  for (auto& b : registry())
    if (b.name == name) return &b;
  return nullptr;
}

std::vector<BackendChoice> resolve_backends(const std::vector<std::string>& names) {
  std::vector<BackendChoice> out;
  auto add = [&](const BackendInfo& b, const std::string& v) {
    bool dup = std::any_of(out.begin(), out.end(), [&](auto& c) { return c.info == &b && c.variant == v; });
    if (!dup) out.push_back({&b, v});
  };
  for (const std::string& spec : names) {
    auto colon = spec.find(':');
    std::string name = spec.substr(0, colon);
    std::string variant = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (name == "all") {
      if (!variant.empty() && variant != "*")
        throw UsageError("--backend: 'all' takes no variant but ':*' (every variant), got '" + spec + "'");
      for (auto& b : registry())
        for (auto& v : b.variants) {
          add(b, v);
          if (variant.empty()) break;
        }
      continue;
    }
    const BackendInfo* b = find_backend(name);
    if (!b) {
      std::string accepted;
      for (auto& r : registry()) accepted += r.name + ", ";
      throw UsageError("--backend: unknown backend '" + name + "' (accepted: " + accepted + "all)");
    }
    if (variant == "*") {
      for (auto& v : b->variants) add(*b, v);
      continue;
    }
    if (variant.empty()) variant = b->variants.front();
    if (std::find(b->variants.begin(), b->variants.end(), variant) == b->variants.end()) {
      std::string accepted;
      for (auto& v : b->variants) accepted += (accepted.empty() ? "" : ", ") + v;
      throw UsageError("--backend: " + name + " has no variant '" + variant + "' (accepted: " + accepted + ", *)");
    }
    add(*b, variant);
  }
  return out;
}

}  // namespace iobench

#include <algorithm>
#include <stdexcept>

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

uint64_t& Counters::add(std::string_view name) {
  if (n_own == kMaxOwn) throw std::logic_error("more than Counters::kMaxOwn counters of a backend's own");
  own[n_own] = {name, 0};
  return own[n_own++].value;
}

uint64_t Counters::own_value(std::string_view name) const {
  for (size_t i = 0; i < n_own; ++i)
    if (own[i].name == name) return own[i].value;
  return 0;
}

void Counters::add_all(const Counters& from) {
  syscalls += from.syscalls;
  submit_batches += from.submit_batches;
  submitted += from.submitted;
  signals += from.signals;
  fsyncs += from.fsyncs;
  for (size_t i = 0; i < from.n_own; ++i) {
    auto it = std::find_if(own.begin(), own.begin() + static_cast<std::ptrdiff_t>(n_own),
                           [&](auto& e) { return e.name == from.own[i].name; });
    if (it == own.begin() + static_cast<std::ptrdiff_t>(n_own)) add(from.own[i].name) = from.own[i].value;
    else it->value += from.own[i].value;
  }
}

void Counters::subtract_all(const Counters& from) {
  syscalls -= from.syscalls;
  submit_batches -= from.submit_batches;
  submitted -= from.submitted;
  signals -= from.signals;
  fsyncs -= from.fsyncs;
  for (size_t i = 0; i < from.n_own; ++i)
    for (size_t j = 0; j < n_own; ++j)
      if (own[j].name == from.own[i].name) own[j].value -= from.own[i].value;
}

std::string BackendChoice::unavailable() const {
  std::string why = info->unavailable();
  if (why.empty() && info->variants[variant].unavailable) why = info->variants[variant].unavailable();
  return why;
}

const BackendInfo* find_backend(const std::string& name) {
  for (auto& b : registry())
    if (b.name == name) return &b;
  return nullptr;
}

std::vector<BackendChoice> resolve_backends(const std::vector<std::string>& names) {
  std::vector<BackendChoice> out;
  auto add = [&](const BackendInfo& b, unsigned v) {
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
        for (unsigned v = 0; v < (variant.empty() ? 1 : b.variants.size()); ++v) add(b, v);
      continue;
    }
    const BackendInfo* b = find_backend(name);
    if (!b) {
      std::string accepted;
      for (auto& r : registry()) accepted += r.name + ", ";
      throw UsageError("--backend: unknown backend '" + name + "' (accepted: " + accepted + "all)");
    }
    if (variant == "*") {
      for (unsigned v = 0; v < b->variants.size(); ++v) add(*b, v);
      continue;
    }
    if (variant.empty()) variant = b->variants.front().name;
    for (auto& no : b->refused)
      if (no.name == variant) throw UsageError("--backend: " + name + ":" + variant + " is not offered: " + no.why);
    auto it = std::find_if(b->variants.begin(), b->variants.end(), [&](auto& v) { return v.name == variant; });
    if (it == b->variants.end()) {
      std::string accepted;
      for (auto& v : b->variants) accepted += (accepted.empty() ? "" : ", ") + v.name;
      throw UsageError("--backend: " + name + " has no variant '" + variant + "' (accepted: " + accepted + ", *)");
    }
    add(*b, static_cast<unsigned>(it - b->variants.begin()));
  }
  return out;
}

}  // namespace iobench

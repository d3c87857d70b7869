#pragma once
// Options that belong to one target or backend (--emu-latency, --sqpoll-idle):
// the owner declares them here, and the workload parser, the CLI flags, the
// "not used by this run" check and `list --json` all read that declaration.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iobench {

enum class OptionType {
  Count,     // an integer
  Duration,  // "200us", "5ms"; stored in ns
  Size,      // "4k", "100M"; stored in bytes
  Choice,    // one of the names in `choices` ("request|stream"); stored as its index
  // Names from `choices` joined by '+' ("coop+single"), or "none"; stored as
  // a bit mask (bit i: name i). A list of sets sweeps, as --qd's list does.
  FlagSet,
};

struct OptionDecl {
  std::string_view field;  // workload field; the flag is the same with '-' for '_'
  std::string_view owner;  // "emu", "driver" (targets) or "libaio", "io_uring:sqpoll" (backends)
  OptionType type;
  uint64_t min, max;       // accepted range, in the stored unit
  std::optional<uint64_t> fallback;  // used when not given (and reported); none = the owner decides
  std::string_view help;
  std::string_view json_key;  // key in a result's workload object
  bool zero_means_none = false;  // 0 is accepted besides [min, max] ("no limit")
  std::string_view choices = {};  // Choice: the names, '|'-separated, in index order

  // Choice: the name of value i ("" when out of range).
  std::string_view choice(uint64_t i) const {
    std::string_view rest = choices;
    for (;; --i) {
      const size_t bar = rest.find('|');
      if (i == 0) return rest.substr(0, bar);
      if (bar == std::string_view::npos) return {};
      rest.remove_prefix(bar + 1);
    }
  }

  // FlagSet: "coop+single" for a mask, "none" for 0.
  std::string flag_set_name(uint64_t mask) const {
    std::string out;
    for (uint64_t i = 0; !choice(i).empty(); ++i)
      if (mask >> i & 1) out += (out.empty() ? "" : "+") + std::string(choice(i));
    return out.empty() ? "none" : out;
  }

  std::string flag() const {
    std::string f = "--" + std::string(field);
    for (char& c : f)
      if (c == '_') c = '-';
    return f;
  }
};

}  // namespace iobench

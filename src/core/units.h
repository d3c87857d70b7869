#pragma once
// Parsing and printing of the quantities users type: sizes and durations.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iobench {

// "4096", "4k", "1M", "1G", "1T" (binary multiples, case-insensitive, optional "B"/"iB").
std::optional<uint64_t> parse_size(std::string_view s);
// "200us", "500ms", "5s", "2m", "100ns"; a bare number is seconds.
std::optional<uint64_t> parse_duration_ns(std::string_view s);

std::string format_size(uint64_t bytes);     // 4096 -> "4k"
std::string format_duration(uint64_t ns);    // 1500000 -> "1.5ms"
std::string format_count(double v);          // 123456 -> "123.5k"

inline constexpr const char* kSizeHelp = "a size such as 4096, 4k, 1M or 1G";
inline constexpr const char* kDurationHelp = "a duration such as 200us, 500ms, 5s or 2m";

}  // namespace iobench

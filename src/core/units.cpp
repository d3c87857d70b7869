#include "core/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace iobench {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

// Splits "12.5ms" into 12.5 and "ms"; rejects empty numbers, signs and junk.
bool split_number(std::string_view s, double& value, std::string& suffix) {
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) return false;
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  auto res = std::from_chars(s.data(), s.data() + i, value);
  if (res.ec != std::errc() || res.ptr != s.data() + i || !std::isfinite(value)) return false;
  suffix = lower(s.substr(i));
  return true;
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view s) {
  double v = 0;
  std::string suf;
  if (!split_number(s, v, suf)) return std::nullopt;
  if (suf.ends_with("ib")) suf.resize(suf.size() - 2);
  else if (suf.size() == 2 && suf[1] == 'b') suf.resize(1);
  else if (suf == "b") suf.clear();
  double mult = 1;
  if (suf.empty()) mult = 1;
  else if (suf == "k") mult = 1024.0;
  else if (suf == "m") mult = 1024.0 * 1024;
  else if (suf == "g") mult = 1024.0 * 1024 * 1024;
  else if (suf == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  double bytes = v * mult;
  if (bytes != std::floor(bytes) || bytes > 9.0e18) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_ns(std::string_view s) {
  double v = 0;
  std::string suf;
  if (!split_number(s, v, suf)) return std::nullopt;
  double mult;
  if (suf.empty() || suf == "s") mult = 1e9;
  else if (suf == "ns") mult = 1;
  else if (suf == "us") mult = 1e3;
  else if (suf == "ms") mult = 1e6;
  else if (suf == "m" || suf == "min") mult = 60e9;
  else if (suf == "h") mult = 3600e9;
  else return std::nullopt;
  double ns = v * mult;
  if (ns > 9.0e18 || ns != std::floor(ns)) return std::nullopt;
  return static_cast<uint64_t>(ns);
}

std::string format_size(uint64_t bytes) {
  static const char* suffixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (i < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++i;
  }
  return std::to_string(bytes) + suffixes[i];
}

std::string format_duration(uint64_t ns) {
  char buf[32];
  double v = static_cast<double>(ns);
  if (ns < 1000) std::snprintf(buf, sizeof buf, "%lluns", static_cast<unsigned long long>(ns));
  else if (ns < 1000000) std::snprintf(buf, sizeof buf, "%.4gus", v / 1e3);
  else if (ns < 1000000000) std::snprintf(buf, sizeof buf, "%.4gms", v / 1e6);
  else std::snprintf(buf, sizeof buf, "%.4gs", v / 1e9);
  return buf;
}

std::string format_count(double v) {
  char buf[32];
  if (v < 1e3) std::snprintf(buf, sizeof buf, "%.4g", v);
  else if (v < 1e6) std::snprintf(buf, sizeof buf, "%.4gk", v / 1e3);
  else if (v < 1e9) std::snprintf(buf, sizeof buf, "%.4gM", v / 1e6);
  else std::snprintf(buf, sizeof buf, "%.4gG", v / 1e9);
  return buf;
}

}  // namespace iobench

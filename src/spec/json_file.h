#pragma once
// JSON that comes from users (workload files, result documents for compare):
// read with a bounded depth, and shown in messages without echoing it whole.
#include <string>

#include <nlohmann/json.hpp>

namespace iobench {

inline constexpr int kMaxJsonDepth = 64;

// The document in `path`, or UsageError with one line naming `flag`: cannot
// open, not JSON (with the byte), or nested deeper than kMaxJsonDepth.
nlohmann::json read_json_file(const std::string& path, const std::string& flag);

// A value as a message shows it: a string quoted, escaped and cut at 64
// characters; an array or object by its size; anything else as JSON.
std::string shown(const nlohmann::json& v);

// A document as iobench writes it: a byte that is not UTF-8 (a path or a
// command line can hold one) becomes U+FFFD instead of failing the write.
std::string dump_text(const nlohmann::json& v, int indent = -1);

// Whether a string can go into a JSON document as it is.
bool is_utf8(const std::string& s);

}  // namespace iobench

#include "spec/json_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "core/errors.h"

namespace iobench {

using json = nlohmann::json;

json read_json_file(const std::string& path, const std::string& flag) {
  // Opening a FIFO with no writer would block with the stop signals blocked:
  // only regular files are read.
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw UsageError(flag + ": '" + path + "' is not a regular file (a FIFO, a device or a directory)");
  std::ifstream in(path);
  if (!in) throw UsageError(flag + ": cannot open '" + path + "': " + errno_text(errno));
  // The parser itself keeps a stack, but printing or destroying a value
  // thousands of levels deep recurses: refuse such input while reading it.
  const json::parser_callback_t bounded = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth)
      throw UsageError(flag + ": '" + path + "' is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  };
  try {
    return json::parse(in, bounded);
  } catch (const json::parse_error& e) {
    // e.what() is long and multi-part; keep the byte position only.
    throw UsageError(flag + ": '" + path + "' is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  } catch (const json::out_of_range&) {  // 1E400: valid JSON, but no double holds it
    throw UsageError(flag + ": '" + path + "' holds a number beyond the range of a double");
  }
}

std::string dump_text(const json& v, int indent) { return v.dump(indent, ' ', false, json::error_handler_t::replace); }

bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

std::string shown(const json& v) {
  if (v.is_array()) return "an array of " + std::to_string(v.size());
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " fields";
  if (!v.is_string()) return v.dump();
  constexpr size_t kMax = 64;
  const std::string& s = v.get_ref<const std::string&>();
  const bool utf8 = is_utf8(s);  // else its bytes above 0x7f are shown escaped too
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '\'') out += '\\', out += static_cast<char>(c);
    else if (c >= 0x20 && c != 0x7f && (utf8 || c < 0x80)) out += static_cast<char>(c);
    else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    }
  }
  if (s.size() > kMax) out += "...' (" + std::to_string(s.size()) + " bytes)";
  else out += "'";
  return out;
}

}  // namespace iobench

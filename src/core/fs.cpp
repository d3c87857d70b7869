#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "core/errors.h"

namespace iobench {

void write_atomic(const std::string& path, const std::string& data) {
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.find_last_of('/') + 1);
  std::string tmp = (dir == "." ? "./" : dir) + ".iobench-tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw RuntimeError("cannot write '" + path + "': " + errno_text(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw RuntimeError("cannot write '" + path + "': " + errno_text(e));
    }
    off += static_cast<size_t>(n);
  }
  // Data on disk before the name points at it, so a crash leaves old or new.
  bool ok = ::fsync(fd) == 0 && ::fchmod(fd, 0644) == 0;
  int e = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    e = ok ? errno : e;
    ::unlink(tmp.c_str());
    throw RuntimeError("cannot write '" + path + "': " + errno_text(e));
  }
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/var/tmp";
}

std::vector<std::string> cpu_idle_states() {
  std::vector<std::string> out;
  for (int i = 0;; ++i) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cpuidle/state" + std::to_string(i) + "/name");
    std::string name;
    if (!std::getline(in, name)) return out;
    out.push_back(name);
  }
}

}  // namespace iobench

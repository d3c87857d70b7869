#pragma once
// Files iobench itself writes and creates.
#include <string>
#include <vector>

namespace iobench {

// Refuses, with UsageError naming `flag`, an output path iobench must not
// write: an existing object that is not a regular file (a device node, a
// directory, a FIFO) or is a symbolic link, or a parent directory that is
// missing or not writable. Called before anything is measured.
void check_output_path(const std::string& path, const std::string& flag);

// Whether two paths that passed check_output_path name the same file
// (hard links aside): the same directory and the same name.
bool same_file_path(const std::string& a, const std::string& b);

// A file written under a temporary name in its directory and renamed onto
// `path` by commit(), so a reader never sees half a document and a failed
// write leaves the old one. Destroyed uncommitted, the temporary is removed.
// Throws RuntimeError.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  const std::string& temp_path() const { return tmp_; }
  void write(const std::string& data);
  // fsync, then rename onto the path, unless something other than a
  // regular file appeared there meanwhile.
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// An AtomicFile holding `data`.
void write_atomic(const std::string& path, const std::string& data);

// The directory for temporary files: $TMPDIR, else /var/tmp (disk-backed on
// most systems, unlike a tmpfs /tmp, which refuses O_DIRECT before Linux 6.6).
std::string temp_dir();

// The idle states CPU 0 may enter (cpuidle's names: "POLL", "haltpoll",
// "C1", ...); empty where cpuidle is absent. Any but POLL halts the CPU, and
// waking a halted CPU is part of every wake-up's latency.
std::vector<std::string> cpu_idle_states();

}  // namespace iobench

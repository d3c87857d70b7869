#pragma once
// Files iobench itself writes and creates.
#include <string>
#include <vector>

namespace iobench {

// Writes via a temporary file in the same directory and rename(2), so a reader
// never sees half a document. Throws RuntimeError.
void write_atomic(const std::string& path, const std::string& data);

// The directory for temporary files: $TMPDIR, else /var/tmp (disk-backed on
// most systems, unlike a tmpfs /tmp, which refuses O_DIRECT before Linux 6.6).
std::string temp_dir();

// The idle states CPU 0 may enter (cpuidle's names: "POLL", "haltpoll",
// "C1", ...); empty where cpuidle is absent. Any but POLL halts the CPU, and
// waking a halted CPU is part of every wake-up's latency.
std::vector<std::string> cpu_idle_states();

}  // namespace iobench

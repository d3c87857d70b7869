#pragma once
// Files iobench itself writes and creates.
#include <string>

namespace iobench {

// Writes via a temporary file in the same directory and rename(2), so a reader
// never sees half a document. Throws RuntimeError.
void write_atomic(const std::string& path, const std::string& data);

// The directory for temporary files: $TMPDIR, else /var/tmp (disk-backed on
// most systems, unlike a tmpfs /tmp, which refuses O_DIRECT before Linux 6.6).
std::string temp_dir();

}  // namespace iobench

#pragma once
// Facts about this build, in one generated translation unit (build_info.cpp,
// refreshed at every build), so only it is recompiled when the commit changes.
namespace iobench::build_info {
extern const char* const kVersion;
extern const char* const kGitSha;           // short SHA, "-dirty" with uncommitted changes
extern const char* const kLiburingVersion;  // the liburing the build found
}  // namespace iobench::build_info

#pragma once
// The data pattern shared by iobench's writes, its file layout, the emu target
// and the kernel driver (module/iobench.c computes the same words), so that
// --verify can check any 512-byte sector read back against where it came from.
//
// Sector layout (little-endian u64 words):
//   [0] kMagic  [1] absolute byte offset  [2] seed  [3] checksum of [4..63]
//   [4..63] splitmix64(offset ^ (seed * kSeedMul) ^ i)
// Devices use seed 0. A device (emu, the driver) replaces word 4 of a
// block's first sector with the CLOCK_MONOTONIC time the block became ready
// and corrects the checksum (stamp_ready): word 4 is covered by the checksum
// but not compared with the payload, so a stamped block still verifies.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/random.h"

namespace iobench::pattern {

inline constexpr size_t kSector = 512;
inline constexpr size_t kWords = kSector / 8;
inline constexpr uint64_t kMagic = 0x49424e4348534543ULL;  // "IBNCHSEC"
inline constexpr uint64_t kSeedMul = 0x9e3779b97f4a7c15ULL;

inline uint64_t payload_word(uint64_t offset, uint64_t seed, uint64_t i) {
  return splitmix64(offset ^ (seed * kSeedMul) ^ i);
}

inline uint64_t fold(uint64_t acc, uint64_t w) { return ((acc << 7) | (acc >> 57)) ^ w; }

inline void fill_sector(void* dst, uint64_t offset, uint64_t seed) {
  uint64_t w[kWords];
  uint64_t sum = 0;
  for (size_t i = 4; i < kWords; ++i) sum = fold(sum, w[i] = payload_word(offset, seed, i));
  w[0] = kMagic;
  w[1] = offset;
  w[2] = seed;
  w[3] = sum;
  std::memcpy(dst, w, sizeof w);
}

// Fills [buf, buf+len) as the bytes at absolute `offset`; both multiples of kSector.
inline void fill(void* buf, size_t len, uint64_t offset, uint64_t seed) {
  auto* p = static_cast<unsigned char*>(buf);
  for (size_t done = 0; done < len; done += kSector) fill_sector(p + done, offset + done, seed);
}

inline constexpr size_t kReadyWord = 4;
// fold() rotates word i left by 7 for each of the words after it: word 4 ends
// up rotated 7 * 59 times, so changing it changes the checksum by that rotation.
inline constexpr unsigned kReadyRot = (7 * (kWords - 1 - kReadyWord)) % 64;

// Stamps the sector at `dst` with a device's ready time, keeping it valid.
inline void stamp_ready(void* dst, uint64_t t) {
  uint64_t w[4 + 1];
  std::memcpy(w, dst, sizeof w);
  const uint64_t d = w[kReadyWord] ^ t;
  w[3] ^= (d << kReadyRot) | (d >> ((64 - kReadyRot) % 64));
  w[kReadyWord] = t;
  std::memcpy(dst, w, sizeof w);
}

inline uint64_t ready_stamp(const void* src) {
  uint64_t t;
  std::memcpy(&t, static_cast<const unsigned char*>(src) + kReadyWord * 8, sizeof t);
  return t;
}

enum class Check { Ok, BadMagic, BadOffset, BadChecksum };

inline Check check_sector(const void* src, uint64_t offset, uint64_t* found_offset) {
  uint64_t w[kWords];
  std::memcpy(w, src, sizeof w);
  *found_offset = w[1];
  if (w[0] != kMagic) return Check::BadMagic;
  if (w[1] != offset) return Check::BadOffset;
  uint64_t sum = 0;
  for (size_t i = 4; i < kWords; ++i) {
    if (i != kReadyWord && w[i] != payload_word(offset, w[2], i)) return Check::BadChecksum;
    sum = fold(sum, w[i]);
  }
  return sum == w[3] ? Check::Ok : Check::BadChecksum;
}

}  // namespace iobench::pattern

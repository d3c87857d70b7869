#include <gtest/gtest.h>

#include <vector>

#include "core/pattern.h"

using namespace iobench;

TEST(Pattern, RoundTripAndDetection) {
  std::vector<unsigned char> buf(8192);
  pattern::fill(buf.data(), buf.size(), 1 << 20, 99);
  uint64_t found = 0;
  for (size_t off = 0; off < buf.size(); off += pattern::kSector)
    EXPECT_EQ(pattern::check_sector(buf.data() + off, (1 << 20) + off, &found), pattern::Check::Ok);
  // Read back from the wrong place: the stamp says where it came from.
  EXPECT_EQ(pattern::check_sector(buf.data(), 4096, &found), pattern::Check::BadOffset);
  EXPECT_EQ(found, uint64_t{1} << 20);
  // A flipped bit in the payload.
  buf[700] ^= 1;
  EXPECT_EQ(pattern::check_sector(buf.data() + 512, (1 << 20) + 512, &found), pattern::Check::BadChecksum);
  // Zeros (a hole) have no stamp.
  std::vector<unsigned char> zero(512);
  EXPECT_EQ(pattern::check_sector(zero.data(), 0, &found), pattern::Check::BadMagic);
}

TEST(Pattern, SeedChangesData) {
  std::vector<unsigned char> a(512), b(512);
  pattern::fill(a.data(), 512, 0, 1);
  pattern::fill(b.data(), 512, 0, 2);
  EXPECT_NE(a, b);
  uint64_t found;
  EXPECT_EQ(pattern::check_sector(b.data(), 0, &found), pattern::Check::Ok);  // any seed verifies
}

// The sector format is a contract between iobench, files it laid out earlier,
// and the kernel driver (module/iobench.c), which checks the same vector in
// its init (iob_selftest): a change to either side fails here or at insmod.
TEST(Pattern, GoldenVector) {
  uint64_t w[pattern::kWords];
  pattern::fill_sector(w, 12800, 0);
  EXPECT_EQ(w[0], pattern::kMagic);
  EXPECT_EQ(w[1], 12800u);
  EXPECT_EQ(w[2], 0u);
  EXPECT_EQ(w[3], 0x0e3a2eabaa850073ULL);  // checksum of words 4..63
  EXPECT_EQ(w[4], 0x41c03e8087d59550ULL);
  EXPECT_EQ(w[63], 0xbc776a99004bf26cULL);
}

// A device's ready stamp rides in word 4 and the block still verifies; a
// flipped stamp bit does not.
TEST(Pattern, ReadyStampKeepsTheSectorValid) {
  std::vector<unsigned char> buf(512);
  pattern::fill(buf.data(), 512, 4096, 0);
  pattern::stamp_ready(buf.data(), 123456789012345ULL);
  uint64_t found;
  EXPECT_EQ(pattern::ready_stamp(buf.data()), 123456789012345ULL);
  EXPECT_EQ(pattern::check_sector(buf.data(), 4096, &found), pattern::Check::Ok);
  pattern::stamp_ready(buf.data(), 1);  // stamped twice: the checksum follows
  EXPECT_EQ(pattern::check_sector(buf.data(), 4096, &found), pattern::Check::Ok);
  buf[pattern::kReadyWord * 8 + 3] ^= 4;
  EXPECT_EQ(pattern::check_sector(buf.data(), 4096, &found), pattern::Check::BadChecksum);
}

#include <gtest/gtest.h>

#include "core/units.h"

using namespace iobench;

TEST(Units, SizesAcceptBinarySuffixes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("1M"), 1048576u);
  EXPECT_EQ(parse_size("1G"), 1073741824u);
  EXPECT_EQ(parse_size("1.5k"), 1536u);
  EXPECT_EQ(parse_size("2T"), 2199023255552u);
}

TEST(Units, SizesRejectJunk) {
  for (const char* s : {"", "k", "-4k", "4x", "4kk", "1.3", "abc", "4 k", "1e3"}) EXPECT_FALSE(parse_size(s)) << s;
}

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration_ns("200us"), 200'000u);
  EXPECT_EQ(parse_duration_ns("500ms"), 500'000'000u);
  EXPECT_EQ(parse_duration_ns("5s"), 5'000'000'000u);
  EXPECT_EQ(parse_duration_ns("5"), 5'000'000'000u);
  EXPECT_EQ(parse_duration_ns("2m"), 120'000'000'000u);
  EXPECT_EQ(parse_duration_ns("100ns"), 100u);
  EXPECT_EQ(parse_duration_ns("1.5ms"), 1'500'000u);
  for (const char* s : {"", "ms", "-1s", "5x", "1.5ns", "s5"}) EXPECT_FALSE(parse_duration_ns(s)) << s;
}

TEST(Units, Formatting) {
  EXPECT_EQ(format_size(4096), "4k");
  EXPECT_EQ(format_size(1 << 20), "1M");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_duration(1'500'000), "1.5ms");
  EXPECT_EQ(format_duration(999), "999ns");
  EXPECT_EQ(format_count(123456), "123.5k");
}

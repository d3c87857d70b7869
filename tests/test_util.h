#pragma once
// Helpers shared by the parameterised tests.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

// "io_uring:sqpoll" -> "io_uring_sqpoll": a valid test and file name.
inline std::string identifier(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

inline std::string param_name(const testing::TestParamInfo<std::string>& p) { return identifier(p.param); }

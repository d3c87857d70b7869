#pragma once
// Result documents read back (compare, history): loaded with their shape
// checked, and keyed by what they measured.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/figures.h"

namespace iobench {

// The figures with a better direction: the ones compare and history judge.
std::vector<const Figure*> compared_figures();

// Reads an iobench result document of this schema version; anything else
// (another file, a document edited by hand or cut short) is a UsageError
// naming `which`, the path and the part that is wrong.
nlohmann::json load_doc(const std::string& path, const char* which);

// What identifies "the same measurement" in two runs: every workload field
// that changes the work (not its name or how often it was repeated), the
// backend and variant, and what the target is (not what it counted; a
// temporary file's path differs every run).
std::string match_key(const nlohmann::json& result);

// How a result is shown: the parts a reader tells results apart by.
std::string key_of(const nlohmann::json& result);

// A figure's value in each repetition of a result.
std::vector<double> samples(const nlohmann::json& result, const Figure& f);
double mean(const std::vector<double>& v);

}  // namespace iobench

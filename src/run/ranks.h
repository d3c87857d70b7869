#pragma once
// One repetition measured by every rank of an MPI run, made into one: each
// rank packs its metrics, rank 0 merges them exactly (histograms bucket by
// bucket) and keeps each rank's own figures so stragglers show.
#include <optional>
#include <vector>

#include "run/group.h"
#include "run/metrics.h"

namespace iobench {

// Every rank calls it with its repetition's metrics (none: it measured
// nothing). Rank 0 gets the merge of all of them: counts, CPU and
// histograms added, runtime the longest (every rank started at one barrier,
// so that is from the first start to the last end), and each rank's own
// metrics added into `ranks`; false when some rank measured nothing (the
// repetition then counts nowhere). The other ranks get true and `m` as it was.
bool merge_ranks(Group& g, std::optional<Metrics>& m, std::vector<RankFigures>& ranks);

}  // namespace iobench

#pragma once
// The processes that run one measurement together: one (a plain run) or the
// ranks of an MPI job (mpi/). The runner calls these at the same places on
// every rank, in the same order, whatever happened locally: a decision that
// one rank makes alone (skip, fail, stop) would leave the others waiting in
// a collective call forever. docs/multi-host.md.
#include <string>
#include <vector>

namespace iobench {

class Group {
 public:
  virtual ~Group() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  bool alone() const { return size() == 1; }
  virtual std::string host() const;

  // Returns when every rank has called it.
  virtual void barrier() {}

  // Every rank offers a severity (0: nothing to say) and why; every rank gets
  // the highest one, with the reason of the lowest rank that had it (prefixed
  // with that rank and host when there are several ranks).
  struct Verdict {
    int severity = 0;
    std::string reason;
  };
  virtual Verdict worst(int severity, const std::string& reason) { return {severity, reason}; }

  // --stonewall within one measurement: this rank finished its requests; has
  // any rank? settle() ends the measurement's exchange on every rank.
  virtual void announce_done() {}
  virtual bool anyone_done() { return false; }
  virtual void settle() {}

  // Every rank gets rank 0's text.
  virtual std::string broadcast(const std::string& text) { return text; }

  // Rank 0 gets every rank's blob, in rank order; the others get nothing.
  virtual std::vector<std::string> gather(const std::string& blob) { return {blob}; }
};

// A run of one process.
Group& solo();

}  // namespace iobench

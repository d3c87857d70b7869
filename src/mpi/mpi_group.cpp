// The ranks of an MPI job as the runner's Group: collectives on
// MPI_COMM_WORLD, called from the main thread only (MPI_THREAD_FUNNELED).
#include <mpi.h>

#include <cstdint>
#include <exception>

#include "core/errors.h"
#include "mpi/launch.h"

namespace iobench {
namespace {

constexpr int kStonewallTag = 7001;

class MpiGroup final : public Group {
 public:
  MpiGroup() {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw RuntimeError("MPI_Init_thread failed");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    host_ = Group::host();
    // Every rank's host, for the reasons that name a rank.
    char mine[MPI_MAX_PROCESSOR_NAME] = {};
    host_.copy(mine, sizeof mine - 1);
    std::vector<char> all(static_cast<size_t>(size_) * MPI_MAX_PROCESSOR_NAME);
    MPI_Allgather(mine, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    for (int k = 0; k < size_; ++k) hosts_.emplace_back(all.data() + static_cast<size_t>(k) * MPI_MAX_PROCESSOR_NAME);
  }
  ~MpiGroup() override {
    // After a failure the process exits with its code and mpirun ends the
    // job; a rank that finalized there would wait for the others forever.
    if (!std::uncaught_exceptions()) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string host() const override { return host_; }

  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  Verdict worst(int severity, const std::string& reason) override {
    // The highest severity, and of the ranks with it the lowest (MAXLOC
    // keeps the lowest index among equal values).
    struct {
      int value, rank;
    } mine{severity, rank_}, top{};
    MPI_Allreduce(&mine, &top, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD);
    Verdict v{top.value, ""};
    if (!v.severity) return v;
    int n = top.rank == rank_ ? static_cast<int>(reason.size()) : 0;
    MPI_Bcast(&n, 1, MPI_INT, top.rank, MPI_COMM_WORLD);
    v.reason = top.rank == rank_ ? reason : std::string(static_cast<size_t>(n), '\0');
    MPI_Bcast(v.reason.data(), n, MPI_CHAR, top.rank, MPI_COMM_WORLD);
    if (!v.reason.empty())
      v.reason = "rank " + std::to_string(top.rank) + " (" + hosts_[static_cast<size_t>(top.rank)] + "): " + v.reason;
    return v;
  }

  void announce_done() override {
    announced_ = true;
    for (int r = 0; r < size_; ++r)
      if (r != rank_) {
        sends_.emplace_back();
        MPI_Isend(nullptr, 0, MPI_BYTE, r, kStonewallTag, MPI_COMM_WORLD, &sends_.back());
      }
  }
  bool anyone_done() override {
    if (announced_ || received_) return true;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, kStonewallTag, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (flag) receive();
    return flag;
  }
  // Every announcement of this measurement is received before the next
  // one starts: each rank learns how many ranks announced and takes the
  // messages still on their way.
  void settle() override {
    int mine = announced_, total = 0;
    MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    while (received_ < total - mine) receive();
    if (!sends_.empty()) MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
    sends_.clear();
    announced_ = false;
    received_ = 0;
  }

  std::string broadcast(const std::string& text) override {
    int n = static_cast<int>(text.size());
    MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? text : std::string(static_cast<size_t>(n), '\0');
    MPI_Bcast(out.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
  }

  std::vector<std::string> gather(const std::string& blob) override {
    int n = static_cast<int>(blob.size());
    std::vector<int> sizes(rank_ == 0 ? static_cast<size_t>(size_) : 0), at;
    MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank_ == 0) {
      int total = 0;
      for (int s : sizes) at.push_back(total), total += s;
      all.resize(static_cast<size_t>(total));
    }
    MPI_Gatherv(blob.data(), n, MPI_CHAR, all.data(), sizes.data(), at.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (size_t r = 0; r < sizes.size(); ++r)
      out.push_back(all.substr(static_cast<size_t>(at[r]), static_cast<size_t>(sizes[r])));
    return out;
  }

 private:
  void receive() {
    MPI_Recv(nullptr, 0, MPI_BYTE, MPI_ANY_SOURCE, kStonewallTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    ++received_;
  }
  int rank_ = 0, size_ = 1;
  std::string host_;
  std::vector<std::string> hosts_;
  bool announced_ = false;
  int received_ = 0;
  std::vector<MPI_Request> sends_;
};

}  // namespace

bool built_with_mpi() { return true; }

std::unique_ptr<Group> join_mpi_job() {
  if (!started_by_mpirun()) return nullptr;
  return std::make_unique<MpiGroup>();
}

}  // namespace iobench

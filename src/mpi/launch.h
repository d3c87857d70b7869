#pragma once
// iobench under mpirun (docs/multi-host.md): the ranks as a Group.
#include <memory>

#include "run/group.h"

namespace iobench {

// Whether this build can run under mpirun (-DIOBENCH_MPI).
bool built_with_mpi();

// Joins the MPI job this process was started in (MPI_Init; MPI_Finalize
// when the returned group goes away after a normal end), or nullptr when
// mpirun did not start it. A build without MPI started by mpirun is
// refused (UsageError): every rank would run alone and write the same files.
std::unique_ptr<Group> join_mpi_job();

// mpirun's environment (Open MPI, or a PMI/PMIx launcher) is there.
bool started_by_mpirun();

}  // namespace iobench

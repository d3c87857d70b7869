// A build without MPI: iobench runs alone, and says so under mpirun.
#include "core/errors.h"
#include "mpi/launch.h"

namespace iobench {

bool built_with_mpi() { return false; }

std::unique_ptr<Group> join_mpi_job() {
  if (started_by_mpirun())
    throw UsageError("this iobench was built without MPI (iobench list says so; build with libopenmpi-dev "
                     "installed, or -DIOBENCH_MPI=ON): under mpirun every rank would run alone");
  return nullptr;
}

}  // namespace iobench

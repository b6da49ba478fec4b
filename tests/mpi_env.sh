# Sourced by the MPI tests (e2e_mpi_sweep.sh, e2e_dp.sh): find the MPI build
# and mpirun, or exit 77 (skipped) saying what is missing; define mpi_run.
#   mpi_run NP ARGS...   runs ARGS under mpirun with NP ranks on this machine
# Options for a test on one machine, as root, with few cores, in containers:
#   --allow-run-as-root  CI runs as root, which mpirun refuses by default
#   --oversubscribe      more ranks than cores (2 cores here)
#   --mca plm isolated   start ranks locally without ssh (minimal systems have none)
#   --mca btl self,vader shared memory only: no network interfaces to probe
#   --mca btl_vader_single_copy_mechanism none   cross-memory attach needs ptrace,
#                        which containers often forbid
SB_MPI=${SB_MPI_BIN:-build/mpi/sharebench}
if ! command -v mpirun >/dev/null 2>&1; then
  echo "skipped: Open MPI is not installed (apt-get install libopenmpi-dev openmpi-bin, or make deps)"
  exit 77
fi
if [ ! -x "$SB_MPI" ]; then
  echo "skipped: no MPI build at $SB_MPI (make MPI=1)"
  exit 77
fi
# Under make test SANITIZE=1: LeakSanitizer would report what Open MPI keeps until
# exit; suppress that (tests/lsan-openmpi.supp), with whole stacks (Open MPI has no
# frame pointers) and its components kept loaded so their frames have names.
export OMPI_MCA_mca_base_component_disable_dlclose=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan-openmpi.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
MPI_OPTS=(--oversubscribe --mca plm isolated --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
[ "$(id -u)" = 0 ] && MPI_OPTS+=(--allow-run-as-root)
# a hung job fails the test (exit 124) rather than hanging it
mpi_run() { local np=$1; shift; timeout -k 10 300 mpirun "${MPI_OPTS[@]}" -np "$np" "$@"; }

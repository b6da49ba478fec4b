/*
** mpienv.c: the MPI environment behind mpienv.h. Everything else that talks MPI is
** in mpi_sweep.c (distributed sweeps) and dp.c (data-parallel training).
*/
#include "mpienv.h"
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef SB_MPI
#include <mpi.h>
#endif

static int started, rank, size = 1, local_size = 1;
static char host[256];

int sb_mpi_built(void)
{
#ifdef SB_MPI
    return 1;
#else
    return 0;
#endif
}

int sb_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

static int env_int(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && n > 0 && n < 1 << 30 ? (int)n : 0;
}

int sb_mpi_launched_size(void)
{
    if (!sb_mpi_launched()) return 0;
    int n = env_int("OMPI_COMM_WORLD_SIZE");
    if (!n) n = env_int("PMI_SIZE");
    if (!n && getenv("PMIX_RANK")) n = env_int("SLURM_STEP_NUM_TASKS");
    return n ? n : -1;
}

int sb_mpi_launched_rank(void)
{
    const char *names[] = { "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK" };
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

int sb_mpi_start(char *err, size_t errlen)
{
    if (started) return 0;
#ifdef SB_MPI
    int provided;
    /* FUNNELED: OpenMP threads compute, only the main thread calls MPI */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    int len = 0;
    char name[MPI_MAX_PROCESSOR_NAME];
    MPI_Get_processor_name(name, &len);
    snprintf(host, sizeof host, "%.*s", len, name);
    started = 1;
    return 0;
#else
    snprintf(err, errlen, "this sharebench was built without MPI; build it with 'make MPI=1' (build/mpi/sharebench) "
             "to run under mpirun or srun");
    return -1;
#endif
}

void sb_mpi_finish(void)
{
#ifdef SB_MPI
    if (started) MPI_Finalize();
#endif
    started = 0;
    rank = 0;
    size = local_size = 1;
}

int sb_mpi_rank(void) { return rank; }
int sb_mpi_size(void) { return size; }

const char *sb_mpi_host(void)
{
    if (!host[0] && gethostname(host, sizeof host)) snprintf(host, sizeof host, "unknown");
    return host;
}

int sb_mpi_threads_per_rank(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    int mine = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)cores;
    int share = (int)(cores / (local_size > 0 ? local_size : 1));
    int n = mine < share ? mine : share;
    return n > 0 ? n : 1;
}

void sb_mpi_abort(int status)
{
    fflush(NULL);
#ifdef SB_MPI
    if (started) MPI_Abort(MPI_COMM_WORLD, status);
#endif
    exit(status);
}

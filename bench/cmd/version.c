/*
** version.c: `sharebench --version` (see version.h). The first line is the
** program and its version alone, as GNU tools print it (help2man reads it);
** the BLAS's build and the kernels it picked for this CPU follow, and the
** library of the matrix products, since they decide the speed figures
** (OpenBLAS and oneDNN pick their kernels at run time).
*/
#include "version.h"
#include "sys/machine.h"
#include "sys/datadir.h"
#include "sys/provenance.h"
#include "core/gemm.h"
#include "results/store.h"
#include <cblas.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_version.h>
#include <limits.h>

#ifndef SB_BUILD_CC
#define SB_BUILD_CC "unknown"
#endif
#ifndef SB_BUILD_FLAGS
#define SB_BUILD_FLAGS "unknown"
#endif

void sb_version_print(FILE *f)
{
    sb_machine m;
    char dir[PATH_MAX], gemm[160];
    sb_machine_read(&m);
    fprintf(f, "sharebench %s\n", m.version);
    fprintf(f, "sources: SHA-256 %s (%s)\n", sb_build_source_hash,
            sb_build_dirty ? "built from a tree with uncommitted changes" : "as committed");
    fprintf(f, "BLAS: %s\n", openblas_get_config());
    fprintf(f, "BLAS kernels: %s (on %s, %d cores)\n", openblas_get_corename(), m.cpu, m.cores);
    sb_gemm_describe(gemm, sizeof gemm);
    fprintf(f, "%s\n", gemm);
    fprintf(f, "built with: %s %s\n", SB_BUILD_CC, SB_BUILD_FLAGS);
    fprintf(f, "libraries: SQLite %s, cJSON %s, GSL %s\n", sb_store_sqlite_version(), cJSON_Version(), GSL_VERSION);
    fprintf(f, "data: %s\n", sb_data_dir(dir, sizeof dir) ? "not found (set SHAREBENCH_DATA)" : dir);
}

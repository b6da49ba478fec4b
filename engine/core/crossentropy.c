/*
** crossentropy.c: fused softmax and cross-entropy over the vocabulary, with
** rows whose target is negative left unscored (padding, unscored positions).
** The loss is accumulated in double so the mean does not depend on R.
*/
#include "ops.h"

double crossentropy_forward(real *p, real *losses, const int *targets, int R, int V, int *count)
{
    double total = 0;
    int n = 0;
    #pragma omp parallel for schedule(static) if ((long)R * V >= 1 << 14)
    for (int r = 0; r < R; r++) {
        real *row = p + (long)r * V, mx = row[0], sum = 0;
        #pragma omp simd reduction(max : mx)
        for (int i = 1; i < V; i++) mx = row[i] > mx ? row[i] : mx;
        #pragma omp simd reduction(+ : sum)
        for (int i = 0; i < V; i++) { row[i] = R_EXP(row[i] - mx); sum += row[i]; }
        real inv = 1 / sum;
        #pragma omp simd
        for (int i = 0; i < V; i++) row[i] *= inv;
        losses[r] = 0;
        if (targets && targets[r] >= 0) {
            real pt = row[targets[r]];
            losses[r] = -R_LOG(pt > (real)1e-30 ? pt : (real)1e-30);
        }
    }
    /* summed in row order, not by an OpenMP reduction, so the loss is bit-identical run to run */
    for (int r = 0; r < R; r++)
        if (targets && targets[r] >= 0) { total += losses[r]; n++; }
    *count = n;
    return n ? total / n : 0;
}

void crossentropy_backward(real *dlogits, const real *probs, const int *targets, int R, int V, real scale)
{
    #pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) {
        real *d = dlogits + (long)r * V;
        const real *pr = probs + (long)r * V;
        if (targets[r] < 0) { for (int i = 0; i < V; i++) d[i] = 0; continue; }
        for (int i = 0; i < V; i++) d[i] = pr[i] * scale;
        d[targets[r]] -= scale;
    }
}

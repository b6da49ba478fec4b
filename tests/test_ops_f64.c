/*
** test_ops_f64.c: gradient checks of every operation in engine/core/ops.h, in double
** precision (compiled with -DSB_DOUBLE against the double-precision engine).
**
** For each op: deterministic random inputs and parameters (sb_rng), a scalar
** loss L = sum(out * W) with a fixed random W, the analytic gradients from the
** _backward (seeded with dout = W) compared with central differences
** (eps 1e-6) on every input and parameter entry, to 1e-6 relative.
** Gradient buffers are pre-filled with random values before each backward, so
** the checks also verify that backwards accumulate (+=) where they promise to,
** and overwrite where they promise that (linear with dx_beta 0, gelu, dq).
**
** Cases: layernorm (dx, dw, db); linear with and without bias and with dx
** NULL; gelu; rope (forward then backward is the identity, FD on dx, closed
** forms: identity at position 0, explicit rotation, pair norms preserved,
** padding beyond the heads untouched); attention with NH = G, G = 1 and
** 1 < G < NH, causal and bidirectional, with and without an additive bias (FD
** on q, k, v, bias; the per-head gate gradient by closed form and FD;
** probability rows sum to 1, masked entries 0; a naive reference forward;
** the key/value cache case Tk > T against the full computation's last rows);
** crossentropy (loss against a direct computation, unscored rows, FD of the
** mean loss with scale 1/count); axpy.
*/
#include "testutil.h"
#include "core/ops.h"
#include "core/rng.h"

#define FD_EPS 1e-6
#define FD_TOL 1e-6

/* ---------------------------------------------------------------- helpers */

/* Every buffer a test allocates is registered here and freed by the teardown,
** which cmocka runs even when the test fails. */
#define POOL_MAX 96
static void *pool[POOL_MAX];
static int npool;

static void *pool_alloc(size_t bytes)
{
    assert_true(npool < POOL_MAX);
    void *p = calloc(1, bytes ? bytes : 1);
    assert_non_null(p);
    pool[npool++] = p;
    return p;
}

static real *alloc(long n) { return pool_alloc(sizeof(real) * (size_t)(n > 0 ? n : 1)); }

static int free_pool(void **state)
{
    (void)state;
    for (int i = 0; i < npool; i++) free(pool[i]);
    npool = 0;
    return 0;
}

static void fill(real *x, long n, uint64_t seed, const char *label, double scale)
{
    sb_rng r;
    sb_rng_seed(&r, seed, label);
    for (long i = 0; i < n; i++) x[i] = (real)(scale * sb_rng_normal(&r));
}

static real *rand_buf(long n, uint64_t seed, const char *label, double scale)
{
    real *x = alloc(n);
    fill(x, n, seed, label, scale);
    return x;
}

static real *dup(const real *x, long n)
{
    real *y = alloc(n);
    memcpy(y, x, sizeof(real) * (size_t)n);
    return y;
}

static double dot(const real *a, const real *b, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
    return s;
}

static int is_close(double a, double b, double tol)
{
    double s = fmax(1, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * s;
}

typedef double (*loss_fn)(void *ctx);

/* Central differences of f in every entry of p against the analytic gradient
** g - g0 (g0 the gradient buffer's contents before the backward, or NULL). */
static void check_fd(const char *what, real *p, const real *g, const real *g0, long n, loss_fn f, void *ctx)
{
    for (long i = 0; i < n; i++) {
        real old = p[i], xp = old + (real)FD_EPS, xm = old - (real)FD_EPS;
        p[i] = xp;
        double lp = f(ctx);
        p[i] = xm;
        double lm = f(ctx);
        p[i] = old;
        double fd = (lp - lm) / ((double)xp - (double)xm);
        double an = (double)g[i] - (g0 ? (double)g0[i] : 0);
        if (!is_close(an, fd, FD_TOL))
            print_error("%s[%ld]: analytic %.12g, finite difference %.12g\n", what, i, an, fd);
        assert_close(an, fd, FD_TOL);
    }
}

/* -------------------------------------------------------------- layernorm */

typedef struct {
    int R, C;
    real *x, *w, *b, *y, *mean, *rstd;
    const real *W;
} ln_ctx;

static double ln_loss(void *p)
{
    ln_ctx *c = p;
    layernorm_forward(c->y, c->mean, c->rstd, c->x, c->w, c->b, c->R, c->C, (real)1e-5);
    return dot(c->y, c->W, (long)c->R * c->C);
}

static void test_layernorm(void **state)
{
    (void)state;
    int R = 5, C = 6;
    long N = (long)R * C;
    ln_ctx c = {R, C, rand_buf(N, 1, "ln.x", 1.5), rand_buf(C, 1, "ln.w", 1), rand_buf(C, 1, "ln.b", 1),
                alloc(N), alloc(R), alloc(R), rand_buf(N, 1, "ln.W", 1)};
    for (long i = 0; i < N; i++) c.x[i] += (real)(i % C) * (real)0.3; /* a nonzero mean */

    /* forward against a direct computation */
    ln_loss(&c);
    for (int r = 0; r < R; r++) {
        double m = 0, v = 0;
        for (int i = 0; i < C; i++) m += c.x[r * C + i];
        m /= C;
        for (int i = 0; i < C; i++) v += (c.x[r * C + i] - m) * (c.x[r * C + i] - m);
        v /= C;
        double s = 1 / sqrt(v + 1e-5);
        assert_close(c.mean[r], m, 1e-12);
        assert_close(c.rstd[r], s, 1e-12);
        for (int i = 0; i < C; i++) assert_close(c.y[r * C + i], (c.x[r * C + i] - m) * s * c.w[i] + c.b[i], 1e-12);
    }

    real *dx = rand_buf(N, 1, "ln.dx0", 1), *dw = rand_buf(C, 1, "ln.dw0", 1), *db = rand_buf(C, 1, "ln.db0", 1);
    real *dx0 = dup(dx, N), *dw0 = dup(dw, C), *db0 = dup(db, C);
    real *mean = dup(c.mean, R), *rstd = dup(c.rstd, R);
    layernorm_backward(dx, dw, db, c.W, c.x, c.w, mean, rstd, R, C);

    check_fd("layernorm dx", c.x, dx, dx0, N, ln_loss, &c);
    check_fd("layernorm dw", c.w, dw, dw0, C, ln_loss, &c);
    check_fd("layernorm db", c.b, db, db0, C, ln_loss, &c);
}

/* ----------------------------------------------------------------- linear */

typedef struct {
    int R, I, O;
    real *x, *w, *b, *y;
    const real *W;
} lin_ctx;

static double lin_loss(void *p)
{
    lin_ctx *c = p;
    linear_forward(c->y, c->x, c->w, c->b, c->R, c->I, c->O);
    return dot(c->y, c->W, (long)c->R * c->O);
}

typedef struct { int bias, want_dx, R, dx_beta; } lin_case;

static void test_linear(void **state)
{
    const lin_case *lc = *state;
    int R = lc->R, I = 6, O = 4;
    lin_ctx c = {R, I, O, rand_buf((long)R * I, 2, "lin.x", 1), rand_buf((long)O * I, 2, "lin.w", 1),
                 lc->bias ? rand_buf(O, 2, "lin.b", 1) : NULL, alloc((long)R * O), rand_buf((long)R * O, 2, "lin.W", 1)};
    /* garbage in y: the forward must overwrite it, with or without bias */
    fill(c.y, (long)R * O, 2, "lin.ygarbage", 100);
    lin_loss(&c);
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) {
            double s = c.b ? c.b[o] : 0;
            for (int i = 0; i < I; i++) s += c.x[r * I + i] * c.w[o * I + i];
            assert_close(c.y[r * O + o], s, 1e-12);
        }

    real *dx = lc->want_dx ? rand_buf((long)R * I, 2, "lin.dx0", 1) : NULL;
    real *dw = rand_buf((long)O * I, 2, "lin.dw0", 1), *db = lc->bias ? rand_buf(O, 2, "lin.db0", 1) : NULL;
    real *dx0 = dx ? dup(dx, (long)R * I) : NULL, *dw0 = dup(dw, (long)O * I), *db0 = db ? dup(db, O) : NULL;
    linear_backward(dx, (real)lc->dx_beta, dw, db, c.W, c.x, c.w, R, I, O);

    /* dx_beta 1 adds to the garbage dx held, 0 overwrites it */
    if (dx) check_fd("linear dx", c.x, dx, lc->dx_beta ? dx0 : NULL, (long)R * I, lin_loss, &c);
    check_fd("linear dw", c.w, dw, dw0, (long)O * I, lin_loss, &c);
    if (db) check_fd("linear db", c.b, db, db0, O, lin_loss, &c);
}

/* ------------------------------------------------------------------- gelu */

typedef struct {
    long N;
    real *x, *y;
    const real *W;
} gelu_ctx;

static double gelu_loss(void *p)
{
    gelu_ctx *c = p;
    gelu_forward(c->y, c->x, c->N);
    return dot(c->y, c->W, c->N);
}

static void test_gelu(void **state)
{
    (void)state;
    long N = 30;
    gelu_ctx c = {N, rand_buf(N, 3, "gelu.x", 2), alloc(N), rand_buf(N, 3, "gelu.W", 1)};
    c.x[0] = 0;
    c.x[1] = 8;
    c.x[2] = -8;
    gelu_loss(&c);
    for (long i = 0; i < N; i++) {
        double v = c.x[i];
        double ref = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        assert_close(c.y[i], ref, 1e-12);
    }
    assert_close(c.y[0], 0, 1e-15);
    assert_close(c.y[1], 8, 1e-12);
    assert_close(c.y[2], 0, 1e-12);

    /* the backward overwrites the garbage dx holds, and works in place */
    real *dx = rand_buf(N, 3, "gelu.dx0", 1), *inplace = dup(c.W, N);
    gelu_backward(dx, c.x, c.W, N);
    check_fd("gelu dx", c.x, dx, NULL, N, gelu_loss, &c);
    gelu_backward(inplace, c.x, inplace, N);
    assert_memory_equal(inplace, dx, sizeof(real) * (size_t)N);
}

/* ------------------------------------------------------------- fused ops */

/* The fused passes equal the operations they fuse (to rounding: the compiler
** may group the row sums differently in the two copies of the loop). */
static void test_fused(void **state)
{
    (void)state;
    int R = 7, C = 10, F = 13;
    long N = (long)R * C;
    real *x = rand_buf(N, 10, "fu.x", 1), *a = rand_buf(N, 10, "fu.a", 1), *s = rand_buf(C, 10, "fu.s", 1);
    real *w = rand_buf(C, 10, "fu.w", 1), *b = rand_buf(C, 10, "fu.b", 1);
    for (int scaled = 0; scaled < 2; scaled++) {
        real *z = alloc(N), *y = alloc(N), *mean = alloc(R), *rstd = alloc(R);
        real *z2 = alloc(N), *y2 = alloc(N), *mean2 = alloc(R), *rstd2 = alloc(R);
        residual_layernorm_forward(z, y, mean, rstd, x, a, scaled ? s : NULL, w, b, R, C, (real)1e-5);
        for (long i = 0; i < N; i++) z2[i] = x[i] + (scaled ? s[i % C] : 1) * a[i];
        layernorm_forward(y2, mean2, rstd2, z2, w, b, R, C, (real)1e-5);
        for (long i = 0; i < N; i++) {
            assert_close(z[i], z2[i], 1e-15);
            assert_close(y[i], y2[i], 1e-13);
        }
        for (int r = 0; r < R; r++) {
            assert_close(mean[r], mean2[r], 1e-14);
            assert_close(rstd[r], rstd2[r], 1e-13);
        }
    }
    long NF = (long)R * F;
    real *pre = rand_buf(NF, 11, "fu.pre", 2), *bf = rand_buf(F, 11, "fu.bf", 1), *pre2 = dup(pre, NF);
    real *g = alloc(NF), *g2 = alloc(NF);
    bias_gelu_forward(g, pre, bf, R, F);
    for (long i = 0; i < NF; i++) pre2[i] += bf[i % F];
    gelu_forward(g2, pre2, NF);
    for (long i = 0; i < NF; i++) {
        assert_close(pre[i], pre2[i], 1e-15);
        assert_close(g[i], g2[i], 1e-14);
    }
}

/* ------------------------------------------------------------------- rope */

/* cos, sin (P, hd/2) at angle p * theta_i, theta_i = base^(-2i/hd). */
static void rope_tables(real *cs, real *sn, int P, int hd, double base)
{
    int half = hd / 2;
    for (int p = 0; p < P; p++)
        for (int i = 0; i < half; i++) {
            double a = p * pow(base, -2.0 * i / hd);
            cs[p * half + i] = (real)cos(a);
            sn[p * half + i] = (real)sin(a);
        }
}

enum { RB = 2, RT = 3, RH = 2, RHD = 6, RSTRIDE = RH * RHD + 4, RPOS0 = 2, RP = 8 };

typedef struct {
    long n;
    int pos0;
    real *x, *tmp;
    const real *cs, *sn, *W;
} rope_ctx;

static double rope_loss(void *p)
{
    rope_ctx *c = p;
    memcpy(c->tmp, c->x, sizeof(real) * (size_t)c->n);
    rope_forward(c->tmp, c->cs, c->sn, RB, RT, RH, RHD, RSTRIDE, c->pos0);
    return dot(c->tmp, c->W, c->n);
}

static void test_rope_inverse(void **state)
{
    (void)state;
    long n = (long)RB * RT * RSTRIDE;
    real *cs = alloc((long)RP * RHD / 2), *sn = alloc((long)RP * RHD / 2);
    rope_tables(cs, sn, RP, RHD, 10000);
    real *x = rand_buf(n, 4, "rope.x", 1), *y = dup(x, n);
    rope_forward(y, cs, sn, RB, RT, RH, RHD, RSTRIDE, RPOS0);
    double moved = 0;
    for (long i = 0; i < n; i++) moved += fabs((double)y[i] - (double)x[i]);
    assert_true(moved > 1e-3); /* the rotation did something */
    rope_backward(y, cs, sn, RB, RT, RH, RHD, RSTRIDE, RPOS0);
    for (long i = 0; i < n; i++) assert_close(y[i], x[i], 1e-13);
}

static void test_rope_fd(void **state)
{
    (void)state;
    long n = (long)RB * RT * RSTRIDE;
    real *cs = alloc((long)RP * RHD / 2), *sn = alloc((long)RP * RHD / 2);
    rope_tables(cs, sn, RP, RHD, 10000);
    /* W covers the padding too: rope leaves it alone, so its gradient is W there */
    rope_ctx c = {n, RPOS0, rand_buf(n, 4, "rope.x", 1), alloc(n), cs, sn, rand_buf(n, 4, "rope.W", 1)};
    real *dx = dup(c.W, n);
    rope_backward(dx, cs, sn, RB, RT, RH, RHD, RSTRIDE, RPOS0);
    check_fd("rope dx", c.x, dx, NULL, n, rope_loss, &c);
}

static void test_rope_closed_form(void **state)
{
    (void)state;
    long n = (long)RB * RT * RSTRIDE;
    int half = RHD / 2;
    real *cs = alloc((long)RP * half), *sn = alloc((long)RP * half);
    rope_tables(cs, sn, RP, RHD, 10000);
    real *x = rand_buf(n, 5, "rope.x", 1);
    for (int pos0 = 0; pos0 <= 3; pos0 += 3) {
        real *y = dup(x, n);
        rope_forward(y, cs, sn, RB, RT, RH, RHD, RSTRIDE, pos0);
        for (int b = 0; b < RB; b++)
            for (int t = 0; t < RT; t++) {
                long row = ((long)b * RT + t) * RSTRIDE;
                int p = pos0 + t;
                for (int h = 0; h < RH; h++) {
                    const real *xv = x + row + h * RHD, *yv = y + row + h * RHD;
                    for (int i = 0; i < half; i++) {
                        double a = xv[i], z = xv[i + half];
                        if (p == 0) { /* identity at position 0, exactly */
                            assert_true(yv[i] == xv[i]);
                            assert_true(yv[i + half] == xv[i + half]);
                        }
                        double ang = p * pow(10000.0, -2.0 * i / RHD);
                        assert_close(yv[i], a * cos(ang) - z * sin(ang), 1e-13);
                        assert_close(yv[i + half], z * cos(ang) + a * sin(ang), 1e-13);
                        assert_close((double)yv[i] * yv[i] + (double)yv[i + half] * yv[i + half], a * a + z * z, 1e-13);
                    }
                }
                for (int j = RH * RHD; j < RSTRIDE; j++) assert_true(y[row + j] == x[row + j]); /* padding */
            }
    }
}

/* -------------------------------------------------------------- attention */

typedef struct {
    int B, T, Tk, NH, G, hd, causal, window;
    real *q, *k, *v, *bias, *out, *att;
    const real *W;
} att_ctx;

static double att_loss(void *p)
{
    att_ctx *c = p;
    attention_forward(c->out, c->att, c->q, c->k, c->v, c->bias, NULL, c->B, c->T, c->Tk, c->NH, c->G, c->hd, c->causal, c->window);
    return dot(c->out, c->W, (long)c->B * c->T * c->NH * c->hd);
}

/* Naive attention, straight from the definition, for the forward check. */
static void att_reference(double *out, const att_ctx *c)
{
    int C = c->NH * c->hd, Ck = c->G * c->hd, off = c->Tk - c->T;
    double scale = 1 / sqrt((double)c->hd), s[64];
    assert_true(c->Tk <= 64);
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->NH; h++) {
            int g = h * c->G / c->NH;
            for (int i = 0; i < c->T; i++) {
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < c->Tk; j++) {
                    if (c->causal && (j > i + off || (c->window > 0 && j <= i + off - c->window))) { s[j] = -INFINITY; continue; }
                    double d = 0;
                    for (int e = 0; e < c->hd; e++)
                        d += c->q[((long)b * c->T + i) * C + h * c->hd + e] * c->k[((long)b * c->Tk + j) * Ck + g * c->hd + e];
                    s[j] = d * scale + (c->bias ? c->bias[((long)h * c->T + i) * c->Tk + j] : 0);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j < c->Tk; j++) { s[j] = s[j] == -INFINITY ? 0 : exp(s[j] - mx); sum += s[j]; }
                for (int e = 0; e < c->hd; e++) {
                    double o = 0;
                    for (int j = 0; j < c->Tk; j++) o += s[j] / sum * c->v[((long)b * c->Tk + j) * Ck + g * c->hd + e];
                    out[((long)b * c->T + i) * C + h * c->hd + e] = o;
                }
            }
        }
}

/* Probability rows sum to 1 and entries past the causal limit, or before a sliding window, are exactly 0. */
static void check_att_probs(const real *att, int B, int NH, int T, int Tk, int causal, int window)
{
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < T; i++) {
                const real *row = att + (((long)b * NH + h) * T + i) * Tk;
                double sum = 0;
                for (int j = 0; j < Tk; j++) {
                    if (causal && (j > i + (Tk - T) || (window > 0 && j <= i + (Tk - T) - window))) assert_true(row[j] == 0);
                    else assert_true(row[j] > 0);
                    sum += row[j];
                }
                assert_close(sum, 1, 1e-13);
            }
}

typedef struct { int NH, G, causal, bias, T, window; } att_case;

static void test_attention(void **state)
{
    const att_case *ac = *state;
    int B = 2, T = ac->T, hd = 3, NH = ac->NH, G = ac->G, C = NH * hd, Ck = G * hd;
    long nq = (long)B * T * C, nk = (long)B * T * Ck, nb = (long)NH * T * T, na = (long)B * NH * T * T;
    att_ctx c = {B, T, T, NH, G, hd, ac->causal, ac->window,
                 rand_buf(nq, 6, "att.q", 1), rand_buf(nk, 6, "att.k", 1), rand_buf(nk, 6, "att.v", 1),
                 ac->bias ? rand_buf(nb, 6, "att.bias", 0.7) : NULL, alloc(nq), alloc(na), rand_buf(nq, 6, "att.W", 1)};

    att_loss(&c);
    check_att_probs(c.att, B, NH, T, T, ac->causal, ac->window);
    double *ref = pool_alloc(sizeof(double) * (size_t)nq);
    att_reference(ref, &c);
    for (long i = 0; i < nq; i++) assert_close(c.out[i], ref[i], 1e-12);

    real *out = dup(c.out, nq), *att = dup(c.att, na);
    real *dq = rand_buf(nq, 6, "att.dq0", 1), *dk = rand_buf(nk, 6, "att.dk0", 1), *dv = rand_buf(nk, 6, "att.dv0", 1);
    real *dbias = ac->bias ? rand_buf(nb, 6, "att.dbias0", 1) : NULL;
    real *gate = rand_buf((long)B * NH, 6, "att.gate0", 1);
    real *datt = rand_buf(na, 6, "att.dattgarbage", 100);
    real *dk0 = dup(dk, nk), *dv0 = dup(dv, nk), *dbias0 = dbias ? dup(dbias, nb) : NULL;
    real *gate0 = dup(gate, (long)B * NH);
    attention_backward(dq, dk, dv, datt, dbias, gate, c.W, att, c.q, c.k, c.v, out, NULL, B, T, NH, G, hd, ac->causal, ac->window);

    check_fd("attention dq", c.q, dq, NULL, nq, att_loss, &c);   /* overwritten */
    check_fd("attention dk", c.k, dk, dk0, nk, att_loss, &c);
    check_fd("attention dv", c.v, dv, dv0, nk, att_loss, &c);
    if (dbias) {
        check_fd("attention dbias", c.bias, dbias, dbias0, nb, att_loss, &c);
        /* datt holds dL/dscores per batch; summed over the batch it is dbias */
        for (long i = 0; i < nb; i++) assert_close(datt[i] + datt[nb + i], dbias[i] - dbias0[i], 1e-12);
    }
    if (ac->causal) /* dL/dscores is 0 where the mask is */
        for (long bh = 0; bh < (long)B * NH; bh++)
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++)
                    if (j > i || (ac->window > 0 && j <= i - ac->window)) assert_true(datt[(bh * T + i) * T + j] == 0);

    /* gate: closed form sum_{t,d} dout * out, and FD of L(g) = sum(W * out with head h scaled by g) */
    real *og = alloc(nq);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            double closed = 0;
            for (int t = 0; t < T; t++)
                for (int d = 0; d < hd; d++) {
                    long ix = ((long)b * T + t) * C + h * hd + d;
                    closed += c.W[ix] * out[ix];
                }
            double an = gate[b * NH + h] - gate0[b * NH + h], L[2];
            for (int sgn = 0; sgn < 2; sgn++) {
                double g = 1 + (sgn ? -FD_EPS : FD_EPS);
                memcpy(og, out, sizeof(real) * (size_t)nq);
                for (int t = 0; t < T; t++)
                    for (int d = 0; d < hd; d++) og[((long)b * T + t) * C + h * hd + d] *= (real)g;
                L[sgn] = dot(og, c.W, nq);
            }
            double fd = (L[0] - L[1]) / (2 * FD_EPS);
            assert_close(an, closed, 1e-12);
            if (!is_close(an, fd, FD_TOL)) print_error("attention gate[%d,%d]: analytic %.12g, FD %.12g\n", b, h, an, fd);
            assert_close(an, fd, FD_TOL);
        }
}

/* Tk > T: the last T queries against all Tk keys give the full computation's
** last rows (short, and long enough for several blocks of queries). */
static void check_attention_kv_cache(int Tk, int T)
{
    int B = 2, off = Tk - T, NH = 4, G = 2, hd = 3, C = NH * hd, Ck = G * hd;
    real *qf = rand_buf((long)B * Tk * C, 7, "kv.q", 1), *k = rand_buf((long)B * Tk * Ck, 7, "kv.k", 1);
    real *v = rand_buf((long)B * Tk * Ck, 7, "kv.v", 1), *bf = rand_buf((long)NH * Tk * Tk, 7, "kv.bias", 0.7);
    real *qs = alloc((long)B * T * C), *bs = alloc((long)NH * T * Tk);
    for (int b = 0; b < B; b++) memcpy(qs + (long)b * T * C, qf + ((long)b * Tk + off) * C, sizeof(real) * (size_t)T * C);
    for (int h = 0; h < NH; h++) memcpy(bs + (long)h * T * Tk, bf + ((long)h * Tk + off) * Tk, sizeof(real) * (size_t)T * Tk);
    real *of = alloc((long)B * Tk * C), *af = alloc((long)B * NH * Tk * Tk);
    real *os = alloc((long)B * T * C), *as = alloc((long)B * NH * T * Tk);
    for (int causal = 0; causal < 2; causal++)
        for (int usebias = 0; usebias < 2; usebias++) {
            attention_forward(of, af, qf, k, v, usebias ? bf : NULL, NULL, B, Tk, Tk, NH, G, hd, causal, 0);
            attention_forward(os, as, qs, k, v, usebias ? bs : NULL, NULL, B, T, Tk, NH, G, hd, causal, 0);
            check_att_probs(as, B, NH, T, Tk, causal, 0);
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < T; i++)
                    for (int e = 0; e < C; e++)
                        assert_close(os[((long)b * T + i) * C + e], of[((long)b * Tk + i + off) * C + e], 1e-13);
                for (int h = 0; h < NH; h++)
                    for (int i = 0; i < T; i++)
                        for (int j = 0; j < Tk; j++)
                            assert_close(as[(((long)b * NH + h) * T + i) * Tk + j],
                                         af[(((long)b * NH + h) * Tk + i + off) * Tk + j], 1e-13);
            }
        }
}

static void test_attention_kv_cache(void **state)
{
    (void)state;
    check_attention_kv_cache(6, 2);
    check_attention_kv_cache(50, 35);
}

/* A per-sequence key mask (kbias, mor's tokens sitting a recursion out: -1e30)
** gives the attention over the kept keys alone, gathered apart, with exact
** zeros for the masked ones; causal, so that a masked key above a query changes nothing. */
static void test_attention_key_mask(void **state)
{
    (void)state;
    enum { B = 2, T = 6, NH = 2, G = 1, hd = 3, C = NH * hd, Ck = G * hd };
    static const int keep[B][T] = { { 1, 0, 1, 1, 0, 1 }, { 1, 1, 0, 1, 1, 1 } };
    real *q = rand_buf((long)B * T * C, 9, "km.q", 1), *k = rand_buf((long)B * T * Ck, 9, "km.k", 1);
    real *v = rand_buf((long)B * T * Ck, 9, "km.v", 1), *kb = alloc((long)B * T);
    real *out = alloc((long)B * T * C), *att = alloc((long)B * NH * T * T);
    real *o1 = alloc((long)T * C), *a1 = alloc((long)NH * T * T), *q1 = alloc((long)T * C), *k1 = alloc((long)T * Ck), *v1 = alloc((long)T * Ck);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < T; j++) kb[b * T + j] = keep[b][j] ? 0 : (real)-1e30;
    attention_forward(out, att, q, k, v, NULL, kb, B, T, T, NH, G, hd, 1, 0);
    for (int b = 0; b < B; b++) {
        int n = 0, at[T];
        for (int j = 0; j < T; j++)
            if (keep[b][j]) {   /* the kept tokens as a sequence of their own */
                memcpy(q1 + (long)n * C, q + ((long)b * T + j) * C, sizeof(real) * C);
                memcpy(k1 + (long)n * Ck, k + ((long)b * T + j) * Ck, sizeof(real) * Ck);
                memcpy(v1 + (long)n * Ck, v + ((long)b * T + j) * Ck, sizeof(real) * Ck);
                at[n++] = j;
            }
        attention_forward(o1, a1, q1, k1, v1, NULL, NULL, 1, n, n, NH, G, hd, 1, 0);
        for (int i = 0; i < n; i++) {
            for (int e = 0; e < C; e++) assert_close(out[((long)b * T + at[i]) * C + e], o1[(long)i * C + e], 1e-13);
            for (int h = 0; h < NH; h++)
                for (int j = 0; j < T; j++) {
                    real p = att[(((long)b * NH + h) * T + at[i]) * T + j];
                    if (!keep[b][j]) assert_true(p == 0);
                }
        }
    }
}

/* ----------------------------------------------------------- crossentropy */

enum { CR = 6, CV = 7 };
static const int ce_targets[CR] = {3, -1, 0, 6, -1, 2};

typedef struct {
    real *logits, *tmp, *losses;
} ce_ctx;

static double ce_loss(void *p)
{
    ce_ctx *c = p;
    int count;
    memcpy(c->tmp, c->logits, sizeof(real) * CR * CV);
    return crossentropy_forward(c->tmp, c->losses, ce_targets, CR, CV, &count);
}

static void test_crossentropy(void **state)
{
    (void)state;
    ce_ctx c = {rand_buf(CR * CV, 8, "ce.logits", 2), alloc(CR * CV), alloc(CR)};
    real *probs = dup(c.logits, CR * CV), *losses = rand_buf(CR, 8, "ce.lossgarbage", 10);
    int count = -1;
    double mean = crossentropy_forward(probs, losses, ce_targets, CR, CV, &count);
    assert_int_equal(count, 4);
    double total = 0;
    for (int r = 0; r < CR; r++) {
        const real *l = c.logits + r * CV;
        double mx = l[0], z = 0;
        for (int i = 1; i < CV; i++) mx = fmax(mx, l[i]);
        for (int i = 0; i < CV; i++) z += exp(l[i] - mx);
        for (int i = 0; i < CV; i++) assert_close(probs[r * CV + i], exp(l[i] - mx) / z, 1e-13);
        if (ce_targets[r] < 0) {
            assert_true(losses[r] == 0);
        } else {
            double want = mx + log(z) - l[ce_targets[r]];
            assert_close(losses[r], want, 1e-12);
            total += want;
        }
    }
    assert_close(mean, total / 4, 1e-12);

    /* backward overwrites: garbage in, rows with target -1 come out 0 */
    real *dl = rand_buf(CR * CV, 8, "ce.dgarbage", 10);
    crossentropy_backward(dl, probs, ce_targets, CR, CV, (real)(1.0 / count));
    for (int r = 0; r < CR; r++)
        if (ce_targets[r] < 0)
            for (int i = 0; i < CV; i++) assert_true(dl[r * CV + i] == 0);
    check_fd("crossentropy dlogits", c.logits, dl, NULL, CR * CV, ce_loss, &c);

    /* no targets: probabilities only, count 0, mean 0; huge logits stay finite */
    real *big = dup(c.logits, CR * CV);
    for (int i = 0; i < CV; i++) big[i] += 1000;
    count = -1;
    assert_true(crossentropy_forward(big, losses, NULL, CR, CV, &count) == 0);
    assert_int_equal(count, 0);
    double s = 0;
    for (int i = 0; i < CV; i++) { assert_true(isfinite(big[i])); s += big[i]; }
    assert_close(s, 1, 1e-13);
    for (int r = 0; r < CR; r++) assert_true(losses[r] == 0);
}

/* ------------------------------------------------------------------- axpy */

static void test_axpy(void **state)
{
    (void)state;
    long N = 11;
    real *y = rand_buf(N, 9, "axpy.y", 1), *a = rand_buf(N, 9, "axpy.a", 1), *y0 = dup(y, N);
    axpy(y, a, (real)-0.75, N);
    for (long i = 0; i < N; i++) assert_close(y[i], y0[i] - 0.75 * a[i], 1e-15);
    real *y1 = dup(y, N);
    axpy(y, a, 0, N);
    axpy(y, a, 1, 0);
    for (long i = 0; i < N; i++) assert_true(y[i] == y1[i]);
}

/* ------------------------------------------------------------------- main */

static lin_case lin_bias = {1, 1, 5, 1}, lin_nobias = {0, 1, 5, 1}, lin_nodx = {1, 0, 5, 1}, lin_nodx_nobias = {0, 0, 5, 1};
static lin_case lin_overwrite = {1, 1, 5, 0};
/* a few rows go through GEMV instead of GEMM */
static lin_case lin_rows1 = {1, 1, 1, 1}, lin_rows3_nobias = {0, 1, 3, 0};

static att_case att_mha_causal = {4, 4, 1, 0, 4, 0}, att_mha_causal_bias = {4, 4, 1, 1, 4, 0};
static att_case att_mha_bidir = {4, 4, 0, 0, 4, 0}, att_mha_bidir_bias = {4, 4, 0, 1, 4, 0};
static att_case att_mqa_causal = {4, 1, 1, 0, 4, 0}, att_mqa_causal_bias = {4, 1, 1, 1, 4, 0};
static att_case att_mqa_bidir = {4, 1, 0, 0, 4, 0}, att_mqa_bidir_bias = {4, 1, 0, 1, 4, 0};
static att_case att_gqa_causal = {4, 2, 1, 0, 4, 0}, att_gqa_causal_bias = {4, 2, 1, 1, 4, 0};
static att_case att_gqa_bidir = {4, 2, 0, 0, 4, 0}, att_gqa_bidir_bias = {4, 2, 0, 1, 4, 0};
/* long enough that causal queries go in several blocks, the last one partial */
static att_case att_mha_causal_long = {2, 2, 1, 0, 37, 0}, att_gqa_causal_bias_long = {4, 2, 1, 1, 37, 0};
static att_case att_mha_bidir_long = {2, 2, 0, 1, 37, 0};
/* a sliding window (YOCO's self-decoder): short, and over two blocks of 16 queries, the second starting past its first window */
static att_case att_gqa_window = {4, 2, 1, 1, 5, 2}, att_mha_window_long = {2, 2, 1, 1, 20, 7};

#define T_(f) cmocka_unit_test_teardown(f, free_pool)
/* one named entry per case, so each configuration is reported on its own */
#define TS_(f, s) { #f "/" #s, f, NULL, free_pool, &s }

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_layernorm),
        TS_(test_linear, lin_bias),
        TS_(test_linear, lin_nobias),
        TS_(test_linear, lin_nodx),
        TS_(test_linear, lin_nodx_nobias),
        TS_(test_linear, lin_overwrite),
        TS_(test_linear, lin_rows1),
        TS_(test_linear, lin_rows3_nobias),
        T_(test_gelu),
        T_(test_fused),
        T_(test_rope_inverse),
        T_(test_rope_fd),
        T_(test_rope_closed_form),
        T_(test_attention_key_mask),
        TS_(test_attention, att_mha_causal),
        TS_(test_attention, att_mha_causal_bias),
        TS_(test_attention, att_mha_bidir),
        TS_(test_attention, att_mha_bidir_bias),
        TS_(test_attention, att_mqa_causal),
        TS_(test_attention, att_mqa_causal_bias),
        TS_(test_attention, att_mqa_bidir),
        TS_(test_attention, att_mqa_bidir_bias),
        TS_(test_attention, att_gqa_causal),
        TS_(test_attention, att_gqa_causal_bias),
        TS_(test_attention, att_gqa_bidir),
        TS_(test_attention, att_gqa_bidir_bias),
        TS_(test_attention, att_mha_causal_long),
        TS_(test_attention, att_gqa_causal_bias_long),
        TS_(test_attention, att_mha_bidir_long),
        TS_(test_attention, att_gqa_window),
        TS_(test_attention, att_mha_window_long),
        T_(test_attention_kv_cache),
        T_(test_crossentropy),
        T_(test_axpy),
    };
    return cmocka_run_group_tests_name("ops_f64", tests, NULL, NULL);
}

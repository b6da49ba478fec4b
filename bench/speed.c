/*
** speed.c: `sharebench bench`: how fast and lean the engine is, measured side
** by side in one run on this machine.
**
** For the reference shapes S1-S3 under `none` and `all`: training steps per
** second, tokens per second and achieved GFLOP/s; the same model trained by
** PyTorch (bench/peers/torch_train.py, when python3-torch is installed) with
** the same threads; OpenBLAS's SGEMM rate at the model's own GEMM shapes (the
** practical ceiling); 1 against 2 threads; key/value-cache decoding against
** recomputing the prefix; peak resident memory against the engine's
** accounting. Each figure is printed with its target and whether it is met.
*/
#include "cli.h"
#include "machine.h"
#include "stats.h"
#include "model.h"
#include "train.h"
#include "kvcache.h"
#include "rng.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/resource.h>

typedef struct {
    const char *name;
    int width, layers, heads, length, batch, steps;
} shape;

static const shape shapes[] = {
    { "S1", 128, 4, 4, 64, 32, 20 },
    { "S2", 256, 6, 4, 64, 4, 30 },
    { "S3", 512, 8, 8, 256, 8, 5 },
};

static void config_for(sb_config *c, const shape *s, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 256; c->max_len = s->length; c->width = s->width; c->layers = s->layers; c->heads = s->heads;
    c->ffn = 4 * s->width; c->tied = 1; c->pos = SB_POS_LEARNED;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

/* FLOPs of one training step as executed: forward GEMMs (every depth's use of
** a weight counts), attention scores and mixing over the full T x T, and the
** backward at twice the forward. */
static double step_flops(const shape *s)
{
    double BT = (double)s->batch * s->length, C = s->width, F = 4.0 * C;
    double per_layer = 2 * BT * (4 * C * C + 2 * C * F) + 4.0 * s->batch * (double)s->length * s->length * C;
    double head = 2 * BT * C * 256;
    return 3 * (s->layers * per_layer + head);
}

/* Median milliseconds of a training step of the engine. */
static double engine_step_ms(const shape *s, const char *sharing, int steps)
{
    sb_config c;
    char err[SB_ERR_LEN];
    config_for(&c, s, sharing);
    sb_model *m = sb_model_create(&c, s->batch, s->length, 1, 0, err, sizeof err);
    if (!m) { fprintf(stderr, "sharebench: bench: %s\n", err); return -1; }
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    sb_adamw o;
    sb_adamw_init(&o, &oc, sb_model_n_params(m));
    int n = s->batch * s->length;
    int *tok = malloc(sizeof(int) * n), *tgt = malloc(sizeof(int) * n);
    sb_rng r;
    sb_rng_seed(&r, 1, "bench");
    for (int i = 0; i < n; i++) { tok[i] = (int)sb_rng_below(&r, 256); tgt[i] = (int)sb_rng_below(&r, 256); }
    double *t = malloc(sizeof(double) * steps);
    for (int i = 0; i < steps + 2; i++) {
        double t0 = sb_now();
        sb_train_step(m, &o, tok, NULL, tgt, s->batch, s->length, NULL);
        if (i >= 2) t[i - 2] = 1e3 * (sb_now() - t0);
    }
    double med = sb_stats_median(t, steps);
    free(t); free(tok); free(tgt);
    sb_adamw_free(&o);
    sb_model_free(m);
    return med;
}

/* Median milliseconds of a PyTorch step, or -1 when PyTorch is not there. */
static double torch_step_ms(const shape *s, const char *sharing, int threads, int steps)
{
    char cmd[512], out[1 << 16];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 bench/peers/torch_train.py --width %d --layers %d --heads %d --length %d --batch %d "
             "--vocab 256 --threads %d --steps %d --sharing %s 2>/dev/null",
             s->width, s->layers, s->heads, s->length, s->batch, threads, steps, sharing);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    if (pclose(p) != 0) return -1;
    cJSON *j = cJSON_Parse(out);
    double ms = -1;
    if (j && cJSON_IsNumber(cJSON_GetObjectItem(j, "median_ms"))) ms = cJSON_GetObjectItem(j, "median_ms")->valuedouble;
    cJSON_Delete(j);
    return ms;
}

/* OpenBLAS's rate at one GEMM shape (row-major, as the engine calls it). */
static double gemm_rate(char ta, char tb, int M, int N, int K)
{
    float *a = calloc((size_t)M * K + (size_t)K * N + (size_t)M * N, sizeof(float));
    if (!a) return 0;
    float *b = a + (size_t)M * K, *c = b + (size_t)K * N;
    for (size_t i = 0; i < (size_t)M * K + (size_t)K * N; i++) a[i] = (float)(i % 17) / 17;
    double t[7];
    for (int r = 0; r < 7; r++) {
        double t0 = sb_now();
        sb_gemm(ta, tb, M, N, K, 1, a, ta == 'T' ? M : K, b, tb == 'T' ? K : N, 0, c, N);
        t[r] = sb_now() - t0;
    }
    free(a);
    return 2.0 * M * N * K / sb_stats_median(t, 7) / 1e9;
}

/* The ceiling: the FLOP-weighted SGEMM rate over the linear layers' forward
** (x W^T), input-gradient (dy W) and weight-gradient (dy^T x) products. */
static double ceiling_gflops(const shape *s)
{
    int BT = s->batch * s->length, C = s->width, F = 4 * C;
    int shapes3[4][2] = { { C, C }, { F, C }, { C, F }, { 256, C } }; /* (out, in) of q/k/v/o, fc, proj, head */
    int count[4] = { 4 * s->layers, s->layers, s->layers, 1 };
    double flops = 0, secs = 0;
    for (int k = 0; k < 4; k++) {
        int O = shapes3[k][0], I = shapes3[k][1];
        double f = 2.0 * BT * O * I * count[k];
        secs += f / 1e9 / gemm_rate('N', 'T', BT, O, I) + f / 1e9 / gemm_rate('N', 'N', BT, I, O) +
                f / 1e9 / gemm_rate('T', 'N', O, I, BT);
        flops += 3 * f;
    }
    return flops / 1e9 / secs;
}

/* Decoding 256 tokens with the key/value cache against recomputing the whole
** prefix for every token, on the S3 model: milliseconds per generated token. */
static void decode_vs_recompute(double *cached_ms, double *recompute_ms)
{
    sb_config c;
    char err[SB_ERR_LEN];
    const shape *s = &shapes[2];
    config_for(&c, s, "none");
    sb_model *m = sb_model_create(&c, 1, s->length, 1, 0, err, sizeof err);
    sb_kvcache *kc = sb_kvcache_create(m, 1, s->length, err, sizeof err);
    int tok[256];
    for (int i = 0; i < s->length; i++) tok[i] = (i * 37) % 256;
    double t0 = sb_now();
    for (int i = 0; i < s->length; i++) sb_decode_step(kc, &tok[i]);
    *cached_ms = 1e3 * (sb_now() - t0) / s->length;
    t0 = sb_now();
    for (int i = 1; i <= s->length; i++) sb_model_forward(m, tok, NULL, NULL, NULL, 1, i);
    *recompute_ms = 1e3 * (sb_now() - t0) / s->length;
    sb_kvcache_free(kc);
    sb_model_free(m);
}

/* Peak resident bytes of a child that trains S3 for two steps, and the
** engine's accounting of what that needs. */
static long child_peak_rss(const char *sharing, long *accounted)
{
    sb_config c;
    sb_memory mem;
    long n;
    char err[SB_ERR_LEN];
    config_for(&c, &shapes[2], sharing);
    sb_model_plan(&c, shapes[2].batch, shapes[2].length, 0, &n, &mem, err, sizeof err);
    *accounted = mem.params + mem.grads + mem.optim + mem.acts + mem.scratch;
    fflush(NULL);
    /* a fresh process image: libgomp's threads do not survive fork, so a forked
    ** child of this (already threaded) process would hang in its first parallel region */
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", "sharebench", "bench", "--rss-child", sharing, (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (p < 0 || wait4(p, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) return -1;
    return ru.ru_maxrss * 1024L;
}

static const char *verdict(int met) { return met ? "met" : "MISSED"; }

int sb_cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        { "threads", required_argument, NULL, 't' }, { "quick", no_argument, NULL, 'q' },
        { "no-torch", no_argument, NULL, 'n' }, { "rss-child", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    long base = sb_peak_rss();   /* the process and BLAS before any model: the fixed allowance */
    int opt, threads = 0, quick = 0, torch = 1;
    long lv;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "bench", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'h':
            printf("usage: sharebench bench [--threads N] [--quick] [--no-torch]\n\n"
                   "Measure training speed on the reference shapes S1-S3 under none and all against PyTorch\n"
                   "and the OpenBLAS GEMM ceiling, thread scaling, KV-cache decoding and memory.\n"
                   "  --threads N  threads for both engines (default: all cores)\n"
                   "  --quick      fewer repetitions\n  --no-torch   skip the PyTorch peer\n");
            return SB_EXIT_OK;
        case 't':
            if (sb_cli_parse_long(optarg, 1, 4096, &lv)) return sb_usage_error("bench: --threads '%s': expected a whole number from 1 to 4096", optarg);
            threads = (int)lv;
            break;
        case 'q': quick = 1; break;
        case 'r':   /* internal: the child whose peak memory child_peak_rss measures */
            return engine_step_ms(&shapes[2], !strcmp(optarg, "all") ? "all" : "none", 1) > 0 ? SB_EXIT_OK : SB_EXIT_CHECK;
        case 'n': torch = 0; break;
        }
    }
    if (optind < argc) return sb_usage_error("bench: unexpected argument '%s'", argv[optind]);
    sb_machine mc;
    sb_machine_read(&mc);
    if (!threads) threads = mc.cores;
    sb_machine_threads(threads);
    if (torch && access("/usr/bin/python3", X_OK)) torch = 0;
    printf("sharebench bench on %s, %d cores, %d threads, %s\n", mc.cpu, mc.cores, threads, mc.blas);
    printf("code %s; medians of repeated steps; ratios measured side by side in this run\n\n", mc.version);
    printf("%-4s %-5s %10s %10s %9s %10s %10s %8s %10s %8s\n", "", "mode", "engine ms", "tokens/s", "GFLOP/s", "ceiling",
           "of ceiling", "torch ms", "x torch", "target");
    int all_met = 1;
    for (int k = 0; k < 3; k++) {
        const shape *s = &shapes[k];
        int steps = quick ? (s->steps + 3) / 4 : s->steps;
        double ceil = ceiling_gflops(s);
        for (int mode = 0; mode < 2; mode++) {
            const char *sharing = mode ? "all" : "none";
            double ms = engine_step_ms(s, sharing, steps);
            double tms = torch ? torch_step_ms(s, sharing, threads, steps) : -1;
            double gf = step_flops(s) / (ms * 1e6), speedup = tms > 0 ? tms / ms : 0;
            double want = k == 2 ? 1.5 : 3.0;
            char target[32] = "-";
            if (tms > 0) {
                snprintf(target, sizeof target, ">=%.1fx %s", want, verdict(speedup >= want));
                all_met &= speedup >= want;
            }
            printf("%-4s %-5s %10.1f %10.0f %9.1f %10.1f %9.0f%% %8.1f %9.2fx %s\n", s->name, sharing, ms,
                   s->batch * s->length / (ms / 1e3), gf, ceil, 100 * gf / ceil, tms, speedup, target);
            if (k == 2 && mode == 0) {
                int ok = gf / ceil >= 0.6;
                all_met &= ok;
                printf("     S3 whole step at %.0f%% of the GEMM ceiling (target >= 60%%: %s)\n", 100 * gf / ceil, verdict(ok));
            }
        }
        fflush(stdout);
    }
    if (mc.cores >= 2) {
        sb_machine_threads(1);
        double one = engine_step_ms(&shapes[2], "none", quick ? 2 : 3);
        sb_machine_threads(2);
        double two = engine_step_ms(&shapes[2], "none", quick ? 2 : 3);
        sb_machine_threads(threads);
        int ok = one / two >= 1.7;
        all_met &= ok;
        printf("\nS3 threads: 1 thread %.1f ms, 2 threads %.1f ms: %.2fx (target >= 1.7x: %s)\n", one, two, one / two, verdict(ok));
    }
    double cached, recompute;
    decode_vs_recompute(&cached, &recompute);
    printf("decoding at length 256 (S3 model, batch 1): %.2f ms/token with the KV cache, %.2f ms/token recomputing "
           "the prefix: %.1fx (target >= 10x: %s)\n", cached, recompute, recompute / cached, verdict(recompute / cached >= 10));
    all_met &= recompute / cached >= 10;
    long acc_none, acc_all;
    long rss_none = child_peak_rss("none", &acc_none), rss_all = child_peak_rss("all", &acc_all);
    double allowance = (double)base;
    int ok_mem = rss_none <= 1.2 * acc_none + allowance && rss_all <= 1.2 * acc_all + allowance;
    printf("memory, S3 training: peak RSS none %.1f MiB (accounted %.1f MiB), all %.1f MiB (accounted %.1f MiB); "
           "allowance %.1f MiB (sharebench's own resident memory at start); within 1.2x: %s\n",
           rss_none / 1048576.0, acc_none / 1048576.0, rss_all / 1048576.0, acc_all / 1048576.0, allowance / 1048576.0,
           verdict(ok_mem));
    printf("memory, none - all: measured %.1f MiB, accounted %.1f MiB\n", (rss_none - rss_all) / 1048576.0,
           (acc_none - acc_all) / 1048576.0);
    all_met &= ok_mem;
    printf("\n%s\n", all_met ? "all targets met" : "some targets MISSED (see above)");
    return SB_EXIT_OK;
}

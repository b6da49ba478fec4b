/*
** metrics.h: the metric registry: every metric key (table metrics: one value
** a run) and series key (table series: points of a run by step, layer and
** head) the project stores, with its unit, which direction is better, its
** kind and one sentence. `sharebench metrics` prints it: the data dictionary
** of an export (metric.KEY columns, series rows).
**
** Writers record through it (sb_put_*: an id per key, so a misspelt key does
** not compile); readers name keys by the same ids, and names that come from
** users (claims, the gate's options) are looked up here, so a name nothing
** stores is refused rather than read as an empty column. A new key is one
** enumerator below and one row of metrics.c's table.
**
** A key with parts that vary is a pattern: a part written <word> stands for
** one word of letters, digits, '_' or '-' (e.g. grad.<block>.sqnorm holds
** grad.attn.sqnorm); a last part written <word...> for one or more such words
** joined by dots (sparsity.<tensor...> holds sparsity.attn.wq.u).
**
** Kinds, which decide how a metric is compared:
**   exact     deterministic counts given the configuration (parameters, bytes
**             of the engine's accounting, FLOPs, calibrations): the same on
**             every seed and machine, compared exactly;
**   quality   a measurement of the trained model: varies with the seed and is
**             reproduced by rerunning it, compared across seeds;
**   timing    wall-clock times and rates: noisy, compared over repetitions,
**             normalised by the run's calib_gflops across machines;
**   measured  what the operating system measured (peak resident memory):
**             noisy but not a time.
** Better: higher, lower, task (the task's headline metric decides: lower for
** bpc, higher for accuracy and exact), key (the metric named in the key
** decides, as for task), neither (a description, not a result).
*/
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include "record.h"
#include <stddef.h>

typedef enum { SB_KIND_EXACT, SB_KIND_QUALITY, SB_KIND_TIMING, SB_KIND_MEASURED } sb_metric_kind;
typedef enum { SB_BETTER_HIGHER, SB_BETTER_LOWER, SB_BETTER_TASK, SB_BETTER_KEY, SB_BETTER_NEITHER } sb_better;

typedef struct {
    const char *key;           /* as stored, or a pattern */
    const char *unit;
    sb_better better;
    sb_metric_kind kind;
    const char *what;          /* one sentence */
} sb_metric_info;

/* The metrics (table metrics), in the order `sharebench metrics` prints them. */
typedef enum {
    /* the task's quality (bench/run/runner.c) */
    SB_M_VALID, SB_M_TEST, SB_M_TEST_LONG,
    SB_M_VALID_STDERR, SB_M_TEST_STDERR, SB_M_TEST_LONG_STDERR,
    SB_M_VALID_LOSS, SB_M_TEST_LOSS, SB_M_TEST_LONG_LOSS,
    SB_M_VALID_BY_METRIC, SB_M_TEST_BY_METRIC, SB_M_TEST_LONG_BY_METRIC,
    SB_M_CHANCE,
    /* training */
    SB_M_STEPS_DONE, SB_M_TRAIN_LOSS_FINAL, SB_M_MERGED_AT_STEP,
    /* speed */
    SB_M_TRAIN_SECONDS, SB_M_TRAIN_TOKENS_PER_S, SB_M_TRAIN_STEP_MS, SB_M_INFER_TOKENS_PER_S,
    SB_M_DECODE_TOKENS_PER_S, SB_M_DECODE_MS_PER_POSITION, SB_M_CALIB_GFLOPS,
    /* contention: did the run get the CPUs it asked for (bench/sys/contention.h) */
    SB_M_TRAIN_STEP_MS_QUIET, SB_M_CPU_SECONDS, SB_M_CPU_SHARE, SB_M_OTHER_CPU_CORES, SB_M_STEAL_FRACTION,
    SB_M_RUN_QUEUE_MAX, SB_M_CONTENDED_STEPS, SB_M_CONTENDED, SB_M_INFER_CONTENDED,
    /* size and memory */
    SB_M_PARAMS_UNIQUE, SB_M_PARAMS_EVERY_DEPTH, SB_M_FLOPS_TRAIN_PER_TOKEN, SB_M_FLOPS_INFER_PER_TOKEN,
    SB_M_TRAIN_LOOPS_MEAN, SB_M_MEAN_DEPTH, SB_M_FLOPS_ROUTED_PER_TOKEN,
    SB_M_BYTES_PARAMS, SB_M_BYTES_GRADS, SB_M_BYTES_OPTIM, SB_M_BYTES_ACTS, SB_M_BYTES_SCRATCH,
    SB_M_PEAK_RSS_BYTES, SB_M_KV_CACHE_BYTES, SB_M_BYTES_DISK, SB_M_BYTES_MEMORY,
    /* the analyses (bench/run/analyze.c) */
    SB_M_GRAD_NOISE_SCALE, SB_M_HEAD_DIVERSITY, SB_M_CKA_ADJACENT, SB_M_EMBED_MEAN_NORM,
    SB_M_HOTFLIP_CLEAN_ACCURACY, SB_M_HOTFLIP_ACCURACY_UNDER_ATTACK, SB_M_HOTFLIP_SKIPPED,
    SB_M_HOTFLIP_SUCCESS_RATE, SB_M_HOTFLIP_PERTURBED_FRACTION, SB_M_HOTFLIP_QUERIES,
    SB_M_ANALYSIS_SECONDS_GRAD, SB_M_ANALYSIS_SECONDS_HEADS, SB_M_ANALYSIS_SECONDS_CKA,
    SB_M_ANALYSIS_SECONDS_PGD, SB_M_ANALYSIS_SECONDS_HOTFLIP, SB_M_ANALYSIS_SECONDS_RANDSUB,
    /* compression (bench/run/compress.c) */
    SB_M_TEACHER_TEST, SB_M_TEACHER_PARAMS, SB_M_TEACHER_SECONDS,
    SB_M_TEST_UNCOMPRESSED, SB_M_TEST_BEFORE_FINETUNE, SB_M_TEST_FLOAT, SB_M_COMPRESS_DELTA, SB_M_QUANT_DELTA,
    SB_M_FINETUNE_SECONDS, SB_M_CONVERT_ERROR, SB_M_FACTOR_ERROR, SB_M_FACTOR_SECONDS, SB_M_PARAMS_DENSE, SB_M_SPARSITY,
    SB_M_QUANT_SECONDS, SB_M_QUANT_ERROR, SB_M_QUANT_TENSORS, SB_M_QUANT_TENSOR_USES,
    SB_M_QUANT_CALIBRATIONS, SB_M_QUANT_CALIBRATIONS_PER_LAYER,
    SB_M_QUANT_BLOCKS_ATTN, SB_M_QUANT_BLOCKS_KV, SB_M_QUANT_BLOCKS_FFN, SB_M_QUANT_CALIBRATION_ROWS,
    SB_M_BYTES_QUANTISED_FLOAT, SB_M_BYTES_QUANTISED_INT8,
    SB_M_DECODE_MS_PER_TOKEN_INT8, SB_M_DECODE_MS_PER_TOKEN_FLOAT, SB_M_INT8_DECODE_SPEEDUP,
    /* data-parallel training (bench/mpi/dp.c) */
    SB_M_DP_RANKS, SB_M_DP_GRAD_BYTES_PER_STEP, SB_M_DP_BYTES_PER_STEP, SB_M_DP_RING_BYTES_PER_STEP,
    SB_M_DP_COMM_SECONDS, SB_M_DP_COMM_SECONDS_MIN, SB_M_DP_COMM_SECONDS_MAX,
    /* sharebench bench (bench/cmd/bench.c: tasks bench.*) */
    SB_M_TRAIN_GFLOPS, SB_M_GEMM_CEILING_GFLOPS, SB_M_OF_GEMM_CEILING, SB_M_CEILING_STEP_MS,
    SB_M_TRAIN_FORWARD_MS, SB_M_TRAIN_BACKWARD_MS, SB_M_TRAIN_OPTIMIZER_MS,
    SB_M_TORCH_STEP_MS, SB_M_SPEEDUP_VS_TORCH, SB_M_TORCH_COMPILED_STEP_MS, SB_M_SPEEDUP_VS_TORCH_COMPILED,
    SB_M_TRAIN_STEP_MS_1_THREAD, SB_M_TRAIN_STEP_MS_2_THREADS, SB_M_THREAD_SPEEDUP,
    SB_M_TRAIN_STEP_MS_ALL_THREADS, SB_M_THREAD_SPEEDUP_2_TO_ALL,
    SB_M_DECODE_MS_PER_TOKEN, SB_M_RECOMPUTE_MS_PER_TOKEN, SB_M_DECODE_SPEEDUP,
    SB_M_DECODE_MS_AT_256, SB_M_RECOMPUTE_MS_AT_256, SB_M_DECODE_SPEEDUP_AT_256,
    SB_M_BYTES_ACCOUNTED, SB_M_BYTES_ALLOWANCE, SB_M_INT8_KL, SB_M_INT8_TOP1_AGREEMENT, SB_M_INT8_VNNI,
    SB_M_COUNT
} sb_metric_id;

/* The series (table series). */
typedef enum {
    /* training (bench/run/runner.c) */
    SB_S_STEP_MS, SB_S_STEP_CONTENDED, SB_S_TRAIN_LOSS, SB_S_GRAD_NORM, SB_S_LR, SB_S_VALID_LOSS, SB_S_VALID_METRIC,
    /* gradient noise (bench/run/analyze.c): the model, each depth's contribution, each block */
    SB_S_GRAD_SQNORM, SB_S_GRAD_TRACE_COV, SB_S_GRAD_GSNR, SB_S_GRAD_BSIMPLE,
    SB_S_GRAD_DEPTH_SQNORM, SB_S_GRAD_DEPTH_TRACE_COV, SB_S_GRAD_DEPTH_GSNR, SB_S_GRAD_DEPTH_BSIMPLE,
    SB_S_GRAD_DEPTH_BSIMPLE_AVG,
    SB_S_GRAD_BLOCK_SQNORM, SB_S_GRAD_BLOCK_TRACE_COV, SB_S_GRAD_BLOCK_GSNR, SB_S_GRAD_BLOCK_BSIMPLE,
    SB_S_GRAD_BLOCK_BSIMPLE_AVG,
    /* heads, layer similarity, attacks */
    SB_S_ATTN_JS, SB_S_ATTN_ENTROPY, SB_S_ATTN_IMPORTANCE, SB_S_ATTN_ENTROPY_MEAN,
    SB_S_CKA_LINEAR, SB_S_CKA_UNBIASED, SB_S_CKA_UPDATE_LINEAR, SB_S_CKA_UPDATE_UNBIASED,
    SB_S_PGD_EPS, SB_S_PGD_ACCURACY, SB_S_PGD_KL, SB_S_RANDSUB_RATE, SB_S_RANDSUB_ACCURACY,
    /* compression (bench/run/compress.c) */
    SB_S_TRAIN_KD, SB_S_SPARSITY, SB_S_FINETUNE_LOSS,
    SB_S_SPARSITY_OF_TENSOR, SB_S_FACTOR_ERROR_OF_TENSOR, SB_S_QUANT_ERROR_OF_TENSOR,
    /* data-parallel training (bench/mpi/dp.c) */
    SB_S_DP_COMM_MS,
    SB_S_COUNT
} sb_series_id;

/* An entry of the registry; NULL for an id out of range. */
const sb_metric_info *sb_metric_info_of(sb_metric_id id);
const sb_metric_info *sb_series_info_of(sb_series_id id);

/* The key (or pattern) of an id; "" for an id out of range. */
const char *sb_metric_key(sb_metric_id id);
const char *sb_series_key(sb_series_id id);

/* The id whose key or pattern a stored key is (sb_key_matches), or -1 when
** the registry has none: a name that nothing records. */
int sb_metric_lookup(const char *key);
int sb_series_lookup(const char *key);

/* 1 when key is an instance of pattern (a key without parts is only itself), else 0. */
int sb_key_matches(const char *pattern, const char *key);

/* The key of a pattern with its parts filled from words, dot-separated in
** order ("attn" for grad.<block>.sqnorm, "attn.wq.u" for sparsity.<tensor...>;
** NULL for a key without parts). 0, or -1 when words do not fit the parts (a
** part left unfilled keeps its <word>, which no registry entry matches). */
int sb_key_fill(const char *pattern, const char *words, char *out, size_t len);

/* A series' key as an SQL LIKE pattern with ESCAPE '\': its parts as '%'
** (grad.%.trace_cov), the literal text escaped. 0, or -1 when len is too small. */
int sb_series_like(sb_series_id id, char *out, size_t len);

/* 1 when a LIKE pattern (from a user: '%' for a whole part, e.g.
** grad.%.trace_cov) can match keys of some registered series, part by part, else 0. */
int sb_series_like_known(const char *like);

/* "exact", "quality", "timing", "measured"; "higher", "lower", "task", "key", "neither". */
const char *sb_kind_name(sb_metric_kind k);
const char *sb_better_name(sb_better b);

/* Record a metric or a series point of id into r (record.h): a key without
** parts, or, with _of, a pattern's parts filled from words (sb_key_fill).
** 0, or -1 when out of memory or the words do not fit (then the key is
** recorded with the part unfilled, which `sharebench check` and the tests
** report as a key the registry does not know). */
int sb_put_metric(sb_run *r, sb_metric_id id, double value);
int sb_put_metric_of(sb_run *r, sb_metric_id id, const char *words, double value);
int sb_put_point(sb_run *r, sb_series_id id, long step, int layer, int head, double value);
int sb_put_point_of(sb_run *r, sb_series_id id, const char *words, long step, int layer, int head, double value);

#endif

/*
** metrics.c: the metric registry (metrics.h): one row per key the project
** stores, indexed by its id, and the matching of stored keys to patterns.
** The tables are indexed by enumerator, so a row is found by the compiler's
** designated initialisers; test_metrics checks that none is missing.
*/
#include "metrics.h"
#include <stdio.h>
#include <string.h>

#define ROW(id, k, u, b, t, w) [id] = { k, u, SB_BETTER_##b, SB_KIND_##t, w }

#define TASK_METRIC "task metric"   /* accuracy and exact: fractions; bpc: bits per character */

static const sb_metric_info metrics[SB_M_COUNT] = {
    ROW(SB_M_VALID, "valid", TASK_METRIC, TASK, QUALITY,
        "The task's headline metric (the run's param metric: accuracy, exact or bpc) on the validation split after training."),
    ROW(SB_M_TEST, "test", TASK_METRIC, TASK, QUALITY,
        "The headline metric on the test split after training: what the report, the gate and the claims compare."),
    ROW(SB_M_TEST_LONG, "test_long", TASK_METRIC, TASK, QUALITY,
        "The headline metric on the test_long split, longer sequences than training (length generalisation); absent for "
        "tasks without one."),
    ROW(SB_M_VALID_STDERR, "valid_stderr", TASK_METRIC, NEITHER, QUALITY,
        "Standard error of valid over the split's examples (examples as the independent units)."),
    ROW(SB_M_TEST_STDERR, "test_stderr", TASK_METRIC, NEITHER, QUALITY, "Standard error of test over the split's examples."),
    ROW(SB_M_TEST_LONG_STDERR, "test_long_stderr", TASK_METRIC, NEITHER, QUALITY,
        "Standard error of test_long over the split's examples."),
    ROW(SB_M_VALID_LOSS, "valid_loss", "nats", LOWER, QUALITY,
        "Cross-entropy per scored position on the validation split after training, averaged over its batches."),
    ROW(SB_M_TEST_LOSS, "test_loss", "nats", LOWER, QUALITY, "Cross-entropy per scored position on the test split."),
    ROW(SB_M_TEST_LONG_LOSS, "test_long_loss", "nats", LOWER, QUALITY, "Cross-entropy per scored position on the test_long split."),
    ROW(SB_M_VALID_BY_METRIC, "valid.<metric>", "per <metric>", KEY, QUALITY,
        "The validation split under each metric the task's scorer gives (<metric>: accuracy or exact, fractions, or bpc, "
        "bits per character), the headline one among them."),
    ROW(SB_M_TEST_BY_METRIC, "test.<metric>", "per <metric>", KEY, QUALITY,
        "The test split under each metric the task's scorer gives."),
    ROW(SB_M_TEST_LONG_BY_METRIC, "test_long.<metric>", "per <metric>", KEY, QUALITY,
        "The test_long split under each metric the task's scorer gives."),
    ROW(SB_M_CHANCE, "chance", TASK_METRIC, NEITHER, EXACT,
        "The headline metric of guessing, as the task states it: the level to read test against."),

    ROW(SB_M_STEPS_DONE, "steps_done", "steps", NEITHER, EXACT,
        "Training steps done: the steps asked for, or the step at which a diverged run stopped."),
    ROW(SB_M_TRAIN_LOSS_FINAL, "train_loss_final", "nats", LOWER, QUALITY,
        "The loss the last training step minimised (its batch; distillation's term included when used); absent when no "
        "step ran."),
    ROW(SB_M_MERGED_AT_STEP, "merged_at_step", "steps", NEITHER, EXACT,
        "The step at which progressive sharing merged the model into its target map."),

    ROW(SB_M_TRAIN_SECONDS, "train_seconds", "s", LOWER, TIMING,
        "Seconds inside the training steps (data and evaluation left out)."),
    ROW(SB_M_TRAIN_TOKENS_PER_S, "train_tokens_per_s", "tokens/s", HIGHER, TIMING,
        "Training throughput: steps x batch x length / train_seconds (sharebench bench: at its median step)."),
    ROW(SB_M_TRAIN_STEP_MS, "train_step_ms", "ms", LOWER, TIMING,
        "Milliseconds per training step: train_seconds / steps (sharebench bench: the median of its steps); the series "
        "step_ms holds every step."),
    ROW(SB_M_INFER_TOKENS_PER_S, "infer_tokens_per_s", "tokens/s", HIGHER, TIMING,
        "The trained model's full forward pass over a test batch, tokens per second (median of five)."),
    ROW(SB_M_DECODE_TOKENS_PER_S, "decode_tokens_per_s", "tokens/s", HIGHER, TIMING,
        "Decoding with the key/value cache, a token of every sequence of the batch at a time, tokens per second (median of "
        "three; causal models)."),
    ROW(SB_M_DECODE_MS_PER_POSITION, "decode_ms_per_position", "ms", LOWER, TIMING,
        "Milliseconds per position of that decoding, the whole batch at once."),
    ROW(SB_M_CALIB_GFLOPS, "calib_gflops", "GFLOP/s", NEITHER, TIMING,
        "This machine's OpenBLAS SGEMM rate (256x256x256) measured in the run: divide speeds by it to compare machines, as "
        "the gate does."),

    ROW(SB_M_TRAIN_STEP_MS_QUIET, "train_step_ms_quiet", "ms", LOWER, TIMING,
        "The median training step after the first five among the steps no other process slowed (contended_steps "
        "left out): the run's one speed figure the gate compares; absent when the run is contended."),
    ROW(SB_M_CPU_SECONDS, "cpu_seconds", "s", NEITHER, MEASURED,
        "The process's CPU time (every thread) inside the training steps, beside their wall time train_seconds."),
    ROW(SB_M_CPU_SHARE, "cpu_share", "fraction", NEITHER, MEASURED,
        "cpu_seconds / (train_seconds x threads): the share of its threads' time the run was on a CPU (waiting threads "
        "sleep, so below 1 with several threads even alone)."),
    ROW(SB_M_OTHER_CPU_CORES, "other_cpu_cores", "cores", NEITHER, MEASURED,
        "Cores other processes kept busy during the training steps on average (/proc/stat's busy time less this "
        "process's CPU time): the load beside the run."),
    ROW(SB_M_STEAL_FRACTION, "steal_fraction", "fraction", NEITHER, MEASURED,
        "The share of the machine's CPU time its hypervisor gave other guests during the training steps (/proc/stat steal)."),
    ROW(SB_M_RUN_QUEUE_MAX, "run_queue_max", "tasks", NEITHER, MEASURED,
        "The most runnable tasks on the machine seen at a training step's start or end (/proc/loadavg), this run's included."),
    ROW(SB_M_CONTENDED_STEPS, "contended_steps", "steps", NEITHER, MEASURED,
        "Training steps other processes slowed: more runnable tasks than cores at the step's start or end, or the "
        "process on a CPU less than 80% of the step's wall time (the series step_contended names them)."),
    ROW(SB_M_CONTENDED, "contended", "flag", NEITHER, MEASURED,
        "1 when at least half the steps after the first five were contended, so the run has no train_step_ms_quiet "
        "and the gate leaves its step time out; else 0."),
    ROW(SB_M_INFER_CONTENDED, "infer_contended", "flag", NEITHER, MEASURED,
        "1 when other processes slowed the inference and decoding timings (the same signals as contended_steps over "
        "each timing), so the gate leaves them out; else 0."),

    ROW(SB_M_PARAMS_UNIQUE, "params_unique", "parameters", LOWER, EXACT, "Trainable parameters, each shared block counted once."),
    ROW(SB_M_PARAMS_EVERY_DEPTH, "params_every_depth", "parameters", NEITHER, EXACT,
        "Parameters counting every depth's use of a shared block: the compute a forward pass touches."),
    ROW(SB_M_FLOPS_TRAIN_PER_TOKEN, "flops_train_per_token", "FLOPs", LOWER, EXACT,
        "Analytic FLOPs of a training step per token at the run's batch and length, counting what the sharing computes "
        "(engine/core/flops.h: Kaplan et al.'s convention, backward twice the forward); with train_loops=sampled the mean over "
        "the steps."),
    ROW(SB_M_TRAIN_LOOPS_MEAN, "train_loops_mean", "loops", NEITHER, QUALITY,
        "train_loops=sampled: the mean of the loops drawn over the training steps (Geiping et al.'s sampler, seeded by the run)."),
    ROW(SB_M_MEAN_DEPTH, "mean_depth", "recursions", NEITHER, QUALITY,
        "sharing +mor (Mixture-of-Recursions): the mean number of the core's recursions per token on the test split, from 1 "
        "to r, as the trained router chose them; +act (the Universal Transformer's halting): the mean steps until each token "
        "halted (at most r)."),
    ROW(SB_M_FLOPS_ROUTED_PER_TOKEN, "flops_routed_per_token", "FLOPs", LOWER, QUALITY,
        "sharing +mor: analytic FLOPs of a forward per token that the routing needs at the depths chosen on the test split "
        "(each recursion's products for the tokens running it, its attention among them: engine/core/flops.h); the engine "
        "computes every recursion for every token, which flops_infer_per_token counts."),
    ROW(SB_M_FLOPS_INFER_PER_TOKEN, "flops_infer_per_token", "FLOPs", LOWER, EXACT,
        "Analytic FLOPs of a forward per token at the run's batch and length, of the model evaluated."),
    ROW(SB_M_BYTES_PARAMS, "bytes_params", "bytes", LOWER, EXACT,
        "The parameters' bytes in a training step, from the engine's accounting (sb_model_plan)."),
    ROW(SB_M_BYTES_GRADS, "bytes_grads", "bytes", LOWER, EXACT, "The gradients' bytes in a training step, from the engine's accounting."),
    ROW(SB_M_BYTES_OPTIM, "bytes_optim", "bytes", LOWER, EXACT, "AdamW's two moments' bytes, from the engine's accounting."),
    ROW(SB_M_BYTES_ACTS, "bytes_acts", "bytes", LOWER, EXACT,
        "The activations a training step keeps for its backward pass, from the engine's accounting."),
    ROW(SB_M_BYTES_SCRATCH, "bytes_scratch", "bytes", LOWER, EXACT,
        "The backward pass's scratch buffers, from the engine's accounting."),
    ROW(SB_M_PEAK_RSS_BYTES, "peak_rss_bytes", "bytes", LOWER, MEASURED,
        "The process's peak resident memory as the kernel measured it, everything it touched included (sharebench bench: "
        "a child running one shape's steps)."),
    ROW(SB_M_KV_CACHE_BYTES, "kv_cache_bytes", "bytes", LOWER, EXACT,
        "The key/value cache for the batch at the task's length (causal models)."),
    ROW(SB_M_BYTES_DISK, "bytes_disk", "bytes", LOWER, EXACT,
        "The compressed checkpoint the run wrote, measured on disk (every run: a scratch file when nothing is saved)."),
    ROW(SB_M_BYTES_MEMORY, "bytes_memory", "bytes", LOWER, EXACT,
        "The weights inference holds: int8 codes, scales and row sums, every other tensor in float (pruned matrices dense)."),

    ROW(SB_M_GRAD_NOISE_SCALE, "grad_noise_scale", "sequences", NEITHER, QUALITY,
        "The model's simple gradient noise scale tr(S) / |G|^2 with both averaged over the measurement points first "
        "(McCandlish et al. 2018, An Empirical Model of Large-Batch Training): the batch beyond which larger ones help little."),
    ROW(SB_M_HEAD_DIVERSITY, "head_diversity", "nats", NEITHER, QUALITY,
        "The mean over layers of attn.js: how differently a layer's heads attend."),
    ROW(SB_M_CKA_ADJACENT, "cka_adjacent", "fraction", NEITHER, QUALITY,
        "The mean unbiased linear CKA between the outputs of consecutive depths: how alike neighbouring layers represent."),
    ROW(SB_M_EMBED_MEAN_NORM, "embed_mean_norm", "norm", NEITHER, QUALITY,
        "The mean L2 norm of the token embeddings of the attack vocabulary: the unit of the PGD sizes pgd.eps."),
    ROW(SB_M_HOTFLIP_CLEAN_ACCURACY, "hotflip.clean_accuracy", "fraction", HIGHER, QUALITY,
        "Example-level accuracy on the attack examples before any substitution: 1 - hotflip.skipped / examples."),
    ROW(SB_M_HOTFLIP_ACCURACY_UNDER_ATTACK, "hotflip.accuracy_under_attack", "fraction", HIGHER, QUALITY,
        "Examples still right after HotFlip's substitutions within its budget, over all the attack examples."),
    ROW(SB_M_HOTFLIP_SKIPPED, "hotflip.skipped", "examples", NEITHER, QUALITY,
        "Attack examples already wrong before any substitution, so not attacked."),
    ROW(SB_M_HOTFLIP_SUCCESS_RATE, "hotflip.success_rate", "fraction", LOWER, QUALITY,
        "Attacked examples HotFlip turned wrong: successes / (successes + failures); absent when every example was skipped."),
    ROW(SB_M_HOTFLIP_PERTURBED_FRACTION, "hotflip.perturbed_fraction", "fraction", HIGHER, QUALITY,
        "Attackable positions a successful attack changed, averaged over the successes: more means harder to fool."),
    ROW(SB_M_HOTFLIP_QUERIES, "hotflip.queries", "evaluations", NEITHER, QUALITY,
        "Model evaluations per example attacked, the clean one included."),
    ROW(SB_M_ANALYSIS_SECONDS_GRAD, "analysis_seconds.grad", "s", LOWER, TIMING,
        "Seconds the gradient-noise measurements took over the run's points."),
    ROW(SB_M_ANALYSIS_SECONDS_HEADS, "analysis_seconds.heads", "s", LOWER, TIMING, "Seconds the head-diversity analysis took."),
    ROW(SB_M_ANALYSIS_SECONDS_CKA, "analysis_seconds.cka", "s", LOWER, TIMING, "Seconds the layer-similarity (CKA) analysis took."),
    ROW(SB_M_ANALYSIS_SECONDS_PGD, "analysis_seconds.pgd", "s", LOWER, TIMING, "Seconds the PGD attack took over its sizes."),
    ROW(SB_M_ANALYSIS_SECONDS_HOTFLIP, "analysis_seconds.hotflip", "s", LOWER, TIMING, "Seconds the HotFlip attack took."),
    ROW(SB_M_ANALYSIS_SECONDS_RANDSUB, "analysis_seconds.randsub", "s", LOWER, TIMING,
        "Seconds the random substitutions took over their rates."),

    ROW(SB_M_TEACHER_TEST, "teacher_test", TASK_METRIC, TASK, QUALITY,
        "The distillation teacher's test metric (trained in the run or loaded)."),
    ROW(SB_M_TEACHER_PARAMS, "teacher_params", "parameters", NEITHER, EXACT, "The teacher's unique parameters."),
    ROW(SB_M_TEACHER_SECONDS, "teacher_seconds", "s", LOWER, TIMING, "Seconds to train (or load) and evaluate the teacher."),
    ROW(SB_M_TEST_UNCOMPRESSED, "test_uncompressed", TASK_METRIC, TASK, QUALITY,
        "The test metric of the trained model before the steps after training (factorisation, pruning, fine-tuning, int8)."),
    ROW(SB_M_TEST_BEFORE_FINETUNE, "test_before_finetune", TASK_METRIC, TASK, QUALITY,
        "The test metric after factorisation or pruning, before fine-tuning."),
    ROW(SB_M_TEST_FLOAT, "test_float", TASK_METRIC, TASK, QUALITY, "The test metric just before int8 quantisation."),
    ROW(SB_M_COMPRESS_DELTA, "compress_delta", TASK_METRIC, TASK, QUALITY,
        "test - test_uncompressed: what the steps after training cost or gained."),
    ROW(SB_M_QUANT_DELTA, "quant_delta", TASK_METRIC, TASK, QUALITY, "test - test_float: what int8 quantisation cost or gained."),
    ROW(SB_M_FINETUNE_SECONDS, "finetune_seconds", "s", LOWER, TIMING, "Seconds fine-tuning after factorisation or pruning."),
    ROW(SB_M_CONVERT_ERROR, "convert_error", "ratio", LOWER, QUALITY,
        "convert=svd: sqrt(sum ||W_l - W'_l||^2 / sum ||W_l||^2) over every depth's block matrices, W'_l the converted "
        "model's (W + B_l A_l, or U_l V with basis), how far it starts from the trained checkpoint."),
    ROW(SB_M_FACTOR_ERROR, "factor_error", "fraction", LOWER, QUALITY,
        "Relative Frobenius error |W - U V^T| / |W| over all the matrices factorised after training."),
    ROW(SB_M_FACTOR_SECONDS, "factor_seconds", "s", LOWER, TIMING, "Seconds factorising the trained dense model (SVD or ALS)."),
    ROW(SB_M_PARAMS_DENSE, "params_dense", "parameters", NEITHER, EXACT, "Unique parameters of the dense model before factorisation."),
    ROW(SB_M_SPARSITY, "sparsity", "fraction", NEITHER, QUALITY, "The zero fraction of the block matrices after pruning."),
    ROW(SB_M_QUANT_SECONDS, "quant_seconds", "s", LOWER, TIMING, "Seconds quantising to int8, calibration included."),
    ROW(SB_M_QUANT_ERROR, "quant_error", "fraction", LOWER, QUALITY,
        "Relative Frobenius error of the int8 weights against the float ones, over all the quantised matrices."),
    ROW(SB_M_QUANT_TENSORS, "quant_tensors", "matrices", NEITHER, EXACT, "Unique matrices quantised, each shared one once."),
    ROW(SB_M_QUANT_TENSOR_USES, "quant_tensor_uses", "matrices", NEITHER, EXACT,
        "Uses of the quantised matrices over the depths (a shared matrix at every depth that uses it)."),
    ROW(SB_M_QUANT_CALIBRATIONS, "quant_calibrations", "calibrations", LOWER, EXACT,
        "Activation-scale calibrations made: one per unique block (per depth with quant_act=depth, none when dynamic)."),
    ROW(SB_M_QUANT_CALIBRATIONS_PER_LAYER, "quant_calibrations_per_layer", "calibrations", NEITHER, EXACT,
        "The calibrations quantising every layer separately would take, to compare with quant_calibrations."),
    ROW(SB_M_QUANT_BLOCKS_ATTN, "quant_blocks_attn", "blocks", NEITHER, EXACT, "Unique attention blocks quantised."),
    ROW(SB_M_QUANT_BLOCKS_KV, "quant_blocks_kv", "blocks", NEITHER, EXACT, "Unique key/value blocks quantised."),
    ROW(SB_M_QUANT_BLOCKS_FFN, "quant_blocks_ffn", "blocks", NEITHER, EXACT, "Unique feed-forward blocks quantised."),
    ROW(SB_M_QUANT_CALIBRATION_ROWS, "quant_calibration_rows", "rows", NEITHER, EXACT, "Activation rows observed while calibrating."),
    ROW(SB_M_BYTES_QUANTISED_FLOAT, "bytes_quantised_float", "bytes", NEITHER, EXACT,
        "The quantised block matrices' bytes in float, before int8."),
    ROW(SB_M_BYTES_QUANTISED_INT8, "bytes_quantised_int8", "bytes", LOWER, EXACT,
        "The same matrices' bytes in int8 with their scales."),
    ROW(SB_M_DECODE_MS_PER_TOKEN_INT8, "decode_ms_per_token_int8", "ms", LOWER, TIMING,
        "Milliseconds per token decoding one sequence with the key/value cache in int8 (median of three, alternating with "
        "float)."),
    ROW(SB_M_DECODE_MS_PER_TOKEN_FLOAT, "decode_ms_per_token_float", "ms", LOWER, TIMING,
        "The same decoding in float, measured alternately with int8."),
    ROW(SB_M_INT8_DECODE_SPEEDUP, "int8_decode_speedup", "ratio", HIGHER, TIMING,
        "decode_ms_per_token_float / decode_ms_per_token_int8."),

    ROW(SB_M_DP_RANKS, "dp_ranks", "ranks", NEITHER, EXACT, "The MPI ranks that trained the run together (run --dp)."),
    ROW(SB_M_DP_GRAD_BYTES_PER_STEP, "dp_grad_bytes_per_step", "bytes", LOWER, EXACT,
        "Gradient bytes each rank contributes to the reduction per step: unique parameters x 4."),
    ROW(SB_M_DP_BYTES_PER_STEP, "dp_bytes_per_step", "bytes", LOWER, EXACT,
        "All the bytes each rank reduces per step: the gradient and the 8-byte loss."),
    ROW(SB_M_DP_RING_BYTES_PER_STEP, "dp_ring_bytes_per_step", "bytes", LOWER, EXACT,
        "2 (p - 1) / p x dp_bytes_per_step: what each rank sends in a bandwidth-optimal (ring) allreduce."),
    ROW(SB_M_DP_COMM_SECONDS, "dp_comm_seconds", "s", LOWER, TIMING,
        "Rank 0's seconds inside MPI_Allreduce over the run, waiting for slower ranks included."),
    ROW(SB_M_DP_COMM_SECONDS_MIN, "dp_comm_seconds_min", "s", LOWER, TIMING,
        "The least dp_comm_seconds over the ranks, the closest to the transfer alone."),
    ROW(SB_M_DP_COMM_SECONDS_MAX, "dp_comm_seconds_max", "s", LOWER, TIMING, "The most dp_comm_seconds over the ranks."),

    ROW(SB_M_TRAIN_GFLOPS, "train_gflops", "GFLOP/s", HIGHER, TIMING,
        "sharebench bench: the training step's floating-point operations per second on its shape."),
    ROW(SB_M_GEMM_CEILING_GFLOPS, "gemm_ceiling_gflops", "GFLOP/s", NEITHER, TIMING,
        "sharebench bench: the best SGEMM rate of OpenBLAS and oneDNN on the step's own matrix shapes, the most an engine built on them reaches."),
    ROW(SB_M_OF_GEMM_CEILING, "of_gemm_ceiling", "fraction", HIGHER, TIMING, "train_gflops / gemm_ceiling_gflops."),
    ROW(SB_M_CEILING_STEP_MS, "ceiling_step_ms", "ms", NEITHER, TIMING,
        "The step's time were every operation at the ceiling and nothing else to do."),
    ROW(SB_M_TRAIN_FORWARD_MS, "train_forward_ms", "ms", LOWER, TIMING, "sharebench bench: the forward pass of the median step."),
    ROW(SB_M_TRAIN_BACKWARD_MS, "train_backward_ms", "ms", LOWER, TIMING, "sharebench bench: the backward pass of the median step."),
    ROW(SB_M_TRAIN_OPTIMIZER_MS, "train_optimizer_ms", "ms", LOWER, TIMING, "sharebench bench: the AdamW update of the median step."),
    ROW(SB_M_TORCH_STEP_MS, "torch_step_ms", "ms", NEITHER, TIMING,
        "The PyTorch peer's median step (eager) on the same shape and threads; the run's param torch names its version."),
    ROW(SB_M_SPEEDUP_VS_TORCH, "speedup_vs_torch", "ratio", HIGHER, TIMING, "torch_step_ms / train_step_ms."),
    ROW(SB_M_TORCH_COMPILED_STEP_MS, "torch_compiled_step_ms", "ms", NEITHER, TIMING,
        "The PyTorch peer's median step under torch.compile (bench --torch-compile)."),
    ROW(SB_M_SPEEDUP_VS_TORCH_COMPILED, "speedup_vs_torch_compiled", "ratio", HIGHER, TIMING,
        "torch_compiled_step_ms / train_step_ms."),
    ROW(SB_M_TRAIN_STEP_MS_1_THREAD, "train_step_ms_1_thread", "ms", LOWER, TIMING, "sharebench bench: the S3 step on one thread."),
    ROW(SB_M_TRAIN_STEP_MS_2_THREADS, "train_step_ms_2_threads", "ms", LOWER, TIMING, "The S3 step on two threads."),
    ROW(SB_M_THREAD_SPEEDUP, "thread_speedup", "ratio", HIGHER, TIMING, "train_step_ms_1_thread / train_step_ms_2_threads."),
    ROW(SB_M_TRAIN_STEP_MS_ALL_THREADS, "train_step_ms_all_threads", "ms", LOWER, TIMING,
        "The S3 step on all the threads asked for (16 or more)."),
    ROW(SB_M_THREAD_SPEEDUP_2_TO_ALL, "thread_speedup_2_to_all", "ratio", HIGHER, TIMING,
        "train_step_ms_2_threads / train_step_ms_all_threads."),
    ROW(SB_M_DECODE_MS_PER_TOKEN, "decode_ms_per_token", "ms", LOWER, TIMING,
        "sharebench bench: milliseconds per token decoding 256 tokens with the key/value cache (S3 model, batch 1)."),
    ROW(SB_M_RECOMPUTE_MS_PER_TOKEN, "recompute_ms_per_token", "ms", NEITHER, TIMING,
        "The same 256 tokens without the cache, the prefix recomputed for every token."),
    ROW(SB_M_DECODE_SPEEDUP, "decode_speedup", "ratio", HIGHER, TIMING, "recompute_ms_per_token / decode_ms_per_token."),
    ROW(SB_M_DECODE_MS_AT_256, "decode_ms_at_256", "ms", LOWER, TIMING, "The 256th token alone, with the cache."),
    ROW(SB_M_RECOMPUTE_MS_AT_256, "recompute_ms_at_256", "ms", NEITHER, TIMING,
        "The 256th token alone, recomputing all 256 positions."),
    ROW(SB_M_DECODE_SPEEDUP_AT_256, "decode_speedup_at_256", "ratio", HIGHER, TIMING, "recompute_ms_at_256 / decode_ms_at_256."),
    ROW(SB_M_BYTES_ACCOUNTED, "bytes_accounted", "bytes", LOWER, EXACT,
        "sharebench bench: the engine's accounting of the S3 training step, to compare with its peak_rss_bytes."),
    ROW(SB_M_BYTES_ALLOWANCE, "bytes_allowance", "bytes", NEITHER, MEASURED,
        "sharebench bench: its own resident memory before any model, allowed on top of the accounting."),
    ROW(SB_M_INT8_KL, "int8_kl", "nats", LOWER, QUALITY,
        "sharebench bench: mean KL(float || int8) of the next-token distributions decoding the untrained S3 model."),
    ROW(SB_M_INT8_TOP1_AGREEMENT, "int8_top1_agreement", "fraction", HIGHER, QUALITY,
        "The positions where float and int8 pick the same next token."),
    ROW(SB_M_INT8_VNNI, "int8_vnni", "flag", NEITHER, EXACT,
        "1 when int8 products ran on the AVX-512 VNNI kernel, 0 on the portable one."),
};

static const sb_metric_info series[SB_S_COUNT] = {
    ROW(SB_S_STEP_CONTENDED, "step_contended", "fraction", NEITHER, MEASURED,
        "The contended training steps alone (contended_steps), each with its CPU time over its wall time."),
    ROW(SB_S_STEP_MS, "step_ms", "ms", LOWER, TIMING,
        "Every training step's time, step = the step (train_step_ms_quiet is the median of the uncontended ones; "
        "sharebench bench: its repeated steps)."),
    ROW(SB_S_TRAIN_LOSS, "train_loss", "nats", LOWER, QUALITY, "The training loss at regular steps (a hundred over the run)."),
    ROW(SB_S_GRAD_NORM, "grad_norm", "norm", NEITHER, QUALITY, "The gradients' global L2 norm before clipping, at the same steps."),
    ROW(SB_S_LR, "lr", "learning rate", NEITHER, EXACT, "The schedule's learning rate (warmup, cosine decay) at the same steps."),
    ROW(SB_S_VALID_LOSS, "valid_loss", "nats", LOWER, QUALITY,
        "Validation loss at every evaluation (eval_every), step = the steps done."),
    ROW(SB_S_VALID_METRIC, "valid_metric", TASK_METRIC, TASK, QUALITY, "The validation headline metric at the same evaluations."),

    ROW(SB_S_GRAD_SQNORM, "grad.sqnorm", "squared norm", NEITHER, QUALITY,
        "The estimate of |G|^2 over every parameter of the model (McCandlish et al.'s two-batch estimate, sequences as "
        "samples; negative when noise dominates), step = the measurement point's training step, layer -1."),
    ROW(SB_S_GRAD_TRACE_COV, "grad.trace_cov", "squared norm", NEITHER, QUALITY,
        "The estimate of tr(S), the trace of the per-sequence gradients' covariance, over the model."),
    ROW(SB_S_GRAD_GSNR, "grad.gsnr", "ratio", NEITHER, QUALITY,
        "The gradient signal-to-noise ratio, de-biased, averaged over the entries with nonzero variance, over the model."),
    ROW(SB_S_GRAD_BSIMPLE, "grad.bsimple", "sequences", NEITHER, QUALITY,
        "The simple noise scale tr(S) / |G|^2 at the point, over the model (absent where |G|^2 is not positive)."),
    ROW(SB_S_GRAD_DEPTH_SQNORM, "grad.<block>.sqnorm", "squared norm", NEITHER, QUALITY,
        "|G|^2 of a depth's own contribution to the block it uses (<block>: attn, kv or ffn), layer = the depth."),
    ROW(SB_S_GRAD_DEPTH_TRACE_COV, "grad.<block>.trace_cov", "squared norm", NEITHER, QUALITY,
        "tr(S) of a depth's contribution to its block, layer = the depth."),
    ROW(SB_S_GRAD_DEPTH_GSNR, "grad.<block>.gsnr", "ratio", NEITHER, QUALITY,
        "The gradient signal-to-noise ratio of a depth's contribution to its block, layer = the depth."),
    ROW(SB_S_GRAD_DEPTH_BSIMPLE, "grad.<block>.bsimple", "sequences", NEITHER, QUALITY,
        "tr(S) / |G|^2 of a depth's contribution to its block, layer = the depth."),
    ROW(SB_S_GRAD_DEPTH_BSIMPLE_AVG, "grad.<block>.bsimple_avg", "sequences", NEITHER, QUALITY,
        "tr(S) / |G|^2 of a depth's contribution with both averaged over the points first, step = the last point."),
    ROW(SB_S_GRAD_BLOCK_SQNORM, "grad.<block>.sqnorm.block", "squared norm", NEITHER, QUALITY,
        "|G|^2 of a block's gradient (its depths' contributions summed, scaled as grad_scale asks), layer = the block's index."),
    ROW(SB_S_GRAD_BLOCK_TRACE_COV, "grad.<block>.trace_cov.block", "squared norm", NEITHER, QUALITY,
        "tr(S) of a block's gradient, layer = the block's index."),
    ROW(SB_S_GRAD_BLOCK_GSNR, "grad.<block>.gsnr.block", "ratio", NEITHER, QUALITY,
        "The gradient signal-to-noise ratio of a block's gradient, layer = the block's index."),
    ROW(SB_S_GRAD_BLOCK_BSIMPLE, "grad.<block>.bsimple.block", "sequences", NEITHER, QUALITY,
        "tr(S) / |G|^2 of a block's gradient, layer = the block's index."),
    ROW(SB_S_GRAD_BLOCK_BSIMPLE_AVG, "grad.<block>.bsimple_avg.block", "sequences", NEITHER, QUALITY,
        "tr(S) / |G|^2 of a block's gradient averaged over the points since the sharing last changed, step = the last point."),

    ROW(SB_S_ATTN_JS, "attn.js", "nats", NEITHER, QUALITY,
        "The mean Jensen-Shannon divergence between the attention of a layer's heads, layer = the depth, step = the steps "
        "trained (as for every analysis after training)."),
    ROW(SB_S_ATTN_ENTROPY, "attn.entropy", "nats", NEITHER, QUALITY,
        "The entropy of a head's attention, layer = the depth, head = the head."),
    ROW(SB_S_ATTN_IMPORTANCE, "attn.importance", "fraction", NEITHER, QUALITY,
        "A head's importance |dL/dg| for a gate g on its output (Michel et al. 2019, Are Sixteen Heads Really Better than "
        "One?), normalised per layer, layer = the depth, head = the head."),
    ROW(SB_S_ATTN_ENTROPY_MEAN, "attn.entropy_mean", "nats", NEITHER, QUALITY,
        "The mean attention entropy over a layer's heads, layer = the depth."),
    ROW(SB_S_CKA_LINEAR, "cka.linear", "fraction", NEITHER, QUALITY,
        "Linear CKA between the representations after depths i and j (Kornblith et al. 2019, Similarity of Neural Network "
        "Representations Revisited), layer = i, head = j, -1 the input to depth 0."),
    ROW(SB_S_CKA_UNBIASED, "cka.unbiased", "fraction", NEITHER, QUALITY, "The same with the debiased estimator of HSIC."),
    ROW(SB_S_CKA_UPDATE_LINEAR, "cka.update.linear", "fraction", NEITHER, QUALITY,
        "Linear CKA between the residual updates (output - input) of depths i and j, layer = i, head = j."),
    ROW(SB_S_CKA_UPDATE_UNBIASED, "cka.update.unbiased", "fraction", NEITHER, QUALITY,
        "The same with the debiased estimator."),
    ROW(SB_S_PGD_EPS, "pgd.eps", "embedding norms", NEITHER, EXACT,
        "The PGD attack's sizes (pgd_eps) as fractions of embed_mean_norm, step = the size's index."),
    ROW(SB_S_PGD_ACCURACY, "pgd.accuracy", "fraction", HIGHER, QUALITY,
        "Example-level accuracy under an embedding-space PGD attack of the size with the same step."),
    ROW(SB_S_PGD_KL, "pgd.kl", "nats", LOWER, QUALITY,
        "The mean KL(clean || attacked) of the output distributions at that size."),
    ROW(SB_S_RANDSUB_RATE, "randsub.rate", "fraction", NEITHER, EXACT,
        "The random substitution rates (randsub_rates), step = the rate's index."),
    ROW(SB_S_RANDSUB_ACCURACY, "randsub.accuracy", "fraction", HIGHER, QUALITY,
        "Example-level accuracy with that fraction of the attackable tokens replaced at random."),

    ROW(SB_S_TRAIN_KD, "train_kd", "nats", LOWER, QUALITY, "The distillation term of the training loss at regular steps."),
    ROW(SB_S_SPARSITY, "sparsity", "fraction", NEITHER, QUALITY,
        "The zero fraction of the block matrices each time the pruning schedule changed it, step = the training step."),
    ROW(SB_S_FINETUNE_LOSS, "finetune_loss", "nats", LOWER, QUALITY,
        "The fine-tuning loss at regular steps, step counting on from training's."),
    ROW(SB_S_SPARSITY_OF_TENSOR, "sparsity.<tensor...>", "fraction", NEITHER, QUALITY,
        "The zero fraction of one pruned matrix (<tensor...>: its name without the block, e.g. attn.wq), layer = its block."),
    ROW(SB_S_FACTOR_ERROR_OF_TENSOR, "factor_error.<tensor...>", "fraction", LOWER, QUALITY,
        "The relative error of one factorised matrix, layer = its block."),
    ROW(SB_S_QUANT_ERROR_OF_TENSOR, "quant_error.<tensor...>", "fraction", LOWER, QUALITY,
        "The relative error of one int8 matrix, layer = its block."),

    ROW(SB_S_DP_COMM_MS, "dp_comm_ms", "ms", LOWER, TIMING, "Each training step's time in MPI_Allreduce on rank 0."),
};

const sb_metric_info *sb_metric_info_of(sb_metric_id id)
{
    return (int)id >= 0 && id < SB_M_COUNT ? &metrics[id] : NULL;
}

const sb_metric_info *sb_series_info_of(sb_series_id id)
{
    return (int)id >= 0 && id < SB_S_COUNT ? &series[id] : NULL;
}

const char *sb_metric_key(sb_metric_id id)
{
    const sb_metric_info *m = sb_metric_info_of(id);
    return m && m->key ? m->key : "";
}

const char *sb_series_key(sb_series_id id)
{
    const sb_metric_info *m = sb_series_info_of(id);
    return m && m->key ? m->key : "";
}

const char *sb_kind_name(sb_metric_kind k)
{
    static const char *const names[] = { "exact", "quality", "timing", "measured" };
    return (int)k >= 0 && k <= SB_KIND_MEASURED ? names[k] : "?";
}

const char *sb_better_name(sb_better b)
{
    static const char *const names[] = { "higher", "lower", "task", "key", "neither" };
    return (int)b >= 0 && b <= SB_BETTER_NEITHER ? names[b] : "?";
}

/* ---- patterns ---- */

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The length of the part at p: up to a dot or the end, a <...> whole. */
static size_t part_len(const char *p)
{
    const char *e = *p == '<' ? strchr(p, '>') : NULL;
    return e ? (size_t)(e - p) + 1 : strcspn(p, ".");
}

/* 1 when the part at p (n bytes) is a pattern's <word> or <word...>; *rest gets 1 for the latter. */
static int is_slot(const char *p, size_t n, int *rest)
{
    *rest = n > 5 && !strncmp(p + n - 4, "...>", 4);
    return n > 2 && p[0] == '<' && p[n - 1] == '>';
}

/* 1 when the n bytes at p are one word. */
static int is_word(const char *p, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!word_char(p[i])) return 0;
    return 1;
}

int sb_key_matches(const char *pattern, const char *key)
{
    const char *p = pattern, *k = key;
    for (;;) {
        size_t pn = part_len(p), kn = part_len(k);
        int rest;
        if (is_slot(p, pn, &rest)) {
            if (rest) {
                /* the remaining parts, one or more words */
                for (;;) {
                    if (!is_word(k, part_len(k))) return 0;
                    k += part_len(k);
                    if (!*k) return 1;
                    k++;
                }
            }
            if (!is_word(k, kn)) return 0;
        } else if (pn != kn || strncmp(p, k, pn)) {
            return 0;
        }
        p += pn;
        k += kn;
        if (!*p || !*k) return !*p && !*k;
        p++;
        k++;
    }
}

int sb_key_fill(const char *pattern, const char *words, char *out, size_t len)
{
    size_t o = 0;
    int ok = 1;
    const char *p = pattern, *w = words;
    if (!len) return -1;
    out[0] = 0;
    while (*p) {
        size_t pn = part_len(p), add;
        const char *text = p;
        int rest;
        add = pn;
        if (is_slot(p, pn, &rest)) {
            size_t wn = w ? (rest ? strlen(w) : part_len(w)) : 0;
            if (wn) {
                text = w;
                add = wn;
                w += wn + (w[wn] == '.');
            } else {
                ok = 0;
            }
        }
        if (o + add + 2 > len) return -1;
        memcpy(out + o, text, add);
        o += add;
        p += pn;
        if (*p) out[o++] = *p++;
        out[o] = 0;
    }
    return ok && (!w || !*w) ? 0 : -1;
}

/* The index in table (n entries) whose key matches, -1 when none. */
static int lookup(const sb_metric_info *table, int n, const char *key)
{
    if (!key) return -1;
    for (int i = 0; i < n; i++)
        if (table[i].key && sb_key_matches(table[i].key, key)) return i;
    return -1;
}

int sb_metric_lookup(const char *key)
{
    return lookup(metrics, SB_M_COUNT, key);
}

int sb_series_lookup(const char *key)
{
    return lookup(series, SB_S_COUNT, key);
}

int sb_series_like(sb_series_id id, char *out, size_t len)
{
    const char *p = sb_series_key(id);
    size_t o = 0;
    while (*p) {
        size_t pn = part_len(p);
        int rest;
        if (is_slot(p, pn, &rest)) {
            if (o + 2 > len) return -1;
            out[o++] = '%';
        } else {
            for (size_t i = 0; i < pn; i++) {
                if (o + 3 > len) return -1;
                if (p[i] == '%' || p[i] == '_' || p[i] == '\\') out[o++] = '\\';
                out[o++] = p[i];
            }
        }
        p += pn;
        if (*p) {
            if (o + 2 > len) return -1;
            out[o++] = *p++;
        }
    }
    if (o + 1 > len) return -1;
    out[o] = 0;
    return 0;
}

int sb_series_like_known(const char *like)
{
    for (int i = 0; like && i < SB_S_COUNT; i++) {
        const char *p = series[i].key, *l = like;
        int same = 1;
        while (same) {
            size_t pn = part_len(p), ln = part_len(l);
            int rest;
            int any = ln == 1 && l[0] == '%';
            same = any || is_slot(p, pn, &rest) || (pn == ln && !strncmp(p, l, pn));
            p += pn;
            l += ln;
            if (!*p || !*l) {
                same = same && !*p && !*l;
                break;
            }
            p++;
            l++;
        }
        if (same) return 1;
    }
    return 0;
}

/* ---- recording ---- */

int sb_put_metric_of(sb_run *r, sb_metric_id id, const char *words, double value)
{
    char key[256];
    int fits = sb_key_fill(sb_metric_key(id), words, key, sizeof key);
    return sb_run_metric(r, key, value) || fits ? -1 : 0;
}

int sb_put_metric(sb_run *r, sb_metric_id id, double value)
{
    return sb_put_metric_of(r, id, NULL, value);
}

int sb_put_point_of(sb_run *r, sb_series_id id, const char *words, long step, int layer, int head, double value)
{
    char key[256];
    int fits = sb_key_fill(sb_series_key(id), words, key, sizeof key);
    return sb_run_series(r, key, step, layer, head, value) || fits ? -1 : 0;
}

int sb_put_point(sb_run *r, sb_series_id id, long step, int layer, int head, double value)
{
    return sb_put_point_of(r, id, NULL, step, layer, head, value);
}

/*
** analyze.h: the analyses a run records besides its task metrics (issue 5):
** gradient noise per depth and block during training, and after training
** attention-head diversity, layer similarity (CKA) and stability under
** adversarial and random perturbations. Composes the engine's analyses
** (gradnoise, headdiv, cka, attack) with a task's data and the store.
**
** Data, the same for every run of a task (same data_seed and knobs):
** gradient statistics use the first grad_samples sequences of the train
** split; heads and CKA the first attn_examples / cka_examples test examples;
** the attacks the first attack_examples test examples. Padding (token 0) is
** never a query, a CKA row or an attacked position; for causal tasks, whose
** answers appear in the tokens, the answer tokens (token t when position t-1
** is scored) are not attacked either. Substitutions use the task's input
** vocabulary: the tokens seen at attackable positions of the first 256
** training examples. Accuracy is example-level: an example is correct when
** all its scored positions are argmax-correct (argmax among the task's
** answers, as its scorer).
**
** Gradient statistics are McCandlish et al.'s two-batch estimates with
** sequences as samples (B_small = 1, B_big = grad_samples): sqnorm is the
** estimate of |G|^2, which can be negative when the noise dominates; bsimple
** = trace_cov / sqnorm is left out at a point where sqnorm is not positive.
** A depth's statistics are of its own contribution to the block it uses; a
** block's are of the block's gradient (the sum of its depths' contributions,
** rescaled as grad_scale asks); after a sharing change (progressive) the
** block averages restart. B_simple averages sum tr(S) and |G|^2 over the
** points before dividing. The series of the analyses after training carry
** the number of training steps done as their step.
**
** PGD takes pgd_steps steps of 2.5 radius / pgd_steps (Madry et al.'s
** ratio) from zero, in the ball pgd_ball names (engine/analysis/attack.h):
** example, FreeLB's, bounds the L2 norm of an example's whole perturbation
** by eps sqrt(P) (P its attacked positions); position bounds each attacked
** position's by eps. eps 0 is the clean input. HotFlip's counts are
** TextAttack's: skipped is a count of examples already wrong; success rate
** = successes / (successes + failures), absent when every example was
** skipped; accuracy under attack = failures / examples; perturbed fraction =
** changed / attackable positions averaged over successes (absent without
** one); queries = model evaluations (the clean one included) averaged over
** the examples not skipped. Since the targets stay the clean ones, on
** generated tasks where every input token determines the answer (copy,
** sort, ...) a substitution changes the right answer too: there the token
** attacks measure how easily the model's answers change, not label-
** preserving robustness.
**
** Recorded (series: metric, step, layer, head, value):
**   grad.K.{sqnorm,trace_cov,gsnr,bsimple}        step = training step, layer = depth, head -1,
**                                                 K in attn, kv, ffn: depth's contribution
**   grad.K.{...}.block                            layer = block index: the block's gradient
**   grad.{sqnorm,trace_cov,gsnr,bsimple}          layer -1: every parameter of the model
**   grad.K.bsimple_avg[.block]                    step = last point: tr(S), |G|^2 averaged over
**                                                 the points before dividing
**   metric grad_noise_scale                       model-wide B_simple averaged over the points
**   attn.js (layer, head -1), attn.entropy, attn.importance (layer, head),
**   attn.entropy_mean (layer, head -1); metric head_diversity = mean over layers of attn.js
**   cka.linear, cka.unbiased                      layer = i, head = j for i, j in -1..N-1 (both
**                                                 triangles and the diagonal), -1 = the input to depth 0
**   cka.update.linear, cka.update.unbiased        i, j in 0..N-1: residual updates (output - input)
**   metric cka_adjacent                           mean unbiased CKA of outputs l-1, l for l = 0..N-1
**   pgd.eps, pgd.accuracy, pgd.kl                 step = epsilon index (eps as a fraction of the
**                                                 mean token-embedding norm; the ball is param
**                                                 pgd_ball); metric embed_mean_norm
**   metrics hotflip.{success_rate, accuracy_under_attack, perturbed_fraction, queries,
**           skipped, clean_accuracy}
**   randsub.rate, randsub.accuracy                step = rate index
**   metrics analysis_seconds.{grad,heads,cka,pgd,hotflip,randsub}   the cost of each
** On failure (e.g. out of memory) the run goes on and records the first
** failure's message as its param analysis_error.
*/
#ifndef SB_ANALYZE_H
#define SB_ANALYZE_H

#include "spec/spec.h"
#include "results/store.h"
#include "task.h"
#include "core/model.h"

typedef struct sb_analysis sb_analysis;

/* Check the analysis keys of a spec (the epsilon and rate lists, the ball). Returns 0, or
** -1 with a message naming the key. */
int sb_analysis_check(const sb_spec *s, char *err, size_t errlen);

/* The bytes the analyses of a run of s add to its model c at the task's
** length T (sh its resolved sharing) when threads threads run it: the gradient-noise analysis' tracking
** copies (batch 1, one per thread, at most 16 and grad_samples / 2), each
** with its gradient moments; 0 without analyses or gradient points. 0, or -1
** with a message when c cannot be planned. */
int sb_analysis_memory(const sb_spec *s, const sb_config *c, const sb_sharing *sh, int T, int threads, double *bytes, char *err,
                       size_t errlen);

/* Prepare the analyses a spec asks for on a task: fetch the fixed batches,
** masks and vocabulary. NULL with a message on failure. */
sb_analysis *sb_analysis_new(const sb_spec *s, sb_task *task, char *err, size_t errlen);
void sb_analysis_free(sb_analysis *a);

/* 1 when gradient statistics are due with `step` updates done (0..steps):
** grad_points measurements evenly spaced from the start to the end. */
int sb_analysis_grad_due(const sb_analysis *a, int step);

/* Gradient statistics of m (after `step` updates) on a tracking copy (m is
** not changed), recorded at that step. Returns 0, or -1 with a message. */
int sb_analysis_gradients(sb_analysis *a, sb_run *r, const sb_model *m, int step, char *err, size_t errlen);

/* After training (`step` updates): the averaged noise scales, heads, CKA and
** the attacks on m (its activations and gradient buffers are overwritten, its
** parameters are not). Each part runs even if another failed; returns 0, or
** -1 with the first failure's message. */
int sb_analysis_final(sb_analysis *a, sb_run *r, sb_model *m, int step, char *err, size_t errlen);

#endif

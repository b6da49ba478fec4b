/*
** attack.h: adversarial and random perturbations of a model's inputs, and
** how its answers hold up under them:
**
**  - embedding-space PGD as in FreeLB (Zhu et al. 2020, arXiv 1909.11764):
**    from delta = 0, K steps of delta += alpha g/||g|| then projection back
**    onto the ball, ascending the mean loss over scored positions, with g
**    the loss's gradient with respect to the token embeddings. The ball
**    (sb_pgd_ball_names) is
**      example:  FreeLB's, one per example: ||delta_x|| <= eps sqrt(P_x),
**                the L2 norm over the example's whole perturbation (T x E,
**                its P_x attacked positions), g/||g|| normalised alike;
**      position: one per attacked position: ||delta_t|| <= eps for each,
**                g normalised per position.
**    eps is thus a root-mean-square budget per attacked position in both:
**    the position balls' product lies inside the example's ball, which lets
**    the attack spend its budget where the loss is most sensitive (at one
**    position the two agree). Callers scale eps by the mean token-embedding
**    norm (sb_embed_mean_norm), so tied and untied models compare fairly;
**    alpha = alpha_ratio times the ball's radius / K;
**  - HotFlip (Ebrahimi et al. 2018): the first-order change of the loss when
**    the token at position i flips from a to b is (E_b - E_a) . dL/de_i;
**    take the best (i, b) over the positions not yet flipped and the allowed
**    tokens, re-evaluate, repeat up to the budget of changed tokens (greedy,
**    no beam);
**  - random substitution: each attacked position independently replaced,
**    with probability rate, by a uniformly drawn other allowed token (the
**    non-adversarial control).
**
** An example is correct when every one of its scored positions is
** argmax-correct, the argmax taken among the task's possible answers as the
** task scorer does (ties to the lowest id); examples without a scored
** position are left out. The attacks' targets stay the clean ones, so on
** the examples the model got right an attack's success is a change of the
** model's answer. Which positions may be attacked is the caller's mask
** (B,T); which tokens a substitution may use is the rules' `allowed` table.
** HotFlip's counts follow TextAttack's attack metrics (sb_hotflip_stats).
*/
#ifndef SB_ATTACK_H
#define SB_ATTACK_H

#include "core/model.h"
#include "core/rng.h"

typedef struct {
    int answer_lo, answer_hi;      /* argmax among [lo, hi); the whole vocabulary when hi <= lo */
    const unsigned char *allowed;  /* (V) nonzero for the token ids a substitution may use */
} sb_attack_rules;

/* Correctness of one example from probs (T,V) and targets (T): 1 when every
** scored position is argmax-correct, 0 when one is not, -1 with no scored
** position. */
int sb_example_correct(const real *probs, const int *targets, int V, int T, const sb_attack_rules *r);

/* Mean L2 norm of the token-embedding rows (width E) of the allowed tokens
** (every row when allowed is NULL). */
double sb_embed_mean_norm(sb_model *m, const unsigned char *allowed);

/* PGD's balls: FreeLB's per example, or one per position (see above). */
enum { SB_PGD_EXAMPLE, SB_PGD_POSITION, SB_PGD_BALL_COUNT };
/* "example", "position", indexed by SB_PGD_*. */
extern const char *const sb_pgd_ball_names[SB_PGD_BALL_COUNT];

/* The radius of example b's ball at budget eps: eps sqrt(P) with P its
** attacked positions (mask (B,T), NULL: all T) for SB_PGD_EXAMPLE, eps for
** each position for SB_PGD_POSITION. */
double sb_pgd_radius(const unsigned char *mask, int b, int T, double eps, int ball);

/* Project delta (B,T,E) onto the ball at budget eps: a unit (an example, or
** a position) whose L2 norm over its attacked rows exceeds its radius is
** scaled onto the sphere (a hair inside, for rounding); others, and rows
** outside the mask, are left as they are. */
void sb_pgd_project(real *delta, const unsigned char *mask, int B, int T, int E, double eps, int ball);

/* PGD outcomes, summed over batches (zero-initialise). */
typedef struct {
    long examples;       /* examples with a scored position */
    long clean_correct;  /* of which correct without perturbation */
    long correct;        /* of which correct under attack */
    double kl_sum;       /* sum over scored positions of KL(clean || perturbed), nats */
    long kl_positions;
    double loss_clean, loss_adv;  /* mean losses of the last batch, before and after */
} sb_pgd_stats;

/* PGD on B examples (B,T) (types may be NULL) at each of neps budgets eps[k]
** (in embedding units, per position as above; 0 leaves the input clean) in
** the ball `ball` (SB_PGD_*), each from delta = 0 with `steps` steps of
** size alpha_ratio times the radius / steps, perturbing the positions where
** mask (B,T) is nonzero (NULL: all); one clean forward serves every budget.
** delta_out (B,T,E), when not NULL, gets the last budget's perturbation.
** Adds budget k's outcome to st[k]. Returns 0, or -1 with a message (out of
** memory, a non-finite loss, an unknown ball). */
int sb_pgd_attack(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                  int B, int T, const double *eps, int neps, int steps, double alpha_ratio, int ball,
                  const sb_attack_rules *r, real *delta_out, sb_pgd_stats *st, char *err, size_t errlen);

/* HotFlip outcomes, summed over batches (zero-initialise), TextAttack's way:
** an example already wrong is skipped; accuracy under attack = failures /
** examples; success rate = successes / (successes + failures); perturbed
** fraction averaged over successful attacks only; queries (model
** evaluations, the clean one included; every evaluation but the last gives
** the gradient the next flip uses) averaged over the examples not skipped. */
typedef struct {
    long examples, skipped, successes, failures;
    double perturbed_sum;  /* sum over successes of changed / attackable positions */
    long queries;          /* over the examples not skipped */
} sb_hotflip_stats;

/* HotFlip with at most `budget` changed tokens per example on B examples,
** flipping positions where mask is nonzero to allowed tokens. adv_out
** (B,T), when not NULL, gets the final tokens. Adds to *st. Returns 0, or -1
** with a message. */
int sb_hotflip_attack(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                      int B, int T, int budget, const sb_attack_rules *r, int *adv_out, sb_hotflip_stats *st,
                      char *err, size_t errlen);

/* Random substitution at `rate` on B examples: adds to *examples the examples
** with a scored position and to *correct those still correct. The draws come
** from rng. adv_out (B,T), when not NULL, gets the substituted tokens.
** Returns 0, or -1 with a message. */
int sb_randsub_eval(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                    int B, int T, double rate, sb_rng *rng, const sb_attack_rules *r, int *adv_out, long *examples,
                    long *correct, char *err, size_t errlen);

#endif

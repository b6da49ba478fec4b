/*
** claims.h: the project's list of claims (bench/claims.txt, installed as
** share/sharebench/claims.txt, by default: datadir.h; the format and the checks are described at the top of that file) and what the
** data of a report says about each: supported, contradicted, inconclusive or
** not measured, with the evidence in words.
*/
#ifndef SB_CLAIMS_H
#define SB_CLAIMS_H

#include "results/runset.h"

#define SB_CLAIM_MAX_CHECKS 8

typedef struct {
    char id[64];
    char text[512];
    char source[256];
    char check[SB_CLAIM_MAX_CHECKS][256];
    int nchecks;
    char figures[128];       /* space-separated figure kinds */
    char figure[256];        /* the claim's own figure, in words ("" when it states none) */
    char published[512];     /* a published figure with its source ("" when none is known) */
    char scale[256];         /* the scale the claim is about (model, data, training) */
} sb_claim;

typedef struct {
    sb_claim *claim;
    int n;
} sb_claims;

typedef enum { SB_CLAIM_NOT_MEASURED, SB_CLAIM_SUPPORTED, SB_CLAIM_CONTRADICTED, SB_CLAIM_INCONCLUSIVE } sb_claim_status;

/* "not measured", "supported", "contradicted", "inconclusive". */
const char *sb_claim_status_name(sb_claim_status s);

/* Read and check a claims file: every section a claim with text and at least
** one check, every check a known one with known keys. 0, or -1 with a message
** naming the file, line or claim, and key. */
int sb_claims_load(const char *path, sb_claims *out, char *err, size_t errlen);
void sb_claims_free(sb_claims *c);

/* 1 when every check of c that measures anything reads the engine's
** accounting of a preset model (preset=...), not the runs. */
int sb_claim_from_accounting(const sb_claim *c);

/* What the runs of s say about claim c; budget (bytes) is the report's memory
** budget for length checks without their own; unlearned (may be NULL) lists
** the tasks not learned at this budget, one a line, whose quality is left out
** of comparisons. Fills *status and evidence (sentences). 0, or -1 with a
** message on an internal error. */
int sb_claim_evaluate(const sb_claim *c, const sb_runset *s, double budget, const char *unlearned, sb_claim_status *status,
                      char *evidence, size_t len, char *err, size_t errlen);

#endif

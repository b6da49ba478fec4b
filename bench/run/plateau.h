/*
** plateau.h: when a validation loss has stopped falling, the trigger of
** progressive sharing's merge with merge_on=plateau: `patience` validations in
** a row without a new best, a new best being lower than the best so far by
** more than min_delta (the rule of early stopping, Prechelt 1998, "Early
** Stopping - But When?", and of PyTorch's ReduceLROnPlateau in its absolute
** mode).
*/
#ifndef SB_PLATEAU_H
#define SB_PLATEAU_H

typedef struct {
    double best;        /* the lowest loss seen (infinite before the first) */
    double min_delta;   /* a loss counts as a new best when below best - min_delta */
    int since;          /* validations since the last new best */
    int patience;
} sb_plateau;

/* A detector that fires after `patience` validations without a new best. */
void sb_plateau_init(sb_plateau *p, int patience, double min_delta);

/* Record one validation loss; 1 when this one makes `patience` in a row without
** a new best (and at every later one until a new best), else 0. A non-finite
** loss is no new best. */
int sb_plateau_update(sb_plateau *p, double loss);

#endif

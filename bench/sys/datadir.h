/*
** datadir.h: where sharebench finds the data files it ships (the sweeps, the
** claims, the suites, the gnuplot scripts and the PyTorch peer), so that an
** installed binary works from any directory.
**
** Items are named as in the installed share directory ("claims.txt",
** "plots", "suites", "sweeps/smoke.ini", "peers/torch_train.py"); a checkout
** keeps some under bench/. Each item is looked for, in order:
**   1. the installed share directory: <bin>/../share/sharebench, beside the
**      running executable (make install puts them there, DESTDIR or not);
**   2. the checkout the executable was built in (build/release/sharebench:
**      two directories up), where they are in the source layout;
**   3. $SHAREBENCH_DATA, a directory laid out as the share directory;
**   4. the current directory, in the source layout (the behaviour before
**      sharebench could be installed).
*/
#ifndef SB_DATADIR_H
#define SB_DATADIR_H

#include <stddef.h>

/* The path of item (see above) into out. 0 when found; -1 with a message
** saying where it was looked for (out then holds the current directory's
** candidate, so a later open names it). */
int sb_data_path(const char *item, char *out, size_t len, char *err, size_t errlen);

/* The first of the places above that holds the data (claims.txt), as a
** directory, into out, for `sharebench --version`. 0, or -1 when none does. */
int sb_data_dir(char *out, size_t len);

#endif

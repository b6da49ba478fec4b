/*
** version.h: `sharebench --version`: what a result depends on besides its
** configuration (the code version, the BLAS and the kernels it chose, the
** compiler and flags, the libraries), and where the data files come from.
*/
#ifndef SB_VERSION_H
#define SB_VERSION_H

#include <stdio.h>

/* Print the version block to f: first line "sharebench VERSION", then one fact a line. */
void sb_version_print(FILE *f);

#endif

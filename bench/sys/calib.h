/*
** calib.h: this machine's matrix-multiply rate, measured now, recorded with
** every run so that speeds measured on different machines can be compared.
*/
#ifndef SB_CALIB_H
#define SB_CALIB_H

/* This machine's single-precision matrix-multiply rate right now (GFLOP/s,
** median of repeated 256x256x256 products on the current threads). */
double sb_gemm_gflops(void);

#endif

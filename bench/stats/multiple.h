/*
** multiple.h: control of many tests at once. A report makes dozens of
** comparisons; reading each p against 0.05 would call about one in twenty
** differences of pure noise significant. Benjamini and Hochberg (1995,
** "Controlling the false discovery rate", JRSS B 57:289-300) bound the
** expected share of false discoveries among those declared; Holm (1979, "A
** simple sequentially rejective multiple test procedure", Scand. J. Stat.
** 6:65-70) bounds the chance of any false one. Both give adjusted p-values,
** compared with the level as a single test's p would be.
*/
#ifndef SB_STATS_MULTIPLE_H
#define SB_STATS_MULTIPLE_H

/* Benjamini-Hochberg adjusted p-values (R's p.adjust(p, "BH")): q[i] =
** min over j with p_(j) >= p[i] of min(1, m p_(j) / j). Non-finite p (a test
** not made) are left out of m and get q = NAN. p and q may be the same
** array. Returns the number of finite p, or -1 when out of memory. */
int sb_stats_bh(const double *p, int n, double *q);

/* Holm adjusted p-values (R's p.adjust(p, "holm")), the same conventions. */
int sb_stats_holm(const double *p, int n, double *q);

#endif

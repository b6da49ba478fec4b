/*
** fmt.c: numbers for people (fmt.h).
*/
#include "fmt.h"
#include <math.h>
#include <stdio.h>

char *sb_fmt_count(long n, char *out, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%ld", n < 0 ? -n : n), w = 0;
    if (n < 0 && (size_t)w + 1 < len) out[w++] = '-';
    for (int i = 0; i < nd && (size_t)w + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0) out[w++] = ',';
        out[w++] = digits[i];
    }
    out[w] = 0;
    return out;
}

char *sb_fmt_bytes(double b, char *out, size_t len)
{
    const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (b >= 1024 && u < 4) { b /= 1024; u++; }
    snprintf(out, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
    return out;
}

char *sb_fmt_si(double x, char *out, size_t len)
{
    if (!isfinite(x)) snprintf(out, len, "-");
    else if (x >= 1e9) snprintf(out, len, "%.3g G", x / 1e9);
    else if (x >= 1e6) snprintf(out, len, "%.3g M", x / 1e6);
    else if (x >= 1e3) snprintf(out, len, "%.3g k", x / 1e3);
    else snprintf(out, len, "%.3g", x);
    return out;
}

void sb_fmt_time(double s, char *out, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, len, "%02ld:%02ld", t / 60, t % 60);
}

void sb_fmt_md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n' || *s == '\r') fputc(' ', f);
        else fputc(*s, f);
    }
}

/*
** ci.c: the gate's result as JUnit XML and GitHub Actions workflow commands
** (ci.h).
*/
#include "ci.h"
#include <math.h>
#include <string.h>

/* Text as XML character data or an attribute value. Control characters other
** than tab and newline cannot appear in XML 1.0: written as '?'. */
static void xml(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&') fputs("&amp;", f);
        else if (c == '<') fputs("&lt;", f);
        else if (c == '>') fputs("&gt;", f);
        else if (c == '"') fputs("&quot;", f);
        else if (c < 0x20 && c != '\t' && c != '\n') fputc('?', f);
        else fputc(c, f);
    }
}

/* One line on a row: the values, the change, the test and the mark. */
static void describe(FILE *f, const sb_gate_row *r, void (*out)(FILE *, const char *))
{
    char buf[1024];
    char change[48] = "-";
    if (isfinite(r->change)) {
        if (r->kind == SB_GATE_QUALITY) snprintf(change, sizeof change, "%+.4g", r->change);
        else snprintf(change, sizeof change, "x%.4g", r->change);
    }
    snprintf(buf, sizeof buf, "%s: baseline %.6g, candidate %.6g%s%s, change %s; %s p %.2g, Holm %.2g; n %d/%d%s%s",
             sb_mark_name(r->mark), r->base, r->cand, r->unit[0] ? " " : "", r->unit, change, r->test[0] ? r->test : "no test",
             r->p, r->p_holm, r->n_base, r->n_cand, r->note[0] ? "; " : "", r->note);
    out(f, buf);
}

static void put_xml(FILE *f, const char *s) { xml(f, s); }

static int is_failure(sb_mark m) { return m == SB_MARK_WORSE || m == SB_MARK_NEWLY_FAILING; }
static int is_error(sb_mark m) { return m == SB_MARK_MISSING || m == SB_MARK_TOO_FEW || m == SB_MARK_NOT_MEASURABLE; }

int sb_gate_junit(FILE *f, const sb_gate_result *res)
{
    int failures = 0, errors = 0;
    for (int i = 0; i < res->nrows; i++) {
        failures += is_failure(res->rows[i].mark);
        errors += is_error(res->rows[i].mark);
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"sharebench gate\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n", res->nrows, failures, errors);
    fprintf(f, "  <testsuite name=\"sharebench gate: %s (exit %d)\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n",
            sb_gate_verdict(res->status), res->status, res->nrows, failures, errors);
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        fputs("    <testcase classname=\"", f);
        xml(f, r->config);
        fputs("\" name=\"", f);
        xml(f, r->metric);
        fputs("\">\n", f);
        if (is_failure(r->mark) || is_error(r->mark)) {
            fprintf(f, "      <%s type=\"", is_failure(r->mark) ? "failure" : "error");
            xml(f, sb_mark_name(r->mark));
            fputs("\" message=\"", f);
            describe(f, r, put_xml);
            fprintf(f, "\"/>\n");
        }
        fputs("      <system-out>", f);
        describe(f, r, put_xml);
        fputs("</system-out>\n    </testcase>\n", f);
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return ferror(f) ? -1 : 0;
}

/* A workflow command's message ('%', CR and LF escaped) or property (also ':' and ','). */
static void gh(FILE *f, const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%') fputs("%25", f);
        else if (*s == '\r') fputs("%0D", f);
        else if (*s == '\n') fputs("%0A", f);
        else if (property && *s == ':') fputs("%3A", f);
        else if (property && *s == ',') fputs("%2C", f);
        else fputc(*s, f);
    }
}

static void put_gh(FILE *f, const char *s) { gh(f, s, 0); }

int sb_gate_github(FILE *f, const sb_gate_result *res)
{
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        if (!is_failure(r->mark) && !is_error(r->mark)) continue;
        char title[400];
        snprintf(title, sizeof title, "sharebench gate: %s, %s", r->config, r->metric);
        fprintf(f, "::%s title=", is_failure(r->mark) ? "error" : "warning");
        gh(f, title, 1);
        fputs("::", f);
        describe(f, r, put_gh);
        fputc('\n', f);
    }
    fprintf(f, "::notice title=sharebench gate::%s (exit %d): %d worse, %d newly failing, %d missing, %d too few, %d not measurable here\n",
            sb_gate_verdict(res->status), res->status, res->count[SB_MARK_WORSE], res->count[SB_MARK_NEWLY_FAILING],
            res->count[SB_MARK_MISSING], res->count[SB_MARK_TOO_FEW], res->count[SB_MARK_NOT_MEASURABLE]);
    return ferror(f) ? -1 : 0;
}

/*
** fuzz_claims.c: claims files (bench/report/claims.c), read as `sharebench report
** --claims FILE` reads them, and every claim evaluated against a small set of
** runs (a baseline written at the first call).
*/
#include "results/source.h"
#include "fuzz.h"
#include "report/claims.h"
#include "results/runset.h"
#include <string.h>

/* Two runs of two configurations: enough for every check to find something. */
static const char runs_csv[] =
    "run,kind,key,step,layer,head,value\n"
    "0,meta,format,,,,sharebench-baseline 1\n"
    "1,run,cell,,,,c1\n1,run,config_hash,,,,h1\n1,run,task,,,,copy\n1,run,sharing,,,,none\n1,run,seed,,,,1\n"
    "1,run,status,,,,finished\n1,run,started,,,,2024-01-01T00:00:00Z\n1,run,ended,,,,2024-01-01T00:01:00Z\n"
    "1,param,preset,,,,tiny\n1,param,sharing,,,,none\n1,param,batch,,,,8\n1,param,layers,,,,2\n1,param,metric,,,,accuracy\n"
    "1,metric,test,,,,0.5\n1,metric,test_long,,,,0.25\n1,metric,params_unique,,,,1000\n1,metric,bytes_optim,,,,8000\n"
    "1,series,grad.0.attn.trace_cov,10,0,-1,1.5\n1,series,grad.0.attn.trace_cov,10,1,-1,2.5\n"
    "2,run,cell,,,,c2\n2,run,config_hash,,,,h2\n2,run,task,,,,copy\n2,run,sharing,,,,all\n2,run,seed,,,,1\n"
    "2,run,status,,,,finished\n2,run,started,,,,2024-01-01T00:00:00Z\n2,run,ended,,,,2024-01-01T00:01:00Z\n"
    "2,param,preset,,,,tiny\n2,param,sharing,,,,all\n2,param,batch,,,,8\n2,param,layers,,,,2\n2,param,metric,,,,accuracy\n"
    "2,metric,test,,,,0.4\n2,metric,test_long,,,,0.2\n2,metric,params_unique,,,,500\n2,metric,bytes_optim,,,,4000\n";

int sb_fuzz_claims(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    static sb_runset *runs;
    if (!runs) {
        const char *csv = sb_fuzz_write("runs.csv", (const uint8_t *)runs_csv, strlen(runs_csv), err, errlen);
        if (!csv || !(runs = sb_runset_open(csv, NULL, err, errlen))) return -1;
    }
    const char *path = sb_fuzz_write("claims.txt", data, size, err, errlen);
    if (!path) return -1;
    sb_claims c;
    if (sb_claims_load(path, &c, err, errlen)) return -1;
    int rc = 0;
    for (int i = 0; i < c.n && !rc; i++) {
        sb_claim_status st;
        char evidence[4096];
        rc = sb_claim_evaluate(&c.claim[i], runs, 1 << 30, NULL, &st, evidence, sizeof evidence, err, errlen);
        if (!rc && !sb_claim_status_name(st)) __builtin_trap();
    }
    sb_claims_free(&c);
    return rc;
}

SB_FUZZ_MAIN(claims)

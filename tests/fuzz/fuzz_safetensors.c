/*
** fuzz_safetensors.c: checkpoints (engine/io/safetensors.c, engine/io/checkpoint.c),
** read as `sharebench run --init-from FILE` reads them: the header parsed and
** checked, every tensor and metadata entry looked at, the configuration read,
** and when it is small enough to build, a model built from it and the weights
** loaded into it, and the AdamW moments (of an optimizer state file, or of a
** first-format checkpoint that holds them).
*/
#include "fuzz.h"
#include "io/safetensors.h"
#include "io/checkpoint.h"
#include "core/model.h"
#include "core/adamw.h"
#include <string.h>

/* Models larger than this are not built (a checkpoint may describe any size;
** building it is the engine's business, tested elsewhere). */
#define MAX_MODEL_BYTES (64.0 * 1024 * 1024)

int sb_fuzz_safetensors(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    const char *path = sb_fuzz_write("model.safetensors", data, size, err, errlen);
    if (!path) return -1;
    sb_st_file *f = sb_st_open(path, err, errlen);
    if (!f) return -1;
    /* every tensor's bytes are inside what was read: touch the first and last */
    volatile unsigned char sink = 0;
    for (int i = 0; i < sb_st_count(f); i++) {
        const sb_st_tensor *t = sb_st_get(f, i);
        size_t bytes = sb_st_dtype_size(t->dtype);
        for (int d = 0; d < t->ndim; d++) bytes *= (size_t)t->shape[d];
        if (bytes) sink ^= ((const unsigned char *)t->data)[0] ^ ((const unsigned char *)t->data)[bytes - 1];
        if (sb_st_find(f, t->name) == NULL) __builtin_trap();
    }
    (void)sink;
    sb_st_meta_get(f, "format");
    const char *content = sb_st_meta_get(f, "sharebench.content");
    int optimizer = content && !strcmp(content, "optimizer"), with_optim = sb_st_meta_get(f, "optim.step") != NULL;
    sb_st_close(f);

    /* a checkpoint (its weights, and a first-format one's moments), or an optimizer state file */
    sb_config c;
    if ((optimizer ? sb_checkpoint_optim_config : sb_checkpoint_config)(path, &c, err, errlen)) return -1;
    long n;
    sb_memory mem;
    int T = c.max_len < 8 ? c.max_len : 8;
    if (sb_model_plan(&c, 1, T, 0, &n, &mem, err, errlen)) return -1;
    double bytes = (double)mem.params * 4 + (double)mem.acts + (double)mem.scratch;
    if (bytes > MAX_MODEL_BYTES) return 0;
    sb_model *m = sb_model_create(&c, 1, T, 1, 0, err, errlen);
    if (!m) return -1;
    sb_adamw o;
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    int rc = sb_adamw_init(&o, &oc, sb_model_n_params(m));
    if (rc) snprintf(err, errlen, "out of memory");
    else {
        rc = optimizer ? 0 : sb_checkpoint_load(path, m, err, errlen);
        if (!rc && (optimizer || with_optim)) rc = sb_checkpoint_load_optim(path, m, &o, err, errlen);
        sb_adamw_free(&o);
    }
    sb_model_free(m);
    return rc;
}

SB_FUZZ_MAIN(safetensors)

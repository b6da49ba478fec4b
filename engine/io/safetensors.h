/*
** safetensors.h: read and write the safetensors format (Hugging Face).
**
** Layout: 8-byte little-endian header length N, N bytes of JSON mapping each
** tensor name to {"dtype","shape","data_offsets":[begin,end]} plus an optional
** "__metadata__" object of string to string, then the raw little-endian data.
** The JSON is handled by cJSON. This module knows nothing of models: it moves
** named arrays and string metadata; checkpoint.c maps them onto a model.
*/
#ifndef SB_SAFETENSORS_H
#define SB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SB_ST_MAX_DIMS 8

typedef struct {
    const char *name;
    const char *dtype;           /* "F32", "F64", "I8", "I32", ... */
    int ndim;
    int64_t shape[SB_ST_MAX_DIMS];
    const void *data;            /* numel * element size bytes; may be unaligned: memcpy out */
} sb_st_tensor;

typedef struct {
    const char *key, *value;
} sb_st_meta;

/* Write tensors and metadata to path atomically (written to a temporary file
** beside it, fsynced, renamed), so a crash never leaves a half-written
** checkpoint under the name. A symbolic link is written through (to the file
** it names); a FIFO, device or directory at path is refused. Returns 0, or -1
** with a message naming the file. */
int sb_st_write(const char *path, const sb_st_tensor *tensors, int n, const sb_st_meta *meta, int nmeta,
                char *err, size_t errlen);

/* A file read whole and its header parsed and checked. */
typedef struct sb_st_file sb_st_file;

/* Open and validate: header length within the file, JSON well formed, every
** tensor's dtype known, shape non-negative, offsets in order, inside the data
** and matching shape x element size, no overlaps. Returns NULL with a message
** naming the file and the problem. */
sb_st_file *sb_st_open(const char *path, char *err, size_t errlen);
void sb_st_close(sb_st_file *f);

/* Number of tensors, and the i-th (0 <= i < count), in file order. */
int sb_st_count(const sb_st_file *f);
const sb_st_tensor *sb_st_get(const sb_st_file *f, int i);

/* The tensor named name, or NULL. */
const sb_st_tensor *sb_st_find(const sb_st_file *f, const char *name);

/* The metadata value for key, or NULL. */
const char *sb_st_meta_get(const sb_st_file *f, const char *key);

/* Size in bytes of one element of dtype, 0 when unknown. */
size_t sb_st_dtype_size(const char *dtype);

#endif

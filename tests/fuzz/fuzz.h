/*
** fuzz.h: the fuzz targets, one per format of file sharebench reads.
**
** Each target takes arbitrary bytes, writes them to a file (sharebench reads
** files by path) and does with that file what the commands do: load it, and
** when it loads, use it (expand a sweep's cells, build a model from a
** checkpoint, compare a baseline with itself, list and check a database).
** It returns 0 when the file was accepted, or -1 with a message when it was
** refused; it must never crash, leak, hang or refuse without a message.
**
** The same functions run in two builds: under libFuzzer (make fuzz: one
** binary per target, LLVMFuzzerTestOneInput from SB_FUZZ_MAIN) and in the
** plain test suite (tests/test_fuzz_replay.c: the seed corpus and every input
** a fuzzer once crashed on, tests/fuzz/regressions/).
*/
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

typedef int (*sb_fuzz_fn)(const uint8_t *data, size_t size, char *err, size_t errlen);

int sb_fuzz_config(const uint8_t *data, size_t size, char *err, size_t errlen);      /* sweep and run files */
int sb_fuzz_suite(const uint8_t *data, size_t size, char *err, size_t errlen);       /* suite files */
int sb_fuzz_safetensors(const uint8_t *data, size_t size, char *err, size_t errlen); /* checkpoints */
int sb_fuzz_baseline(const uint8_t *data, size_t size, char *err, size_t errlen);    /* gate baselines (CSV) */
int sb_fuzz_database(const uint8_t *data, size_t size, char *err, size_t errlen);    /* results databases */
int sb_fuzz_wn_data(const uint8_t *data, size_t size, char *err, size_t errlen);     /* WordNet data.* */
int sb_fuzz_wn_index(const uint8_t *data, size_t size, char *err, size_t errlen);    /* WordNet index.* */
int sb_fuzz_wn_lexnames(const uint8_t *data, size_t size, char *err, size_t errlen); /* WordNet lexnames */
int sb_fuzz_claims(const uint8_t *data, size_t size, char *err, size_t errlen);      /* report claims files */
int sb_fuzz_runpack(const uint8_t *data, size_t size, char *err, size_t errlen);     /* runs sent between MPI ranks */
int sb_fuzz_meminfo(const uint8_t *data, size_t size, char *err, size_t errlen);     /* /proc/meminfo and cgroup files */

/* Write data to NAME in this process's scratch directory (made on first use
** under $TMPDIR, removed at exit) and return its path, or NULL with a message.
** Files named NAME-wal, NAME-shm and NAME-journal are removed first. */
const char *sb_fuzz_write(const char *name, const uint8_t *data, size_t size, char *err, size_t errlen);

/* Run cmd(argc, argv) with its standard output sent to /dev/null (the
** commands print; the fuzzer only wants them not to crash). */
int sb_fuzz_quiet(int (*cmd)(int, char **), int argc, const char *const *argv);

/* Compare a set of runs with itself through the gate and write both of its
** reports to /dev/null. 0, or -1 with a message. */
int sb_fuzz_gate_self(const void *runset, char *err, size_t errlen);

/* A WordNet directory in the scratch directory holding one small valid file
** of each kind, with FILE ("data.noun", "index.noun", "lexnames") replaced by
** data; WNSEARCHDIR is set to it until sb_fuzz_wordnet_done. 0, or -1 with a message. */
int sb_fuzz_wordnet(const char *file, const uint8_t *data, size_t size, char *err, size_t errlen);
void sb_fuzz_wordnet_done(void);

/* Under libFuzzer (built with -DSB_LIBFUZZER), the entry point of a target.
** A refusal without a message is a bug: abort so that the fuzzer keeps it. */
#ifdef SB_LIBFUZZER
#include <stdio.h>
#include <stdlib.h>
#define SB_FUZZ_MAIN(name)                                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                       \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                        \
    {                                                                                   \
        char err[2048] = "";                                                            \
        if (sb_fuzz_##name(data, size, err, sizeof err) && !err[0]) {                   \
            fprintf(stderr, "fuzz " #name ": input refused without a message\n");       \
            abort();                                                                    \
        }                                                                               \
        return 0;                                                                       \
    }
#else
#define SB_FUZZ_MAIN(name)
#endif

#endif

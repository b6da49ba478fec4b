/*
** provenance.h: what a binary was built from, stamped at link time (the
** build generates the definitions with tools/provenance before every link),
** so that an incremental build after an edit records the edited version: the
** commit as git describe --always --dirty says it (with "+planted" for the
** acceptance script's test-only builds), whether the tree was dirty, and a
** hash of every source file compiled in.
*/
#ifndef SB_PROVENANCE_H
#define SB_PROVENANCE_H

extern const char sb_build_describe[];
extern const int sb_build_dirty;
extern const char sb_build_source_hash[];   /* 16 hex digits of SHA-256 */

#endif

/*
** validate.h: whether a configuration can be built, checked as a whole: its
** own values (config.h) and its sharing against its depth (sharing.h). Apart
** from config.c because it needs the sharing module, which needs config.h.
*/
#ifndef SB_VALIDATE_H
#define SB_VALIDATE_H

#include "config.h"

/* Check that the configuration can be built: sizes positive, heads dividing the
** width, key/value heads dividing the heads, the sharing fitting the depth.
** Returns 0, or -1 with a message naming the value and what would fit. */
int sb_config_validate(const sb_config *c, char *err, size_t errlen);

#endif

/*
 * option_suggest.h — "did you mean --request-rate?" for an unknown option:
 * the nearest name by edit distance among the command's options and
 * aliases (llama-bench's one-letter flags included).
 */
#ifndef BENCHY_OPTION_SUGGEST_H
#define BENCHY_OPTION_SUGGEST_H

#include <stddef.h>

#include "benchy/options.h"
#include "util.h"

/* The command's (BENCHY_CMD_*) option or alias nearest to name, without
 * dashes, among table[0..n_options), when near enough to be a typo rather
 * than a different word; NULL otherwise. The caller hands the table in, so
 * this file needs nothing of options.c (which calls it). */
BENCHY_INTERNAL const char *option_nearest_name(const char *name, unsigned command,
                                                const benchy_option_info *table, size_t n_options);

#endif

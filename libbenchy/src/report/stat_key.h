/*
 * stat_key.h — the name of one summary figure of a statistic in a result's
 * aggregates: "<figure>_<statistic>" ("mean_e2e_ms", "std_t_s_req"), the
 * flat shape whose percentiles benchy_percentile_key() names
 * ("p99_e2e_ms"). The writers and the renderers of every kind use it, so a
 * key is spelled in one place (docs/results.md, "Percentile keys").
 */
#ifndef BENCHY_REPORT_STAT_KEY_H
#define BENCHY_REPORT_STAT_KEY_H

#include <stddef.h>
#include <stdio.h>

static inline void stat_key(char *buf, size_t len, const char *figure, const char *statistic) {
  snprintf(buf, len, "%s_%s", figure, statistic);
}

#endif

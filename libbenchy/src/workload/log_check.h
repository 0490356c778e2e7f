/*
 * log_check.h — "must see marlin_*, must not see cutlass_*_moe": checks a
 * server's log against POSIX extended regular expressions, line by line.
 */
#ifndef BENCHY_WORKLOAD_LOG_CHECK_H
#define BENCHY_WORKLOAD_LOG_CHECK_H

#include <cJSON.h>
#include <stddef.h>

#include "../util.h"

/* Lines quoted per --reject-log pattern, and bytes per quoted line. */
#define LOG_CHECK_MAX_LINES 10
#define LOG_CHECK_MAX_LINE 400

/* 0 when pattern compiles; else -1 and err names the option and the problem. */
BENCHY_INTERNAL int log_check_pattern(const char *option, const char *pattern, char *err,
                                      size_t errlen);

/* Reads the log at path. *failures gets an array (empty when every check
 * passed) of {"check": "expect", "pattern", "why"} for each expect pattern
 * no line matched and {"check": "reject", "pattern", "lines": [...],
 * "matches"} for each reject pattern some line matched (lines capped).
 * 0, or -1 (err says why: unreadable log, bad pattern, out of memory). */
BENCHY_INTERNAL int log_check_file(const char *path, const char *const *expect, size_t n_expect,
                                   const char *const *reject, size_t n_reject, cJSON **failures,
                                   char *err, size_t errlen);

#endif

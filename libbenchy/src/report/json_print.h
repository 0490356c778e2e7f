/*
 * json_print.h — JSON text in which every number reads back as the very
 * double that was computed.
 *
 * cJSON writes 15 significant digits whenever they read back within
 * DBL_EPSILON of the value, which can be one ulp off: a percentile that
 * numpy reproduces bit for bit from the records would then differ in the
 * file. Every result and JSONL line is printed through here.
 */
#ifndef BENCHY_REPORT_JSON_PRINT_H
#define BENCHY_REPORT_JSON_PRINT_H

#include <cJSON.h>

#include "../util.h"

/* The text cJSON_Print (pretty) or cJSON_PrintUnformatted would give, but
 * with numbers exact. Free it with free(). NULL when out of memory, or
 * when doc holds an item cJSON cannot print either. */
BENCHY_INTERNAL char *json_print_exact(const cJSON *doc, int pretty);

#endif

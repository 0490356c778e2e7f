/*
 * options_json.h — the options as the result's "config" block, written by
 * the table's rules (options.h: secret, header-secret, URL, output-only),
 * so bench, load and what comes next write one shape and never a secret.
 */
#ifndef BENCHY_OPTIONS_JSON_H
#define BENCHY_OPTIONS_JSON_H

#include <cJSON.h>

#include "benchy/options.h"
#include "util.h"

/* what: benchy_options_json_what. NULL when out of memory. */
BENCHY_INTERNAL cJSON *options_config_json(const benchy_options *o, unsigned what);
/* A written config block (possibly by an earlier version: each value is
 * read back through the table) holding only the keys whose option
 * identifies a run of command (keys that name no option are kept: they
 * say something the options did not). NULL when out of memory. */
BENCHY_INTERNAL cJSON *options_identity_of_config(const cJSON *config, unsigned command);

#endif

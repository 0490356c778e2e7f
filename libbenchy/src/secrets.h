/*
 * secrets.h — the API key a set of options names, for the workloads that
 * send it (one rule for which of --api-key and --api-key-env wins).
 */
#ifndef BENCHY_SECRETS_H
#define BENCHY_SECRETS_H

#include "benchy/options.h"
#include "util.h"

/* --api-key when given, else the value of the --api-key-env variable; NULL
 * when neither names a non-empty key. Points into o or the environment. */
BENCHY_INTERNAL const char *options_api_key(const benchy_options *o);

#endif

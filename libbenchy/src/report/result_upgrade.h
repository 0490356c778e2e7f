/*
 * result_upgrade.h — a result document of an older result_version brought
 * to the current shape in memory, so old files stay readable and every
 * renderer knows one shape only (docs/results.md, "Reading older versions").
 */
#ifndef BENCHY_REPORT_RESULT_UPGRADE_H
#define BENCHY_REPORT_RESULT_UPGRADE_H

#include <cJSON.h>

#include "../util.h"

/* Rewrites doc (a result of result_version `from`, 1 <= from <=
 * BENCHY_RESULT_VERSION) as the current version writes it, and notes
 * "upgraded_from_result_version": from. Nothing is done for the current
 * version. BENCHY_ERR_NOMEM when it ran out of memory (doc is then partly
 * rewritten and must be dropped). */
BENCHY_INTERNAL int result_upgrade(cJSON *doc, int from);

#endif

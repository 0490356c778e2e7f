/*
 * failure_rule.h — the rule that makes a run "failed", shared by every
 * client command so that CI can trust the exit status: a run fails when
 * more than --max-failure-rate of the requests of any one group (a load
 * level, a bench test) failed. Cancelled requests (an interrupt) are not
 * failures; a group with no finished request is not judged.
 */
#ifndef BENCHY_WORKLOAD_FAILURE_RULE_H
#define BENCHY_WORKLOAD_FAILURE_RULE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

typedef struct failure_rule {
  double max_rate;
  cJSON *verdict;   /* the result's "failure_rule" object */
  cJSON *broken;    /* its "failed_groups" array */
  benchy_buf why;   /* one sentence per group that broke the rule */
} failure_rule;

/* BENCHY_ERR_NOMEM when the verdict cannot be built. */
BENCHY_INTERNAL int failure_rule_init(failure_rule *r, double max_rate);
/* Counts one failed request of status into by_kind (the kinds of
 * docs/load.md: http_error, connect, timeout, ...). */
BENCHY_INTERNAL void failure_rule_count(cJSON *by_kind, int status);
/* Judges one group; label names it for people ("level 2/3 (c4)"),
 * requests counts finished ones (completed + failed), by_kind (may be NULL)
 * is copied, example (may be NULL) adds detail to the message (the first
 * error, the HTTP statuses). Returns 1 when the group broke the rule. */
BENCHY_INTERNAL int failure_rule_judge(failure_rule *r, const char *label, int64_t requests,
                                       int64_t failed, const cJSON *by_kind, const char *example);
/* Moves the verdict into doc as "failure_rule" and returns BENCHY_OK, or
 * BENCHY_ERR_FAILURE_RATE with err saying which groups broke the rule. */
BENCHY_INTERNAL int failure_rule_finish(failure_rule *r, cJSON *doc, char *err, size_t errlen);
BENCHY_INTERNAL void failure_rule_free(failure_rule *r);

#endif

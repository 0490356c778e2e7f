/*
 * collector_failures.c — the failure kinds a level counts requests under, by
 * benchy_status.
 */
#include "collector_internal.h"

#include <string.h>

const char *load_failure_kind(int status) {
  switch (status) {
  case BENCHY_OK:
  case BENCHY_ERR_CANCELLED:
    return NULL;
  case BENCHY_ERR_RATE_LIMITED:
    return "rate_limited";
  case BENCHY_ERR_HTTP:
    return "http_error";
  case BENCHY_ERR_TIMEOUT:
    return "timeout";
  case BENCHY_ERR_DISCONNECT:
    return "disconnect";
  case BENCHY_ERR_MALFORMED:
    return "malformed";
  case BENCHY_ERR_SERVER:
    return "server_error";
  case BENCHY_ERR_CONNECT:
    return "connect";
  case BENCHY_ERR_TRANSPORT:
    return "transport";
  default:
    return "other";
  }
}

static const char *const failure_kinds[LOAD_FAILURE_KINDS] = {
    "rate_limited", "http_error", "timeout",   "disconnect", "malformed",
    "server_error", "connect",    "transport", "other"};

int load_failure_kind_index(int status) {
  const char *kind = load_failure_kind(status);
  for (int k = 0; kind && k < LOAD_FAILURE_KINDS; k++)
    if (!strcmp(kind, failure_kinds[k])) return k;
  return LOAD_FAILURE_KINDS - 1;
}

const char *const *collector_failure_kinds(void) { return failure_kinds; }

/*
 * libbenchy — a benchmark client for LLM inference servers that speak the
 * OpenAI HTTP API.
 *
 * This is the umbrella header: version, export macro and the one status
 * enum shared by every module. Including it pulls in the whole public API.
 *
 * ABI rules (see docs/c-api.md):
 *  - handles are opaque; every benchy_*_free(NULL) is a no-op;
 *  - status values are only ever appended, never renumbered;
 *  - public structs that the library fills (benchy_record, ...) start with
 *    a struct_size field and only ever grow at the end;
 *  - same major version = same ABI.
 */
#ifndef BENCHY_BENCHY_H
#define BENCHY_BENCHY_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCHY_VERSION_MAJOR 0
#define BENCHY_VERSION_MINOR 1
#define BENCHY_VERSION_PATCH 0
#define BENCHY_VERSION_STRING "0.1.0"
#define BENCHY_VERSION_NUMBER \
  (BENCHY_VERSION_MAJOR * 10000 + BENCHY_VERSION_MINOR * 100 + BENCHY_VERSION_PATCH)


/* Run-time version, to compare with BENCHY_VERSION_NUMBER. */
BENCHY_API unsigned benchy_version_number(void);
BENCHY_API const char *benchy_version_string(void);

/*
 * One table gives every status its number, name and message. Append only:
 * bindings and saved results carry these numbers.
 */
#define BENCHY_STATUS_MAP(X)                                                              \
  X(OK, 0, "success")                                                                     \
  X(ERR_INVALID, 1, "invalid argument")                                                   \
  X(ERR_NOMEM, 2, "out of memory")                                                        \
  X(ERR_IO, 3, "input/output error")                                                      \
  X(ERR_CONNECT, 4, "could not connect to the server")                                    \
  X(ERR_HTTP, 5, "the server answered with an HTTP error status")                         \
  X(ERR_TIMEOUT, 6, "the request timed out")                                              \
  X(ERR_DISCONNECT, 7, "the server closed the stream before it was complete")             \
  X(ERR_MALFORMED, 8, "the server sent a malformed stream")                               \
  X(ERR_SERVER, 9, "the server reported an error inside the stream")                      \
  X(ERR_CANCELLED, 10, "cancelled before completion")                                     \
  X(ERR_STATE, 11, "operation not allowed in the object's current state")                 \
  X(ERR_UNSUPPORTED, 12, "not supported")                                                 \
  X(ERR_NOT_FOUND, 13, "not found")                                                       \
  X(ERR_SCRIPT, 14, "script error")                                                       \
  X(ERR_TRANSPORT, 15, "transport error")                                                 \
  X(ERR_RATE_LIMITED, 16, "the server is rate limiting (HTTP 429)")                       \
  X(ERR_LIMIT, 17, "a configured limit was exceeded")                                     \
  X(ERR_FAILURE_RATE, 18, "more requests failed than --max-failure-rate allows")           \
  X(ERR_VALIDATION, 19, "the server's log failed --expect-log/--reject-log: result invalid")

typedef enum benchy_status {
#define BENCHY_STATUS_ENUM_(name, value, message) BENCHY_##name = value,
  BENCHY_STATUS_MAP(BENCHY_STATUS_ENUM_)
#undef BENCHY_STATUS_ENUM_
} benchy_status;

/* "ERR_TIMEOUT" for BENCHY_ERR_TIMEOUT; "UNKNOWN" for values not in the map. */
BENCHY_API const char *benchy_status_name(int status);
/* A sentence describing the status, for people. */
BENCHY_API const char *benchy_status_message(int status);

/* Monotonic clock (CLOCK_MONOTONIC) in nanoseconds: every timestamp the
 * library records is on this clock, which all processes of a host share. */
BENCHY_API int64_t benchy_now_ns(void);

#ifdef __cplusplus
}
#endif

#include "benchy/options.h"
#include "benchy/loop.h"
#include "benchy/record.h"
#include "benchy/schema.h"
#include "benchy/session.h"
#include "benchy/stats.h"
#include "benchy/sim.h"
#include "benchy/result.h"
#include "benchy/workload.h"
#include "benchy/run.h"
#include "benchy/compare.h"
#include "benchy/report.h"
#include "benchy/meta.h"

#endif

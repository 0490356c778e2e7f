/* status.c — names and messages of benchy_status, from the one map in benchy.h. */
#include <string.h>
#include <time.h>

#include "benchy/benchy.h"
#include "util.h"

unsigned benchy_version_number(void) { return BENCHY_VERSION_NUMBER; }
const char *benchy_version_string(void) { return BENCHY_VERSION_STRING; }

const char *benchy_status_name(int status) {
  switch (status) {
#define NAME_(name, value, message) \
  case value:                       \
    return #name;
    BENCHY_STATUS_MAP(NAME_)
#undef NAME_
  default:
    return "UNKNOWN";
  }
}

int benchy_status_from_name(const char *name) {
#define FROM_NAME_(n, value, message) \
  if (name && !strcmp(name, #n)) return value;
  BENCHY_STATUS_MAP(FROM_NAME_)
#undef FROM_NAME_
  return -1;
}

const char *benchy_status_message(int status) {
  switch (status) {
#define MESSAGE_(name, value, message) \
  case value:                          \
    return message;
    BENCHY_STATUS_MAP(MESSAGE_)
#undef MESSAGE_
  default:
    return "unknown status";
  }
}

int64_t benchy_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

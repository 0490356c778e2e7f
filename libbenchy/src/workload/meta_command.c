/*
 * meta_command.c — benchy_meta_json() (meta.h): the metadata alone, as
 * `benchy meta` prints it. It lives with the workloads because it may ask
 * the server (through target.h), while meta/ itself only gathers facts, so
 * the result writers below the workloads can call it too.
 */
#include <cJSON.h>
#include <stdlib.h>

#include "benchy/meta.h"
#include "../meta/meta.h"
#include "target.h"

char *benchy_meta_json(const benchy_options *opts, char *err, size_t errlen) {
  if (!opts) {
    benchy_set_error(err, errlen, "no options");
    return NULL;
  }
  target t;
  benchy_session *server = NULL;
  /* The server is asked only when one was named: the default URL is a
   * guess, and metadata without a server is still whole. */
  if (benchy_options_is_set(opts, "base-url")) {
    if (target_init(&t, opts, err, errlen) != BENCHY_OK) {
      target_free(&t);
      return NULL;
    }
    if (target_connect(&t, err, errlen) != BENCHY_OK) {
      target_free(&t);
      return NULL;
    }
    server = t.sess;
  }
  cJSON *md = cJSON_CreateObject();
  char *text = NULL;
  if (md) {
    cJSON_AddStringToObject(md, "benchy_version", benchy_version_string());
    if (meta_collect(opts, server, md) == BENCHY_OK) text = cJSON_Print(md);
    cJSON_Delete(md);
  }
  if (server) target_free(&t);
  if (!text) benchy_set_error(err, errlen, "out of memory");
  return text;
}

/*
 * cmd.c — --meta-cmd NAME="command": a command's output (pip freeze, docker
 * inspect, ...) run by /bin/sh, bounded by --meta-timeout and a size cap;
 * its secrets are removed by the last redaction pass (redact.c).
 */
#include "meta.h"

#include <stdlib.h>
#include <string.h>

#define META_CMD_CAP (64 * 1024)

void meta_cmd(cJSON *md, const benchy_options *opts, double timeout_s) {
  size_t n = benchy_options_list_len(opts, "meta-cmd");
  if (!n) return;
  cJSON *cmds = cJSON_AddObjectToObject(md, "commands");
  for (size_t i = 0; cmds && i < n; i++) {
    const char *kv = benchy_options_list_str(opts, "meta-cmd", i);
    const char *eq = kv ? strchr(kv, '=') : NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return;
    char *name = eq ? benchy_strndup(kv, (size_t)(eq - kv)) : benchy_strdup(kv ? kv : "");
    if (!eq || eq == kv || !eq[1]) {
      cJSON_AddStringToObject(o, "error", "not NAME=COMMAND; give e.g. --meta-cmd pip=\"pip freeze\"");
    } else {
      cJSON_AddStringToObject(o, "command", eq + 1);
      char *argv[] = {"/bin/sh", "-c", (char *)(eq + 1), NULL};
      meta_proc_result r;
      char err[256];
      if (meta_proc_run(argv, timeout_s, META_CMD_CAP, &r, err, sizeof err) != 0) {
        cJSON_AddStringToObject(o, "error", err);
      } else {
        cJSON_AddNumberToObject(o, "exit_status", r.exit_status);
        cJSON_AddBoolToObject(o, "timed_out", r.timed_out);
        cJSON_AddBoolToObject(o, "truncated", r.truncated);
        cJSON_AddStringToObject(o, "output", r.out.data ? r.out.data : "");
        meta_proc_free(&r);
      }
    }
    cJSON_AddItemToObject(cmds, name ? name : "", o);
    free(name);
  }
}

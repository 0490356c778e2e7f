/* git.c — --meta-git NAME=PATH: the commit and dirty flag of a source tree. */
#include "meta.h"

#include <stdlib.h>
#include <string.h>

static void describe(cJSON *o, const char *path, double timeout_s) {
  char err[256];
  meta_proc_result r;
  char *head[] = {"git", "-C", (char *)path, "rev-parse", "HEAD", NULL};
  if (meta_proc_run(head, timeout_s, 4096, &r, err, sizeof err) != 0) {
    cJSON_AddStringToObject(o, "error", err);
    return;
  }
  if (r.not_found || r.timed_out || r.exit_status != 0 || !r.out.data) {
    cJSON_AddStringToObject(o, "error", r.not_found ? "git: not found on PATH"
                                        : r.timed_out ? "git rev-parse HEAD: timed out (--meta-timeout)"
                                                      : "not a git work tree (git rev-parse HEAD failed)");
    meta_proc_free(&r);
    return;
  }
  r.out.data[strcspn(r.out.data, "\r\n")] = '\0';
  cJSON_AddStringToObject(o, "sha", r.out.data);
  meta_proc_free(&r);
  char *status[] = {"git", "-C", (char *)path, "status", "--porcelain", "--untracked-files=no", NULL};
  if (meta_proc_run(status, timeout_s, 1 << 16, &r, err, sizeof err) != 0) {
    cJSON_AddStringToObject(o, "dirty_error", err);
    return;
  }
  if (r.timed_out || r.exit_status != 0) cJSON_AddStringToObject(o, "dirty_error", "git status failed");
  else cJSON_AddBoolToObject(o, "dirty", r.out.len > 0);
  meta_proc_free(&r);
}

void meta_git(cJSON *md, const benchy_options *opts, double timeout_s) {
  size_t n = benchy_options_list_len(opts, "meta-git");
  if (!n) return;
  cJSON *git = cJSON_AddObjectToObject(md, "git");
  for (size_t i = 0; git && i < n; i++) {
    const char *kv = benchy_options_list_str(opts, "meta-git", i);
    const char *eq = kv ? strchr(kv, '=') : NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return;
    char *name = eq ? benchy_strndup(kv, (size_t)(eq - kv)) : benchy_strdup(kv ? kv : "");
    if (!eq || eq == kv || !eq[1]) {
      cJSON_AddStringToObject(o, "error", "not NAME=PATH; give e.g. --meta-git vllm=/src/vllm");
    } else {
      cJSON_AddStringToObject(o, "path", eq + 1);
      describe(o, eq + 1, timeout_s);
    }
    cJSON_AddItemToObject(git, name ? name : "", o);
    free(name);
  }
}

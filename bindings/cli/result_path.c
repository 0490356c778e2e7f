/*
 * result_path.c — see result_path.h. vllm bench serve users type
 * "--save-result --result-dir DIR --result-filename F", llama-benchy users
 * "--save-result FILE"; both land here, after the option table has told the
 * two forms apart (--save-result's value is optional).
 */
#include "result_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* mkdir -p: vLLM creates --result-dir too. */
static int make_dirs(const char *dir) {
  char *copy = strdup(dir);
  if (!copy) return -1;
  for (char *p = copy + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      free(copy);
      return -1;
    }
    *p = '/';
  }
  int rc = mkdir(copy, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(copy);
  return rc;
}

/* benchy-COMMAND-MODEL-YYYYMMDD-HHMMSS.json, as vLLM names its results
 * (backend, rate, model, time); the model's last path part, file-safe. */
static void default_name(const benchy_options *opts, const char *command, char *out, size_t len) {
  const char *model = benchy_options_str(opts, "served-model-name");
  if (!model) model = benchy_options_str(opts, "model");
  if (model && strrchr(model, '/')) model = strrchr(model, '/') + 1;
  if (!model || !*model) model = "model";
  char safe[96];
  size_t n = 0;
  for (const char *p = model; *p && n + 1 < sizeof safe; p++)
    safe[n++] = (strchr("-_.", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= 'A' && *p <= 'Z'))
                    ? *p
                    : '_';
  safe[n] = '\0';
  time_t now = time(NULL);
  struct tm tm;
  char stamp[32] = "time";
  if (gmtime_r(&now, &tm)) strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(out, len, "benchy-%s-%s-%s.json", command, safe, stamp);
}

int cli_result_path(const benchy_options *opts, const char *command, char **path) {
  *path = NULL;
  const char *save = benchy_options_str(opts, "save-result");
  const char *dir = benchy_options_str(opts, "result-dir");
  const char *file = benchy_options_str(opts, "result-filename");
  if (!save && !dir && !file) return 0;
  if (save && *save && file) {
    fprintf(stderr, "benchy %s: --save-result %s and --result-filename %s both name the file; "
            "give one of them\n", command, save, file);
    return -1;
  }
  /* A name the user gave is used whole, never cut to a buffer's size. */
  char made[256];
  const char *name = save && *save ? save : file;
  if (!name) {
    default_name(opts, command, made, sizeof made);
    name = made;
  }
  size_t need = strlen(name) + (dir ? strlen(dir) + 2 : 1);
  if (!(*path = malloc(need))) return -1;
  if (dir && name[0] != '/')
    snprintf(*path, need, "%s/%s", dir, name);
  else
    snprintf(*path, need, "%s", name);
  if (dir && make_dirs(dir) != 0) {
    fprintf(stderr, "benchy %s: cannot create --result-dir %s: %s\n", command, dir, strerror(errno));
    free(*path);
    *path = NULL;
    return -1;
  }
  if (exists(*path) && !benchy_options_flag(opts, "overwrite-result")) {
    fprintf(stderr, "benchy %s: %s exists; name another file (--save-result FILE or "
            "--result-filename FILE) or add --overwrite-result to replace it\n", command, *path);
    free(*path);
    *path = NULL;
    return -1;
  }
  return 0;
}

int cli_save_result(const benchy_result *result, const benchy_options *opts, const char *path) {
  char alt[4096];
  const char *target = path;
  if (!benchy_options_flag(opts, "overwrite-result") && exists(path)) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);
    for (int k = 1; k < 1000; k++) {
      snprintf(alt, sizeof alt, "%.*s-%d%s", stem, path, k, path + stem);
      if (!exists(alt)) break;
    }
    fprintf(stderr, "benchy: %s appeared during the run; not replacing it\n", path);
    target = alt;
  }
  char err[512] = "";
  if (benchy_result_save(result, target, err, sizeof err) != BENCHY_OK) {
    fprintf(stderr, "benchy: %s\n", err);
    return 1;
  }
  fprintf(stderr, "benchy: result saved to %s\n", target);
  return 0;
}

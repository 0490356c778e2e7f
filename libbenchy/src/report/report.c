/*
 * report.c — benchy_report_write / _save (report.h): the results' page data
 * (html_data.c), the comparison when --compare asks for it (compare.h, with
 * the report's --alpha and bootstrap options), the page (html_page.c).
 */
#include "benchy/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchy/compare.h"
#include "compare_internal.h"
#include "html_report.h"
#include "result_internal.h"

/* The report's comparison settings as the options benchy_compare reads. */
static benchy_options *compare_options(const benchy_options *opts) {
  benchy_options *c = NULL;
  if (benchy_options_new(&c, BENCHY_CMD_COMPARE) != BENCHY_OK) return NULL;
  static const char *const shared[] = {"alpha", "bootstrap-iterations", "bootstrap-seed",
                                       "ignore-config"};
  for (size_t i = 0; opts && i < sizeof shared / sizeof shared[0]; i++) {
    if (!benchy_options_is_set(opts, shared[i])) continue;
    char text[64];
    const benchy_option_info *info = benchy_option_find_for(shared[i], BENCHY_CMD_REPORT, NULL);
    if (info->type == BENCHY_OPT_DOUBLE)
      snprintf(text, sizeof text, "%.17g", benchy_options_double(opts, shared[i]));
    else if (info->type == BENCHY_OPT_INT)
      snprintf(text, sizeof text, "%lld", (long long)benchy_options_int(opts, shared[i]));
    const char *value = info->type == BENCHY_OPT_STRING ? benchy_options_str(opts, shared[i]) : text;
    if (benchy_options_set(c, shared[i], value) != BENCHY_OK) {
      benchy_options_free(c);
      return NULL;
    }
  }
  return c;
}

static cJSON *comparison_data(const benchy_result *base, const benchy_result *fresh,
                              const benchy_options *opts, char *err, size_t errlen) {
  benchy_options *copts = compare_options(opts);
  if (!copts) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  benchy_comparison *c = NULL;
  char why[1024] = "";
  int st = benchy_compare(&c, base, fresh, copts, why, sizeof why);
  benchy_options_free(copts);
  if (st != BENCHY_OK) {
    snprintf(err, errlen, "--compare: %s", why);
    return NULL;
  }
  /* The comparison's own document, taken rather than printed and parsed. */
  cJSON *doc = c->doc;
  c->doc = NULL;
  benchy_comparison_free(c);
  if (!doc) snprintf(err, errlen, "out of memory");
  return doc;
}

static cJSON *page_data(const benchy_result *const *results, const char *const *labels, size_t n,
                        const benchy_options *opts, char *err, size_t errlen) {
  if (opts && !(benchy_options_command(opts) & BENCHY_CMD_REPORT)) {
    snprintf(err, errlen, "benchy_report_write takes options made for BENCHY_CMD_REPORT");
    return NULL;
  }
  if (!results || n == 0) {
    snprintf(err, errlen, "no results to report: give one or more result files");
    return NULL;
  }
  int compare = opts && benchy_options_flag(opts, "compare");
  if (compare && n != 2) {
    snprintf(err, errlen, "--compare takes exactly two results, BASE then NEW (got %zu)", n);
    return NULL;
  }
  int max_points = opts ? (int)benchy_options_int(opts, "max-points") : 2000;
  cJSON *data = cJSON_CreateObject();
  cJSON *runs = data ? cJSON_AddArrayToObject(data, "runs") : NULL;
  if (!runs) goto nomem;
  const char *title = opts ? benchy_options_str(opts, "title") : NULL;
  if (title) cJSON_AddStringToObject(data, "title", title);
  cJSON_AddStringToObject(data, "benchy_version", benchy_version_string());
  for (size_t i = 0; i < n; i++) {
    char fallback[32];
    const char *label = labels && labels[i] ? labels[i] : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(results[i]->doc, "metadata"), "name");
    if (!label && cJSON_IsString(name) && name->valuestring[0]) label = name->valuestring;
    if (!label) {
      snprintf(fallback, sizeof fallback, "result %zu", i + 1);
      label = fallback;
    }
    cJSON *run = html_data_for_result(results[i], label, max_points);
    if (!run) goto nomem;
    cJSON_AddItemToArray(runs, run);
  }
  if (compare) {
    cJSON *cmp = comparison_data(results[0], results[1], opts, err, errlen);
    if (!cmp) {
      cJSON_Delete(data);
      return NULL;
    }
    cJSON_AddItemToObject(data, "comparison", cmp);
  }
  return data;
nomem:
  cJSON_Delete(data);
  snprintf(err, errlen, "out of memory");
  return NULL;
}

int benchy_report_write(const benchy_result *const *results, const char *const *labels, size_t n,
                        const benchy_options *opts, FILE *f, char *err, size_t errlen) {
  char scratch[8];
  if (!err || errlen == 0) {
    err = scratch;
    errlen = sizeof scratch;
  }
  err[0] = '\0';
  cJSON *data = page_data(results, labels, n, opts, err, errlen);
  if (!data) return strcmp(err, "out of memory") ? BENCHY_ERR_INVALID : BENCHY_ERR_NOMEM;
  int st = html_page_write(data, f);
  cJSON_Delete(data);
  if (st == BENCHY_ERR_IO) snprintf(err, errlen, "could not write the report: %s", strerror(errno));
  else if (st != BENCHY_OK) snprintf(err, errlen, "out of memory");
  return st;
}

int benchy_report_save(const benchy_result *const *results, const char *const *labels, size_t n,
                       const benchy_options *opts, const char *path, char *err, size_t errlen) {
  char scratch[8];
  if (!err || errlen == 0) {
    err = scratch;
    errlen = sizeof scratch;
  }
  if (!path || !*path) {
    snprintf(err, errlen, "no output file: give one (benchy report ... -o report.html)");
    return BENCHY_ERR_INVALID;
  }
  int overwrite = opts && benchy_options_flag(opts, "overwrite");
  if (!overwrite && access(path, F_OK) == 0) {
    snprintf(err, errlen, "%s exists; name another file or add --overwrite to replace it", path);
    return BENCHY_ERR_INVALID;
  }
  /* Beside the target, then renamed: never half a page under its name. */
  size_t len = strlen(path) + 16;
  char *tmp = malloc(len);
  if (!tmp) {
    snprintf(err, errlen, "out of memory");
    return BENCHY_ERR_NOMEM;
  }
  snprintf(tmp, len, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    free(tmp);
    return BENCHY_ERR_IO;
  }
  char why[1024] = "";
  int st = benchy_report_write(results, labels, n, opts, f, why, sizeof why);
  /* Problems with the results are not the output file's: said as they are. */
  int about_inputs = st == BENCHY_ERR_INVALID;
  if (fclose(f) != 0 && st == BENCHY_OK) {
    st = BENCHY_ERR_IO;
    snprintf(why, sizeof why, "%s", strerror(errno));
  }
  /* mkstemp makes the file 0600; a report is for sharing, as any file the
   * user's umask allows. */
  mode_t mask = umask(0);
  umask(mask);
  if (st == BENCHY_OK) chmod(tmp, 0666 & ~mask);
  /* Checked again: the file may have appeared while the page was written. */
  if (st == BENCHY_OK && !overwrite && access(path, F_OK) == 0) {
    st = BENCHY_ERR_INVALID;
    snprintf(why, sizeof why, "appeared while the report was written; not replacing it");
  }
  if (st == BENCHY_OK && rename(tmp, path) != 0) {
    st = BENCHY_ERR_IO;
    snprintf(why, sizeof why, "%s", strerror(errno));
  }
  if (st != BENCHY_OK) {
    unlink(tmp);
    if (about_inputs) snprintf(err, errlen, "%s", why);
    else snprintf(err, errlen, "%s: %s", path, why);
  }
  free(tmp);
  return st;
}

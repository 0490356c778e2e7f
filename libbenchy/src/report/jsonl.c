/*
 * jsonl.c — see jsonl.h. Each line is written with one fwrite and flushed
 * under a mutex, so a line is either whole or (on a crash mid-write) torn
 * at the end of the file, where jsonl_read ignores it.
 */
#include "jsonl.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "json_print.h"

struct jsonl_writer {
  FILE *f;
  pthread_mutex_t lock;
};

/* A run that died mid-write can leave a torn last line. Appending after it
 * would glue the next record onto it and lose both, so the torn bytes (which
 * never formed a record) are cut off before appending. */
static int drop_torn_tail(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r+");
  if (!f) return errno == ENOENT ? BENCHY_OK : BENCHY_ERR_IO;
  long keep = 0, pos = 0;
  int c;
  while ((c = fgetc(f)) != EOF) {
    pos++;
    if (c == '\n') keep = pos;
  }
  int st = BENCHY_OK;
  if (keep != pos && ftruncate(fileno(f), keep) != 0) {
    if (err) snprintf(err, errlen, "cannot repair the torn last line of %s: %s", path, strerror(errno));
    st = BENCHY_ERR_IO;
  }
  fclose(f);
  return st;
}

int jsonl_open(jsonl_writer **out, const char *path, int resume, char *err, size_t errlen) {
  *out = NULL;
  if (resume && drop_torn_tail(path, err, errlen) != BENCHY_OK) return BENCHY_ERR_IO;
  jsonl_writer *w = calloc(1, sizeof *w);
  if (!w) return BENCHY_ERR_NOMEM;
  w->f = fopen(path, resume ? "a" : "w");
  if (!w->f) {
    if (err) snprintf(err, errlen, "cannot open %s for writing: %s", path, strerror(errno));
    free(w);
    return BENCHY_ERR_IO;
  }
  pthread_mutex_init(&w->lock, NULL);
  *out = w;
  return BENCHY_OK;
}

int jsonl_append(jsonl_writer *w, cJSON *obj) {
  int st = jsonl_write(w, obj);
  cJSON_Delete(obj);
  return st;
}

int jsonl_write(jsonl_writer *w, const cJSON *obj) {
  if (!w || !obj) return BENCHY_ERR_INVALID;
  char *text = json_print_exact(obj, 0);
  if (!text) return BENCHY_ERR_NOMEM;
  size_t n = strlen(text);
  text[n] = '\n'; /* replaces the terminator: one write per line */
  pthread_mutex_lock(&w->lock);
  size_t written = fwrite(text, 1, n + 1, w->f);
  int flushed = fflush(w->f);
  pthread_mutex_unlock(&w->lock);
  free(text);
  return written == n + 1 && flushed == 0 ? BENCHY_OK : BENCHY_ERR_IO;
}

void jsonl_close(jsonl_writer *w) {
  if (!w) return;
  fclose(w->f);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

long jsonl_read(const char *path, void (*fn)(void *ud, const cJSON *obj), void *ud, char *err,
                size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) return 0;
    if (err) snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long count = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] != '\n') break; /* torn last line: written when the run died */
    cJSON *obj = cJSON_Parse(line);
    if (!obj) continue;
    fn(ud, obj);
    cJSON_Delete(obj);
    count++;
  }
  free(line);
  fclose(f);
  return count;
}

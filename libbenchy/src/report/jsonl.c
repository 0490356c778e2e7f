/*
 * jsonl.c — see jsonl.h. Each line is written with one fwrite and flushed
 * under a mutex, so a line is either whole or (on a crash mid-write) torn
 * at the end of the file, where jsonl_read ignores it.
 */
#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "json_print.h"

struct jsonl_writer {
  FILE *f;
  pthread_mutex_t lock;
};

/* A journal's first line (its configuration) is a few KiB; a foreign file
 * may have no newline at all, and is not read to its end to find one. */
#define JSONL_HEAD_MAX ((size_t)1 << 20)

typedef enum file_state { FILE_MISSING, FILE_EMPTY, FILE_JOURNAL, FILE_OTHER_KIND, FILE_FOREIGN } file_state;

/* A file that does not exist yet must be creatable, or the run would find
 * out only after its probes and warm-up. */
static int parent_writable(const char *path, char *err, size_t errlen) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (access(dir, W_OK | X_OK) == 0) return BENCHY_OK;
  benchy_set_error(err, errlen, "cannot create --jsonl %s: %s (directory %s)", path, strerror(errno), dir);
  return BENCHY_ERR_IO;
}

/* What path holds, for a run of kind; other_kind gets the kind of another
 * command's journal. Reads at most the first line. */
static int inspect(const char *path, const char *kind, file_state *state, char *other_kind,
                   size_t other_len, long long *size, char *err, size_t errlen) {
  *size = 0;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *state = FILE_MISSING;
      return parent_writable(path, err, errlen);
    }
    if (err) snprintf(err, errlen, "cannot open --jsonl %s: %s", path, strerror(errno));
    return BENCHY_ERR_IO;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    if (err) snprintf(err, errlen, "cannot stat --jsonl %s: %s", path, strerror(errno));
    close(fd);
    return BENCHY_ERR_IO;
  }
  if (S_ISDIR(sb.st_mode)) {
    benchy_set_error(err, errlen, "--jsonl %s is a directory; give the path of a file", path);
    close(fd);
    return BENCHY_ERR_INVALID;
  }
  /* /dev/null or a pipe holds no records to lose (and a pipe must not be read). */
  if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
    *state = FILE_EMPTY;
    close(fd);
    return BENCHY_OK;
  }
  *size = (long long)sb.st_size;
  size_t cap = (size_t)sb.st_size < JSONL_HEAD_MAX ? (size_t)sb.st_size : JSONL_HEAD_MAX;
  char *buf = malloc(cap + 1);
  if (!buf) {
    close(fd);
    return BENCHY_ERR_NOMEM;
  }
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (memchr(buf + got - (size_t)n, '\n', (size_t)n)) break;
  }
  close(fd);
  *state = FILE_FOREIGN;
  char *nl = memchr(buf, '\n', got);
  if (nl) {
    *nl = '\0';
    cJSON *head = cJSON_Parse(buf);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(head, "kind");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(head, "type");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(head, "result_version");
    if (cJSON_IsObject(head) && cJSON_IsString(k) && cJSON_IsString(type) && cJSON_IsNumber(version)) {
      if (!strcmp(k->valuestring, kind)) {
        *state = FILE_JOURNAL;
      } else {
        *state = FILE_OTHER_KIND;
        snprintf(other_kind, other_len, "%s", k->valuestring);
      }
    }
    cJSON_Delete(head);
  }
  free(buf);
  return BENCHY_OK;
}

int jsonl_check(const char *path, const char *kind, int resume, int *holds_journal, char *err,
                size_t errlen) {
  if (holds_journal) *holds_journal = 0;
  file_state state;
  char other[32] = "";
  long long size;
  int st = inspect(path, kind, &state, other, sizeof other, &size, err, errlen);
  if (st != BENCHY_OK) return st;
  if (state == FILE_MISSING || state == FILE_EMPTY) return BENCHY_OK;
  if (!resume) {
    if (state == FILE_JOURNAL)
      benchy_set_error(err, errlen, "--jsonl %s already holds the journal of an earlier %s run (%lld bytes), "
                       "and benchy never overwrites it. Add --resume to continue that run, or give "
                       "another --jsonl path (or remove the file) to start a new one.", path, kind, size);
    else
      benchy_set_error(err, errlen, "--jsonl %s is not empty (%lld bytes), and benchy never overwrites a file. "
                       "Give another --jsonl path (or remove the file) to start a new run; --resume "
                       "continues only a benchy %s journal, which this is not.", path, size, kind);
    return BENCHY_ERR_INVALID;
  }
  if (state == FILE_OTHER_KIND) {
    benchy_set_error(err, errlen, "--resume: %s is the journal of a benchy %s run, not of a %s run; it was "
                     "left untouched. Resume it with 'benchy %s', or give another --jsonl path to start afresh.",
                     path, other, kind, other);
    return BENCHY_ERR_INVALID;
  }
  if (state == FILE_FOREIGN) {
    benchy_set_error(err, errlen, "--resume: %s is not a benchy journal (its first line is not a benchy %s "
                     "header), so there is no run to continue; it was left untouched. Give the --jsonl "
                     "file of the interrupted run, or another path (without --resume) to start afresh.",
                     path, kind);
    return BENCHY_ERR_INVALID;
  }
  if (holds_journal) *holds_journal = 1;
  return BENCHY_OK;
}

/* A run that died mid-write can leave a torn last line. Appending after it
 * would glue the next record onto it and lose both, so the torn bytes (which
 * never formed a record) are cut off before appending. Only ever called on
 * a file jsonl_check found to be our journal. */
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

int jsonl_open(jsonl_writer **out, const char *path, int resume, const cJSON *head, int *continued,
               char *err, size_t errlen) {
  *out = NULL;
  if (continued) *continued = 0;
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(head, "kind");
  if (!cJSON_IsString(kind)) return BENCHY_ERR_INVALID;
  int holds = 0;
  int st = jsonl_check(path, kind->valuestring, resume, &holds, err, errlen);
  if (st != BENCHY_OK) return st;
  if (holds && drop_torn_tail(path, err, errlen) != BENCHY_OK) return BENCHY_ERR_IO;
  jsonl_writer *w = calloc(1, sizeof *w);
  if (!w) return BENCHY_ERR_NOMEM;
  /* Append, never "w": the check above found nothing to lose, and a file
   * that appeared since is still not cut. */
  w->f = fopen(path, "a");
  if (!w->f) {
    if (err) snprintf(err, errlen, "cannot open %s for writing: %s", path, strerror(errno));
    free(w);
    return BENCHY_ERR_IO;
  }
  pthread_mutex_init(&w->lock, NULL);
  if (!holds && (st = jsonl_write(w, head)) != BENCHY_OK) {
    if (err) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    jsonl_close(w);
    return st;
  }
  if (continued) *continued = holds;
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

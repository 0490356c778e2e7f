/*
 * benchy.bench() and benchy.load(): a run on the library's thread
 * (benchy_run_start) while the calling Python thread, GIL released, waits
 * in short slices. Between slices it delivers the progress events the
 * run's thread queued (so the Python callback runs on the caller's thread,
 * GIL held) and checks for signals: Ctrl-C cancels the run, waits for it
 * and raises KeyboardInterrupt with the partial result as `.result`.
 */
#include "benchy_py.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  benchy_progress_kind kind;
  char *phase, *message;
  size_t index, count;
  unsigned long long done, failed, in_flight;
  double elapsed_s;
  int status;
} queued_event;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  queued_event *items;
  size_t len, cap;
  int finished; /* BENCHY_PROGRESS_DONE was queued */
} event_queue;

static void queue_init(event_queue *q) {
  memset(q, 0, sizeof *q);
  bpy_monotonic_cond_init(&q->mu, &q->cv);
}

static void events_free(queued_event *items, size_t len) {
  for (size_t i = 0; i < len; i++) {
    free(items[i].phase);
    free(items[i].message);
  }
  free(items);
}

static void queue_destroy(event_queue *q) {
  events_free(q->items, q->len);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
}

/* On the run's thread: copy the event (valid during the call only). */
static void on_progress(const benchy_progress *p, void *userdata) {
  event_queue *q = userdata;
  pthread_mutex_lock(&q->mu);
  if (p->kind == BENCHY_PROGRESS_DONE) q->finished = 1;
  if (q->len == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 16;
    queued_event *grown = realloc(q->items, cap * sizeof *grown);
    if (grown) q->items = grown, q->cap = cap;
  }
  if (q->len < q->cap) { /* out of memory: the event is dropped, the run goes on */
    queued_event *e = &q->items[q->len++];
    e->kind = p->kind;
    e->phase = strdup(p->phase ? p->phase : "");
    e->message = strdup(p->message ? p->message : "");
    e->index = p->index;
    e->count = p->count;
    e->done = p->requests_done;
    e->failed = p->requests_failed;
    e->in_flight = p->requests_in_flight;
    e->elapsed_s = p->elapsed_s;
    e->status = p->status;
  }
  pthread_cond_signal(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

static const char *kind_names[] = {"phase", "requests", "message", "warning", "done"};

static PyObject *event_dict(const queued_event *e) {
  const char *kind = e->kind <= BENCHY_PROGRESS_DONE ? kind_names[e->kind] : "unknown";
  return Py_BuildValue("{s:s, s:s, s:n, s:n, s:K, s:K, s:K, s:d, s:s, s:s}", "kind", kind, "phase",
                       e->phase ? e->phase : "", "index", (Py_ssize_t)e->index, "count",
                       (Py_ssize_t)e->count, "requests_done", e->done, "requests_failed", e->failed,
                       "requests_in_flight", e->in_flight, "elapsed_s", e->elapsed_s, "message",
                       e->message ? e->message : "", "status", benchy_status_name(e->status));
}

/* With the GIL: hands the events to the callback; without one, warnings
 * become Python warnings so that nothing a user must see is lost. */
static int deliver(PyObject *callback, queued_event *items, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (callback == Py_None) {
      if (items[i].kind == BENCHY_PROGRESS_WARNING &&
          PyErr_WarnEx(PyExc_RuntimeWarning, items[i].message ? items[i].message : "", 1) < 0)
        return -1;
      continue;
    }
    PyObject *d = event_dict(&items[i]);
    PyObject *r = d ? PyObject_CallFunctionObjArgs(callback, d, NULL) : NULL;
    Py_XDECREF(d);
    if (!r) return -1;
    Py_DECREF(r);
  }
  return 0;
}

/* Without the GIL: waits up to one slice for events or the run's end and
 * takes what was queued. */
static void take_events(event_queue *q, queued_event **items, size_t *len, int *finished) {
  struct timespec until = bpy_slice_deadline();
  pthread_mutex_lock(&q->mu);
  while (q->len == 0 && !q->finished)
    if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT) break;
  *items = q->items;
  *len = q->len;
  *finished = q->finished;
  q->items = NULL;
  q->len = q->cap = 0;
  pthread_mutex_unlock(&q->mu);
}

/* Attaches the partial result (or None) to the pending exception. */
static void attach_result(PyObject *result) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (value && PyObject_SetAttrString(value, "result", result ? result : Py_None) < 0) PyErr_Clear();
  PyErr_Restore(type, value, tb);
}

PyObject *bpy_run(PyObject *module, unsigned command, const char *function, PyObject *args,
                  PyObject *kwargs) {
  bpy_state *st = bpy_module_state(module);
  if (args && PyTuple_Size(args) > 0) {
    PyErr_Format(PyExc_TypeError, "%s() takes keyword arguments only (base_url=..., model=...)",
                 function);
    return NULL;
  }
  PyObject *options = kwargs ? PyDict_Copy(kwargs) : PyDict_New();
  if (!options) return NULL;
  PyObject *callback = PyDict_GetItemString(options, "progress");
  callback = Py_NewRef(callback ? callback : Py_None);
  if (PyDict_GetItemString(options, "progress")) PyDict_DelItemString(options, "progress");
  if (callback != Py_None && !PyCallable_Check(callback)) {
    PyErr_Format(PyExc_TypeError, "argument 'progress' takes a callable (called with a dict) or None");
    Py_DECREF(callback);
    Py_DECREF(options);
    return NULL;
  }
  benchy_options *opts = NULL;
  int rc = bpy_options_from_kwargs(command, function, options, &opts);
  Py_DECREF(options);
  if (rc < 0) {
    Py_DECREF(callback);
    return NULL;
  }
  benchy_run *run = NULL;
  rc = benchy_run_new(&run, opts);
  benchy_options_free(opts);
  if (rc != BENCHY_OK) {
    Py_DECREF(callback);
    bpy_raise_error(st, rc, NULL, NULL);
    return NULL;
  }
  event_queue queue;
  queue_init(&queue);
  benchy_run_set_progress(run, on_progress, &queue);
  rc = benchy_run_start(run);
  int failed_in_python = 0; /* a signal handler or the callback raised */
  while (rc == BENCHY_OK) {
    queued_event *items;
    size_t len;
    int finished;
    Py_BEGIN_ALLOW_THREADS
    take_events(&queue, &items, &len, &finished);
    Py_END_ALLOW_THREADS
    int delivered = deliver(callback, items, len);
    events_free(items, len);
    if (delivered < 0 || PyErr_CheckSignals() < 0) {
      failed_in_python = 1;
      benchy_run_cancel(run);
      break;
    }
    if (finished || benchy_run_poll(run)) break;
  }
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = rc == BENCHY_OK ? benchy_run_wait(run) : rc;
  Py_END_ALLOW_THREADS
  if (!failed_in_python) {
    /* No callback comes after benchy_run_wait(): what is queued is the rest. */
    queued_event *items = queue.items;
    size_t len = queue.len;
    queue.items = NULL;
    queue.len = queue.cap = 0;
    failed_in_python = deliver(callback, items, len) < 0;
    events_free(items, len);
  }
  queue_destroy(&queue);
  Py_DECREF(callback);

  benchy_result *taken = rc == BENCHY_OK ? benchy_run_take_result(run) : NULL;
  PyObject *result = NULL;
  if (taken) {
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb); /* wrapping must not see a pending error */
    result = bpy_result_wrap(st, taken);
    if (exc_type) {
      if (!result) PyErr_Clear();
      PyErr_Restore(exc_type, exc_value, exc_tb);
    } else if (!result) {
      benchy_run_free(run);
      return NULL;
    }
  }
  if (failed_in_python) {
    attach_result(result);
    Py_XDECREF(result);
    benchy_run_free(run);
    return NULL;
  }
  if (status != BENCHY_OK) {
    bpy_raise_error(st, status, benchy_run_error(run), result);
    Py_XDECREF(result);
    benchy_run_free(run);
    return NULL;
  }
  benchy_run_free(run);
  if (!result) bpy_raise_error(st, BENCHY_ERR_STATE, "the run ended without a result", NULL);
  return result;
}

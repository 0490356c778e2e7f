/*
 * benchy.stream(): one streamed request as a Python iterator of chunks, the
 * request's record last. Thin over session.h: the loop, session and request
 * are made on the calling thread (so a bad URL or body raises at once), then
 * a thread of ours runs the loop while the caller, GIL released, waits in
 * short slices for what on_chunk queued. Only benchy_loop_stop() crosses
 * threads (it is the one loop call that may): Ctrl-C, close() and the
 * iterator's collection stop the loop, and the loop's thread, which owns
 * the request, cancels it. Times are the engine's: each chunk's t_ms is its
 * socket read's receive time, on the same clock and origin as the record's
 * t_ms block.
 */
#include "benchy_py.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint32_t kinds;
  int32_t tokens;
  int64_t t_ns;
  char *text;
  size_t len;
} queued_chunk;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  queued_chunk *items;
  size_t head, len, cap;
  int out_of_memory; /* a chunk could not be queued: the record still counts it */
  int done;          /* on_done ran: record_json and status hold the outcome */
  int status;
  char *record_json;
} chunk_queue;

typedef struct {
  PyObject_HEAD
  benchy_loop *loop;
  benchy_session *session;
  benchy_request *request;
  chunk_queue q;
  int64_t t0_ns;
  pthread_t thread;
  int thread_running; /* started and not joined */
  int finished;       /* the record was returned or raised, or close() ran */
  int busy;           /* a __next__ waits with the GIL released */
  char *where;        /* "http://host:port/v1/chat/completions", credentials dropped */
  PyObject *record;   /* the record's dict once known, else NULL */
} bpy_stream;

static void queue_init(chunk_queue *q) {
  memset(q, 0, sizeof *q);
  bpy_monotonic_cond_init(&q->mu, &q->cv);
}

static void queue_destroy(chunk_queue *q) {
  for (size_t i = q->head; i < q->len; i++) free(q->items[i].text);
  free(q->items);
  free(q->record_json);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
}

/* On the loop's thread: text is valid during the call only. */
static void on_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text, size_t len,
                     void *userdata) {
  if (!(ev->kinds & BENCHY_CHUNK_TOKENS)) return; /* role, usage, [DONE]: in the record */
  chunk_queue *q = userdata;
  char *copy = malloc(len + 1);
  pthread_mutex_lock(&q->mu);
  if (q->len == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    queued_chunk *grown = realloc(q->items, cap * sizeof *grown);
    if (grown) q->items = grown, q->cap = cap;
  }
  if (copy && q->len < q->cap) {
    if (len) memcpy(copy, text, len);
    copy[len] = '\0';
    q->items[q->len++] = (queued_chunk){ev->kinds, ev->tokens, ev->t_ns, copy, len};
    copy = NULL;
  } else {
    q->out_of_memory = 1;
  }
  pthread_cond_signal(&q->cv);
  pthread_mutex_unlock(&q->mu);
  free(copy);
}

static void on_done(benchy_request *r, const benchy_record *rec, void *userdata) {
  bpy_stream *me = userdata;
  char *json = benchy_record_to_json(rec, me->t0_ns, 0, 0);
  pthread_mutex_lock(&me->q.mu);
  me->q.done = 1;
  me->q.status = rec->status;
  me->q.record_json = json;
  pthread_cond_signal(&me->q.cv);
  pthread_mutex_unlock(&me->q.mu);
}

/* The loop's thread. A stopped loop leaves the request in flight; cancelled
 * here, where the loop does not run, its on_done runs inside the call. */
static void *loop_thread(void *arg) {
  bpy_stream *me = arg;
  benchy_loop_run(me->loop, BENCHY_RUN_DEFAULT);
  if (benchy_request_in_flight(me->request)) benchy_request_cancel(me->request);
  pthread_mutex_lock(&me->q.mu);
  if (!me->q.done) { /* on_done always runs; this only keeps a waiter from hanging */
    me->q.done = 1;
    me->q.status = BENCHY_ERR_STATE;
  }
  pthread_cond_signal(&me->q.cv);
  pthread_mutex_unlock(&me->q.mu);
  return NULL;
}

/* Stops the loop (when asked) and joins its thread, GIL released. */
static void join_loop(bpy_stream *me, int stop) {
  if (!me->thread_running) return;
  me->thread_running = 0;
  Py_BEGIN_ALLOW_THREADS
  if (stop) benchy_loop_stop(me->loop);
  pthread_join(me->thread, NULL);
  Py_END_ALLOW_THREADS
}

static void release_engine(bpy_stream *me) {
  if (me->request) benchy_request_free(me->request);
  if (me->session) benchy_session_free(me->session);
  if (me->loop) benchy_loop_free(me->loop);
  me->request = NULL;
  me->session = NULL;
  me->loop = NULL;
}

static void stream_dealloc(PyObject *self) {
  bpy_stream *me = (bpy_stream *)self;
  PyTypeObject *type = Py_TYPE(self);
  join_loop(me, 1);
  release_engine(me);
  queue_destroy(&me->q);
  free(me->where);
  Py_CLEAR(me->record);
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

static const char *kind_name(uint32_t kinds) {
  if (kinds & BENCHY_CHUNK_CONTENT) return "content";
  if (kinds & BENCHY_CHUNK_REASONING) return "reasoning";
  return "tool";
}

static PyObject *chunk_dict(const bpy_stream *me, const queued_chunk *c) {
  PyObject *text = PyUnicode_DecodeUTF8(c->text, (Py_ssize_t)c->len, "replace");
  if (!text) return NULL;
  PyObject *tokens = c->tokens >= 0 ? PyLong_FromLong(c->tokens) : Py_NewRef(Py_None);
  return Py_BuildValue("{s:s, s:N, s:N, s:d}", "kind", kind_name(c->kinds), "text", text,
                       "tokens", tokens, "t_ms", (double)(c->t_ns - me->t0_ns) / 1e6);
}

/* Makes me->record from the queued JSON (once). */
static int load_record(bpy_stream *me) {
  if (me->record || !me->q.record_json) return 0;
  bpy_state *st = bpy_type_state(Py_TYPE(me));
  me->record = PyObject_CallFunction(st->json_loads, "s", me->q.record_json);
  return me->record ? 0 : -1;
}

/* The pending exception gets the record so far as .record. */
static void attach_record(bpy_stream *me) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (value && PyObject_SetAttrString(value, "record", me->record ? me->record : Py_None) < 0)
    PyErr_Clear();
  PyErr_Restore(type, value, tb);
}

static PyObject *raise_failed(bpy_stream *me) {
  bpy_state *st = bpy_type_state(Py_TYPE(me));
  PyObject *err = me->record ? PyDict_GetItemString(me->record, "error") : NULL;
  const char *why = err && PyUnicode_Check(err) ? PyUnicode_AsUTF8AndSize(err, NULL) : NULL;
  if (!why) {
    PyErr_Clear();
    why = benchy_status_message(me->q.status);
  }
  PyObject *text = PyUnicode_FromFormat("the request to %s failed: %s", me->where, why);
  if (!text) return NULL;
  bpy_raise_error(st, me->q.status, PyUnicode_AsUTF8AndSize(text, NULL), NULL);
  Py_DECREF(text);
  attach_record(me);
  return NULL;
}

/* With the queue locked: the next chunk, or NULL. */
static int take_chunk(bpy_stream *me, queued_chunk *out) {
  if (me->q.head == me->q.len) return 0;
  *out = me->q.items[me->q.head++];
  if (me->q.head == me->q.len) me->q.head = me->q.len = 0;
  return 1;
}

static void wait_slice(chunk_queue *q) {
  struct timespec until = bpy_slice_deadline();
  pthread_mutex_lock(&q->mu);
  while (q->head == q->len && !q->done)
    if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT) break;
  pthread_mutex_unlock(&q->mu);
}

static PyObject *stream_next(PyObject *self) {
  bpy_stream *me = (bpy_stream *)self;
  if (me->finished) return NULL; /* StopIteration */
  if (me->busy) {
    PyErr_SetString(PyExc_ValueError, "this stream is already being read by another thread");
    return NULL;
  }
  for (;;) {
    queued_chunk c;
    pthread_mutex_lock(&me->q.mu);
    int have = take_chunk(me, &c), done = me->q.done;
    pthread_mutex_unlock(&me->q.mu);
    if (have) {
      PyObject *d = chunk_dict(me, &c);
      free(c.text);
      return d;
    }
    if (done) {
      join_loop(me, 0);
      me->finished = 1;
      if (load_record(me) < 0) return NULL;
      if (me->q.status != BENCHY_OK) return raise_failed(me);
      if (!me->record) return PyErr_NoMemory();
      return Py_NewRef(me->record);
    }
    me->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    wait_slice(&me->q);
    Py_END_ALLOW_THREADS
    me->busy = 0;
    if (PyErr_CheckSignals() < 0) { /* Ctrl-C: cancel, keep the record so far */
      PyObject *type, *value, *tb;
      PyErr_Fetch(&type, &value, &tb); /* json.loads must not run with it pending */
      join_loop(me, 1);
      me->finished = 1;
      if (load_record(me) < 0) PyErr_Clear(); /* the signal's exception matters more */
      PyErr_Restore(type, value, tb);
      attach_record(me);
      return NULL;
    }
  }
}

static PyObject *stream_close(PyObject *self, PyObject *unused) {
  bpy_stream *me = (bpy_stream *)self;
  if (me->busy) {
    PyErr_SetString(PyExc_ValueError, "this stream is being read by another thread");
    return NULL;
  }
  join_loop(me, 1);
  me->finished = 1;
  if (load_record(me) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *stream_enter(PyObject *self, PyObject *unused) { return Py_NewRef(self); }

static PyObject *stream_exit(PyObject *self, PyObject *args) {
  PyObject *r = stream_close(self, NULL);
  if (!r) return NULL;
  Py_DECREF(r);
  Py_RETURN_FALSE;
}

static PyObject *stream_get_record(PyObject *self, void *c) {
  bpy_stream *me = (bpy_stream *)self;
  return Py_NewRef(me->finished && me->record ? me->record : Py_None);
}

static PyObject *stream_repr(PyObject *self) {
  bpy_stream *me = (bpy_stream *)self;
  return PyUnicode_FromFormat("<benchy.Stream %s %s>", me->where, me->finished ? "ended" : "open");
}

static PyMethodDef stream_methods[] = {
  {"close", stream_close, METH_NOARGS,
   "close()\n\nCancels the request if it is still in flight and ends the iteration; "
   "idempotent. .record then holds the record so far (status ERR_CANCELLED when cut short)."},
  {"__enter__", stream_enter, METH_NOARGS, NULL},
  {"__exit__", stream_exit, METH_VARARGS, NULL},
  {NULL, NULL, 0, NULL}};

static PyGetSetDef stream_getset[] = {
  {"record", stream_get_record, NULL,
   "The request's record (a dict, as Result.requests holds them) once the stream ended; None "
   "before.",
   NULL},
  {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot stream_slots[] = {
  {Py_tp_doc, (void *)"One streamed request, as benchy.stream() returns it: iterate it for the "
                      "chunks, the record last."},
  {Py_tp_dealloc, stream_dealloc},
  {Py_tp_iter, PyObject_SelfIter},
  {Py_tp_iternext, stream_next},
  {Py_tp_repr, stream_repr},
  {Py_tp_methods, stream_methods},
  {Py_tp_getset, stream_getset},
  {0, NULL}};

static PyType_Spec stream_spec = {
  .name = "benchy.Stream",
  .basicsize = sizeof(bpy_stream),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
  .slots = stream_slots,
};

int bpy_stream_type_init(PyObject *module, bpy_state *st) {
  return bpy_add_type(module, &stream_spec, &st->stream_type);
}

/* "scheme://user:pass@host/..." without "user:pass@": for messages. */
static char *url_for_messages(const char *base_url, const char *path) {
  const char *scheme_end = strstr(base_url, "://");
  const char *host = scheme_end ? scheme_end + 3 : base_url;
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (at && (!slash || at < slash)) host = at + 1;
  size_t scheme_len = scheme_end ? (size_t)(scheme_end + 3 - base_url) : 0;
  size_t base_len = strlen(host);
  while (base_len && host[base_len - 1] == '/') base_len--;
  size_t n = scheme_len + base_len + strlen(path) + 1;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%.*s%.*s%s", (int)scheme_len, base_url, (int)base_len, host, path);
  return out;
}

/* Connection options from the table: what a client command takes to reach a
 * server, nothing that shapes a workload. */
static const char *connection_options[] = {"base_url", "api_key", "api_key_env", "header", "timeout"};

static int check_connection_kwargs(PyObject *kwargs) {
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (kwargs && PyDict_Next(kwargs, &pos, &key, &value)) {
    const char *name = PyUnicode_AsUTF8AndSize(key, NULL);
    if (!name) return -1;
    size_t i = 0;
    while (i < sizeof connection_options / sizeof connection_options[0] &&
           strcmp(connection_options[i], name) != 0)
      i++;
    if (i == sizeof connection_options / sizeof connection_options[0]) {
      PyErr_Format(PyExc_TypeError,
                   "stream() got an unexpected keyword argument '%s' (it takes base_url, api_key, "
                   "api_key_env, header and timeout; request-body fields go in body)",
                   name);
      return -1;
    }
  }
  return 0;
}

/* Session settings from validated options; an error leaves a message. */
static int configure_session(benchy_session *s, const benchy_options *o) {
  const char *key = benchy_options_str(o, "api-key");
  if (!key) {
    const char *var = benchy_options_str(o, "api-key-env");
    key = var && *var ? getenv(var) : NULL;
  }
  if (key && *key && benchy_session_set_api_key(s, key) != BENCHY_OK) return -1;
  for (size_t i = 0; i < benchy_options_list_len(o, "header"); i++)
    if (benchy_session_add_header(s, benchy_options_list_str(o, "header", i)) != BENCHY_OK) return -1;
  double timeout_s = benchy_options_double(o, "timeout");
  if (timeout_s > 0 && benchy_session_set_timeout_ms(s, (int64_t)(timeout_s * 1000.0)) != BENCHY_OK)
    return -1;
  return 0;
}

/* _benchy.stream(body_json, endpoint, **connection): endpoint "chat" or
 * "completions"; the body is built by benchy/__init__.py. */
PyObject *bpy_stream_start(PyObject *module, PyObject *args, PyObject *kwargs) {
  bpy_state *st = bpy_module_state(module);
  const char *body, *endpoint;
  if (!PyArg_ParseTuple(args, "ss:stream", &body, &endpoint)) return NULL;
  int chat = strcmp(endpoint, "chat") == 0;
  if (!chat && strcmp(endpoint, "completions") != 0) {
    PyErr_Format(PyExc_ValueError, "endpoint '%s': give 'chat' or 'completions'", endpoint);
    return NULL;
  }
  if (check_connection_kwargs(kwargs) < 0) return NULL;
  benchy_options *opts = NULL;
  if (bpy_options_from_kwargs(BENCHY_CMD_LOAD, "stream", kwargs, &opts) < 0) return NULL;

  PyTypeObject *type = (PyTypeObject *)st->stream_type;
  allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
  bpy_stream *me = (bpy_stream *)alloc(type, 0);
  if (!me) {
    benchy_options_free(opts);
    return NULL;
  }
  queue_init(&me->q); /* alloc zeroed the rest */
  const char *base_url = benchy_options_str(opts, "base-url");
  me->where = url_for_messages(base_url, chat ? "/chat/completions" : "/completions");
  char err[512] = "";
  int rc = me->where ? benchy_loop_new(&me->loop) : BENCHY_ERR_NOMEM;
  if (rc == BENCHY_OK) rc = benchy_session_new_err(&me->session, me->loop, base_url, err, sizeof err);
  if (rc == BENCHY_OK && configure_session(me->session, opts) < 0) {
    rc = BENCHY_ERR_INVALID;
    snprintf(err, sizeof err, "%s", benchy_session_error(me->session));
  }
  if (rc == BENCHY_OK) {
    rc = benchy_request_new(&me->request, me->session,
                            chat ? BENCHY_ENDPOINT_CHAT : BENCHY_ENDPOINT_COMPLETIONS, body);
    if (rc != BENCHY_OK) snprintf(err, sizeof err, "%s", benchy_session_error(me->session));
  }
  if (rc == BENCHY_OK) {
    benchy_request_set_flags(me->request, BENCHY_KEEP_TEXT);
    benchy_request_set_on_chunk(me->request, on_chunk, &me->q);
    benchy_request_set_on_done(me->request, on_done, me);
    me->t0_ns = benchy_now_ns();
    rc = benchy_request_start(me->request, 0);
    if (rc != BENCHY_OK) snprintf(err, sizeof err, "%s", benchy_session_error(me->session));
  }
  if (rc == BENCHY_OK) {
    if (pthread_create(&me->thread, NULL, loop_thread, me) == 0) {
      me->thread_running = 1;
    } else {
      rc = BENCHY_ERR_NOMEM;
      snprintf(err, sizeof err, "could not start the stream's thread");
    }
  }
  benchy_options_scrub(opts, err, sizeof err);
  benchy_options_free(opts);
  if (rc != BENCHY_OK) {
    me->finished = 1;
    if (rc == BENCHY_ERR_NOMEM && !err[0]) PyErr_NoMemory();
    else bpy_raise_error(st, rc, err, NULL);
    Py_DECREF(me);
    return NULL;
  }
  return (PyObject *)me;
}

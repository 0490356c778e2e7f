/*
 * benchy.Simulator: the simulator (sim.h) in this process, on its own
 * thread with its own event loop; it needs no GIL while it serves.
 */
#include "benchy_py.h"

#include <string.h>

typedef struct {
  PyObject_HEAD
  benchy_sim *sim;
} bpy_sim;

static int sim_init(PyObject *self, PyObject *args, PyObject *kwargs) {
  bpy_sim *me = (bpy_sim *)self;
  if (me->sim) {
    PyErr_SetString(PyExc_RuntimeError, "Simulator.__init__ called twice");
    return -1;
  }
  if (args && PyTuple_Size(args) > 0) {
    PyErr_SetString(PyExc_TypeError, "Simulator() takes keyword arguments only (prefill_tps=..., ...)");
    return -1;
  }
  benchy_options *opts = NULL;
  if (bpy_options_from_kwargs(BENCHY_CMD_SIM, "Simulator", kwargs, &opts) < 0) return -1;
  /* In-process, a free port unless one is asked for: two notebooks (or
   * tests) must not fight over the CLI's default. */
  if (!benchy_options_is_set(opts, "port")) benchy_options_set(opts, "port", "0");
  char err[512] = "";
  int rc;
  benchy_sim *sim = NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = benchy_sim_start(&sim, opts, err, sizeof err);
  Py_END_ALLOW_THREADS
  benchy_options_free(opts);
  if (rc != BENCHY_OK) {
    bpy_raise_error(bpy_type_state(Py_TYPE(self)), rc, err, NULL);
    return -1;
  }
  me->sim = sim;
  return 0;
}

static void sim_stop(bpy_sim *me) {
  benchy_sim *sim = me->sim;
  me->sim = NULL;
  if (!sim) return;
  Py_BEGIN_ALLOW_THREADS
  benchy_sim_stop(sim);
  Py_END_ALLOW_THREADS
}

static void sim_dealloc(PyObject *self) {
  PyTypeObject *type = Py_TYPE(self);
  sim_stop((bpy_sim *)self);
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

static benchy_sim *running(PyObject *self) {
  benchy_sim *sim = ((bpy_sim *)self)->sim;
  if (!sim) PyErr_SetString(PyExc_ValueError, "the simulator is stopped");
  return sim;
}

static PyObject *sim_get_base_url(PyObject *self, void *c) {
  benchy_sim *sim = running(self);
  return sim ? PyUnicode_FromString(benchy_sim_base_url(sim)) : NULL;
}

static PyObject *sim_get_url(PyObject *self, void *c) {
  benchy_sim *sim = running(self);
  if (!sim) return NULL;
  /* The server root: base_url (as the library built it, with the host
   * asked for, IPv6 in brackets) without its /v1. */
  const char *base = benchy_sim_base_url(sim);
  size_t n = strlen(base);
  if (n >= 3 && !strcmp(base + n - 3, "/v1")) n -= 3;
  return PyUnicode_FromStringAndSize(base, (Py_ssize_t)n);
}

static PyObject *sim_get_port(PyObject *self, void *c) {
  benchy_sim *sim = running(self);
  return sim ? PyLong_FromLong(benchy_sim_port(sim)) : NULL;
}

static PyObject *sim_get_running(PyObject *self, void *c) { return PyBool_FromLong(((bpy_sim *)self)->sim != NULL); }

static PyObject *sim_stats(PyObject *self, PyObject *unused) {
  benchy_sim *sim = running(self);
  if (!sim) return NULL;
  benchy_sim_stats s;
  memset(&s, 0, sizeof s);
  s.struct_size = sizeof s;
  benchy_sim_get_stats(sim, &s);
  return Py_BuildValue("{s:K, s:K, s:K, s:K, s:d, s:d, s:d}", "requests", (unsigned long long)s.requests,
                       "streams", (unsigned long long)s.streams, "chunks", (unsigned long long)s.chunks,
                       "faults", (unsigned long long)s.faults, "lateness_p50_ms", s.lateness_p50_ns / 1e6,
                       "lateness_p99_ms", s.lateness_p99_ns / 1e6, "lateness_max_ms", s.lateness_max_ns / 1e6);
}

static PyObject *sim_close(PyObject *self, PyObject *unused) {
  sim_stop((bpy_sim *)self);
  Py_RETURN_NONE;
}

static PyObject *sim_enter(PyObject *self, PyObject *unused) { return running(self) ? Py_NewRef(self) : NULL; }

static PyObject *sim_exit(PyObject *self, PyObject *args) {
  sim_stop((bpy_sim *)self);
  Py_RETURN_FALSE;
}

static PyObject *sim_repr(PyObject *self) {
  benchy_sim *sim = ((bpy_sim *)self)->sim;
  if (!sim) return PyUnicode_FromString("<benchy.Simulator stopped>");
  char text[512];
  benchy_sim_describe(sim, text, sizeof text);
  return PyUnicode_FromFormat("<benchy.Simulator %s>", text);
}

static PyMethodDef sim_methods[] = {
  {"close", sim_close, METH_NOARGS, "close()\n\nStops serving and joins its thread; idempotent."},
  {"stats", sim_stats, METH_NOARGS,
   "stats() -> dict\n\nRequests served, streams, chunks, faults injected, and how late chunks "
   "went out against the timing model."},
  {"__enter__", sim_enter, METH_NOARGS, NULL},
  {"__exit__", sim_exit, METH_VARARGS, NULL},
  {NULL, NULL, 0, NULL}};

static PyGetSetDef sim_getset[] = {
  {"url", sim_get_url, NULL, "\"http://127.0.0.1:PORT\", the server's root.", NULL},
  {"base_url", sim_get_base_url, NULL, "\"http://127.0.0.1:PORT/v1\", what base_url= takes.", NULL},
  {"port", sim_get_port, NULL, "The port it listens on (a free one unless port= was given).", NULL},
  {"running", sim_get_running, NULL, "False once closed.", NULL},
  {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot sim_slots[] = {
  {Py_tp_doc, (void *)"Simulator(**options)\n\nThe simulated OpenAI-compatible server "
                      "(docs/simulator.md) in this process, serving from its own thread from the "
                      "moment it is made until close() or the end of a with block. Options are "
                      "the `benchy sim` ones (benchy.options('sim')); port defaults to a free one."},
  {Py_tp_init, sim_init},
  {Py_tp_new, PyType_GenericNew},
  {Py_tp_dealloc, sim_dealloc},
  {Py_tp_repr, sim_repr},
  {Py_tp_methods, sim_methods},
  {Py_tp_getset, sim_getset},
  {0, NULL}};

static PyType_Spec sim_spec = {
  .name = "benchy.Simulator",
  .basicsize = sizeof(bpy_sim),
  .flags = Py_TPFLAGS_DEFAULT,
  .slots = sim_slots,
};

int bpy_sim_type_init(PyObject *module, bpy_state *st) {
  return bpy_add_type(module, &sim_spec, &st->sim_type);
}

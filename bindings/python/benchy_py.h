/*
 * Shared between the files of the extension: the module state and the
 * helpers each file offers the others. Built with Py_LIMITED_API (3.10).
 */
#ifndef BENCHY_PY_H
#define BENCHY_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <time.h>

#include <benchy/benchy.h>

typedef struct bpy_state {
  PyObject *error_type;  /* benchy.Error */
  PyObject *result_type; /* benchy.Result */
  PyObject *sim_type;    /* benchy.Simulator */
  PyObject *stream_type; /* benchy.Stream */
  PyObject *comparison_type; /* benchy.Comparison */
  PyObject *json_loads;  /* json.loads, for the result document */
} bpy_state;

/* py_module_state.c */
bpy_state *bpy_module_state(PyObject *module);
/* The state of the module a heap type of ours was created for. */
bpy_state *bpy_type_state(PyTypeObject *type);

/* Raises benchy.Error(message) with .status (the status name), .code (its
 * number) and .result (result, or None; a new reference is taken). */
void bpy_raise_error(bpy_state *st, int status, const char *message, PyObject *result);
/* Makes the heap type of spec for module into *type (the state's slot) and
 * adds it to the module under the name after spec's last dot. -1 with an
 * exception set. */
int bpy_add_type(PyObject *module, PyType_Spec *spec, PyObject **type);

/* py_wait.c: waits on the library's threads, in slices short enough that
 * Ctrl-C feels immediate and long enough to cost nothing. */
#define BPY_SLICE_NS 50000000L
void bpy_monotonic_cond_init(pthread_mutex_t *mu, pthread_cond_t *cv);
/* CLOCK_MONOTONIC now + BPY_SLICE_NS, for pthread_cond_timedwait. */
struct timespec bpy_slice_deadline(void);

/* Options of one command from keyword arguments (NULL kwargs: none).
 * A wrong name or type raises TypeError naming the argument (and the
 * nearest known name); a bad value ValueError with the table's message.
 * `function` names the Python function in messages. */
int bpy_options_from_kwargs(unsigned command, const char *function, PyObject *kwargs,
                            benchy_options **out);
/* benchy.options(command): the table's rows for a command, as dicts. */
PyObject *bpy_options_list(PyObject *module, PyObject *command);
/* "bench" -> BENCHY_CMD_BENCH; 0 when unknown. */
unsigned bpy_command_from_name(const char *name);

int bpy_result_type_init(PyObject *module, bpy_state *st);
/* Wraps r (the wrapper owns it from now on); NULL with an exception set. */
PyObject *bpy_result_wrap(bpy_state *st, benchy_result *r);
PyObject *bpy_load_result(PyObject *module, PyObject *path);

/* benchy.bench() / benchy.load(): runs on the library's thread. */
PyObject *bpy_run(PyObject *module, unsigned command, const char *function, PyObject *args,
                  PyObject *kwargs);

int bpy_sim_type_init(PyObject *module, bpy_state *st);

/* benchy.stream(): one request, its chunks as they arrive (py_stream.c). */
int bpy_stream_type_init(PyObject *module, bpy_state *st);
PyObject *bpy_stream_start(PyObject *module, PyObject *args, PyObject *kwargs);

/* benchy.run_script(): a Lua workload on the run handle (py_script.c). */
PyObject *bpy_run_script(PyObject *module, PyObject *args, PyObject *kwargs);

/* benchy.compare(): two results side by side (py_compare.c). */
int bpy_comparison_type_init(PyObject *module, bpy_state *st);
PyObject *bpy_compare(PyObject *module, PyObject *args, PyObject *kwargs);
/* The benchy_result behind a benchy.Result (borrowed), or NULL when obj is
 * not one. */
const benchy_result *bpy_result_get(bpy_state *st, PyObject *obj);

#endif

/*
 * benchy.compare(base, new, **options) and benchy.Comparison: compare.h
 * (benchy_compare) over two Results or saved result files, with the
 * `benchy compare` options of the table (fail_if_slower, alpha, ...). The
 * comparison's JSON document (docs/compare.md) is the Python data: rows as
 * dicts, regressions as sentences.
 */
#include "benchy_py.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  PyObject_HEAD
  benchy_comparison *comparison;
  PyObject *document; /* dict, made on first use */
} bpy_comparison;

static void comparison_dealloc(PyObject *self) {
  bpy_comparison *me = (bpy_comparison *)self;
  PyTypeObject *type = Py_TYPE(self);
  Py_CLEAR(me->document);
  benchy_comparison_free(me->comparison);
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

static PyObject *document(PyObject *self) {
  bpy_comparison *me = (bpy_comparison *)self;
  if (!me->document) {
    char *json = benchy_comparison_to_json(me->comparison, 0);
    if (!json) return PyErr_NoMemory();
    me->document = PyObject_CallFunction(bpy_type_state(Py_TYPE(self))->json_loads, "s", json);
    free(json);
  }
  return me->document;
}

static PyObject *document_key(PyObject *self, const char *key) {
  PyObject *doc = document(self);
  if (!doc) return NULL;
  PyObject *v = PyDict_GetItemString(doc, key);
  return Py_NewRef(v ? v : Py_None);
}

static PyObject *get_rows(PyObject *self, void *c) { return document_key(self, "rows"); }
static PyObject *get_notes(PyObject *self, void *c) { return document_key(self, "notes"); }
static PyObject *get_kind(PyObject *self, void *c) { return document_key(self, "kind"); }
static PyObject *get_document(PyObject *self, void *c) {
  PyObject *doc = document(self);
  return doc ? Py_NewRef(doc) : NULL;
}

static PyObject *get_regressions(PyObject *self, void *c) {
  const benchy_comparison *cmp = ((bpy_comparison *)self)->comparison;
  size_t n = benchy_comparison_regression_count(cmp);
  PyObject *list = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; list && i < n; i++) {
    PyObject *s = PyUnicode_FromString(benchy_comparison_regression(cmp, i));
    if (!s) Py_CLEAR(list);
    else if (PyList_SetItem(list, (Py_ssize_t)i, s) < 0) Py_CLEAR(list);
  }
  return list;
}

static PyObject *get_passed(PyObject *self, void *c) {
  return PyBool_FromLong(benchy_comparison_regression_count(((bpy_comparison *)self)->comparison) == 0);
}

static PyObject *comparison_to_markdown(PyObject *self, PyObject *unused) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return PyErr_NoMemory();
  int rc = benchy_comparison_write(((bpy_comparison *)self)->comparison, "md", f);
  fclose(f);
  PyObject *s = rc == BENCHY_OK ? PyUnicode_FromStringAndSize(text, (Py_ssize_t)len) : NULL;
  if (rc != BENCHY_OK) bpy_raise_error(bpy_type_state(Py_TYPE(self)), rc, NULL, NULL);
  free(text);
  return s;
}

static PyObject *comparison_to_json(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"pretty", NULL};
  int pretty = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|p:to_json", kwlist, &pretty)) return NULL;
  char *json = benchy_comparison_to_json(((bpy_comparison *)self)->comparison, pretty);
  if (!json) return PyErr_NoMemory();
  PyObject *s = PyUnicode_FromString(json);
  free(json);
  return s;
}

static PyObject *comparison_repr(PyObject *self) {
  const benchy_comparison *cmp = ((bpy_comparison *)self)->comparison;
  size_t n = benchy_comparison_regression_count(cmp);
  return PyUnicode_FromFormat("<benchy.Comparison %s, %zu regression%s>", n ? "FAILED" : "passed", n,
                              n == 1 ? "" : "s");
}

static PyMethodDef comparison_methods[] = {
  {"to_markdown", comparison_to_markdown, METH_NOARGS,
   "to_markdown() -> str\n\nThe table `benchy compare` prints."},
  {"to_json", (PyCFunction)(void (*)(void))comparison_to_json, METH_VARARGS | METH_KEYWORDS,
   "to_json(pretty=False) -> str\n\nThe document `benchy compare --format json` writes."},
  {NULL, NULL, 0, NULL}};

static PyGetSetDef comparison_getset[] = {
  {"rows", get_rows, NULL,
   "One dict per row and metric: row, metric, better, base, new, diff_pct, ci_pct, p, test, "
   "verdict, note, regression (docs/compare.md).",
   NULL},
  {"regressions", get_regressions, NULL,
   "Each regression (significantly worse and past a fail_if_* threshold) as a sentence.", NULL},
  {"passed", get_passed, NULL, "True when there is no regression (the CLI's exit status 0).", NULL},
  {"notes", get_notes, NULL, "What was not compared, and why.", NULL},
  {"kind", get_kind, NULL, "\"bench\", \"load\" or \"run\".", NULL},
  {"document", get_document, NULL, "The whole comparison as a dict.", NULL},
  {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot comparison_slots[] = {
  {Py_tp_doc, (void *)"Two results side by side, as benchy.compare() returns them."},
  {Py_tp_dealloc, comparison_dealloc},
  {Py_tp_repr, comparison_repr},
  {Py_tp_methods, comparison_methods},
  {Py_tp_getset, comparison_getset},
  {0, NULL}};

static PyType_Spec comparison_spec = {
  .name = "benchy.Comparison",
  .basicsize = sizeof(bpy_comparison),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
  .slots = comparison_slots,
};

int bpy_comparison_type_init(PyObject *module, bpy_state *st) {
  return bpy_add_type(module, &comparison_spec, &st->comparison_type);
}

/* A Result's own (borrowed, *owned NULL), or one read from a path (*owned
 * set: the caller frees it). NULL with an exception set. */
static const benchy_result *result_of(bpy_state *st, PyObject *obj, const char *which,
                                      benchy_result **owned) {
  *owned = NULL;
  const benchy_result *r = bpy_result_get(st, obj);
  if (r) return r;
  PyObject *bytes = NULL;
  if (!PyUnicode_Check(obj) && !PyObject_HasAttrString(obj, "__fspath__")) {
    PyErr_Format(PyExc_TypeError, "compare(): %s takes a benchy.Result or the path of a saved result",
                 which);
    return NULL;
  }
  if (!PyUnicode_FSConverter(obj, &bytes)) return NULL;
  char err[512] = "";
  int rc;
  const char *path = PyBytes_AsString(bytes);
  Py_BEGIN_ALLOW_THREADS
  rc = benchy_result_load(owned, path, err, sizeof err);
  Py_END_ALLOW_THREADS
  Py_DECREF(bytes);
  if (rc != BENCHY_OK) {
    bpy_raise_error(st, rc, err, NULL);
    return NULL;
  }
  return *owned;
}

PyObject *bpy_compare(PyObject *module, PyObject *args, PyObject *kwargs) {
  bpy_state *st = bpy_module_state(module);
  PyObject *base_obj, *new_obj;
  if (!PyArg_ParseTuple(args, "OO:compare", &base_obj, &new_obj)) return NULL;
  benchy_options *opts = NULL;
  if (bpy_options_from_kwargs(BENCHY_CMD_COMPARE, "compare", kwargs, &opts) < 0) return NULL;
  benchy_result *base_owned = NULL, *new_owned = NULL;
  const benchy_result *base = result_of(st, base_obj, "base (the first argument)", &base_owned);
  const benchy_result *fresh = base ? result_of(st, new_obj, "new (the second argument)", &new_owned) : NULL;
  PyObject *out = NULL;
  if (base && fresh) {
    benchy_comparison *cmp = NULL;
    char err[1024] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS /* the bootstrap takes a while on large results */
    rc = benchy_compare(&cmp, base, fresh, opts, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (rc != BENCHY_OK) {
      bpy_raise_error(st, rc, err, NULL);
    } else {
      PyTypeObject *type = (PyTypeObject *)st->comparison_type;
      allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
      bpy_comparison *me = (bpy_comparison *)alloc(type, 0);
      if (me) me->comparison = cmp;
      else benchy_comparison_free(cmp);
      out = (PyObject *)me;
    }
  }
  benchy_result_free(base_owned);
  benchy_result_free(new_owned);
  benchy_options_free(opts);
  return out;
}

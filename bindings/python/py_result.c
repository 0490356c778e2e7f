/*
 * benchy.Result: owns a benchy_result. The document (docs/results.md) is
 * turned into Python objects once, on first use, with json.loads: plain
 * dicts and lists that pandas and matplotlib take directly.
 */
#include "benchy_py.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  PyObject_HEAD
  benchy_result *result;
  PyObject *document; /* dict, NULL until asked for */
} bpy_result;

static bpy_state *state_of(PyObject *self) { return bpy_type_state(Py_TYPE(self)); }

static int result_traverse(PyObject *self, visitproc visit, void *arg) {
  Py_VISIT(((bpy_result *)self)->document);
  Py_VISIT((PyObject *)Py_TYPE(self)); /* heap type */
  return 0;
}

static int result_clear(PyObject *self) {
  Py_CLEAR(((bpy_result *)self)->document);
  return 0;
}

static void result_dealloc(PyObject *self) {
  PyTypeObject *type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  result_clear(self);
  benchy_result_free(((bpy_result *)self)->result);
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

PyObject *bpy_result_wrap(bpy_state *st, benchy_result *r) {
  PyTypeObject *type = (PyTypeObject *)st->result_type;
  allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
  bpy_result *self = (bpy_result *)alloc(type, 0);
  if (!self) {
    benchy_result_free(r);
    return NULL;
  }
  self->result = r;
  self->document = NULL;
  return (PyObject *)self;
}

const benchy_result *bpy_result_get(bpy_state *st, PyObject *obj) {
  return PyObject_TypeCheck(obj, (PyTypeObject *)st->result_type) ? ((bpy_result *)obj)->result : NULL;
}

static PyObject *document(PyObject *self) {
  bpy_result *me = (bpy_result *)self;
  if (!me->document) {
    char *json = benchy_result_to_json(me->result, 0);
    if (!json) return PyErr_NoMemory();
    me->document = PyObject_CallFunction(state_of(self)->json_loads, "s", json);
    free(json);
  }
  return me->document;
}

static PyObject *document_key(PyObject *self, const char *key) {
  PyObject *doc = document(self);
  if (!doc) return NULL;
  PyObject *v = PyDict_GetItemString(doc, key); /* borrowed */
  return Py_NewRef(v ? v : Py_None);
}

static PyObject *get_kind(PyObject *self, void *c) {
  return PyUnicode_FromString(benchy_result_kind(((bpy_result *)self)->result));
}
static PyObject *get_status(PyObject *self, void *c) {
  return PyUnicode_FromString(benchy_status_name(benchy_result_status(((bpy_result *)self)->result)));
}
static PyObject *get_summary(PyObject *self, void *c) { return document_key(self, "aggregates"); }
static PyObject *get_requests(PyObject *self, void *c) { return document_key(self, "records"); }
static PyObject *get_metadata(PyObject *self, void *c) { return document_key(self, "metadata"); }
static PyObject *get_config(PyObject *self, void *c) { return document_key(self, "config"); }
static PyObject *get_document(PyObject *self, void *c) {
  PyObject *doc = document(self);
  return doc ? Py_NewRef(doc) : NULL;
}

static PyObject *render(PyObject *self, const char *format) {
  const benchy_result *r = ((bpy_result *)self)->result;
  const char *why = benchy_result_format_error(r, format);
  if (why) {
    PyErr_Format(PyExc_ValueError, "format '%s': %s", format, why);
    return NULL;
  }
  char *text = benchy_result_render(r, format);
  if (!text) return PyErr_NoMemory();
  PyObject *s = PyUnicode_FromString(text);
  free(text);
  return s;
}

static PyObject *result_to_json(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"pretty", NULL};
  int pretty = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|p:to_json", kwlist, &pretty)) return NULL;
  char *json = benchy_result_to_json(((bpy_result *)self)->result, pretty);
  if (!json) return PyErr_NoMemory();
  PyObject *s = PyUnicode_FromString(json);
  free(json);
  return s;
}

static PyObject *result_to_markdown(PyObject *self, PyObject *unused) { return render(self, "md"); }

static PyObject *result_render(PyObject *self, PyObject *args) {
  const char *format;
  if (!PyArg_ParseTuple(args, "s:render", &format)) return NULL;
  return render(self, format);
}

static PyObject *result_save(PyObject *self, PyObject *path) {
  PyObject *bytes = NULL;
  if (!PyUnicode_FSConverter(path, &bytes)) return NULL;
  char err[512] = "";
  int rc = benchy_result_save(((bpy_result *)self)->result, PyBytes_AsString(bytes), err, sizeof err);
  Py_DECREF(bytes);
  if (rc != BENCHY_OK) {
    bpy_raise_error(state_of(self), rc, err, NULL);
    return NULL;
  }
  Py_RETURN_NONE;
}

/* Thin over benchy_report_save: this result first, then others' results,
 * the options from the table's BENCHY_CMD_REPORT rows. */
static PyObject *result_report(PyObject *self, PyObject *args, PyObject *kwargs) {
  PyObject *path = NULL, *others = NULL;
  if (!PyArg_ParseTuple(args, "O|O:report", &path, &others)) return NULL;
  bpy_state *st = state_of(self);
  /* A list of our own holds the results alive for the call. */
  PyObject *seq = others && others != Py_None ? PySequence_List(others) : PyList_New(0);
  if (!seq) {
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      PyErr_SetString(PyExc_TypeError, "report(path, others): others is a list of benchy.Result");
    }
    return NULL;
  }
  Py_ssize_t n = PyList_Size(seq);
  const benchy_result **results = calloc((size_t)n + 1, sizeof *results);
  benchy_options *opts = NULL;
  PyObject *bytes = NULL, *ret = NULL;
  if (!results) {
    PyErr_NoMemory();
    goto done;
  }
  results[0] = ((bpy_result *)self)->result;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *o = PyList_GetItem(seq, i); /* borrowed */
    if (!PyObject_TypeCheck(o, (PyTypeObject *)st->result_type)) {
      PyErr_Format(PyExc_TypeError, "report(path, others): others[%zd] is not a benchy.Result", i);
      goto done;
    }
    results[i + 1] = ((bpy_result *)o)->result;
  }
  if (bpy_options_from_kwargs(BENCHY_CMD_REPORT, "Result.report()", kwargs, &opts) != 0) goto done;
  if (!PyUnicode_FSConverter(path, &bytes)) goto done;
  char err[2048] = "";
  int rc = benchy_report_save(results, NULL, (size_t)n + 1, opts, PyBytes_AsString(bytes), err,
                              sizeof err);
  if (rc != BENCHY_OK) {
    bpy_raise_error(st, rc, err, NULL);
    goto done;
  }
  ret = Py_NewRef(Py_None);
done:
  Py_XDECREF(bytes);
  benchy_options_free(opts);
  free(results);
  Py_DECREF(seq);
  return ret;
}

static PyObject *result_to_pandas(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"what", NULL};
  const char *what = "requests";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|s:to_pandas", kwlist, &what)) return NULL;
  const char *key = strcmp(what, "requests") == 0 ? "records" : strcmp(what, "summary") == 0 ? "aggregates" : NULL;
  if (!key) {
    PyErr_Format(PyExc_ValueError, "to_pandas(what='%s'): what takes 'requests' or 'summary'", what);
    return NULL;
  }
  PyObject *pandas = PyImport_ImportModule("pandas");
  if (!pandas) {
    if (PyErr_ExceptionMatches(PyExc_ImportError)) {
      PyErr_Clear();
      PyErr_SetString(PyExc_ImportError, "Result.to_pandas() needs pandas: pip install pandas");
    }
    return NULL;
  }
  PyObject *rows = document_key(self, key), *frame = NULL;
  if (rows) frame = PyObject_CallMethod(pandas, "json_normalize", "O", rows);
  Py_XDECREF(rows);
  Py_DECREF(pandas);
  return frame;
}

static PyObject *result_repr(PyObject *self) {
  PyObject *records = document_key(self, "records");
  if (!records) return NULL;
  Py_ssize_t n = PyList_Check(records) ? PyList_Size(records) : 0;
  Py_DECREF(records);
  const benchy_result *r = ((bpy_result *)self)->result;
  return PyUnicode_FromFormat("<benchy.Result kind=%s status=%s requests=%zd>", benchy_result_kind(r),
                              benchy_status_name(benchy_result_status(r)), n);
}

static PyMethodDef result_methods[] = {
  {"to_json", (PyCFunction)(void (*)(void))result_to_json, METH_VARARGS | METH_KEYWORDS,
   "to_json(pretty=False) -> str\n\nThe whole result document (docs/results.md)."},
  {"to_markdown", result_to_markdown, METH_NOARGS, "to_markdown() -> str\n\nThe table `benchy` prints."},
  {"render", result_render, METH_VARARGS,
   "render(format) -> str\n\n\"md\", \"json\", \"jsonl\", \"csv\" or \"vllm\" (load only), as "
   "--format writes them."},
  {"save", result_save, METH_O,
   "save(path)\n\nWrites the result; the format follows the extension (.md, .json, .jsonl, "
   ".csv; anything else JSON). benchy.load_result() reads a JSON file back."},
  {"report", (PyCFunction)(void (*)(void))result_report, METH_VARARGS | METH_KEYWORDS,
   "report(path, others=None, /, **options)\n\nWrites the HTML report of this result (and of the "
   "results in others, overlaid) to path, as `benchy report` does (docs/report.md). Options are "
   "benchy report's: title, max_points, overwrite, compare (this result is the base, others[0] "
   "the new one), alpha, bootstrap_iterations, bootstrap_seed, ignore_config. An existing file "
   "is refused unless overwrite=True."},
  {"to_pandas", (PyCFunction)(void (*)(void))result_to_pandas, METH_VARARGS | METH_KEYWORDS,
   "to_pandas(what='requests') -> pandas.DataFrame\n\nOne row per request ('requests') or per "
   "aggregate row/level ('summary'), nested statistics flattened with dots. Needs pandas."},
  {NULL, NULL, 0, NULL}};

static PyGetSetDef result_getset[] = {
  {"kind", get_kind, NULL, "\"bench\" or \"load\".", NULL},
  {"status", get_status, NULL,
   "\"OK\", \"ERR_CANCELLED\" (interrupted: holds every request that completed) or the error "
   "that stopped the run.",
   NULL},
  {"summary", get_summary, NULL,
   "The aggregates: a list of dicts, two rows per bench test (pp, tg), one per load level.", NULL},
  {"requests", get_requests, NULL, "Every request's record, a list of dicts.", NULL},
  {"metadata", get_metadata, NULL, "Facts about the run (model, server, versions), a dict.", NULL},
  {"config", get_config, NULL, "Every option as given or defaulted (never a secret), a dict.", NULL},
  {"document", get_document, NULL, "The whole result document as a dict.", NULL},
  {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot result_slots[] = {
  {Py_tp_doc, (void *)"The result of a run, or of benchy.load_result(). Made by the library, "
                      "not by calling the class."},
  {Py_tp_dealloc, result_dealloc},
  {Py_tp_traverse, result_traverse},
  {Py_tp_clear, result_clear},
  {Py_tp_repr, result_repr},
  {Py_tp_methods, result_methods},
  {Py_tp_getset, result_getset},
  {0, NULL}};

static PyType_Spec result_spec = {
  .name = "benchy.Result",
  .basicsize = sizeof(bpy_result),
  .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
  .slots = result_slots,
};

int bpy_result_type_init(PyObject *module, bpy_state *st) {
  return bpy_add_type(module, &result_spec, &st->result_type);
}

PyObject *bpy_load_result(PyObject *module, PyObject *path) {
  PyObject *bytes = NULL;
  if (!PyUnicode_FSConverter(path, &bytes)) return NULL;
  char err[512] = "";
  benchy_result *r = NULL;
  int rc;
  const char *cpath = PyBytes_AsString(bytes);
  Py_BEGIN_ALLOW_THREADS
  rc = benchy_result_load(&r, cpath, err, sizeof err);
  Py_END_ALLOW_THREADS
  Py_DECREF(bytes);
  bpy_state *st = bpy_module_state(module);
  if (rc != BENCHY_OK) {
    bpy_raise_error(st, rc, err, NULL);
    return NULL;
  }
  return bpy_result_wrap(st, r);
}

/*
 * benchy.run_script(path, define={...}, **options): a Lua workload (`benchy
 * run`, docs/lua.md) on the run handle, exactly as bench and load run
 * (py_run.c: the library's thread, progress, Ctrl-C). Only the two
 * arguments the CLI spells differently are turned into table options here:
 * the script's path (the CLI's bare word) and define= as a dict (-e KEY=VALUE).
 */
#include "benchy_py.h"

/* {"key": value} -> ["key=value", ...]; a list of "KEY=VALUE" is kept. */
static PyObject *define_items(PyObject *define) {
  if (PyList_Check(define) || PyTuple_Check(define)) return Py_NewRef(define); /* the table checks each */
  if (!PyDict_Check(define)) {
    PyErr_SetString(PyExc_TypeError,
                    "argument 'define' takes a dict ({\"users\": \"4\"}) or a list of \"KEY=VALUE\" str");
    return NULL;
  }
  PyObject *items = PyList_New(0);
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (items && PyDict_Next(define, &pos, &key, &value)) {
    if (!PyUnicode_Check(key)) {
      PyErr_SetString(PyExc_TypeError, "argument 'define' takes a dict of str keys ({\"users\": \"4\"})");
      Py_CLEAR(items);
      break;
    }
    PyObject *text = PyUnicode_Check(value) ? Py_NewRef(value) : PyObject_Str(value);
    PyObject *item = text ? PyUnicode_FromFormat("%U=%U", key, text) : NULL;
    Py_XDECREF(text);
    if (!item || PyList_Append(items, item) < 0) Py_CLEAR(items);
    Py_XDECREF(item);
  }
  return items;
}

PyObject *bpy_run_script(PyObject *module, PyObject *args, PyObject *kwargs) {
  PyObject *path = NULL;
  if (!PyArg_ParseTuple(args, "O:run_script", &path)) return NULL;
  PyObject *options = kwargs ? PyDict_Copy(kwargs) : PyDict_New();
  if (!options) return NULL;
  PyObject *fspath = PyOS_FSPath(path);
  int rc = fspath ? PyDict_SetItemString(options, "script", fspath) : -1;
  Py_XDECREF(fspath);
  PyObject *define = rc == 0 ? PyDict_GetItemString(options, "define") : NULL;
  if (define && define != Py_None) {
    PyObject *items = define_items(define);
    rc = items ? PyDict_SetItemString(options, "define", items) : -1;
    Py_XDECREF(items);
  }
  PyObject *empty = rc == 0 ? PyTuple_New(0) : NULL;
  PyObject *result = empty ? bpy_run(module, BENCHY_CMD_RUN, "run_script", empty, options) : NULL;
  Py_XDECREF(empty);
  Py_DECREF(options);
  return result;
}

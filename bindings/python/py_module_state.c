/*
 * py_module_state.c — what every file of the extension asks of the module:
 * its state (the types and the exception live there, not in globals, so the
 * module can be loaded in several interpreters), benchy.Error raised from a
 * library status, and a type made and added to both. _benchy.c defines the
 * module; the type files depend on this file, never on it.
 */
#include "benchy_py.h"

#include <string.h>

bpy_state *bpy_module_state(PyObject *module) { return (bpy_state *)PyModule_GetState(module); }

bpy_state *bpy_type_state(PyTypeObject *type) { return (bpy_state *)PyType_GetModuleState(type); }

void bpy_raise_error(bpy_state *st, int status, const char *message, PyObject *result) {
  const char *text = message && *message ? message : benchy_status_message(status);
  PyObject *exc = PyObject_CallFunction(st->error_type, "s", text);
  if (!exc) return;
  PyObject *name = PyUnicode_FromString(benchy_status_name(status));
  PyObject *code = PyLong_FromLong(status);
  if (!name || !code || PyObject_SetAttrString(exc, "status", name) < 0 ||
      PyObject_SetAttrString(exc, "code", code) < 0 ||
      PyObject_SetAttrString(exc, "result", result ? result : Py_None) < 0 ||
      PyObject_SetAttrString(exc, "record", Py_None) < 0) { /* stream() sets it */
    Py_XDECREF(name);
    Py_XDECREF(code);
    Py_DECREF(exc);
    return;
  }
  Py_DECREF(name);
  Py_DECREF(code);
  PyErr_SetObject(st->error_type, exc);
  Py_DECREF(exc);
}

int bpy_add_type(PyObject *module, PyType_Spec *spec, PyObject **type) {
  *type = PyType_FromModuleAndSpec(module, spec, NULL);
  if (!*type) return -1;
  const char *dot = strrchr(spec->name, '.');
  return PyModule_AddObjectRef(module, dot ? dot + 1 : spec->name, *type);
}

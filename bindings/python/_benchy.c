/*
 * benchy._benchy: the module itself. Multi-phase init; every type and the
 * exception live in the module state, so the module can be loaded in
 * several interpreters and be collected like any object.
 */
#include "benchy_py.h"

static PyObject *mod_bench(PyObject *module, PyObject *args, PyObject *kwargs) {
  return bpy_run(module, BENCHY_CMD_BENCH, "bench", args, kwargs);
}

static PyObject *mod_load(PyObject *module, PyObject *args, PyObject *kwargs) {
  return bpy_run(module, BENCHY_CMD_LOAD, "load", args, kwargs);
}

static PyObject *mod_stream(PyObject *module, PyObject *args, PyObject *kwargs) {
  return bpy_stream_start(module, args, kwargs);
}

static PyObject *mod_run_script(PyObject *module, PyObject *args, PyObject *kwargs) {
  return bpy_run_script(module, args, kwargs);
}

static PyObject *mod_compare(PyObject *module, PyObject *args, PyObject *kwargs) {
  return bpy_compare(module, args, kwargs);
}

static PyObject *mod_options(PyObject *module, PyObject *command) {
  return bpy_options_list(module, command);
}

static PyObject *mod_load_result(PyObject *module, PyObject *path) {
  return bpy_load_result(module, path);
}

static PyMethodDef module_methods[] = {
  {"bench", (PyCFunction)(void (*)(void))mod_bench, METH_VARARGS | METH_KEYWORDS,
   "bench(*, progress=None, **options) -> Result\n\nA llama-bench style pp/tg table. "
   "See benchy.bench for the options."},
  {"load", (PyCFunction)(void (*)(void))mod_load, METH_VARARGS | METH_KEYWORDS,
   "load(*, progress=None, **options) -> Result\n\nA vLLM style load test. "
   "See benchy.load for the options."},
  {"stream", (PyCFunction)(void (*)(void))mod_stream, METH_VARARGS | METH_KEYWORDS,
   "stream(body_json, endpoint, **connection) -> Stream\n\nUse benchy.stream()."},
  {"run_script", (PyCFunction)(void (*)(void))mod_run_script, METH_VARARGS | METH_KEYWORDS,
   "run_script(path, *, define=None, progress=None, **options) -> Result\n\nSee "
   "benchy.run_script."},
  {"compare", (PyCFunction)(void (*)(void))mod_compare, METH_VARARGS | METH_KEYWORDS,
   "compare(base, new, **options) -> Comparison\n\nSee benchy.compare."},
  {"options", mod_options, METH_O,
   "options(command) -> list of dict\n\nThe option table's rows for \"bench\", \"load\", "
   "\"run\", \"compare\" or \"sim\": name (Python spelling), cli_name, type, default, min, max, choices, metavar, "
   "group, help."},
  {"load_result", mod_load_result, METH_O,
   "load_result(path) -> Result\n\nReads a result saved as JSON (Result.save, --save-result) "
   "back."},
  {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *module) {
  bpy_state *st = bpy_module_state(module);
  st->error_type = PyErr_NewExceptionWithDoc(
      "benchy.Error",
      "An error from libbenchy. The message is the library's; .status is the status name "
      "(\"ERR_CONNECT\"), .code its number, .result the partial Result or None, .record "
      "the failed request's record (benchy.stream()) or None.",
      PyExc_Exception, NULL);
  if (!st->error_type) return -1;
  if (PyModule_AddObjectRef(module, "Error", st->error_type) < 0) return -1;
  PyObject *json = PyImport_ImportModule("json");
  if (!json) return -1;
  st->json_loads = PyObject_GetAttrString(json, "loads");
  Py_DECREF(json);
  if (!st->json_loads) return -1;
  if (bpy_result_type_init(module, st) < 0 || bpy_sim_type_init(module, st) < 0 ||
      bpy_stream_type_init(module, st) < 0 || bpy_comparison_type_init(module, st) < 0)
    return -1;
  if (PyModule_AddStringConstant(module, "__version__", benchy_version_string()) < 0) return -1;
  return 0;
}

static int module_traverse(PyObject *module, visitproc visit, void *arg) {
  bpy_state *st = bpy_module_state(module);
  Py_VISIT(st->error_type);
  Py_VISIT(st->result_type);
  Py_VISIT(st->sim_type);
  Py_VISIT(st->stream_type);
  Py_VISIT(st->comparison_type);
  Py_VISIT(st->json_loads);
  return 0;
}

static int module_clear(PyObject *module) {
  bpy_state *st = bpy_module_state(module);
  Py_CLEAR(st->error_type);
  Py_CLEAR(st->result_type);
  Py_CLEAR(st->sim_type);
  Py_CLEAR(st->stream_type);
  Py_CLEAR(st->comparison_type);
  Py_CLEAR(st->json_loads);
  return 0;
}

static void module_free(void *module) { module_clear((PyObject *)module); }

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, (void *)module_exec}, {0, NULL}};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "benchy._benchy",
  .m_doc = "The C extension behind the benchy package; use `import benchy`.",
  .m_size = sizeof(bpy_state),
  .m_methods = module_methods,
  .m_slots = module_slots,
  .m_traverse = module_traverse,
  .m_clear = module_clear,
  .m_free = module_free,
};

PyMODINIT_FUNC PyInit__benchy(void);
PyMODINIT_FUNC PyInit__benchy(void) { return PyModuleDef_Init(&module_def); }

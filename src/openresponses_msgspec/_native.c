/* openresponses_msgspec._native: the optional line scanner (see docs/native.md).
 *
 * Thin CPython wrappers over the plain-C core in _native_core.h. Each takes a buffer (bytes, bytearray, a
 * contiguous memoryview) and a range pos:end that must lie inside it (ValueError otherwise, as the pure-Python
 * twins in _scan.py), and scans it with the GIL released (the exported buffer cannot be resized meanwhile).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_native_core.h"

static int get_range(Py_buffer *view, Py_ssize_t pos, Py_ssize_t end)
{
    if (pos < 0 || end < pos || end > view->len) {
        PyErr_Format(PyExc_ValueError, "range %zd:%zd outside a buffer of %zd bytes", pos, end, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *native_utf8_valid(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end;
    int ok, final = 1;
    if (!PyArg_ParseTuple(args, "y*nn|p:utf8_valid", &view, &pos, &end, &final))
        return NULL;
    if (get_range(&view, pos, end) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    ok = or_utf8_valid((const unsigned char *)view.buf + pos, (size_t)(end - pos), final);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

static PyObject *proof_tuple(const or_proof *pr, Py_ssize_t pos)
{
    return Py_BuildValue("(nnn)", (Py_ssize_t)pr->last + pos, (Py_ssize_t)pr->newlines, (Py_ssize_t)pr->blank);
}

static PyObject *native_prove_lines(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end;
    or_proof pr;
    int ok;
    if (!PyArg_ParseTuple(args, "y*nn:prove_lines", &view, &pos, &end))
        return NULL;
    if (get_range(&view, pos, end) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    ok = or_prove_lines((const unsigned char *)view.buf + pos, (size_t)(end - pos), &pr);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (!ok)
        Py_RETURN_NONE;
    return proof_tuple(&pr, pos);
}

static PyObject *native_ndjson_window(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end;
    int check_utf8, valid = 1, proven = 0;
    or_proof pr;
    if (!PyArg_ParseTuple(args, "y*nnp:ndjson_window", &view, &pos, &end, &check_utf8))
        return NULL;
    if (get_range(&view, pos, end) < 0)
        return NULL;
    const unsigned char *s = (const unsigned char *)view.buf + pos;
    size_t n = (size_t)(end - pos);
    Py_BEGIN_ALLOW_THREADS
    if (check_utf8)
        valid = or_utf8_valid(s, n, 1);
    if (valid)
        proven = or_prove_lines(s, n, &pr);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (!proven)
        return Py_BuildValue("(OO)", valid ? Py_True : Py_False, Py_None);
    PyObject *proof = proof_tuple(&pr, pos);
    if (proof == NULL)
        return NULL;
    return Py_BuildValue("(ON)", Py_True, proof);
}

static PyObject *native_sse_frames(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end;
    or_frames fr;
    size_t frames;
    if (!PyArg_ParseTuple(args, "y*nn:sse_frames", &view, &pos, &end))
        return NULL;
    if (get_range(&view, pos, end) < 0)
        return NULL;
    size_t n = (size_t)(end - pos);
    PyObject *body = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (body == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(body);
    const unsigned char *s = (const unsigned char *)view.buf + pos;
    Py_BEGIN_ALLOW_THREADS
    frames = or_sse_frames(s, n, out, &fr);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (frames == 0) {
        Py_DECREF(body);
        Py_RETURN_NONE;
    }
    if (_PyBytes_Resize(&body, (Py_ssize_t)fr.body_len) < 0)
        return NULL;
    return Py_BuildValue("(nnnN)", (Py_ssize_t)fr.stop + pos, (Py_ssize_t)frames, (Py_ssize_t)fr.lines, body);
}

static PyMethodDef native_methods[] = {
    {"utf8_valid", native_utf8_valid, METH_VARARGS, "utf8_valid(data, pos, end, final=True) -> bool"},
    {"prove_lines", native_prove_lines, METH_VARARGS, "prove_lines(data, pos, end) -> (last, newlines, blank) | None"},
    {"ndjson_window", native_ndjson_window, METH_VARARGS,
     "ndjson_window(data, pos, end, check_utf8) -> (valid, (last, newlines, blank) | None)"},
    {"sse_frames", native_sse_frames, METH_VARARGS, "sse_frames(data, pos, end) -> (stop, frames, lines, body) | None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native", "The optional line scanner (see _scan.py).", -1, native_methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&native_module); }

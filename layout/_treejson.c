/* layout.json's lines, compiled: tree.TextLine.json_text for a block's lines, joined by ",".
 *
 * tree.py is the reference (and runs alone where this is not built, or with BANMIAN_PURE=1).
 * The text is the same to the byte: every float is round(x, n) then repr, done as CPython does
 * them — round() takes the correctly rounded decimal digits (dtoa mode 3) and reads them back
 * (strtod), which is what PyOS_double_to_string(x, 'f', n) and PyOS_string_to_double do;
 * repr() is PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0). Strings are escaped as the
 * json module's encoder does with ensure_ascii off. A value that is not a float (an int), and
 * a table's row, are handed to Python. tests/test_render.py compares both on every line of
 * the sample and of random lines. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

typedef struct { char *p; Py_ssize_t n, cap; } Buf;

static PyObject *round_fn = NULL;   /* builtins.round, for values that are not floats */

static int grow(Buf *b, Py_ssize_t more)
{
    if (b->n + more <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more) cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (!p) { PyErr_NoMemory(); return -1; }
    b->p = p; b->cap = cap;
    return 0;
}

static int put(Buf *b, const char *s, Py_ssize_t n)
{
    if (grow(b, n)) return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

#define PUT_LIT(b, s) put((b), (s), (Py_ssize_t)sizeof(s) - 1)

static int put_utf8_of(Buf *b, PyObject *str)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(str, &n);
    return s ? put(b, s, n) : -1;
}

/* The fast path, for the floats of a page (coordinates and sizes well under 4e9 / 10^nd):
 * k / 10^nd written as CPython's repr writes that double — its integer part, ".", the nd
 * decimals without trailing zeros, at least one. That is repr's shortest round-trip string:
 * doubles near it are far closer together than 10^-nd, so no other decimal of nd places or
 * fewer reads back as the same double. repr turns to exponents below 1e-4: not taken here. */
static const double POW10[] = {1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0};
static const long long IPOW10[] = {1, 10, 100, 1000, 10000, 100000};
#define FAST_LIMIT 4294967296.0   /* 2^32: x * 10^nd is then within 2^-21 of its exact value */

static int put_fixed(Buf *b, long long k, int nd, int negative)
{
    char tmp[64], *o = tmp + sizeof(tmp), *end = o;
    unsigned long long u = k < 0 ? (unsigned long long)(-k) : (unsigned long long)k;
    unsigned long long ip = u / (unsigned long long)IPOW10[nd], fp = u % (unsigned long long)IPOW10[nd];
    int digits = nd;
    while (digits > 1 && fp % 10 == 0) { fp /= 10; digits--; }
    for (int i = 0; i < digits; i++) { *--o = (char)('0' + fp % 10); fp /= 10; }
    *--o = '.';
    do { *--o = (char)('0' + ip % 10); ip /= 10; } while (ip);
    if (negative) *--o = '-';
    return put(b, o, end - o);
}

/* repr(v) of a float, or of anything else by Python */
static int put_repr(Buf *b, PyObject *v)
{
    if (PyFloat_CheckExact(v)) {
        double x = PyFloat_AS_DOUBLE(v), y = x * 1000.0;
        if (y > -FAST_LIMIT && y < FAST_LIMIT) {
            long long k = (long long)nearbyint(y);
            /* x is exactly the double nearest k / 1000, and not below repr's 1e-4 */
            if ((double)k / 1000.0 == x && (k != 0 || x == 0.0))
                return put_fixed(b, k, 3, signbit(x) != 0);
        }
        char *s = PyOS_double_to_string(PyFloat_AS_DOUBLE(v), 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!s) return -1;
        int rc = put(b, s, (Py_ssize_t)strlen(s));
        PyMem_Free(s);
        return rc;
    }
    PyObject *r = PyObject_Repr(v);
    if (!r) return -1;
    int rc = put_utf8_of(b, r);
    Py_DECREF(r);
    return rc;
}

/* repr(round(v, nd)) */
static int put_round(Buf *b, PyObject *v, int nd)   /* nd: 0 to 5 */
{
    if (PyFloat_CheckExact(v) && Py_IS_FINITE(PyFloat_AS_DOUBLE(v))) {
        double x = PyFloat_AS_DOUBLE(v), y = x * POW10[nd];
        if (y > -FAST_LIMIT && y < FAST_LIMIT) {
            double r = floor(y), f = y - r;
            /* away from a tie, rounding the product rounds x (its error is below 2^-21) */
            if (f < 0.5 - 1e-6 || f > 0.5 + 1e-6) {
                long long k = (long long)r + (f > 0.5);
                if (k == 0)   /* round() keeps the sign of what rounds to zero */
                    return signbit(x) ? PUT_LIT(b, "-0.0") : PUT_LIT(b, "0.0");
                if (k <= -IPOW10[nd > 4 ? nd - 4 : 0] || k >= IPOW10[nd > 4 ? nd - 4 : 0])
                    return put_fixed(b, k, nd, k < 0);
            }
        }
        char *digits = PyOS_double_to_string(PyFloat_AS_DOUBLE(v), 'f', nd, 0, NULL);
        if (!digits) return -1;
        double rounded = PyOS_string_to_double(digits, NULL, NULL);
        PyMem_Free(digits);
        if (rounded == -1.0 && PyErr_Occurred()) return -1;
        char *s = PyOS_double_to_string(rounded, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!s) return -1;
        int rc = put(b, s, (Py_ssize_t)strlen(s));
        PyMem_Free(s);
        return rc;
    }
    PyObject *r = PyObject_CallFunction(round_fn, "Oi", v, nd);
    if (!r) return -1;
    int rc = put_repr(b, r);
    Py_DECREF(r);
    return rc;
}

/* a JSON string as json.encoder.encode_basestring writes it (ensure_ascii off), in UTF-8 */
static int put_string(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "a str is expected");
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (grow(b, 2 + 6 * n)) return -1;   /* at most 6 bytes a character (\u00XX), 4 in UTF-8 */
    char *o = b->p + b->n;
    *o++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c != '"' && c != '\\') {
            if (c < 0x80) *o++ = (char)c;
            else if (c < 0x800) { *o++ = (char)(0xC0 | (c >> 6)); *o++ = (char)(0x80 | (c & 0x3F)); }
            else if (c < 0x10000) {
                if (c >= 0xD800 && c <= 0xDFFF) {   /* a lone surrogate: UTF-8 refuses it, as .encode() does */
                    if (PyUnicode_AsUTF8AndSize(s, NULL) || !PyErr_Occurred())
                        PyErr_SetString(PyExc_UnicodeError, "a lone surrogate cannot be written");
                    return -1;
                }
                *o++ = (char)(0xE0 | (c >> 12)); *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
                *o++ = (char)(0x80 | (c & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (c >> 18)); *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((c >> 6) & 0x3F)); *o++ = (char)(0x80 | (c & 0x3F));
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: {
            static const char hex[] = "0123456789abcdef";
            *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = hex[(c >> 4) & 0xF]; *o++ = hex[c & 0xF];
        }
        }
    }
    *o++ = '"';
    b->n = o - b->p;
    return 0;
}

/* TextLine's fields, by position (tree.py checks the order when it takes this module) */
enum { L_TEXT, L_X, L_BASELINE, L_RUNS, L_MEASURE, L_LAST, L_VERTICAL, L_ROTATED, L_HEADING, L_TABLE, L_NFIELDS };
enum { R_FONT, R_SIZE, R_X, R_TEXT, R_TRACKING, R_NFIELDS };

static int put_line(Buf *b, PyObject *line, PyObject *fallback)
{
    int table = 1;
    if (PyTuple_Check(line) && PyTuple_GET_SIZE(line) >= L_NFIELDS) {
        table = PyObject_IsTrue(PyTuple_GET_ITEM(line, L_TABLE));
        if (table < 0) return -1;
    }
    if (table) {   /* a table's row (or not a TextLine): as Python writes it */
        PyObject *text = PyObject_CallOneArg(fallback, line);
        if (!text) return -1;
        int rc = put_utf8_of(b, text);
        Py_DECREF(text);
        return rc;
    }
    PyObject **f = &PyTuple_GET_ITEM(line, 0);
    if (PUT_LIT(b, "{\"text\":") || put_string(b, f[L_TEXT]) || PUT_LIT(b, ",\"x\":") || put_round(b, f[L_X], 3)
        || PUT_LIT(b, ",\"baseline\":") || put_round(b, f[L_BASELINE], 3) || PUT_LIT(b, ",\"measure\":")
        || put_round(b, f[L_MEASURE], 3))
        return -1;
    int last = PyObject_IsTrue(f[L_LAST]), vertical = PyObject_IsTrue(f[L_VERTICAL]),
        rotated = PyObject_IsTrue(f[L_ROTATED]), heading = PyObject_IsTrue(f[L_HEADING]);
    if (last < 0 || vertical < 0 || rotated < 0 || heading < 0) return -1;
    if ((last ? PUT_LIT(b, ",\"last\":true") : PUT_LIT(b, ",\"last\":false"))
        || (vertical && PUT_LIT(b, ",\"vertical\":true")) || (rotated && PUT_LIT(b, ",\"rotated\":true"))
        || (heading && PUT_LIT(b, ",\"heading\":true")) || PUT_LIT(b, ",\"runs\":["))
        return -1;
    PyObject *runs = PySequence_Fast(f[L_RUNS], "a line's runs are a sequence");
    if (!runs) return -1;
    Py_ssize_t nr = PySequence_Fast_GET_SIZE(runs);
    for (Py_ssize_t i = 0; i < nr; i++) {
        PyObject *run = PySequence_Fast_GET_ITEM(runs, i);
        if (!PyTuple_Check(run) || PyTuple_GET_SIZE(run) < R_NFIELDS) {
            PyErr_SetString(PyExc_TypeError, "a Run is expected");
            Py_DECREF(runs);
            return -1;
        }
        PyObject **r = &PyTuple_GET_ITEM(run, 0);
        if ((i && PUT_LIT(b, ",")) || PUT_LIT(b, "{\"font\":") || put_string(b, r[R_FONT])
            || PUT_LIT(b, ",\"size\":") || put_repr(b, r[R_SIZE]) || PUT_LIT(b, ",\"x\":") || put_round(b, r[R_X], 4)
            || PUT_LIT(b, ",\"text\":") || put_string(b, r[R_TEXT]) || PUT_LIT(b, ",\"tracking\":")
            || put_round(b, r[R_TRACKING], 5) || PUT_LIT(b, "}")) {
            Py_DECREF(runs);
            return -1;
        }
    }
    Py_DECREF(runs);
    return PUT_LIT(b, "]}");
}

/* lines_json(lines, fallback) -> ",".join(line.json_text() for line in lines); `fallback`
   (a line's json_text) writes a table's rows */
static PyObject *lines_json(PyObject *self, PyObject *args)
{
    PyObject *lines, *fallback;
    (void)self;
    if (!PyArg_ParseTuple(args, "OO", &lines, &fallback)) return NULL;
    PyObject *seq = PySequence_Fast(lines, "lines: a sequence");
    if (!seq) return NULL;
    Buf b = {NULL, 0, 0};
    PyObject *out = NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++)
        if ((i && PUT_LIT(&b, ",")) || put_line(&b, PySequence_Fast_GET_ITEM(seq, i), fallback)) goto done;
    out = PyUnicode_DecodeUTF8(b.p ? b.p : "", b.n, "strict");
done:
    PyMem_Free(b.p);
    Py_DECREF(seq);
    return out;
}

static PyMethodDef methods[] = {
    {"lines_json", lines_json, METH_VARARGS, "TextLine.json_text of each line, joined by commas."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_treejson", "layout.json's lines, compiled.", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__treejson(void)
{
    PyObject *builtins = PyEval_GetBuiltins();   /* borrowed */
    round_fn = builtins ? PyDict_GetItemString(builtins, "round") : NULL;
    if (!round_fn) { PyErr_SetString(PyExc_ImportError, "no builtins.round"); return NULL; }
    Py_INCREF(round_fn);
    return PyModule_Create(&module);
}

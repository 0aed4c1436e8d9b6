/* The compiled line-setting core: layout/text/paragraph.py's items → breaks → orphans →
 * justify → runs, step for step, on C doubles.
 *
 * paragraph.py is the reference and stays complete: without a C compiler the package runs it
 * alone. This file follows it line by line — the same operations on the same IEEE doubles in
 * the same order (every sum left to right, every product and quotient grouped as Python
 * groups it), so the lines it returns are equal to the last bit to the pure ones
 * (tests/test_compiled_core.py sets thousands of random paragraphs both ways; the builds of
 * the sample and of 64 synthetic pages are byte-identical).
 *
 * What stays in Python: looking characters up along the font chains (faces, advances, the
 * full-width marks of a face), break opportunities (regular expressions), the checks before
 * setting, and ParagraphResult. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define EPS 1e-6

/* character classes, from layout/text/classes.py (given once by `classes`): a byte of bits
   for every code point of the Basic Multilingual Plane, where every mark of the classes is */
enum { C_CLOSING = 1, C_OPENING = 2, C_SENTENCE_END = 4 };
static unsigned char class_of[0x10000];
static PyTypeObject *RunType = NULL, *LineType = NULL;
static PyObject *str_psname = NULL, *empty_str = NULL;

static int mark_class(Py_UCS4 c)
{
    return c < 0x10000 ? class_of[c] : 0;
}

static int is_han(Py_UCS4 o)   /* classes.is_ideograph, paragraph._HAN */
{
    return (0x4E00 <= o && o <= 0x9FFF) || (0x3400 <= o && o <= 0x4DBF) || (0x20000 <= o && o <= 0x3134F)
           || (0xF900 <= o && o <= 0xFAFF) || o == 0x3007;
}

static int is_latin(Py_UCS4 o)   /* paragraph._LATIN: A-Za-z0-9% */
{
    return (o >= 'A' && o <= 'Z') || (o >= 'a' && o <= 'z') || (o >= '0' && o <= '9') || o == '%';
}

static int add_class(PyObject *chars, int bit)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(chars);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(chars, i);
        if (c >= 0x10000) {
            PyErr_SetString(PyExc_ValueError, "a punctuation class beyond the Basic Multilingual Plane");
            return -1;
        }
        class_of[c] |= (unsigned char)bit;
    }
    return 0;
}

/* classes(closing, opening, sentence_end, Run, TypesetLine) */
static PyObject *core_classes(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *closing, *opening, *sentence_end, *run, *line;
    if (!PyArg_ParseTuple(args, "UUUO!O!", &closing, &opening, &sentence_end, &PyType_Type, &run,
                          &PyType_Type, &line))
        return NULL;
    memset(class_of, 0, sizeof(class_of));
    if (add_class(closing, C_CLOSING) || add_class(opening, C_OPENING) || add_class(sentence_end, C_SENTENCE_END))
        return NULL;
    Py_XSETREF(RunType, (PyTypeObject *)Py_NewRef(run));
    Py_XSETREF(LineType, (PyTypeObject *)Py_NewRef(line));
    Py_RETURN_NONE;
}

/* A paragraph's items (paragraph._Items) */
typedef struct {
    Py_ssize_t n;
    PyObject *text;               /* the characters (borrowed) */
    Py_UCS4 *ch;
    PyObject **faces;             /* borrowed from the faces list */
    double *size, *adv, *tl, *tr, *endtrim, *sq, *gap, *gapmin, *gapmax, *w, *trl;
    double *T, *SQ, *GS, *TL;     /* prefix sums, n + 1 */
    Py_ssize_t *NS;               /* n + 1 */
    char *stretch, *brk;          /* brk: n + 1 */
    Py_ssize_t *spaces, nspaces, *latin, nlatin;
} Items;

static void items_free(Items *it)
{
    PyMem_Free(it->ch); PyMem_Free(it->faces); PyMem_Free(it->size); PyMem_Free(it->NS);
    PyMem_Free(it->stretch); PyMem_Free(it->spaces);
}

static int read_floats(PyObject *list, double *out, Py_ssize_t n, const char *what)
{
    if (!PyList_Check(list) || PyList_GET_SIZE(list) != n) {
        PyErr_Format(PyExc_TypeError, "%s: a list of %zd floats is expected", what, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyList_GET_ITEM(list, i);
        out[i] = PyFloat_CheckExact(v) ? PyFloat_AS_DOUBLE(v) : PyFloat_AsDouble(v);
        if (out[i] == -1.0 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* paragraph._items, from what the Python side looked up */
static int items_make(Items *it, PyObject *text, PyObject *faces, PyObject *sizes, PyObject *adv,
                      PyObject *full, PyObject *brk, int compress, int punctuation, double latin_space,
                      double latin_min, double latin_max)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    memset(it, 0, sizeof(*it));
    it->n = n;
    it->text = text;
    it->ch = PyMem_Malloc((n + 1) * sizeof(Py_UCS4));
    it->faces = PyMem_Malloc((n + 1) * sizeof(PyObject *));
    /* one block of doubles: 15 arrays of n + 1 */
    it->size = PyMem_Calloc(15 * (n + 1), sizeof(double));
    it->NS = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    it->stretch = PyMem_Malloc(2 * (n + 1) + 1);
    it->spaces = PyMem_Malloc(2 * (n + 1) * sizeof(Py_ssize_t));
    if (!it->ch || !it->faces || !it->size || !it->NS || !it->stretch || !it->spaces) {
        PyErr_NoMemory();
        return -1;
    }
    double *d = it->size;
    it->adv = d += n + 1; it->tl = d += n + 1; it->tr = d += n + 1; it->endtrim = d += n + 1;
    it->sq = d += n + 1; it->gap = d += n + 1; it->gapmin = d += n + 1; it->gapmax = d += n + 1;
    it->w = d += n + 1; it->trl = d += n + 1; it->T = d += n + 1; it->SQ = d += n + 1;
    it->GS = d += n + 1; it->TL = d += n + 1;
    it->brk = it->stretch + (n + 1);
    it->latin = it->spaces + (n + 1);

    for (Py_ssize_t i = 0; i < n; i++) it->ch[i] = PyUnicode_READ_CHAR(text, i);
    if (!PyList_Check(faces) || PyList_GET_SIZE(faces) != n || !PyList_Check(brk) || PyList_GET_SIZE(brk) != n + 1) {
        PyErr_SetString(PyExc_TypeError, "faces and brk: lists of n and n + 1 items are expected");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) it->faces[i] = PyList_GET_ITEM(faces, i);
    for (Py_ssize_t i = 0; i <= n; i++) it->brk[i] = PyList_GET_ITEM(brk, i) == Py_True;
    if (read_floats(sizes, it->size, n, "sizes") || read_floats(adv, it->adv, n, "adv"))
        return -1;
    const Py_UCS4 *ch = it->ch;
    double *A = it->adv, *tl = it->tl, *tr = it->tr, *endtrim = it->endtrim, *sq = it->sq;
    for (Py_ssize_t i = 0; i < n; i++) it->stretch[i] = 1;
    if (n) it->stretch[n - 1] = 0;

    char *fullmap = PyMem_Calloc(n + 1, 1);
    if (!fullmap) { PyErr_NoMemory(); return -1; }
    Py_ssize_t nfull = 0;
    if (compress) {
        PyObject *iter = PyObject_GetIter(full), *k;
        if (!iter) { PyMem_Free(fullmap); return -1; }
        while ((k = PyIter_Next(iter))) {
            Py_ssize_t i = PyLong_AsSsize_t(k);
            Py_DECREF(k);
            if (i < 0 || i >= n) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "full: a position outside the text");
                break;
            }
            fullmap[i] = 1;
            nfull++;
        }
        Py_DECREF(iter);
        if (PyErr_Occurred()) { PyMem_Free(fullmap); return -1; }
        int half_all = punctuation == 2, half_kaiming = punctuation == 1;
        for (Py_ssize_t k2 = 0; k2 < n; k2++) {
            if (!fullmap[k2]) continue;
            int cls = mark_class(ch[k2]);
            double half = A[k2] / 2;
            if (cls & C_CLOSING) {
                endtrim[k2] = half;
                if (half_all || (half_kaiming && !(cls & C_SENTENCE_END))) {
                    tr[k2] = half;
                    endtrim[k2] = 0.0;
                }
            } else if (half_all || half_kaiming) {
                tl[k2] = half;
            }
        }
        /* 全角式: two adjacent marks take 1.5 em, and may go to 1 em when squeezing */
        for (Py_ssize_t k2 = 0; k2 + 1 < n; k2++) {
            int a = mark_class(ch[k2]), b = mark_class(ch[k2 + 1]);
            if (!(a & (C_CLOSING | C_OPENING)) || !(b & (C_CLOSING | C_OPENING))) continue;
            if (!fullmap[k2] || !fullmap[k2 + 1]) continue;
            if (a & C_CLOSING) {
                if (tr[k2] == 0.0) { tr[k2] = A[k2] / 2; endtrim[k2] = 0.0; }
                if ((b & C_OPENING) && tl[k2 + 1] == 0.0) sq[k2 + 1] = A[k2 + 1] / 2;
            } else if ((b & C_OPENING) && tl[k2 + 1] == 0.0) {
                tl[k2 + 1] = A[k2 + 1] / 2;
            }
        }
    }
    PyMem_Free(fullmap);
    /* gaps that never stretch: inside —— / …… / ⋯⋯, and inside a Latin word or number
       (paragraph._NOSTRETCH's matches are the maximal runs of these) */
    for (Py_ssize_t k2 = 0; k2 + 1 < n; k2++) {
        Py_UCS4 a = ch[k2], b = ch[k2 + 1];
        if ((a == b && (a == 0x2014 || a == 0x2026 || a == 0x22EF))
            || (a >= '!' && a <= '~' && b >= '!' && b <= '~'))
            it->stretch[k2] = 0;
    }
    if (latin_space != 0.0) {
        for (Py_ssize_t k2 = 0; k2 + 1 < n; k2++) {
            Py_UCS4 a = ch[k2], b = ch[k2 + 1];
            if ((is_han(a) && is_latin(b)) || (is_latin(a) && is_han(b))) {
                double em = it->size[k2 + 1] > it->size[k2] ? it->size[k2 + 1] : it->size[k2];
                it->gap[k2] = latin_space * em;
                it->gapmin[k2] = latin_min * em;
                it->gapmax[k2] = latin_max * em;
                it->latin[it->nlatin++] = k2;
            }
        }
    }
    int left = 0, anysq = 0;
    for (Py_ssize_t k2 = 0; k2 < n; k2++) {
        if (nfull) it->w[k2] = (A[k2] - tl[k2]) - tr[k2]; else it->w[k2] = A[k2];
        left |= tl[k2] != 0.0;
        anysq |= sq[k2] != 0.0;
        if (ch[k2] == ' ') it->spaces[it->nspaces++] = k2;
    }
    for (Py_ssize_t k2 = 0; k2 + 1 < n; k2++) it->trl[k2] = left ? tr[k2] + tl[k2 + 1] : tr[k2];
    it->T[0] = it->SQ[0] = it->GS[0] = it->TL[0] = 0.0;
    it->NS[0] = 0;
    for (Py_ssize_t k2 = 0; k2 < n; k2++) {
        it->TL[k2 + 1] = left ? it->TL[k2] + tl[k2] : 0.0;
        it->T[k2 + 1] = it->T[k2] + (it->nlatin ? it->w[k2] + it->gap[k2] : it->w[k2]);
        it->SQ[k2 + 1] = anysq ? it->SQ[k2] + sq[k2] : 0.0;
        it->GS[k2 + 1] = it->nlatin ? it->GS[k2] + (it->gap[k2] - it->gapmin[k2]) : 0.0;
        it->NS[k2 + 1] = it->NS[k2] + !it->stretch[k2];
    }
    return 0;
}

static void trim_edges(const Items *it, Py_ssize_t *s, Py_ssize_t *e)
{
    while (*s < *e && it->ch[*s] == ' ') (*s)++;
    while (*e > *s && it->ch[*e - 1] == ' ') (*e)--;
}

/* paragraph._width: natural width and the narrowest after squeezing */
static void width(const Items *it, Py_ssize_t s, Py_ssize_t e, double *natural, double *narrowest)
{
    trim_edges(it, &s, &e);
    if (s >= e) { *natural = *narrowest = 0.0; return; }
    double w = it->T[e] - it->T[s] - it->gap[e - 1] - it->endtrim[e - 1];
    double squeeze = (it->GS[e - 1] - it->GS[s]) + (it->SQ[e] - it->SQ[s + 1]);
    *natural = w;
    *narrowest = w - squeeze;
}

typedef struct { Py_ssize_t s, e; } Span;
typedef struct { Span *v; Py_ssize_t n, cap; } Spans;

static int spans_add(Spans *l, Py_ssize_t s, Py_ssize_t e)
{
    if (l->n == l->cap) {
        Py_ssize_t cap = l->cap ? 2 * l->cap : 16;
        Span *v = PyMem_Realloc(l->v, cap * sizeof(Span));
        if (!v) { PyErr_NoMemory(); return -1; }
        l->v = v; l->cap = cap;
    }
    l->v[l->n].s = s; l->v[l->n].e = e; l->n++;
    return 0;
}

/* bisect.bisect_right, as CPython's _bisect does it */
static Py_ssize_t bisect_right(const double *a, Py_ssize_t hi, double x)
{
    Py_ssize_t lo = 0;
    while (lo < hi) {
        Py_ssize_t mid = ((size_t)lo + hi) / 2;
        if (x < a[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
}

static Py_ssize_t force_break(const Items *it, Py_ssize_t s, Py_ssize_t limit)
{
    for (Py_ssize_t k = limit - 1; k > s + (limit - s) / 3; k--) {
        Py_UCS4 c = it->ch[k - 1];
        if (c == '/' || c == '.' || c == '-' || c == '_' || c == '?' || c == '&' || c == '=' || c == '#')
            return k;
    }
    return limit;
}

/* paragraph._break_lines; over-long units go to `units` as (start, end) */
static int break_lines(const Items *it, const double measures[2], Spans *lines, Spans *units)
{
    const Py_UCS4 *ch = it->ch;
    const char *brk = it->brk;
    const double *T = it->T, *gap = it->gap, *endtrim = it->endtrim;
    Py_ssize_t n = it->n, s = 0, unit_end = 0;
    while (s < n && ch[s] == ' ') s++;
    while (s < n) {
        double measure = measures[lines->n < 1 ? lines->n : 1];
        Py_ssize_t e = bisect_right(T, n + 1, T[s] + measure + EPS) - 1;
        if (e < s + 1) e = s + 1;
        while (e < n && (ch[e] == ' ' || T[e + 1] - T[s] - gap[e] - endtrim[e] <= measure + EPS)) e++;
        Py_ssize_t k_nat = e, end = 0;
        if (brk[k_nat]) {
            end = k_nat;
        } else {
            Py_ssize_t k = k_nat + 1;
            while (k <= n) {
                double natural, narrowest;
                width(it, s, k, &natural, &narrowest);
                if (brk[k]) {
                    if (narrowest <= measure + EPS) end = k;
                    break;
                }
                if (narrowest > measure + EPS) break;
                k++;
            }
            if (!end) {
                k = k_nat - 1;
                while (k > s && !brk[k]) k--;
                if (k > s) {
                    for (Py_ssize_t j = s; j < k; j++)
                        if (ch[j] != ' ') { end = k; break; }
                }
            }
            if (!end) {
                end = force_break(it, s, k_nat > s + 1 ? k_nat : s + 1);
                if (s >= unit_end) {
                    unit_end = end;
                    while (unit_end < n && !brk[unit_end]) unit_end++;
                    if (spans_add(units, s, unit_end)) return -1;
                }
            }
        }
        if (spans_add(lines, s, end)) return -1;
        s = end;
        while (s < n && ch[s] == ' ') s++;
    }
    return 0;
}

/* paragraph._fix_orphan */
static int fix_orphan(const Items *it, Spans *lines, const double measures[2])
{
    Py_ssize_t nl = lines->n;
    if (nl < 2) return 0;
    Py_ssize_t s = lines->v[nl - 1].s, e = lines->v[nl - 1].e, body = 0;
    Py_UCS4 only = 0;
    for (Py_ssize_t j = s; j < e; j++) {
        Py_UCS4 c = it->ch[j];
        if (c != ' ' && !(mark_class(c) & (C_CLOSING | C_OPENING))) { body++; only = c; }
    }
    if (body != 1 || !is_han(only)) return 0;
    Py_ssize_t ps = lines->v[nl - 2].s, pe = lines->v[nl - 2].e, k = pe - 1;
    while (k > ps && !it->brk[k]) k--;
    if (k <= ps + 1) return 0;
    double natural, narrowest;
    double measure_last = measures[nl - 1 < 1 ? nl - 1 : 1];
    width(it, k, e, &natural, &narrowest);
    if (natural > measure_last + EPS) return 0;
    double measure_prev = measures[nl - 2 < 1 ? nl - 2 : 1];
    width(it, ps, k, &natural, &narrowest);
    double slack = measure_prev - natural;
    Py_ssize_t gaps = 0;
    for (Py_ssize_t j = ps; j < k - 1; j++) gaps += it->stretch[j] != 0;
    if (gaps == 0 || slack / (double)gaps > 0.25 * it->size[k - 1]) return 0;
    lines->v[nl - 2].e = k;
    lines->v[nl - 1].s = k;
    return 1;
}

static Py_ssize_t bisect_left_idx(const Py_ssize_t *a, Py_ssize_t hi, Py_ssize_t x)
{
    Py_ssize_t lo = 0;
    while (lo < hi) {
        Py_ssize_t mid = ((size_t)lo + hi) / 2;
        if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* paragraph._justify: the final gaps after each item of the line s..e-1 into `gaps` */
static void justify(const Items *it, Py_ssize_t s, Py_ssize_t e, double measure, int last, int do_justify,
                    double *gaps)
{
    for (Py_ssize_t k = s; k < e; k++) gaps[k - s] = it->gap[k];
    if (s >= e) return;
    double natural = it->T[e] - it->T[s] - it->gap[e - 1] - it->endtrim[e - 1];
    double slack = measure - natural;
    if (slack < -EPS) {
        double need = -slack, total = it->SQ[e] - it->SQ[s + 1];
        if (total > 0) {
            double take = total < need ? total : need;
            for (Py_ssize_t k = s + 1; k < e; k++)
                if (it->sq[k] > 0) gaps[k - 1 - s] -= take * it->sq[k] / total;
            need -= take;
        }
        total = it->GS[e - 1] - it->GS[s];
        if (need > EPS && total > 0) {
            double take = total < need ? total : need;
            for (Py_ssize_t k = s; k < e - 1; k++) {
                double room = it->gap[k] - it->gapmin[k];
                if (room > 0) gaps[k - s] -= take * room / total;
            }
        }
        return;
    }
    if (last || !do_justify || slack <= EPS) return;
    /* expand in clreq's order: word spaces to ½ em, CJK–Latin space to ⅓ em, then every gap */
    for (int pass = 0; pass < 2; pass++) {
        const Py_ssize_t *pos = pass == 0 ? it->spaces : it->latin;
        Py_ssize_t np = pass == 0 ? it->nspaces : it->nlatin;
        if (!np) continue;
        Py_ssize_t a = bisect_left_idx(pos, np, s), b = bisect_left_idx(pos, np, e - 1);
        if (a >= b) continue;
        double total = 0.0;
        for (Py_ssize_t j = a; j < b; j++) {
            Py_ssize_t k = pos[j];
            double r;
            if (pass == 0) { r = 0.5 * it->size[k] - it->adv[k]; if (!(r > 0.0)) r = 0.0; }
            else r = it->gapmax[k] - it->gap[k];
            total += r;
        }
        if (total > EPS) {
            double take = total < slack ? total : slack;
            for (Py_ssize_t j = a; j < b; j++) {
                Py_ssize_t k = pos[j];
                double r;
                if (pass == 0) { r = 0.5 * it->size[k] - it->adv[k]; if (!(r > 0.0)) r = 0.0; }
                else r = it->gapmax[k] - it->gap[k];
                gaps[k - s] += take * r / total;
            }
            slack -= take;
        }
        if (slack <= EPS) return;
    }
    Py_ssize_t eligible = (e - 1 - s) - (it->NS[e - 1] - it->NS[s]);
    if (eligible > 0) {
        double each = slack / (double)eligible;
        for (Py_ssize_t k = s; k < e; k++) gaps[k - s] += it->stretch[k] ? each : 0.0 * each;
    }
}

/* a NamedTuple of `type` from `n` new references (tuple.__new__ for a tuple subclass) */
static PyObject *named(PyTypeObject *type, Py_ssize_t n, PyObject **items)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!items[i]) { for (Py_ssize_t j = 0; j < n; j++) Py_XDECREF(items[j]); return NULL; }
    PyObject *t = type->tp_alloc(type, n);
    if (!t) { for (Py_ssize_t j = 0; j < n; j++) Py_DECREF(items[j]); return NULL; }
    for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(t, i, items[i]);
    return t;
}

static PyObject *psname_of(PyObject *face)
{
    if (face == Py_None) return Py_NewRef(empty_str);
    return PyObject_GetAttr(face, str_psname);
}

/* paragraph._runs for a line s..e-1 (edges trimmed, last_trim True): the runs' tuple; its
   width into *width. `scratch` holds 3 (e - s) + 1 doubles and e - s indexes. */
static PyObject *runs(const Items *it, Py_ssize_t s, Py_ssize_t e, const double *gaps, double x0, double *out_width,
                      double *boxes, double *xs, double *steps, Py_ssize_t *cuts)
{
    if (s >= e) { *out_width = 0.0; return PyTuple_New(0); }
    Py_ssize_t m = e - s;
    boxes[0] = x0;
    for (Py_ssize_t i = 0; i < m; i++) boxes[i + 1] = boxes[i] + (it->w[s + i] + gaps[i]);
    int trimmed = it->TL[e] != it->TL[s];
    for (Py_ssize_t i = 0; i < m; i++) xs[i] = trimmed ? boxes[i] - it->tl[s + i] : boxes[i];
    *out_width = boxes[m - 1] + it->w[e - 1] - x0 - it->endtrim[e - 1];
    for (Py_ssize_t i = 0; i + 1 < m; i++) steps[i] = gaps[i] - it->trl[s + i];
    Py_ssize_t nc = 0;
    for (Py_ssize_t c = 1; c + 1 < m; c++)
        if (steps[c] != steps[c - 1]) cuts[nc++] = c;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t a = 0, ci = 0;
    while (a < m) {
        while (ci < nc && cuts[ci] <= a) ci++;
        Py_ssize_t b = ci < nc ? cuts[ci] : m - 1;
        /* ... and always before a glyph of another face or size */
        for (Py_ssize_t i = a + 1; i <= b; i++)
            if (it->faces[s + i] != it->faces[s + i - 1] || it->size[s + i] != it->size[s + i - 1]) { b = i - 1; break; }
        PyObject *items[5] = {
            psname_of(it->faces[s + a]), PyFloat_FromDouble(it->size[s + a]), PyFloat_FromDouble(xs[a]),
            PyUnicode_Substring(it->text, s + a, s + b + 1), PyFloat_FromDouble(b > a ? steps[a] : 0.0)};
        PyObject *run = named(RunType, 5, items);
        if (!run || PyList_Append(out, run)) { Py_XDECREF(run); Py_DECREF(out); return NULL; }
        Py_DECREF(run);
        a = b + 1;
    }
    PyObject *t = PyList_AsTuple(out);
    Py_DECREF(out);
    return t;
}

/* set_paragraph(chars, faces, sizes, adv, full, brk, measure, first_indent, compress,
 *               punctuation (0 全角 1 开明 2 半角), cjk_latin_space, min, max, orphans, justify)
 * -> (lines, long units as (start, end), orphan fixes) */
static PyObject *core_set_paragraph(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *text, *faces, *sizes, *adv, *full, *brk;
    double measure, first_indent, latin_space, latin_min, latin_max;
    int compress, punctuation, orphans, do_justify;
    if (!PyArg_ParseTuple(args, "UOOOOOddpidddpp", &text, &faces, &sizes, &adv, &full, &brk, &measure,
                          &first_indent, &compress, &punctuation, &latin_space, &latin_min, &latin_max,
                          &orphans, &do_justify))
        return NULL;
    if (!RunType) { PyErr_SetString(PyExc_RuntimeError, "classes() was not called"); return NULL; }
    Items it;
    Spans lines = {0}, units = {0};
    PyObject *result = NULL, *pylines = NULL, *pyunits = NULL;
    double *scratch = NULL;
    if (items_make(&it, text, faces, sizes, adv, full, brk, compress, punctuation, latin_space, latin_min, latin_max))
        goto done;
    double measures[2] = {measure - first_indent, measure};
    if (break_lines(&it, measures, &lines, &units)) goto done;
    int fixes = orphans ? fix_orphan(&it, &lines, measures) : 0;
    Py_ssize_t n = it.n;
    scratch = PyMem_Malloc((4 * (n + 2)) * sizeof(double) + (n + 2) * sizeof(Py_ssize_t));
    if (!scratch) { PyErr_NoMemory(); goto done; }
    double *gaps = scratch, *boxes = gaps + (n + 2), *xs = boxes + (n + 2), *steps = xs + (n + 2);
    Py_ssize_t *cuts = (Py_ssize_t *)(steps + (n + 2));
    pylines = PyList_New(lines.n);
    if (!pylines) goto done;
    for (Py_ssize_t i = 0; i < lines.n; i++) {
        int last = i == lines.n - 1;
        double m = measures[i < 1 ? i : 1], x0 = i == 0 ? first_indent : 0.0, w;
        Py_ssize_t s = lines.v[i].s, e = lines.v[i].e;
        trim_edges(&it, &s, &e);
        justify(&it, s, e, m, last, do_justify, gaps);
        PyObject *rs = runs(&it, s, e, gaps, x0, &w, boxes, xs, steps, cuts);
        PyObject *items[6] = {PyUnicode_Substring(text, s, e), rs, PyFloat_FromDouble(w), PyFloat_FromDouble(m),
                              PyBool_FromLong(last), PyFloat_FromDouble(x0)};
        PyObject *line = named(LineType, 6, items);
        if (!line) goto done;
        PyList_SET_ITEM(pylines, i, line);
    }
    pyunits = PyList_New(units.n);
    if (!pyunits) goto done;
    for (Py_ssize_t i = 0; i < units.n; i++) {
        PyObject *span = Py_BuildValue("(nn)", units.v[i].s, units.v[i].e);
        if (!span) goto done;
        PyList_SET_ITEM(pyunits, i, span);
    }
    result = Py_BuildValue("(OOi)", pylines, pyunits, fixes);
done:
    Py_XDECREF(pylines); Py_XDECREF(pyunits);
    PyMem_Free(scratch); PyMem_Free(lines.v); PyMem_Free(units.v);
    items_free(&it);
    return result;
}

static int in_sorted(PyObject *set, Py_UCS4 c)   /* c in a str of sorted characters */
{
    int kind = PyUnicode_KIND(set);
    const void *data = PyUnicode_DATA(set);
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(set);
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (PyUnicode_READ(kind, data, mid) < c) lo = mid + 1; else hi = mid;
    }
    return lo < PyUnicode_GET_LENGTH(set) && PyUnicode_READ(kind, data, lo) == c;
}

/* opportunities(chars, no_start, no_end) -> brk: breaks.BreakRules.opportunities, the two
 * sets given as strings of sorted characters. brk[i]: a line may break before chars[i] */
static PyObject *core_opportunities(PyObject *self, PyObject *args)
{
    PyObject *text, *no_start, *no_end;
    (void)self;
    if (!PyArg_ParseTuple(args, "UUU", &text, &no_start, &no_end))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    char *out = PyMem_Malloc(n + 1);
    if (!out) return PyErr_NoMemory();
    int spaces = 0;
    out[n] = 1;
    out[0] = 0;   /* (an empty paragraph: [False], as the Python gives) */
    /* forbidden: b may not start a line (a not a space), a may not end one (b not a space),
       the halves of —— …… ⋯⋯, inside a Latin word or number */
    Py_UCS4 a = n ? PyUnicode_READ(kind, data, 0) : 0;
    spaces |= a == ' ';
    for (Py_ssize_t i = 1; i < n; i++) {
        Py_UCS4 b = PyUnicode_READ(kind, data, i);
        spaces |= b == ' ';
        out[i] = !((a != ' ' && in_sorted(no_start, b)) || (b != ' ' && in_sorted(no_end, a))
                   || (a == b && (a == 0x2014 || a == 0x2026 || a == 0x22EF))
                   || (a >= '!' && a <= '~' && b >= '!' && b <= '~'));
        a = b;
    }
    if (spaces) {
        /* a run of spaces after a mark that may not end a line, or before one that may not
           start it: no break anywhere in or around it */
        Py_ssize_t p = 0;
        while (p < n) {
            if (PyUnicode_READ(kind, data, p) != ' ') { p++; continue; }
            Py_ssize_t q = p;
            while (q < n && PyUnicode_READ(kind, data, q) == ' ') q++;
            if ((p > 0 && in_sorted(no_end, PyUnicode_READ(kind, data, p - 1)))
                || (q < n && in_sorted(no_start, PyUnicode_READ(kind, data, q))))
                memset(out + p, 0, q + 1 - p);
            p = q;
        }
        out[0] = 0;
        out[n] = 1;
    }
    PyObject *list = PyList_New(n + 1);
    if (list)
        for (Py_ssize_t i = 0; i <= n; i++) PyList_SET_ITEM(list, i, Py_NewRef(out[i] ? Py_True : Py_False));
    PyMem_Free(out);
    return list;
}

/* CharTable(entry): paragraph._Tables' characters by code point, for `look`. entry(ch) ->
 * (face, advance in pt, is a full-width mark) answers a character the first time it is
 * met (the Python tables look it up along the font chain); after that it is an index into
 * a page of 256 code points, with no str made for it. */
typedef struct {
    double adv[256];
    unsigned char face[256];   /* 0: not yet asked; else 1 + index into faces */
    unsigned char full[256];
} CharPage;

typedef struct {
    PyObject_HEAD
    PyObject *entry;
    PyObject *faces;           /* list: the distinct faces met, None among them */
    CharPage *pages[0x110000 >> 8];
} CharTable;

static int table_traverse(CharTable *t, visitproc visit, void *arg)
{
    Py_VISIT(t->entry);
    Py_VISIT(t->faces);
    return 0;
}

static int table_clear(CharTable *t)
{
    Py_CLEAR(t->entry);
    Py_CLEAR(t->faces);
    return 0;
}

static void table_dealloc(CharTable *t)
{
    PyObject_GC_UnTrack(t);
    table_clear(t);
    for (size_t i = 0; i < sizeof(t->pages) / sizeof(t->pages[0]); i++) PyMem_Free(t->pages[i]);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *table_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *entry;
    if (kw && PyDict_GET_SIZE(kw)) { PyErr_SetString(PyExc_TypeError, "CharTable(entry)"); return NULL; }
    if (!PyArg_ParseTuple(args, "O", &entry)) return NULL;
    CharTable *t = (CharTable *)type->tp_alloc(type, 0);   /* zeroed: no pages yet */
    if (!t) return NULL;
    t->entry = Py_NewRef(entry);
    t->faces = PyList_New(0);
    if (!t->faces) { Py_DECREF(t); return NULL; }
    return (PyObject *)t;
}

/* the page and slot of code point c, asking `entry` the first time */
static CharPage *table_slot(CharTable *t, Py_UCS4 c)
{
    CharPage *page = t->pages[c >> 8];
    if (!page) {
        page = t->pages[c >> 8] = PyMem_Calloc(1, sizeof(CharPage));
        if (!page) { PyErr_NoMemory(); return NULL; }
    }
    unsigned j = c & 0xFF;
    if (page->face[j]) return page;
    PyObject *ch = PyUnicode_FromOrdinal(c);
    if (!ch) return NULL;
    PyObject *got = PyObject_CallOneArg(t->entry, ch);
    Py_DECREF(ch);
    if (!got) return NULL;
    PyObject *face, *adv, *full;
    if (!PyArg_ParseTuple(got, "OOO;entry(ch) -> (face, advance, full)", &face, &adv, &full)) { Py_DECREF(got); return NULL; }
    double a = PyFloat_AsDouble(adv);
    int f = PyObject_IsTrue(full);
    Py_ssize_t k, nf = PyList_GET_SIZE(t->faces);
    for (k = 0; k < nf && PyList_GET_ITEM(t->faces, k) != face; k++) {}
    if ((a == -1.0 && PyErr_Occurred()) || f < 0 || (k == nf && (nf >= 254 || PyList_Append(t->faces, face)))) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "more than 254 faces in one table");
        Py_DECREF(got);
        return NULL;
    }
    Py_DECREF(got);
    page->adv[j] = a;
    page->full[j] = (unsigned char)f;
    page->face[j] = (unsigned char)(k + 1);
    return page;
}

/* look(text, faces, adv, full, offset): append each character's face to `faces` and its
 * advance to `adv`; add offset + i to the set `full` (None: not wanted) for each full-width
 * mark. Returns whether some character has no face (None). */
static PyObject *table_look(CharTable *t, PyObject *args)
{
    PyObject *text, *faces, *adv, *full;
    Py_ssize_t offset;
    if (!PyArg_ParseTuple(args, "UO!O!On", &text, &PyList_Type, &faces, &PyList_Type, &adv, &full, &offset))
        return NULL;
    if (full != Py_None && !PySet_Check(full)) { PyErr_SetString(PyExc_TypeError, "full: a set or None"); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int none = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        CharPage *page = table_slot(t, c);
        if (!page) return NULL;
        unsigned j = c & 0xFF;
        PyObject *face = PyList_GET_ITEM(t->faces, page->face[j] - 1);
        none |= face == Py_None;
        PyObject *a = PyFloat_FromDouble(page->adv[j]);
        if (!a || PyList_Append(faces, face) || PyList_Append(adv, a)) { Py_XDECREF(a); return NULL; }
        Py_DECREF(a);
        if (page->full[j] && full != Py_None) {
            PyObject *pos = PyLong_FromSsize_t(offset + i);
            if (!pos || PySet_Add(full, pos)) { Py_XDECREF(pos); return NULL; }
            Py_DECREF(pos);
        }
    }
    return PyBool_FromLong(none);
}

static PyMethodDef table_methods[] = {
    {"look", (PyCFunction)table_look, METH_VARARGS, "Faces and advances of a text's characters."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject CharTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "layout.text._core.CharTable",
    .tp_basicsize = sizeof(CharTable),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "paragraph._Tables' characters by code point.",
    .tp_new = table_new,
    .tp_dealloc = (destructor)table_dealloc,
    .tp_traverse = (traverseproc)table_traverse,
    .tp_clear = (inquiry)table_clear,
    .tp_methods = table_methods,
};

static PyMethodDef core_methods[] = {
    {"opportunities", core_opportunities, METH_VARARGS, "breaks.BreakRules.opportunities."},
    {"classes", core_classes, METH_VARARGS, "Give the mark classes and the Run and TypesetLine types."},
    {"set_paragraph", core_set_paragraph, METH_VARARGS, "paragraph.py's items, breaks, orphans, justify, runs."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "_core", "The compiled line-setting core.", -1,
                                         core_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__core(void)
{
    str_psname = PyUnicode_InternFromString("psname");
    empty_str = PyUnicode_FromString("");
    if (!str_psname || !empty_str) return NULL;
    if (PyType_Ready(&CharTableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "CharTable", (PyObject *)&CharTableType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}

/* The cosine similarity loss (spec/cosine_similarity.md) in C99, served over the cosine-spec JSON Lines
 * protocol (docs/contracts/protocol.md), version 1:
 *     gcc -O2 -std=c99 -o cosine examples/c/cosine.c -lm && cosine-spec check cmd:./cosine
 * Declares float32 and float64. Sums, norms and gradients are computed in long double (x86-64: 64-bit
 * significand, 15-bit exponent), where no square of a float64 overflows or underflows; each result is
 * rounded once to the dtype. Build with -DBROKEN for the deliberately broken copy (the clamp of CS-VAL-5
 * applied to the norm instead of the squared norm).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small JSON reader (the requests the harness writes) ------------------------------------------ */
typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;
typedef struct J {
    JType type;
    double num;
    int is_int;
    char *str;               /* J_STR */
    struct J *items;         /* J_ARR elements; J_OBJ members, each a pair [key, value] */
    size_t n;
} J;

static const char *P;
static void ws(void) { while (*P == ' ' || *P == '\t' || *P == '\n' || *P == '\r') P++; }

static char *jstring(void) { /* after the opening quote; escapes are kept simple (the harness writes ASCII) */
    size_t cap = 16, len = 0;
    char *s = malloc(cap);
    while (*P && *P != '"') {
        char c = *P++;
        if (c == '\\') {
            c = *P++;
            if (c == 'n') c = '\n'; else if (c == 't') c = '\t';
            else if (c == 'u') { c = '?'; P += 4; }
        }
        if (len + 2 > cap) s = realloc(s, cap *= 2);
        s[len++] = c;
    }
    if (*P == '"') P++;
    s[len] = 0;
    return s;
}

static void jparse(J *v) {
    ws();
    memset(v, 0, sizeof *v);
    if (*P == '{' || *P == '[') {
        int obj = *P++ == '{';
        size_t cap = 4;
        v->type = obj ? J_OBJ : J_ARR;
        v->items = malloc(cap * sizeof(J));
        ws();
        while (*P && *P != (obj ? '}' : ']')) {
            char *key = NULL;
            if (obj) { ws(); P++; key = jstring(); ws(); P++; }
            if (v->n == cap) v->items = realloc(v->items, (cap *= 2) * sizeof(J));
            jparse(&v->items[v->n]);
            if (obj) { /* an object member is held as the pair [key, value] */
                J *pair = calloc(2, sizeof(J));
                pair[0].type = J_STR;
                pair[0].str = key;
                pair[1] = v->items[v->n];
                memset(&v->items[v->n], 0, sizeof(J));
                v->items[v->n].type = J_ARR;
                v->items[v->n].items = pair;
                v->items[v->n].n = 2;
            }
            v->n++;
            ws();
            if (*P == ',') P++;
            ws();
        }
        if (*P) P++;
    } else if (*P == '"') {
        P++; v->type = J_STR; v->str = jstring();
    } else if (!strncmp(P, "null", 4)) { v->type = J_NULL; P += 4; }
    else if (!strncmp(P, "true", 4)) { v->type = J_BOOL; v->num = 1; P += 4; }
    else if (!strncmp(P, "false", 5)) { v->type = J_BOOL; P += 5; }
    else {
        char *end;
        const char *start = P;
        v->type = J_NUM;
        v->num = strtod(P, &end);
        P = end;
        v->is_int = !memchr(start, '.', (size_t)(end - start)) && !memchr(start, 'e', (size_t)(end - start))
                    && !memchr(start, 'E', (size_t)(end - start));
    }
}

static J *get(J *obj, const char *key) { /* a member of an object, or NULL */
    if (!obj || obj->type != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->items[i].items[0].str, key)) return &obj->items[i].items[1];
    return NULL;
}

/* ---- arrays --------------------------------------------------------------------------------------- */
typedef struct { int f32; int is_float; size_t rank, size; size_t shape[32]; double *data; } Arr;
static char ERR[512];
#define FAIL(...) do { snprintf(ERR, sizeof ERR, __VA_ARGS__); return -1; } while (0)

static int is_array(J *v) { return v && v->type == J_OBJ && get(v, "dtype"); }

static int read_arr(J *v, Arr *a, const char *name) {
    if (!is_array(v)) FAIL("Got %s that is not an array", name);
    const char *dt = get(v, "dtype")->str;
    J *shape = get(v, "shape"), *data = get(v, "data");
    a->f32 = !strcmp(dt, "float32");
    a->is_float = !strncmp(dt, "float", 5) || !strcmp(dt, "bfloat16");
    if (a->is_float && strcmp(dt, "float32") && strcmp(dt, "float64"))
        FAIL("this implementation supports float32 and float64, not %s", dt);
    a->rank = shape->n;
    a->size = 1;
    for (size_t i = 0; i < a->rank; i++) a->size *= a->shape[i] = (size_t)shape->items[i].num;
    a->data = malloc((a->size + 1) * sizeof(double));
    for (size_t i = 0; i < a->size; i++) {
        J *e = &data->items[i];
        a->data[i] = e->type == J_STR ? strtod(e->str, NULL) : e->num;
    }
    return 0;
}

/* ---- the loss (CS-VAL-1, CS-VAL-5, CS-NAN-1, CS-RED-*, CS-SW-*) ------------------------------------ */
typedef struct { Arr t, p; size_t axis, d, rows, inner; int red; /* 0 none 1 sum 2 mean */ double *w;
                 size_t lrank, lshape[32]; } Prep;

static int prepare(J *args, Prep *q) {
    memset(q, 0, sizeof *q);
    if (read_arr(get(args, "y_true"), &q->t, "y_true") || read_arr(get(args, "y_pred"), &q->p, "y_pred")) return -1;
    if (strcmp(get(get(args, "y_true"), "dtype")->str, get(get(args, "y_pred"), "dtype")->str))
        FAIL("Got y_true and y_pred of different dtypes; both must have one dtype");
    if (!q->t.is_float) FAIL("Got inputs of an integer or bool dtype; allowed: float16, bfloat16, float32, float64");
    if (q->t.rank != q->p.rank || memcmp(q->t.shape, q->p.shape, q->t.rank * sizeof(size_t)))
        FAIL("Got y_true and y_pred of different shapes; they must have one shape");
    if (q->t.rank == 0) FAIL("Got inputs of shape () (scalars); they must have rank >= 1");
    long r = (long)q->t.rank, ax = -1;
    J *axis = get(args, "axis");
    if (axis) {
        if (axis->type == J_NUM && axis->is_int) ax = (long)axis->num;
        else if (is_array(axis) && !get(axis, "python") && !strncmp(get(axis, "dtype")->str, "int", 3)
                 && get(axis, "shape")->n == 0) ax = (long)get(axis, "data")->items[0].num;
        else FAIL("Got an axis that is not an integer; axis must be an integer, e.g. axis=-1");
    }
    if (ax < -r || ax >= r) FAIL("Got axis=%ld for inputs of rank %ld; allowed: [%ld, %ld]", ax, r, -r, r - 1);
    q->axis = (size_t)(ax < 0 ? ax + r : ax);
    J *red = get(args, "reduction");
    const char *rs = red ? (red->type == J_STR ? red->str : "") : "sum_over_batch_size";
    if (!strcmp(rs, "none")) q->red = 0;
    else if (!strcmp(rs, "sum")) q->red = 1;
    else if (!strcmp(rs, "sum_over_batch_size") || !strcmp(rs, "auto")) q->red = 2; /* CS-RED-4 */
    else FAIL("Got reduction=%.60s; the only valid values are auto, none, sum, sum_over_batch_size", rs);
    q->d = q->t.shape[q->axis];
    q->inner = 1;
    for (size_t i = q->axis + 1; i < q->t.rank; i++) q->inner *= q->t.shape[i];
    q->rows = q->d ? q->t.size / q->d : 1;
    for (size_t i = 0; i < q->t.rank; i++) if (i != q->axis) q->lshape[q->lrank++] = q->t.shape[i];
    if (q->d == 0) { q->rows = 1; for (size_t i = 0; i < q->lrank; i++) q->rows *= q->lshape[i]; }
    /* weights: None -> 1; trailing 1 beyond the loss rank dropped; lower rank aligned with the LEADING axes */
    q->w = malloc((q->rows + 1) * sizeof(double));
    J *sw = get(args, "sample_weight");
    if (!sw || sw->type == J_NULL) { for (size_t i = 0; i < q->rows; i++) q->w[i] = 1; return 0; }
    Arr w;
    if (read_arr(sw, &w, "sample_weight")) return -1;
    if (!strcmp(get(sw, "dtype")->str, "bool")) FAIL("Got sample_weight of dtype bool; it must hold real numbers");
    size_t shp[33], wr = w.rank;
    memcpy(shp, w.shape, wr * sizeof(size_t));
    if (wr == q->lrank + 1 && shp[wr - 1] == 1) wr--;
    else if (wr >= 1 && wr < q->lrank) while (wr < q->lrank) shp[wr++] = 1;
    if (wr > q->lrank) FAIL("Got sample_weight of rank %zu for losses of rank %zu; allowed: a scalar, [batch], "
                            "the loss shape, or a shape that broadcasts to it", w.rank, q->lrank);
    size_t full[32], off = q->lrank - wr;
    for (size_t i = 0; i < q->lrank; i++) {
        full[i] = i < off ? 1 : shp[i - off];
        if (full[i] != 1 && full[i] != q->lshape[i])
            FAIL("Got sample_weight whose shape does not broadcast to the loss shape; allowed: a scalar, "
                 "[batch], the loss shape, or a shape that broadcasts to it (optionally with a trailing 1)");
    }
    for (size_t k = 0; k < q->rows; k++) {
        size_t rem = k, o = 0, stride = 1;
        for (size_t i = q->lrank; i-- > 0;) {
            size_t idx = rem % q->lshape[i];
            rem /= q->lshape[i];
            if (full[i] != 1) o += idx * stride;
            stride *= full[i];
        }
        q->w[k] = q->t.f32 ? (double)(float)w.data[o] : w.data[o];
    }
    return 0;
}

static size_t at(Prep *q, size_t row, size_t k) { /* flat index of element k of row `row` along the axis */
    size_t o = row / q->inner, i = row % q->inner;
    return (o * q->d + k) * q->inner + i;
}

typedef struct { long double c, rt, rp, st, sp; int ct, cp, bad; } Row;

static Row row_of(Prep *q, size_t r) {
    Row x = {0};
    long double dot = 0;
    for (size_t k = 0; k < q->d; k++) {
        long double a = q->t.data[at(q, r, k)], b = q->p.data[at(q, r, k)];
        if (!isfinite(a) || !isfinite(b)) x.bad = 1;
        x.st += a * a; x.sp += b * b; dot += a * b;
    }
#ifdef BROKEN
    x.ct = sqrtl(x.st) < 1e-12L; x.cp = sqrtl(x.sp) < 1e-12L;
#else
    x.ct = x.st < 1e-12L; x.cp = x.sp < 1e-12L;
#endif
    x.rt = x.ct ? 1e6L : 1 / sqrtl(x.st);
    x.rp = x.cp ? 1e6L : 1 / sqrtl(x.sp);
    x.c = x.bad ? NAN : dot * x.rt * x.rp;
    return x;
}

static void put(double v, int f32, int last) {
    if (f32) v = (float)v;
    printf("\"%a\"%s", v, last ? "" : ",");
}

static void array_out(int f32, size_t rank, const size_t *shape, long double *vals, size_t n) {
    printf("{\"dtype\":\"%s\",\"shape\":[", f32 ? "float32" : "float64");
    for (size_t i = 0; i < rank; i++) printf("%zu%s", shape[i], i + 1 < rank ? "," : "");
    printf("],\"data\":[");
    for (size_t i = 0; i < n; i++) put(f32 ? (double)(float)vals[i] : (double)vals[i], f32, i + 1 == n);
    printf("]}");
}

static void loss(Prep *q, long id) {
    long double *v = malloc((q->rows + 1) * sizeof(long double)), total = 0;
    for (size_t r = 0; r < q->rows; r++) {
        long double c = row_of(q, r).c;
        c = c > 1 ? 1 : c < -1 ? -1 : c;
        v[r] = q->w[r] * -c;
        total += v[r];
    }
    printf("{\"type\":\"result\",\"id\":%ld,\"value\":", id);
    if (q->red == 0) array_out(q->t.f32, q->lrank, q->lshape, v, q->rows);
    else {
        long double out = q->rows == 0 ? 0 : q->red == 1 ? total : total / (long double)q->rows; /* N (CS-RED-3) */
        array_out(q->t.f32, 0, NULL, &out, 1);
    }
    printf("}\n");
    free(v);
}

static void grad(Prep *q, long id) {
    long double *gt = calloc(q->t.size + 1, sizeof(long double)), *gp = calloc(q->t.size + 1, sizeof(long double));
    long double divisor = q->red == 2 && q->rows ? (long double)q->rows : 1;
    for (size_t r = 0; r < q->rows && q->d; r++) {
        Row x = row_of(q, r);
        long double coef = q->w[r] / divisor;
        for (size_t k = 0; k < q->d; k++) {
            size_t j = at(q, r, k);
            long double nt = q->t.data[j] * x.rt, np = q->p.data[j] * x.rp;
            /* d/dp = -coef r_p (n(t) - [p unclamped] c n(p)), and symmetrically (CS-GRAD-1) */
            gp[j] = x.bad ? NAN : -coef * x.rp * (nt - (x.cp ? 0 : x.c * np));
            gt[j] = x.bad ? NAN : -coef * x.rt * (np - (x.ct ? 0 : x.c * nt));
        }
    }
    printf("{\"type\":\"result\",\"id\":%ld,\"grads\":[", id);
    array_out(q->t.f32, q->t.rank, q->t.shape, gt, q->t.size);
    printf(",");
    array_out(q->t.f32, q->t.rank, q->t.shape, gp, q->t.size);
    printf("]}\n");
    free(gt);
    free(gp);
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    printf("{\"type\":\"hello\",\"protocol\":1,\"name\":\"cosine-c\",\"version\":\"1.0.0\","
           "\"dtypes\":[\"float32\",\"float64\"],\"features\":{\"grad\":true,\"checks\":[]}}\n");
    fflush(stdout);
    while (getline(&line, &cap, stdin) > 0) {
        J msg;
        P = line;
        jparse(&msg);  /* (memory of a request is not freed: a worker serves one run) */
        long id = (long)get(&msg, "id")->num;
        const char *type = get(&msg, "type")->str;
        Prep q;
        if (!strcmp(type, "check"))
            printf("{\"type\":\"error\",\"id\":%ld,\"kind\":\"error\",\"name\":\"NotSupported\","
                   "\"message\":\"no class API\"}\n", id);
        else if (prepare(get(&msg, "args"), &q))
            printf("{\"type\":\"error\",\"id\":%ld,\"kind\":\"value_error\",\"name\":\"ValueError\","
                   "\"message\":\"%s\"}\n", id, ERR);
        else if (!strcmp(get(&msg, "fn")->str, "grad")) grad(&q, id);
        else loss(&q, id);
        fflush(stdout);
    }
    return 0;
}

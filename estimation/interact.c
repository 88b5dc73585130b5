/* Interactions in the regressor list (--x): "a*b" is a, b and the product
 * a:b; "a:b" the product alone; "a*b*c" every main effect and product, in
 * the order of R's model formulas (Chambers and Hastie 1992, Statistical
 * Models in S, ch. 2: a*b*c = a + b + c + a:b + a:c + b:c + a:b:c). The
 * product columns are added to the table as it is read, so every panel
 * reader (and every model behind it: its W terms are W applied to the
 * product column) sees them as ordinary columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

enum { MAXF = 3 };

void spill_ctx_set_x_terms(spill_ctx *ctx, const char *opt)
{
  if (ctx) ctx->x_terms = opt;
}

void spill_xterms_free(spill_xterm *t, size_t n)
{
  if (!t) return;
  for (size_t k = 0; k < n; k++) free(t[k].name);
  free(t);
}

/* Column by name as spill__table_col: exact, then case-insensitive. */
static long find_col(const char *const *cols, size_t ncols, const char *name)
{
  for (size_t k = 0; k < ncols; k++)
    if (!strcmp(cols[k], name)) return (long)k;
  for (size_t k = 0; k < ncols; k++)
    if (!spill__strcasecmp(cols[k], name)) return (long)k;
  return -1;
}

static void list_cols(char *buf, size_t size, const char *const *cols, size_t ncols)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < ncols && used + 4 < size; k++) {
    int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", cols[k]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

static int is_term(const char *s) { return strchr(s, '*') || strchr(s, ':'); }

/* Append a term unless one with the same factor columns is there already. */
static int add_term(spill_ctx *ctx, spill_xterm **t, size_t *n, size_t *cap, const long *col, size_t nf,
                    const char *const *spell)
{
  long key[MAXF];
  size_t len = 1;
  char *name;
  memcpy(key, col, nf * sizeof *key);
  for (size_t a = 1; a < nf; a++) /* sorted key: a:b equals b:a */
    for (size_t b = a; b > 0 && key[b - 1] > key[b]; b--) {
      long tmp = key[b];
      key[b] = key[b - 1];
      key[b - 1] = tmp;
    }
  for (size_t k = 0; k < *n; k++) {
    long other[MAXF];
    if ((*t)[k].nf != nf) continue;
    memcpy(other, (*t)[k].col, nf * sizeof *other);
    for (size_t a = 1; a < nf; a++)
      for (size_t b = a; b > 0 && other[b - 1] > other[b]; b--) {
        long tmp = other[b];
        other[b] = other[b - 1];
        other[b - 1] = tmp;
      }
    if (!memcmp(other, key, nf * sizeof *key)) return SPILL_OK; /* listed already */
  }
  for (size_t f = 0; f < nf; f++) len += strlen(spell[f]) + 1;
  if (!(name = spill__malloc(ctx, len))) return SPILL_ENOMEM;
  name[0] = '\0';
  for (size_t f = 0; f < nf; f++) {
    if (f) strcat(name, ":");
    strcat(name, spell[f]);
  }
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 8;
    spill_xterm *g = realloc(*t, nc * sizeof *g);
    if (!g) {
      free(name);
      return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    }
    *t = g;
    *cap = nc;
  }
  (*t)[*n].name = name;
  (*t)[*n].nf = nf;
  memcpy((*t)[*n].col, col, nf * sizeof *col);
  for (size_t f = nf; f < MAXF; f++) (*t)[*n].col[f] = -1;
  (*n)++;
  return SPILL_OK;
}

/* Split entry e at op into trimmed factors (copied into buf); checks them. */
static int split_factors(spill_ctx *ctx, const char *opt, const char *src, const char *e, char op,
                         char buf[MAXF][256], size_t *nf)
{
  const char *s = e;
  *nf = 0;
  for (;;) {
    const char *end = strchr(s, op);
    size_t len = end ? (size_t)(end - s) : strlen(s);
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (!len)
      return spill__fail(ctx, SPILL_EINVAL,
                         "%s %s: an empty factor; write a*b (a, b and their product a:b) or a:b (the "
                         "product alone), with column names of %s",
                         opt, e, src);
    if (*nf == MAXF)
      return spill__fail(ctx, SPILL_EINVAL,
                         "%s %s: at most three factors in a term (a*b*c); make higher products columns "
                         "of their own",
                         opt, e);
    if (len >= 256) return spill__fail(ctx, SPILL_EINVAL, "%s %s: a factor name is too long", opt, e);
    memcpy(buf[*nf], s, len);
    buf[(*nf)++][len] = '\0';
    if (!end) break;
    s = end + 1;
  }
  return SPILL_OK;
}

int spill_xterms_expand(spill_ctx *ctx, const char *opt, const char *src, const char *const *x, size_t nx,
                        const char *const *cols, size_t ncols, spill_xterm **terms, size_t *nterms)
{
  spill_xterm *t = NULL;
  size_t n = 0, cap = 0;
  char list[512];
  if (!opt) opt = "--x";
  if (!src) src = "the data";
  *terms = NULL;
  *nterms = 0;
  for (size_t k = 0; k < nx; k++) {
    const char *e = x[k];
    char f[MAXF][256];
    const char *spell[MAXF];
    long col[MAXF];
    size_t nf = 0;
    char op;
    long c = find_col(cols, ncols, e);
    if (c >= 0 || !is_term(e)) { /* a column, even one named like a term */
      if (c < 0) {
        list_cols(list, sizeof list, cols, ncols);
        spill__fail(ctx, SPILL_EDATA, "%s has no column '%s' (columns: %s)", src, e, list);
        goto fail;
      }
      spell[0] = e;
      if (add_term(ctx, &t, &n, &cap, &c, 1, spell)) goto fail;
      continue;
    }
    if (strchr(e, '*') && strchr(e, ':')) {
      spill__fail(ctx, SPILL_EINVAL,
                  "%s %s: write a term with '*' (a*b: a, b and the product a:b) or with ':' (a:b: the "
                  "product alone), not both",
                  opt, e);
      goto fail;
    }
    size_t before = n;
    op = strchr(e, '*') ? '*' : ':';
    if (split_factors(ctx, opt, src, e, op, f, &nf)) goto fail;
    if (nf < 2) {
      spill__fail(ctx, SPILL_EINVAL, "%s %s: a term needs two factors (a*b or a:b)", opt, e);
      goto fail;
    }
    for (size_t q = 0; q < nf; q++) {
      spell[q] = f[q];
      if ((col[q] = find_col(cols, ncols, f[q])) < 0) {
        list_cols(list, sizeof list, cols, ncols);
        spill__fail(ctx, SPILL_EDATA, "%s %s: no column '%s' in %s (columns: %s)", opt, e, f[q], src, list);
        goto fail;
      }
      for (size_t r = 0; r < q; r++)
        if (col[r] == col[q]) {
          spill__fail(ctx, SPILL_EINVAL,
                      "%s %s: '%s' appears twice in the term; for a square, make it a column of its own",
                      opt, e, f[q]);
          goto fail;
        }
    }
    if (op == ':') {
      if (add_term(ctx, &t, &n, &cap, col, nf, spell)) goto fail;
    } else {
      /* every non-empty subset, by size, then in the order given */
      for (size_t size = 1; size <= nf; size++)
        for (unsigned m = 1; m < (1u << nf); m++) {
          long sc[MAXF];
          const char *ss[MAXF];
          size_t ns = 0;
          if ((size_t)__builtin_popcount(m) != size) continue;
          for (size_t q = 0; q < nf; q++)
            if (m >> q & 1) sc[ns] = col[q], ss[ns++] = spell[q];
          if (add_term(ctx, &t, &n, &cap, sc, ns, ss)) goto fail;
        }
    }
    /* a product must not shadow a column of the file */
    for (size_t q = before; q < n; q++)
      if (t[q].nf > 1 && find_col(cols, ncols, t[q].name) >= 0) {
        spill__fail(ctx, SPILL_EDATA,
                    "%s %s: %s already has a column named '%s', the name of a product term; rename that "
                    "column, or list '%s' alone in %s to use the column as it is",
                    opt, e, src, t[q].name, t[q].name, opt);
        goto fail;
      }
  }
  *terms = t;
  *nterms = n;
  return SPILL_OK;
fail:
  spill_xterms_free(t, n);
  return ctx->status;
}

/* The treatment indicator built from an adoption column (panel.c's rule:
 * 1 from the adoption period on; 0 or empty: never), as a factor named
 * "did" when the file has no such column. */
typedef struct virt_did {
  long col;         /* its index in the extended column list, or -1 */
  long adopt, time; /* the file's columns */
} virt_did;

/* Factor f of row r: *miss = 1 when missing (*v untouched), else *v; or an
 * error. num is the row's numbers in the extended table: a factor parsed
 * once is kept there, so neither later products nor the panel reader parse
 * it again (spill__table_number prefers it). */
static int factor(spill_ctx *ctx, const spill__table *tb, const virt_did *vd, size_t r, long f, double *v,
                  int *miss, double *num)
{
  *miss = 0;
  if (f != vd->col && !isnan(num[f])) {
    *v = num[f];
    return SPILL_OK;
  }
  if (f == vd->col) {
    double a = 0, t;
    if (vd->adopt < 0 || vd->time < 0) return *miss = 1, SPILL_OK; /* the reader names the column */
    if (!spill__table_is_missing(tb, r, (size_t)vd->adopt) &&
        spill__table_number(ctx, tb, r, (size_t)vd->adopt, &a))
      return ctx->status;
    if (spill__table_number(ctx, tb, r, (size_t)vd->time, &t)) return ctx->status;
    *v = (a != 0 && t >= a) ? 1.0 : 0.0;
    return SPILL_OK;
  }
  if (spill__table_is_missing(tb, r, (size_t)f)) return *miss = 1, SPILL_OK;
  if (spill__table_number(ctx, tb, r, (size_t)f, v)) return ctx->status;
  num[f] = *v;
  return SPILL_OK;
}

/* Append the product columns of the terms with two or more factors to tb. A
 * product cell is missing when a factor is; a factor that is neither
 * missing nor a number is an error naming its line and column. */
static int add_products(spill_ctx *ctx, spill__table *tb, const spill_xterm *t, size_t n, const virt_did *vd)
{
  size_t m = 0, nc, r, c;
  char **cells = NULL, **names = NULL;
  double *num = NULL;
  for (size_t k = 0; k < n; k++) m += t[k].nf > 1;
  if (!m) return SPILL_OK;
  nc = tb->ncols + m;
  cells = spill__calloc(ctx, tb->nrows * nc + 1, sizeof *cells);
  names = spill__calloc(ctx, nc, sizeof *names);
  num = spill__malloc(ctx, (tb->nrows * nc + 1) * sizeof *num);
  if (!cells || !names || !num) goto fail;
  for (r = 0; r < tb->nrows; r++) {
    for (c = 0; c < tb->ncols; c++) {
      num[r * nc + c] = tb->num ? tb->num[r * tb->ncols + c] : NAN;
      cells[r * nc + c] = NULL;
    }
    c = tb->ncols;
    for (size_t k = 0; k < n; k++) {
      double v = 1.0;
      int miss = 0;
      if (t[k].nf < 2) continue;
      for (size_t f = 0; f < t[k].nf && !miss; f++) {
        double a = 0;
        if (factor(ctx, tb, vd, r, t[k].col[f], &a, &miss, num + r * nc)) goto fail;
        v *= a;
      }
      if (!miss && !isfinite(v)) {
        spill__fail(ctx, SPILL_EDATA, "%s, line %zu: the product %s overflows", tb->path, spill__table_line(tb, r),
                    t[k].name);
        goto fail;
      }
      /* the value lives in num; the text is empty (a missing cell when num is NaN) */
      num[r * nc + c] = miss ? NAN : v;
      if (!(cells[r * nc + c] = spill__strdup(ctx, ""))) goto fail;
      c++;
    }
  }
  for (c = 0; c < tb->ncols; c++) names[c] = tb->names[c];
  for (size_t k = 0; k < n; k++)
    if (t[k].nf > 1 && !(names[c++] = spill__strdup(ctx, t[k].name))) goto fail;
  /* success: move the old cells over */
  for (r = 0; r < tb->nrows; r++)
    for (c = 0; c < tb->ncols; c++) cells[r * nc + c] = tb->cells[r * tb->ncols + c];
  free(tb->cells);
  free(tb->names);
  free(tb->num);
  tb->cells = cells;
  tb->names = names;
  tb->num = num;
  tb->ncols = nc;
  return SPILL_OK;
fail:
  if (cells)
    for (r = 0; r < tb->nrows; r++)
      for (c = tb->ncols; c < nc; c++) free(cells[r * nc + c]);
  if (names)
    for (c = tb->ncols; c < nc; c++) free(names[c]);
  free(cells);
  free(names);
  free(num);
  return ctx->status ? ctx->status : SPILL_ENOMEM;
}

int spill__panel_x_terms(spill_ctx *ctx, spill__table *tb, const spill_panel_spec *spec, spill_panel_spec *out,
                         char ***names)
{
  spill_xterm *t = NULL;
  size_t n = 0, m = 0;
  char **nm;
  const char **cols = NULL;
  long treat = -1;
  virt_did vd = {-1, -1, -1};
  *out = *spec;
  *names = NULL;
  if (!spec->nx) return SPILL_OK;
  if (!ctx->x_terms) {
    /* positions of x_cols matter to the caller: terms would move them */
    for (size_t k = 0; k < spec->nx; k++)
      if (is_term(spec->x_cols[k]) && spill__table_col(tb, spec->x_cols[k]) < 0)
        return spill__fail(ctx, SPILL_EINVAL,
                           "'%s': interaction terms are not available here; make the product a column of "
                           "%s of its own",
                           spec->x_cols[k], tb->path);
    return SPILL_OK;
  }
  /* the treatment may be a factor (did*m: the effect varying with m): the
   * --treat column, or "did" built from --adopt */
  if (!(cols = spill__malloc(ctx, (tb->ncols + 1) * sizeof *cols))) return SPILL_ENOMEM;
  for (size_t c = 0; c < tb->ncols; c++) cols[c] = tb->names[c];
  if (spec->treat_col) {
    treat = spill__table_col(tb, spec->treat_col);
  } else if (spec->adopt_col && spill__table_col(tb, "did") < 0) {
    cols[tb->ncols] = "did";
    treat = vd.col = (long)tb->ncols;
    vd.adopt = spill__table_col(tb, spec->adopt_col);
    vd.time = spill__table_col(tb, spec->time_col);
  }
  if (spill_xterms_expand(ctx, ctx->x_terms, tb->path, spec->x_cols, spec->nx, cols,
                          tb->ncols + (vd.col >= 0), &t, &n))
    goto fail;
  /* the treatment alone is in the model already */
  for (size_t k = 0; k < n; k++) {
    if (treat >= 0 && t[k].nf == 1 && t[k].col[0] == treat) {
      free(t[k].name);
      continue;
    }
    t[m++] = t[k];
  }
  n = m;
  if (!(nm = spill__calloc(ctx, n + 1, sizeof *nm))) goto fail;
  for (size_t k = 0; k < n; k++)
    if (!(nm[k] = spill__strdup(ctx, t[k].name))) {
      spill_free_ids(nm, (int64_t)n);
      goto fail;
    }
  if (add_products(ctx, tb, t, n, &vd)) {
    spill_free_ids(nm, (int64_t)n);
    goto fail;
  }
  spill_xterms_free(t, n);
  free(cols);
  out->x_cols = (const char *const *)nm;
  out->nx = n;
  *names = nm;
  return SPILL_OK;
fail:
  spill_xterms_free(t, n);
  free(cols);
  return ctx->status ? ctx->status : SPILL_ENOMEM;
}

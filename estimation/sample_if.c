/* Subsamples without editing files: keep the units whose column matches
 * "COL=V1,V2" or "COL!=V1,V2" (a unit-level selection, fixed over time). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

typedef struct if_key {
  const char *id;
  size_t row;
} if_key;

static int cmp_if_key(const void *a, const void *b)
{
  const if_key *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* s without surrounding blanks, into buf. */
static const char *trim(const char *s, char *buf, size_t size)
{
  size_t len;
  while (isspace((unsigned char)*s)) s++;
  len = strlen(s);
  while (len && isspace((unsigned char)s[len - 1])) len--;
  if (len >= size) len = size - 1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  return buf;
}

static int as_number(const char *s, double *v)
{
  char *end;
  if (!*s) return 0;
  *v = strtod(s, &end);
  return *end == '\0' && isfinite(*v);
}

/* Equal as numbers when both are numbers, else as text (blanks trimmed). */
static int same_value(const char *a, const char *b)
{
  char ba[256], bb[256];
  double x, y;
  a = trim(a, ba, sizeof ba);
  b = trim(b, bb, sizeof bb);
  if (as_number(a, &x) && as_number(b, &y)) return x == y;
  return !strcmp(a, b);
}

int spill_panel_keep_if(spill_ctx *ctx, spill_panel *panel, const char *path, const char *id_col,
                        const char *cond, int64_t *kept)
{
  spill__table *tb = NULL;
  char col[256], *vals = NULL, **val = NULL;
  size_t nval = 0;
  const char *op;
  int negate, rc = SPILL_ENOMEM;
  long cid, cc;
  if_key *keys = NULL;
  char (*canon)[32] = NULL;
  unsigned char *keep = NULL;
  int64_t m = 0, n0 = panel->n;
  if (kept) *kept = 0;
  if (!cond || !(op = strchr(cond, '=')) || op == cond || (op == cond + 1 && cond[0] == '!'))
    return spill__fail(ctx, SPILL_EINVAL, "--if '%s': expected COL=VALUE[,VALUE...] or COL!=VALUE[,VALUE...]",
                       cond ? cond : "");
  negate = op > cond && op[-1] == '!';
  {
    size_t len = (size_t)(op - cond) - (negate ? 1 : 0);
    if (len >= sizeof col) len = sizeof col - 1;
    memcpy(col, cond, len);
    col[len] = '\0';
    trim(col, col, sizeof col);
  }
  if (!(vals = spill__strdup(ctx, op + 1))) return SPILL_ENOMEM;
  if (!(val = spill__calloc(ctx, strlen(vals) + 2, sizeof *val))) goto done;
  for (char *s = vals, *c; s; s = c ? c + 1 : NULL) {
    c = strchr(s, ',');
    if (c) *c = '\0';
    val[nval++] = s;
  }
  if (!(tb = spill__table_read(ctx, path))) {
    rc = ctx->status;
    goto done;
  }
  if ((cid = spill__table_require_col(ctx, tb, id_col)) < 0) {
    rc = ctx->status;
    goto done;
  }
  if ((cc = spill__table_col(tb, col)) < 0) {
    rc = spill__table_require_col(ctx, tb, col) < 0 ? ctx->status : SPILL_EDATA;
    spill__fail_prefix(ctx, "--if %s: ", cond);
    goto done;
  }
  keys = spill__malloc(ctx, (tb->nrows ? tb->nrows : 1) * sizeof *keys);
  canon = spill__malloc(ctx, (tb->nrows ? tb->nrows : 1) * sizeof *canon);
  keep = spill__calloc(ctx, (size_t)panel->n, 1);
  if (!keys || !canon || !keep) goto done;
  for (size_t r = 0; r < tb->nrows; r++) {
    const char *s = spill__table_cell(tb, r, (size_t)cid);
    keys[r].id = spill__canonical_id(s, canon[r]) ? canon[r] : s;
    keys[r].row = r;
  }
  qsort(keys, tb->nrows, sizeof *keys, cmp_if_key);
  /* one value per unit */
  for (size_t a = 0; a < tb->nrows;) {
    size_t b = a + 1;
    const char *v0 = spill__table_cell(tb, keys[a].row, (size_t)cc);
    for (; b < tb->nrows && !strcmp(keys[b].id, keys[a].id); b++) {
      const char *v = spill__table_cell(tb, keys[b].row, (size_t)cc);
      if (!same_value(v, v0)) {
        rc = spill__fail(ctx, SPILL_EDATA,
                         "--if %s: unit '%s' changes its '%s' over time ('%s' on line %zu, '%s' on "
                         "line %zu); --if selects whole units, so '%s' must be fixed within each unit",
                         cond, keys[a].id, tb->names[cc], v0, keys[a].row + 2, v, keys[b].row + 2,
                         tb->names[cc]);
        goto done;
      }
    }
    {
      int match = 0;
      for (size_t k = 0; k < nval && !match; k++) match = same_value(v0, val[k]);
      if (match != negate) {
        /* mark the panel unit with this id */
        for (int64_t i = 0; i < panel->n; i++)
          if (!strcmp(panel->ids[i], keys[a].id)) {
            keep[i] = 1;
            break;
          }
      }
    }
    a = b;
  }
  for (int64_t i = 0; i < panel->n; i++) m += keep[i];
  if (m == 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "--if %s: no unit of %s has %s %s '%s'%s", cond, path, tb->names[cc],
                     negate ? "a value other than" : "the value", op + 1,
                     " (values are compared as text, or as numbers when both are numbers)");
    goto done;
  }
  n0 = panel->n;
  if (m < panel->n) {
    spill_panel *q = spill_panel_subset_units(ctx, panel, keep), old;
    if (!q) {
      rc = ctx->status;
      goto done;
    }
    old = *panel;
    *panel = *q;
    *q = old;
    spill_panel_free(q);
  }
  spill__notice(ctx, "--if %s: %lld of %lld units kept", cond, (long long)m, (long long)n0);
  if (kept) *kept = m;
  rc = SPILL_OK;
done:
  free(keep);
  free(keys);
  free(canon);
  free(val);
  free(vals);
  spill__table_free(tb);
  return rc;
}

/* Panels: long-format CSV (libcsv via core/table.h) into a balanced,
 * time-major panel; alignment to the unit order of W. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

void spill_panel_free(spill_panel *p)
{
  if (!p) return;
  if (p->ids)
    for (int64_t i = 0; i < p->n; i++) free(p->ids[i]);
  free(p->ids);
  free(p->times);
  free(p->y_name);
  free(p->y);
  free(p->d_name);
  free(p->d);
  if (p->x_names)
    for (size_t k = 0; k < p->nx; k++) free(p->x_names[k]);
  free(p->x_names);
  free(p->x);
  free(p->obs);
  free(p);
}

spill_panel *spill_panel_new(spill_ctx *ctx, int64_t n, int64_t t, const char *const *ids,
                             const int64_t *times, size_t nx, int with_d)
{
  spill_panel *p;
  char buf[32];
  if (n < 1 || t < 1)
    return spill__fail(ctx, SPILL_EINVAL, "a panel needs at least one unit and one period"), NULL;
  p = spill__calloc(ctx, 1, sizeof *p);
  if (!p) return NULL;
  p->n = n;
  p->t = t;
  p->nx = nx;
  p->ids = spill__calloc(ctx, (size_t)n, sizeof *p->ids);
  p->times = spill__calloc(ctx, (size_t)t, sizeof *p->times);
  p->y = spill__calloc(ctx, (size_t)(n * t), sizeof *p->y);
  p->y_name = spill__strdup(ctx, "y");
  p->x_names = spill__calloc(ctx, nx ? nx : 1, sizeof *p->x_names);
  p->x = spill__calloc(ctx, nx ? nx * (size_t)(n * t) : 1, sizeof *p->x);
  if (with_d) {
    p->d = spill__calloc(ctx, (size_t)(n * t), sizeof *p->d);
    p->d_name = spill__strdup(ctx, "did");
  }
  if (!p->ids || !p->times || !p->y || !p->y_name || !p->x_names || !p->x ||
      (with_d && (!p->d || !p->d_name)))
    goto fail;
  for (int64_t i = 0; i < n; i++) {
    const char *id = ids ? ids[i] : NULL;
    if (!id) {
      snprintf(buf, sizeof buf, "%lld", (long long)(i + 1));
      id = buf;
    } else if (spill__canonical_id(id, buf)) {
      id = buf;
    }
    if (!(p->ids[i] = spill__strdup(ctx, id))) goto fail;
  }
  for (int64_t s = 0; s < t; s++) p->times[s] = times ? times[s] : s + 1;
  for (size_t k = 0; k < nx; k++) {
    snprintf(buf, sizeof buf, "x%zu", k + 1);
    if (!(p->x_names[k] = spill__strdup(ctx, buf))) goto fail;
  }
  return p;
fail:
  spill_panel_free(p);
  return NULL;
}

/* ---- reading ---- */

typedef struct unit_key {
  const char *id; /* canonical, owned by the id store */
  size_t index;
} unit_key;

static int cmp_key(const void *a, const void *b)
{
  return strcmp(((const unit_key *)a)->id, ((const unit_key *)b)->id);
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int parse_period(spill_ctx *ctx, const spill__table *tb, size_t row, size_t col,
                        int64_t *out)
{
  double v;
  if (spill__table_number(ctx, tb, row, col, &v)) return ctx->status;
  if (v != floor(v) || fabs(v) > 1e15)
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': period '%s' is not a whole number",
                       tb->path, spill__table_line(tb, row), tb->names[col], spill__table_cell(tb, row, col));
  *out = (int64_t)v;
  return SPILL_OK;
}

static int64_t find_time(const int64_t *times, int64_t t, int64_t v)
{
  int64_t lo = 0, hi = t - 1;
  while (lo <= hi) {
    int64_t mid = (lo + hi) / 2;
    if (times[mid] == v) return mid;
    if (times[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Adoption period of a row: 0 when never treated (empty or 0). */
static int parse_adopt(spill_ctx *ctx, const spill__table *tb, size_t row, size_t col, int64_t *out)
{
  const char *s = spill__table_cell(tb, row, col);
  while (*s == ' ') s++;
  if (!*s || spill__table_is_missing(tb, row, col)) {
    *out = 0;
    return SPILL_OK;
  }
  return parse_period(ctx, tb, row, col, out);
}

spill_panel *spill_panel_read_csv(spill_ctx *ctx, const char *path, const spill_panel_spec *spec0)
{
  const spill_panel_spec *spec = spec0;
  spill_panel_spec xspec;
  char **xnames = NULL;
  spill__table *tb = NULL;
  spill_panel *p = NULL;
  char (*canon)[32] = NULL;
  const char **idr = NULL;
  unit_key *keys = NULL, *order = NULL;
  size_t *row_unit = NULL, nunits = 0, nrows;
  int64_t *row_time = NULL, *times = NULL, *adopt = NULL, nt = 0;
  long cid, ctime, cy, cd = -1, ca = -1, *cx = NULL;
  unsigned char *seen = NULL, *keep = NULL;
  int64_t *newidx = NULL;
  int ok = 0;

  if (!spec || !spec->id_col || !spec->time_col || !spec->y_col) {
    spill__fail(ctx, SPILL_EINVAL, "panel spec needs id, time and outcome columns");
    return NULL;
  }
  if (spec->treat_col && spec->adopt_col) {
    spill__fail(ctx, SPILL_EINVAL, "give either a treatment column or an adoption column, not both");
    return NULL;
  }
  if (!(tb = spill__table_read(ctx, path))) return NULL;
  if (spill__panel_x_terms(ctx, tb, spec0, &xspec, &xnames)) goto done; /* interact.c */
  spec = &xspec;
  if (spill__panel_skip_missing(ctx, tb, spec)) goto done; /* panel_files.c */
  nrows = tb->nrows;
  if (nrows == 0) {
    spill__fail(ctx, SPILL_EDATA, "%s has no data rows", path);
    goto done;
  }
  if ((cid = spill__table_require_col(ctx, tb, spec->id_col)) < 0 ||
      (ctime = spill__table_require_col(ctx, tb, spec->time_col)) < 0 ||
      (cy = spill__table_require_col(ctx, tb, spec->y_col)) < 0)
    goto done;
  if (spec->treat_col && (cd = spill__table_require_col(ctx, tb, spec->treat_col)) < 0) goto done;
  if (spec->adopt_col && (ca = spill__table_require_col(ctx, tb, spec->adopt_col)) < 0) goto done;
  if (!(cx = spill__calloc(ctx, spec->nx ? spec->nx : 1, sizeof *cx))) goto done;
  for (size_t k = 0; k < spec->nx; k++)
    if ((cx[k] = spill__table_require_col(ctx, tb, spec->x_cols[k])) < 0) goto done;

  /* units in order of first appearance, canonical ids */
  canon = spill__malloc(ctx, nrows * sizeof *canon);
  idr = spill__malloc(ctx, nrows * sizeof *idr);
  keys = spill__malloc(ctx, nrows * sizeof *keys);
  row_unit = spill__malloc(ctx, nrows * sizeof *row_unit);
  row_time = spill__malloc(ctx, nrows * sizeof *row_time);
  times = spill__malloc(ctx, nrows * sizeof *times);
  if (!canon || !idr || !keys || !row_unit || !row_time || !times) goto done;
  for (size_t r = 0; r < nrows; r++) {
    const char *s = spill__table_cell(tb, r, (size_t)cid);
    if (!*s) {
      spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing unit id", path, spill__table_line(tb, r),
                  tb->names[cid]);
      goto done;
    }
    idr[r] = spill__canonical_id(s, canon[r]) ? canon[r] : s;
    keys[r].id = idr[r];
    keys[r].index = r;
    if (parse_period(ctx, tb, r, (size_t)ctime, &row_time[r])) goto done;
    times[r] = row_time[r];
  }
  qsort(keys, nrows, sizeof *keys, cmp_key);
  /* first appearance of each distinct id */
  order = spill__malloc(ctx, nrows * sizeof *order);
  if (!order) goto done;
  for (size_t a = 0; a < nrows;) {
    size_t b = a, first = keys[a].index;
    while (b < nrows && !strcmp(keys[b].id, keys[a].id)) {
      if (keys[b].index < first) first = keys[b].index;
      b++;
    }
    order[nunits].id = keys[a].id;
    order[nunits].index = first;
    nunits++;
    a = b;
  }
  /* sort units by first row, then map each row to its unit */
  {
    size_t *rank = spill__malloc(ctx, nrows * sizeof *rank);
    if (!rank) goto done;
    for (size_t r = 0; r < nrows; r++) rank[r] = (size_t)-1;
    for (size_t u = 0; u < nunits; u++) rank[order[u].index] = u;
    {
      size_t u = 0;
      unit_key *tmp = spill__malloc(ctx, nunits * sizeof *tmp);
      if (!tmp) {
        free(rank);
        goto done;
      }
      for (size_t r = 0; r < nrows; r++)
        if (rank[r] != (size_t)-1) tmp[u++] = order[rank[r]];
      memcpy(order, tmp, nunits * sizeof *tmp);
      free(tmp);
    }
    free(rank);
    /* row -> unit by binary search over a sorted copy */
    for (size_t u = 0; u < nunits; u++) keys[u] = (unit_key){order[u].id, u};
    qsort(keys, nunits, sizeof *keys, cmp_key);
    for (size_t r = 0; r < nrows; r++) {
      unit_key probe = {idr[r], 0}, *hit = bsearch(&probe, keys, nunits, sizeof *keys, cmp_key);
      row_unit[r] = hit->index;
    }
  }
  qsort(times, nrows, sizeof *times, cmp_i64);
  for (size_t r = 0; r < nrows; r++)
    if (nt == 0 || times[nt - 1] != times[r]) times[nt++] = times[r];

  /* duplicates and completeness */
  seen = spill__calloc(ctx, nunits * (size_t)nt, 1);
  keep = spill__calloc(ctx, nunits, 1);
  if (!seen || !keep) goto done;
  for (size_t r = 0; r < nrows; r++) {
    int64_t s = find_time(times, nt, row_time[r]);
    size_t cell = (size_t)s * nunits + row_unit[r];
    if (seen[cell]) {
      size_t first = 0;
      for (size_t q = 0; q < r; q++)
        if (row_unit[q] == row_unit[r] && row_time[q] == row_time[r]) {
          first = q;
          break;
        }
      spill__fail(ctx, SPILL_EDATA, "%s, lines %zu and %zu: unit '%s' appears twice in period %lld",
                  path, spill__table_line(tb, first), spill__table_line(tb, r), idr[r], (long long)row_time[r]);
      goto done;
    }
    seen[cell] = 1;
  }
  {
    size_t missing = 0, bad_units = 0, kept = 0;
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (size_t u = 0; u < nunits; u++) {
      size_t miss = 0;
      for (int64_t s = 0; s < nt; s++) miss += !seen[(size_t)s * nunits + u];
      keep[u] = miss == 0;
      kept += keep[u];
      if (miss) {
        missing += miss;
        bad_units++;
        if (used + 40 < sizeof list)
          used += (size_t)snprintf(list + used, sizeof list - used, "%s%s (%zu)", bad_units > 1 ? ", " : "",
                                   order[u].id, miss);
        else if (used + 6 < sizeof list && !strstr(list, "..."))
          used += (size_t)snprintf(list + used, sizeof list - used, ", ...");
      }
    }
    if (missing && !spec->drop_incomplete) {
      spill__fail(ctx, SPILL_EDATA,
                  "%s: unbalanced panel: %zu unit-periods missing (of %zu units x %lld periods) in %zu "
                  "units: %s; the ML estimator needs a balanced panel: add the rows, or drop these "
                  "units (--drop-incomplete)",
                  path, missing, nunits, (long long)nt, bad_units, list);
      goto done;
    }
    if (missing) {
      if (kept == 0) {
        spill__fail(ctx, SPILL_EDATA, "%s: no unit is observed in all %lld periods", path, (long long)nt);
        goto done;
      }
      spill__notice(ctx, "dropped %zu incomplete units (%zu unit-periods missing): %s", bad_units,
                    missing, list);
    }
    newidx = spill__malloc(ctx, nunits * sizeof *newidx);
    if (!newidx) goto done;
    kept = 0;
    for (size_t u = 0; u < nunits; u++) newidx[u] = keep[u] ? (int64_t)kept++ : -1;
    {
      const char **ids = spill__malloc(ctx, kept * sizeof *ids);
      if (!ids) goto done;
      for (size_t u = 0; u < nunits; u++)
        if (keep[u]) ids[newidx[u]] = order[u].id;
      p = spill_panel_new(ctx, (int64_t)kept, nt, ids, times, spec->nx, cd >= 0 || ca >= 0);
      free(ids);
      if (!p) goto done;
    }
  }
  free(p->y_name);
  if (!(p->y_name = spill__strdup(ctx, spec->y_col))) goto done;
  if (cd >= 0) {
    free(p->d_name);
    if (!(p->d_name = spill__strdup(ctx, spec->treat_col))) goto done;
  }
  for (size_t k = 0; k < spec->nx; k++) {
    free(p->x_names[k]);
    if (!(p->x_names[k] = spill__strdup(ctx, spec->x_cols[k]))) goto done;
  }
  if (ca >= 0) {
    adopt = spill__malloc(ctx, nunits * sizeof *adopt);
    if (!adopt) goto done;
    for (size_t u = 0; u < nunits; u++) adopt[u] = INT64_MIN;
  }
  for (size_t r = 0; r < nrows; r++) {
    int64_t i = newidx[row_unit[r]], s, at;
    if (i < 0) continue;
    s = find_time(times, nt, row_time[r]);
    at = s * p->n + i;
    if (spill__table_number(ctx, tb, r, (size_t)cy, &p->y[at])) goto done;
    if (cd >= 0 && spill__table_number(ctx, tb, r, (size_t)cd, &p->d[at])) goto done;
    for (size_t k = 0; k < spec->nx; k++)
      if (spill__table_number(ctx, tb, r, (size_t)cx[k], &p->x[k * (size_t)(p->n * nt) + (size_t)at]))
        goto done;
    if (ca >= 0) {
      int64_t a;
      if (parse_adopt(ctx, tb, r, (size_t)ca, &a)) goto done;
      if (adopt[row_unit[r]] != INT64_MIN && adopt[row_unit[r]] != a) {
        spill__fail(ctx, SPILL_EDATA,
                    "%s, line %zu, column '%s': unit '%s' has adoption period %lld here but %lld on "
                    "an earlier line; the adoption period must be the same in every row of a unit",
                    path, spill__table_line(tb, r), tb->names[ca], idr[r], (long long)a,
                    (long long)adopt[row_unit[r]]);
        goto done;
      }
      adopt[row_unit[r]] = a;
      p->d[at] = (a != 0 && row_time[r] >= a) ? 1.0 : 0.0;
    }
  }
  ok = 1;
done:
  if (!ok) {
    spill_panel_free(p);
    p = NULL;
  }
  free(newidx);
  free(adopt);
  free(seen);
  free(keep);
  free(order);
  free(keys);
  free(canon);
  free(idr);
  free(row_unit);
  free(row_time);
  free(times);
  free(cx);
  if (xnames) spill_free_ids(xnames, (int64_t)xspec.nx);
  spill__table_free(tb);
  return p;
}

/* ---- alignment to W ---- */

static void list_ids(char *buf, size_t size, const char *const *ids, const int64_t *which,
                     int64_t count)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int64_t k = 0; k < count; k++) {
    int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", ids[which[k]]);
    if (w < 0 || used + (size_t)w + 8 >= size || k == 8) {
      snprintf(buf + used, size - used, ", ...)");
      return;
    }
    used += (size_t)w;
  }
  snprintf(buf + used, size - used, ")");
}

int spill_panel_align(spill_ctx *ctx, spill_panel *p, const spill_weights *w)
{
  int rc = SPILL_ENOMEM;
  unit_key *wk = NULL;
  int64_t *pos = NULL, *miss_p = NULL, *miss_w = NULL, np = 0, nw = 0;
  char (*wcanon)[32] = NULL;
  unsigned char *hit = NULL;
  double *tmp = NULL;
  char **ids = NULL;

  wk = spill__malloc(ctx, (size_t)w->n * sizeof *wk);
  wcanon = spill__malloc(ctx, (size_t)w->n * sizeof *wcanon);
  pos = spill__malloc(ctx, (size_t)p->n * sizeof *pos);
  miss_p = spill__malloc(ctx, (size_t)p->n * sizeof *miss_p);
  miss_w = spill__malloc(ctx, (size_t)w->n * sizeof *miss_w);
  hit = spill__calloc(ctx, (size_t)w->n, 1);
  if (!wk || !wcanon || !pos || !miss_p || !miss_w || !hit) goto done;
  for (int64_t i = 0; i < w->n; i++) {
    wk[i].id = spill__canonical_id(w->ids[i], wcanon[i]) ? wcanon[i] : w->ids[i];
    wk[i].index = (size_t)i;
  }
  qsort(wk, (size_t)w->n, sizeof *wk, cmp_key);
  for (int64_t i = 0; i < p->n; i++) {
    unit_key probe = {p->ids[i], 0}, *h = bsearch(&probe, wk, (size_t)w->n, sizeof *wk, cmp_key);
    if (!h) {
      miss_p[np++] = i;
      continue;
    }
    if (hit[h->index]) {
      rc = spill__fail(ctx, SPILL_EDATA, "panel unit '%s' matches W id '%s' twice", p->ids[i],
                       w->ids[h->index]);
      goto done;
    }
    hit[h->index] = 1;
    pos[i] = (int64_t)h->index;
  }
  for (int64_t i = 0; i < w->n; i++)
    if (!hit[i]) miss_w[nw++] = i;
  if (np || nw) {
    /* a few ids of each side are enough to see what is wrong */
    char a[200], b[200];
    int w_is_records = 1;
    list_ids(a, sizeof a, (const char *const *)p->ids, miss_p, np);
    list_ids(b, sizeof b, (const char *const *)w->ids, miss_w, nw);
    for (int64_t i = 0; i < w->n && w_is_records; i++) {
      char want[32];
      snprintf(want, sizeof want, "%lld", (long long)i + 1);
      w_is_records = !strcmp(w->ids[i], want);
    }
    rc = spill__fail(ctx, SPILL_EDATA,
                     "panel ids and W ids differ: %lld panel unit%s not in W%s%s; %lld W unit%s not "
                     "in the panel%s%s. W must have exactly the panel's units%s",
                     (long long)np, np == 1 ? "" : "s", np ? " (" : "", np ? a : "", (long long)nw,
                     nw == 1 ? "" : "s", nw ? " (" : "", nw ? b : "",
                     w_is_records && np == p->n
                         ? "; W's ids are record numbers 1..n: was it built without --id FIELD?"
                         : "");
    goto done;
  }
  /* permute: unit i goes to position pos[i] */
  {
    int64_t n = p->n, t = p->t;
    size_t blocks = 1 + (p->d ? 1 : 0) + p->nx;
    tmp = spill__malloc(ctx, (size_t)n * sizeof *tmp);
    ids = spill__malloc(ctx, (size_t)n * sizeof *ids);
    if (!tmp || !ids) goto done;
    for (size_t b = 0; b < blocks; b++) {
      double *base = b == 0 ? p->y : (p->d && b == 1) ? p->d : p->x + (b - 1 - (p->d ? 1 : 0)) * (size_t)(n * t);
      for (int64_t s = 0; s < t; s++) {
        double *v = base + s * n;
        for (int64_t i = 0; i < n; i++) tmp[pos[i]] = v[i];
        memcpy(v, tmp, (size_t)n * sizeof *v);
      }
    }
    if (p->obs) { /* the observed mask moves with the values */
      unsigned char *u = (unsigned char *)tmp;
      for (int64_t s = 0; s < t; s++) {
        unsigned char *v = p->obs + s * n;
        for (int64_t i = 0; i < n; i++) u[pos[i]] = v[i];
        memcpy(v, u, (size_t)n);
      }
    }
    for (int64_t i = 0; i < n; i++) ids[pos[i]] = p->ids[i];
    memcpy(p->ids, ids, (size_t)n * sizeof *ids);
  }
  rc = SPILL_OK;
done:
  free(ids);
  free(tmp);
  free(hit);
  free(miss_w);
  free(miss_p);
  free(pos);
  free(wcanon);
  free(wk);
  return rc;
}

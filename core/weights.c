/* The weights type: construction, copying, lookup, summary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

void spill_weights_free(spill_weights *w)
{
  if (!w) return;
  if (w->ids)
    for (int64_t i = 0; i < w->n; i++) free(w->ids[i]);
  free(w->ids);
  free(w->p);
  free(w->j);
  free(w->x);
  free(w);
}

spill_weights *spill_weights_new(spill_ctx *ctx, int64_t n, const char *const *ids, int64_t nnz)
{
  spill_weights *w;
  if (n < 0 || nnz < 0) {
    spill__fail(ctx, SPILL_EINVAL, "weights: negative size");
    return NULL;
  }
  w = spill__calloc(ctx, 1, sizeof *w);
  if (!w) return NULL;
  w->n = n;
  w->style = SPILL_STYLE_G;
  w->ids = spill__calloc(ctx, (size_t)n, sizeof *w->ids);
  w->p = spill__calloc(ctx, (size_t)n + 1, sizeof *w->p);
  w->j = spill__malloc(ctx, (size_t)nnz * sizeof *w->j);
  w->x = spill__malloc(ctx, (size_t)nnz * sizeof *w->x);
  if (!w->ids || !w->p || !w->j || !w->x) goto fail;
  for (int64_t i = 0; i < n; i++) {
    char buf[32];
    if (!ids) snprintf(buf, sizeof buf, "%lld", (long long)i + 1);
    w->ids[i] = spill__strdup(ctx, ids ? ids[i] : buf);
    if (!w->ids[i]) goto fail;
  }
  return w;
fail:
  spill_weights_free(w);
  return NULL;
}

spill_weights *spill_weights_copy(spill_ctx *ctx, const spill_weights *src)
{
  int64_t nnz = src->p[src->n];
  spill_weights *w = spill_weights_new(ctx, src->n, (const char *const *)src->ids, nnz);
  if (!w) return NULL;
  memcpy(w->p, src->p, ((size_t)src->n + 1) * sizeof *w->p);
  memcpy(w->j, src->j, (size_t)nnz * sizeof *w->j);
  memcpy(w->x, src->x, (size_t)nnz * sizeof *w->x);
  w->style = src->style;
  return w;
}

spill_weights *spill_weights_from_triplets(spill_ctx *ctx, int64_t n, const char *const *ids,
                                           int64_t nt, const int64_t *ti, const int64_t *tj,
                                           const double *tx)
{
  spill_weights *w = NULL;
  int64_t *count = NULL, *pos = NULL, *tmpj = NULL;
  double *tmpx = NULL;
  for (int64_t k = 0; k < nt; k++)
    if (ti[k] < 0 || ti[k] >= n || tj[k] < 0 || tj[k] >= n) {
      spill__fail(ctx, SPILL_EINVAL, "weights: triplet %lld (%lld, %lld) is outside 0..%lld",
                  (long long)k, (long long)ti[k], (long long)tj[k], (long long)n - 1);
      return NULL;
    }
  count = spill__calloc(ctx, (size_t)n + 1, sizeof *count);
  pos = spill__calloc(ctx, (size_t)n, sizeof *pos);
  tmpj = spill__malloc(ctx, (size_t)nt * sizeof *tmpj);
  tmpx = spill__malloc(ctx, (size_t)nt * sizeof *tmpx);
  w = spill_weights_new(ctx, n, ids, nt);
  if (!count || !pos || !tmpj || !tmpx || !w) goto fail;
  /* bucket by row (counting sort), then sort each row by column and merge */
  for (int64_t k = 0; k < nt; k++) count[ti[k] + 1]++;
  for (int64_t i = 0; i < n; i++) count[i + 1] += count[i];
  for (int64_t i = 0; i < n; i++) pos[i] = count[i];
  for (int64_t k = 0; k < nt; k++) {
    int64_t d = pos[ti[k]]++;
    tmpj[d] = tj[k];
    tmpx[d] = tx ? tx[k] : 1.0;
  }
  {
    int64_t out = 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t a = count[i], b = count[i + 1];
      /* insertion sort: rows are short (neighbour lists) */
      for (int64_t q = a + 1; q < b; q++) {
        int64_t cj = tmpj[q];
        double cx = tmpx[q];
        int64_t r = q - 1;
        while (r >= a && tmpj[r] > cj) {
          tmpj[r + 1] = tmpj[r];
          tmpx[r + 1] = tmpx[r];
          r--;
        }
        tmpj[r + 1] = cj;
        tmpx[r + 1] = cx;
      }
      w->p[i] = out;
      for (int64_t q = a; q < b; q++) {
        if (out > w->p[i] && w->j[out - 1] == tmpj[q])
          w->x[out - 1] += tmpx[q];
        else {
          w->j[out] = tmpj[q];
          w->x[out] = tmpx[q];
          out++;
        }
      }
    }
    w->p[n] = out;
  }
  free(count);
  free(pos);
  free(tmpj);
  free(tmpx);
  return w;
fail:
  free(count);
  free(pos);
  free(tmpj);
  free(tmpx);
  spill_weights_free(w);
  return NULL;
}

int64_t spill_weights_find(const spill_weights *w, const char *id)
{
  for (int64_t i = 0; i < w->n; i++)
    if (strcmp(w->ids[i], id) == 0) return i;
  return -1;
}

static int64_t find_root(int64_t *parent, int64_t a)
{
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

int spill_weights_summarize(spill_ctx *ctx, const spill_weights *w, spill_weights_summary *s)
{
  int64_t *parent = NULL, *cur = NULL;
  int64_t n = w->n;
  int binary = 1, rowstd = 1;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->symmetric = s->symmetric_pattern = 1;
  s->min_rowsum = s->min_weight = INFINITY;
  s->max_rowsum = s->max_weight = -INFINITY;
  s->min_neighbours = n ? INT64_MAX : 0;
  parent = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *parent);
  cur = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *cur);
  if (!parent || !cur) {
    free(parent);
    free(cur);
    return SPILL_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++) parent[i] = i;
  memcpy(cur, w->p, (size_t)n * sizeof *cur); /* cur[j]: where row j is searched next */
  for (int64_t i = 0; i < n; i++) {
    int64_t deg = 0;
    double rs = 0.0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      int64_t j = w->j[k];
      int found;
      double back;
      if (j == i || w->x[k] == 0.0) continue;
      deg++;
      rs += w->x[k];
      if (w->x[k] < s->min_weight) s->min_weight = w->x[k];
      if (w->x[k] > s->max_weight) s->max_weight = w->x[k];
      if (w->x[k] != 1.0) binary = 0;
      /* entry (j, i): rows are visited in order, so row j is asked for
       * ascending columns and its cursor only moves forward */
      while (cur[j] < w->p[j + 1] && w->j[cur[j]] < i) cur[j]++;
      found = cur[j] < w->p[j + 1] && w->j[cur[j]] == i;
      back = found ? w->x[cur[j]] : 0.0;
      if (!found || back == 0.0) s->symmetric_pattern = s->symmetric = 0;
      else if (back != w->x[k]) s->symmetric = 0;
      if (j > i || !found || back == 0.0) { /* else row j joined the two already */
        int64_t a = find_root(parent, i), b = find_root(parent, j);
        if (a != b) parent[a] = b;
      }
    }
    s->links += deg;
    if (deg < s->min_neighbours) s->min_neighbours = deg;
    if (deg > s->max_neighbours) s->max_neighbours = deg;
    if (deg == 0) s->n_islands++;
    else {
      if (rs < s->min_rowsum) s->min_rowsum = rs;
      if (rs > s->max_rowsum) s->max_rowsum = rs;
      if (fabs(rs - 1.0) > 1e-10) rowstd = 0;
    }
  }
  for (int64_t i = 0; i < n; i++)
    if (find_root(parent, i) == i) s->n_components++;
  free(parent);
  free(cur);
  if (s->n_islands) {
    int64_t m = 0;
    s->islands = spill__malloc(ctx, (size_t)s->n_islands * sizeof *s->islands);
    if (!s->islands) return SPILL_ENOMEM;
    for (int64_t i = 0; i < n; i++) {
      int has = 0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
        if (w->j[k] != i && w->x[k] != 0.0) has = 1;
      if (!has) s->islands[m++] = i;
    }
  }
  if (s->links == 0) {
    s->min_rowsum = s->max_rowsum = s->min_weight = s->max_weight = 0.0;
    binary = rowstd = 0;
  }
  s->mean_neighbours = n ? (double)s->links / (double)n : 0.0;
  s->pct_nonzero = n ? 100.0 * (double)s->links / ((double)n * (double)n) : 0.0;
  s->style_guess = binary ? 'B' : rowstd ? 'W' : 'G';
  return SPILL_OK;
}

void spill_weights_summary_clear(spill_weights_summary *s)
{
  if (!s) return;
  free(s->islands);
  s->islands = NULL;
  s->n_islands = 0;
}

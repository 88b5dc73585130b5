/* Symmetrising a W, and the union and intersection of two neighbour
 * patterns (spdep's union.nb / intersect.nb, make.sym.nb). */
#include <stdlib.h>
#include <string.h>
#include "spatial/idmap.h"

/* Transpose of w (same ids), as a new W. */
static spill_weights *transpose(spill_ctx *ctx, const spill_weights *w)
{
  int64_t n = w->n, nnz = w->p[n];
  spill_weights *t = spill_weights_new(ctx, n, (const char *const *)w->ids, nnz);
  int64_t *next;
  if (!t) return NULL;
  next = spill__calloc(ctx, (size_t)n + 1, sizeof *next);
  if (!next) {
    spill_weights_free(t);
    return NULL;
  }
  for (int64_t k = 0; k < nnz; k++) t->p[w->j[k] + 1]++;
  for (int64_t i = 0; i < n; i++) t->p[i + 1] += t->p[i];
  memcpy(next, t->p, (size_t)n * sizeof *next);
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      int64_t d = next[w->j[k]]++;
      t->j[d] = i; /* rows visited in order: columns come out sorted */
      t->x[d] = w->x[k];
    }
  free(next);
  return t;
}

/* Merge two W with the same ids and order, row by row. op: 'a' average,
 * 'M' max, 'm' min over both, 'u' union pattern, 'i' intersection pattern. */
static spill_weights *merge(spill_ctx *ctx, const spill_weights *a, const spill_weights *b, char op)
{
  int64_t n = a->n, at = 0;
  spill_weights *w = spill_weights_new(ctx, n, (const char *const *)a->ids, a->p[n] + b->p[n]);
  if (!w) return NULL;
  for (int64_t i = 0; i < n; i++) {
    int64_t ka = a->p[i], kb = b->p[i];
    while (ka < a->p[i + 1] || kb < b->p[i + 1]) {
      int64_t ja = ka < a->p[i + 1] ? a->j[ka] : INT64_MAX, jb = kb < b->p[i + 1] ? b->j[kb] : INT64_MAX;
      int64_t j = ja < jb ? ja : jb;
      int in_a = ja == j, in_b = jb == j;
      double xa = in_a ? a->x[ka] : 0.0, xb = in_b ? b->x[kb] : 0.0, v = 0.0;
      int keep = 1;
      switch (op) {
      case 'a': v = 0.5 * (xa + xb); break;
      case 'M': v = xa > xb ? xa : xb; break;
      case 'm': keep = in_a && in_b; v = xa < xb ? xa : xb; break;
      case 'u': v = 1.0; break;
      default: keep = in_a && in_b; v = 1.0; break;
      }
      if (keep) {
        w->j[at] = j;
        w->x[at++] = v;
      }
      ka += in_a;
      kb += in_b;
    }
    w->p[i + 1] = at;
  }
  return w;
}

static int is_binary(const spill_weights *w)
{
  for (int64_t k = 0; k < w->p[w->n]; k++)
    if (w->x[k] != 1.0) return 0;
  return 1;
}

spill_weights *spill_weights_symmetrize(spill_ctx *ctx, const spill_weights *w, spill_sym how)
{
  spill_weights *t, *s;
  char op = how == SPILL_SYM_AVERAGE ? 'a' : how == SPILL_SYM_MAX ? 'M' : how == SPILL_SYM_MIN ? 'm' : 0;
  if (!op) {
    spill__fail(ctx, SPILL_EINVAL, "symmetrise: unknown method %d (average, max or min)", (int)how);
    return NULL;
  }
  t = transpose(ctx, w);
  if (!t) return NULL;
  s = merge(ctx, w, t, op);
  spill_weights_free(t);
  if (s) s->style = is_binary(s) ? SPILL_STYLE_B : SPILL_STYLE_G;
  return s;
}

/* b re-indexed to a's unit order, after checking both have the same ids. */
static spill_weights *aligned(spill_ctx *ctx, const spill_weights *a, const spill_weights *b)
{
  spill__idmap *map;
  int64_t *pos = NULL, *ti = NULL, *tj = NULL, nt = b->p[b->n];
  spill_weights *r = NULL;
  if (a->n != b->n) {
    spill__fail(ctx, SPILL_EDATA, "the two weights have %lld and %lld units; they must cover the same units",
                (long long)a->n, (long long)b->n);
    return NULL;
  }
  map = spill__idmap_of(ctx, (const char *const *)a->ids, a->n, "the first weights");
  if (!map) return NULL;
  pos = spill__malloc(ctx, (size_t)(b->n + 1) * sizeof *pos);
  ti = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *ti);
  tj = spill__malloc(ctx, (size_t)(nt + 1) * sizeof *tj);
  if (!pos || !ti || !tj) goto done;
  for (int64_t i = 0; i < b->n; i++) {
    pos[i] = spill__idmap_find(map, b->ids[i]);
    if (pos[i] < 0) {
      spill__fail(ctx, SPILL_EDATA, "unit '%s' of the second weights is not in the first; they must cover the same units",
                  b->ids[i]);
      goto done;
    }
  }
  for (int64_t i = 0; i < b->n; i++)
    for (int64_t k = b->p[i]; k < b->p[i + 1]; k++) {
      ti[k] = pos[i];
      tj[k] = pos[b->j[k]];
    }
  r = spill_weights_from_triplets(ctx, a->n, (const char *const *)a->ids, nt, ti, tj, b->x);
done:
  spill__idmap_free(map);
  free(pos);
  free(ti);
  free(tj);
  return r;
}

static spill_weights *setop(spill_ctx *ctx, const spill_weights *a, const spill_weights *b, char op)
{
  spill_weights *bb = aligned(ctx, a, b), *r;
  if (!bb) return NULL;
  r = merge(ctx, a, bb, op);
  spill_weights_free(bb);
  if (r) r->style = SPILL_STYLE_B;
  return r;
}

spill_weights *spill_weights_union(spill_ctx *ctx, const spill_weights *a, const spill_weights *b)
{
  return setop(ctx, a, b, 'u');
}

spill_weights *spill_weights_intersection(spill_ctx *ctx, const spill_weights *a, const spill_weights *b)
{
  return setop(ctx, a, b, 'i');
}

/* Contiguity weights by boundary-vertex matching, the rule of R spdep's
 * poly2nb (Bivand, spdep 1.2-7, R/poly2nb.R and src/polypoly.c):
 *  - each unit's boundary is the sequence of its ring vertices as read,
 *    closing vertices included, less the unit's very first vertex;
 *  - two vertices match when |dx| <= snap, |dy| <= snap and hypot(dx,dy) <= snap;
 *  - units i and j are queen neighbours when at least one (vertex of i,
 *    vertex of j) pair matches, rook neighbours when at least two pairs do.
 * spdep tests candidate pairs from a bounding-box index vertex by vertex; here
 * all vertices are bucketed once into columns of width about snap (radix
 * sort) and compared only within a column and with the next, so the work is
 * O(V) plus the matches found, with no loop over pairs of units. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/layer.h"

/* LSD radix sort of key[] by its bits lo..63, 11 bits per pass, passes
 * whose digit is the same for every key skipped. Scratch tmp of size n. */
static int radix_sort(uint64_t *key, uint64_t *tmp, size_t n, int lo)
{
  enum { BITS = 11, B = 1 << BITS };
  size_t *count = calloc(B, sizeof *count);
  if (!count) return -1;
  for (int shift = lo; shift < 64; shift += BITS) {
    size_t sum = 0;
    int trivial = 0;
    memset(count, 0, B * sizeof *count);
    for (size_t i = 0; i < n; i++) count[(key[i] >> shift) & (B - 1)]++;
    for (int d = 0; d < B; d++)
      if (count[d] == n) trivial = 1;
    if (trivial) continue;
    for (int d = 0; d < B; d++) {
      size_t t = count[d];
      count[d] = sum;
      sum += t;
    }
    for (size_t i = 0; i < n; i++) tmp[count[(key[i] >> shift) & (B - 1)]++] = key[i];
    memcpy(key, tmp, n * sizeof *key);
  }
  free(count);
  return 0;
}

/* Boundary vertices of every unit, in spdep's sequence (see the top): the
 * layer's vertices as read (first vertex of each unit skipped when keys are
 * built), or for layers not read from a shapefile a copy from GEOS. */
typedef struct verts {
  size_t n, cap;       /* vertices in xy */
  const double *xy;    /* interleaved x, y */
  double *own;         /* xy when copied from GEOS */
  uint32_t *unit;      /* unit of each vertex */
  int skip_first;      /* 1: each unit's first vertex is in xy and left out */
} verts;

static int add_vertex(verts *v, double x, double y, uint32_t u)
{
  if (v->n == v->cap) {
    size_t c = v->cap ? 2 * v->cap : 4096;
    double *nx = realloc(v->own, 2 * c * sizeof *nx);
    uint32_t *nu;
    if (!nx) return -1;
    v->own = nx;
    nu = realloc(v->unit, c * sizeof *nu);
    if (!nu) return -1;
    v->unit = nu;
    v->cap = c;
  }
  v->own[2 * v->n] = x;
  v->own[2 * v->n + 1] = y;
  v->unit[v->n++] = u;
  return 0;
}

/* A layer not read from a shapefile: take its rings from GEOS. */
static int geos_vertices(spill_ctx *ctx, const spill_layer *L, size_t i, verts *v)
{
  GEOSContextHandle_t h = L->geos;
  const GEOSGeometry *g = L->geoms[i];
  int first = 1, np = GEOSGetNumGeometries_r(h, g);
  for (int p = 0; p < np; p++) {
    const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
    int nh = GEOSGetNumInteriorRings_r(h, poly);
    for (int r = -1; r < nh; r++) {
      const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
      const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
      unsigned int m = 0;
      if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &m))
        return spill__fail(ctx, SPILL_EDEP, "unit %zu: GEOS cannot give its rings", i + 1);
      for (unsigned int k = 0; k < m; k++) {
        double x, y;
        GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
        if (first) {
          first = 0;
          continue;
        }
        if (add_vertex(v, x, y, (uint32_t)i)) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
      }
    }
  }
  return 0;
}

static int collect(spill_ctx *ctx, const spill_layer *L, verts *v)
{
  if (L->vstart && L->vxy) { /* no copy of the coordinates */
    v->n = (size_t)L->vstart[L->n];
    v->xy = L->vxy;
    v->skip_first = 1;
    v->unit = malloc((v->n + 1) * sizeof *v->unit);
    if (!v->unit) return spill__fail(ctx, SPILL_ENOMEM, "out of memory for %zu vertices", v->n);
    for (size_t i = 0; i < L->n; i++)
      for (int64_t k = L->vstart[i]; k < L->vstart[i + 1]; k++) v->unit[k] = (uint32_t)i;
    return 0;
  }
  for (size_t i = 0; i < L->n; i++)
    if (geos_vertices(ctx, L, i, v)) return spill_ctx_status(ctx);
  v->xy = v->own;
  return 0;
}

spill_weights *spill_weights_contiguity(spill_ctx *ctx, const spill_layer *L, const spill_contig_opts *opts)
{
  spill_contig_opts o = {0, 0, 1, 0};
  verts v = {0, 0, NULL, NULL, NULL, 0};
  uint64_t *key = NULL, *k2 = NULL, *pairs = NULL;
  size_t nk = 0;
  int64_t *ti = NULL, *tj = NULL;
  size_t npairs = 0, cap_pairs = 0, nlinks = 0;
  spill_weights *w = NULL, *out = NULL;
  double snap;
  int need;
  if (opts) o = *opts;
  if (!L) {
    spill__fail(ctx, SPILL_EINVAL, "contiguity: no layer");
    return NULL;
  }
  if (L->kind != SPILL_SHAPE_POLYGON) {
    spill__fail(ctx, SPILL_EINVAL,
                "%s holds points, not polygons: contiguity needs polygons (use k-nearest-neighbour or distance-band "
                "weights for points)",
                L->path ? L->path : "the layer");
    return NULL;
  }
  if (L->n > UINT32_MAX) {
    spill__fail(ctx, SPILL_EINVAL, "contiguity: %zu units is more than this implementation handles", L->n);
    return NULL;
  }
  if (o.order < 0) {
    spill__fail(ctx, SPILL_EINVAL, "contiguity: order %d must be 1 or more", o.order);
    return NULL;
  }
  snap = o.snap > 0 ? o.snap : sqrt(DBL_EPSILON); /* spdep's default snap */
  need = o.rook ? 2 : 1;
  spill__progress(ctx, "contiguity", 0.0);
  if (collect(ctx, L, &v)) goto done;

  /* Bucket vertices into columns of width cell >= snap (a little wider, so
   * rounding in the division cannot put two matching vertices two columns
   * apart) and sort by column: matches lie in the same or the next column.
   * Key: column in the high 32 bits, vertex number in the low 32. */
  if (v.n >= UINT32_MAX) {
    spill__fail(ctx, SPILL_EINVAL, "contiguity: %zu vertices is more than this implementation handles", v.n);
    goto done;
  }
  {
    double xmin = INFINITY, xmax = -INFINITY, cell;
    for (size_t k = 0; k < v.n; k++) {
      if (v.xy[2 * k] < xmin) xmin = v.xy[2 * k];
      if (v.xy[2 * k] > xmax) xmax = v.xy[2 * k];
    }
    if (!isfinite(xmin) || !isfinite(xmax)) {
      if (v.n) {
        spill__fail(ctx, SPILL_EDATA, "%s: a vertex has a coordinate that is not finite", L->path ? L->path : "layer");
        goto done;
      }
      xmin = xmax = 0;
    }
    /* about 2^21 columns (two radix passes); never narrower than snap */
    cell = fmax(snap * 1.001, (xmax - xmin) / 2.0e6);
    key = malloc((v.n + 1) * sizeof *key);
    k2 = malloc((v.n + 1) * sizeof *k2);
    if (!key || !k2) goto oom;
    for (size_t k = 0; k < v.n; k++) {
      if (v.skip_first && (k == 0 || v.unit[k - 1] != v.unit[k])) continue; /* a unit's first vertex */
      key[nk++] = ((uint64_t)floor((v.xy[2 * k] - xmin) / cell) << 32) | (uint64_t)k;
    }
    if (radix_sort(key, k2, nk, 32)) goto oom;
  }
  free(k2);
  k2 = NULL;
  spill__progress(ctx, "contiguity", 0.4);

  /* sweep: every matching vertex pair of two different units, once */
  for (size_t a = 0; a < nk; a++) {
    size_t ia = (size_t)(key[a] & 0xffffffffu);
    uint64_t col = key[a] >> 32;
    double xa = v.xy[2 * ia], ya = v.xy[2 * ia + 1];
    uint32_t ua = v.unit[ia];
    for (size_t b = a + 1; b < nk && (key[b] >> 32) <= col + 1; b++) {
      size_t ib = (size_t)(key[b] & 0xffffffffu);
      uint32_t ub = v.unit[ib];
      double dx, dy;
      if (ua == ub) continue;
      dx = xa - v.xy[2 * ib];
      dy = ya - v.xy[2 * ib + 1];
      if (fabs(dx) > snap || fabs(dy) > snap || hypot(dx, dy) > snap) continue;
      if (npairs == cap_pairs) {
        size_t c = cap_pairs ? 2 * cap_pairs : 4096;
        uint64_t *np = realloc(pairs, c * sizeof *np);
        if (!np) goto oom;
        pairs = np;
        cap_pairs = c;
      }
      {
        uint64_t lo = ua < ub ? ua : ub, hi = ua < ub ? ub : ua;
        pairs[npairs++] = lo * (uint64_t)L->n + hi;
      }
    }
  }
  free(key);
  key = NULL;
  free(v.unit);
  free(v.own);
  v.unit = NULL;
  v.own = NULL;
  spill__progress(ctx, "contiguity", 0.7);

  /* count matches per unit pair */
  k2 = malloc((npairs + 1) * sizeof *k2);
  if (!k2) goto oom;
  if (radix_sort(pairs, k2, npairs, 0)) goto oom;
  free(k2);
  k2 = NULL;
  ti = malloc((2 * npairs + 1) * sizeof *ti);
  tj = malloc((2 * npairs + 1) * sizeof *tj);
  if (!ti || !tj) goto oom;
  for (size_t a = 0, b; a < npairs; a = b) {
    for (b = a + 1; b < npairs && pairs[b] == pairs[a]; b++) {}
    if (b - a >= (size_t)need) {
      int64_t i = (int64_t)(pairs[a] / L->n), j = (int64_t)(pairs[a] % L->n);
      ti[nlinks] = i;
      tj[nlinks++] = j;
      ti[nlinks] = j;
      tj[nlinks++] = i;
    }
  }
  w = spill_weights_from_triplets(ctx, (int64_t)L->n, (const char *const *)L->ids, (int64_t)nlinks, ti, tj, NULL);
  if (!w) goto done;
  w->style = SPILL_STYLE_B;
  if (o.order > 1) {
    out = spill_weights_higher_order(ctx, w, o.order, o.cumulative);
    spill_weights_free(w);
    w = NULL;
  } else {
    out = w;
    w = NULL;
  }
  spill__progress(ctx, "contiguity", 1.0);
  goto done;
oom:
  spill__fail(ctx, SPILL_ENOMEM, "contiguity: out of memory (%zu vertices)", v.n);
done:
  free(v.own);
  free(v.unit);
  free(key);
  free(k2);
  free(pairs);
  free(ti);
  free(tj);
  spill_weights_free(w);
  return out;
}

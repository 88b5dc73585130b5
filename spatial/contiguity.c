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
#include "spatial/parallel.h"

/* LSD radix sort of key[] by its bits lo..63, 11 bits per pass, passes
 * whose digit is the same for every key skipped; key and tmp (scratch of
 * size n) swap roles each pass, and *sorted says which holds the result. */
static int radix_sort(uint64_t *key, uint64_t *tmp, size_t n, int lo, uint64_t **sorted)
{
  enum { BITS = 11, B = 1 << BITS };
  size_t *count = malloc(B * sizeof *count);
  uint64_t *src = key, *dst = tmp;
  if (!count) return -1;
  for (int shift = lo; shift < 64; shift += BITS) {
    size_t sum = 0;
    int trivial = 0;
    memset(count, 0, B * sizeof *count);
    for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & (B - 1)]++;
    for (int d = 0; d < B; d++)
      if (count[d] == n) trivial = 1;
    if (trivial) continue;
    for (int d = 0; d < B; d++) {
      size_t t = count[d];
      count[d] = sum;
      sum += t;
    }
    for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & (B - 1)]++] = src[i];
    {
      uint64_t *t = src;
      src = dst;
      dst = t;
    }
  }
  free(count);
  *sorted = src;
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

/* The vertices of unit i are xy[first[i] .. first[i+1]-1] less the very
 * first when skip (the layer's raw vertices), else all of them (copied
 * from GEOS, first vertex already left out). */
static int collect(spill_ctx *ctx, const spill_layer *L, verts *v, int64_t **first)
{
  int64_t *f;
  if (L->vstart && L->vxy) { /* no copy of the coordinates */
    v->n = (size_t)L->vstart[L->n];
    v->xy = L->vxy;
    v->skip_first = 1;
    *first = L->vstart;
    return 0;
  }
  for (size_t i = 0; i < L->n; i++)
    if (geos_vertices(ctx, L, i, v)) return spill_ctx_status(ctx);
  v->xy = v->own;
  f = malloc((L->n + 1) * sizeof *f);
  if (!f) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
  for (size_t i = 0, k = 0; i <= L->n; i++) { /* vertices were added unit by unit */
    while (k < v->n && v->unit[k] < i) k++;
    f[i] = (int64_t)k;
  }
  *first = f;
  return 0;
}

/* A boundary vertex in the sweep's order. */
typedef struct vrec {
  double x, y;
  uint32_t unit;
} vrec;

/* Sort a column's vertices by y (insertion sort: columns are short; a long
 * one, such as a straight meridian border, by qsort). */
static int by_y(const void *a, const void *b)
{
  double ya = ((const vrec *)a)->y, yb = ((const vrec *)b)->y;
  return (ya > yb) - (ya < yb);
}

static void sort_column(vrec *r, size_t n)
{
  if (n > 32) {
    qsort(r, n, sizeof *r, by_y);
    return;
  }
  for (size_t q = 1; q < n; q++) {
    vrec t = r[q];
    size_t p = q;
    while (p > 0 && r[p - 1].y > t.y) {
      r[p] = r[p - 1];
      p--;
    }
    r[p] = t;
  }
}

/* Matching unit pairs, key lo * n + hi. A direct-mapped cache of recent
 * pairs drops repeats once a pair has been kept twice: only "at least one"
 * (queen) and "at least two" (rook) matches matter, and the sweep meets
 * the pairs of one stretch of border close together. Each kept copy is a
 * real match, so a pair is kept min(matches, 2) times or more, never more
 * than it matches. */
enum { PAIR_CACHE = 1 << 14 };

typedef struct pairbuf {
  uint64_t *key;
  size_t n, cap;
  uint64_t *ckey; /* cache: pair + 1 (0 empty) */
  unsigned char *ccount;
} pairbuf;

static int add_pair(pairbuf *pb, uint64_t n, uint32_t ua, uint32_t ub)
{
  uint64_t lo = ua < ub ? ua : ub, hi = ua < ub ? ub : ua, k = lo * n + hi;
  size_t slot = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 50); /* Fibonacci hashing, 14 bits */
  if (pb->ckey[slot] == k + 1) {
    if (pb->ccount[slot] >= 2) return 0;
    pb->ccount[slot]++;
  } else {
    pb->ckey[slot] = k + 1;
    pb->ccount[slot] = 1;
  }
  if (pb->n == pb->cap) {
    size_t c = pb->cap ? 2 * pb->cap : 1 << 16;
    uint64_t *p = realloc(pb->key, c * sizeof *p);
    if (!p) return -1;
    if (c >= (4u << 20) / sizeof *p) spill__hugepage_hint(p + pb->cap, (c - pb->cap) * sizeof *p);
    pb->key = p;
    pb->cap = c;
  }
  pb->key[pb->n++] = k;
  return 0;
}

static size_t column(double dx, double inv, size_t ncol)
{
  double c = dx * inv;
  return c < (double)(ncol - 1) ? (size_t)c : ncol - 1;
}

/* Two vertices match (spdep's rule, see the top). */
static int close_enough(const vrec *a, const vrec *b, double snap)
{
  double dx = a->x - b->x, dy = a->y - b->y;
  return !(fabs(dx) > snap || fabs(dy) > snap || hypot(dx, dy) > snap);
}

/* The sweep over strips of columns, shared by the threads: strip s owns
 * columns strip[s] .. strip[s+1]-1 and is swept with the column after it.
 * Thread t takes strips t, t + nt, ...; its matches go to pb[t]. */
typedef struct sweep_job {
  const spill_layer *L;
  const double *xy;
  const int64_t *first;
  int skip_first;
  const uint32_t *cs; /* column starts, cs[ncol] = nk */
  size_t ncol, nk, cap, maxcols, nstrips;
  const size_t *strip;
  const uint32_t *ucol; /* unit i's vertices lie in columns ucol[2i] .. ucol[2i+1] */
  double xmin, inv, snap;
  pairbuf *pb;
} sweep_job;

static int sweep_task(spill_ctx *ctx, void *user, int t, int nt)
{
  const sweep_job *J = user;
  const spill_layer *L = J->L;
  const uint32_t *cs = J->cs;
  const double *xy = J->xy, snap = J->snap;
  pairbuf *pb = &J->pb[t];
  vrec *r = spill__malloc_big(NULL, J->cap + 1, sizeof *r);
  uint32_t *fill = malloc((J->maxcols + 2) * sizeof *fill);
  int rc = 0;
  pb->ckey = calloc(PAIR_CACHE, sizeof *pb->ckey);
  pb->ccount = calloc(PAIR_CACHE, 1);
  if (!r || !fill || !pb->ckey || !pb->ccount) goto oom;
  for (size_t s = (size_t)t; s < J->nstrips; s += (size_t)nt) {
    size_t c0 = J->strip[s], c1 = J->strip[s + 1], cend = c1 < J->ncol ? c1 + 1 : J->ncol, base = cs[c0];
    for (size_t c = c0; c < cend; c++) fill[c - c0] = cs[c] - (uint32_t)base;
    for (size_t i = 0; i < L->n; i++) {
      if (J->ucol[2 * i + 1] < c0 || J->ucol[2 * i] >= cend) continue; /* no vertex in this strip */
      for (int64_t k = J->first[i] + (J->skip_first && J->first[i + 1] > J->first[i]); k < J->first[i + 1]; k++) {
        size_t c = column(xy[2 * k] - J->xmin, J->inv, J->ncol);
        if (c >= c0 && c < cend) {
          vrec *d = &r[fill[c - c0]++];
          d->x = xy[2 * k];
          d->y = xy[2 * k + 1];
          d->unit = (uint32_t)i;
        }
      }
    }
    for (size_t c = c0; c < cend; c++) sort_column(r + (cs[c] - base), cs[c + 1] - cs[c]);
    /* every matching vertex pair of two different units, once */
    for (size_t c = c0; c < c1; c++) {
      size_t a1 = cs[c + 1] - base, b1 = (c + 1 < J->ncol ? cs[c + 2] : J->nk) - base, nb = a1;
      for (size_t a = cs[c] - base; a < a1; a++) {
        const vrec *ra = &r[a];
        for (size_t b = a + 1; b < a1 && r[b].y - ra->y <= snap; b++)
          if (r[b].unit != ra->unit && close_enough(ra, &r[b], snap) && add_pair(pb, L->n, ra->unit, r[b].unit))
            goto oom;
        while (nb < b1 && r[nb].y < ra->y && ra->y - r[nb].y > snap) nb++;
        for (size_t b = nb; b < b1 && !(r[b].y > ra->y && r[b].y - ra->y > snap); b++)
          if (r[b].unit != ra->unit && close_enough(ra, &r[b], snap) && add_pair(pb, L->n, ra->unit, r[b].unit))
            goto oom;
      }
    }
    if (t == 0) spill__progress(ctx, "contiguity", 0.2 + 0.5 * (double)(s + 1) / (double)J->nstrips);
  }
  goto done;
oom:
  rc = spill__fail(ctx, SPILL_ENOMEM, "contiguity: out of memory (%zu vertices)", J->nk);
done:
  free(r);
  free(fill);
  free(pb->ckey);
  free(pb->ccount);
  pb->ckey = NULL;
  pb->ccount = NULL;
  return rc;
}

spill_weights *spill_weights_contiguity(spill_ctx *ctx, const spill_layer *L, const spill_contig_opts *opts)
{
  spill_contig_opts o = {0, 0, 1, 0};
  verts v = {0, 0, NULL, NULL, NULL, 0};
  int64_t *first = NULL;
  uint32_t *cs = NULL, *ucol = NULL; /* column starts; units' column ranges */
  size_t *strip = NULL, npbs = 0;
  pairbuf *pbs = NULL; /* per thread */
  uint64_t *k2 = NULL, *sorted;
  pairbuf pb = {NULL, 0, 0, NULL, NULL};
  size_t nk = 0, ncol = 0, nlinks = 0;
  int64_t *pos = NULL;
  spill_weights *w = NULL, *out = NULL;
  double snap, xmin = INFINITY, xmax = -INFINITY, cell, inv;
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
  if (collect(ctx, L, &v, &first)) goto done;
  if (v.n >= UINT32_MAX) {
    spill__fail(ctx, SPILL_EINVAL, "contiguity: %zu vertices is more than this implementation handles", v.n);
    goto done;
  }
  for (size_t i = 0; i < L->n; i++) /* the boundary vertices counted, and their x range */
    for (int64_t k = first[i] + (v.skip_first && first[i + 1] > first[i]); k < first[i + 1]; k++) {
      double x = v.xy[2 * k];
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      nk++;
    }
  if (nk && (!isfinite(xmin) || !isfinite(xmax))) {
    spill__fail(ctx, SPILL_EDATA, "%s: a vertex has a coordinate that is not finite", L->path ? L->path : "layer");
    goto done;
  }
  if (!nk) xmin = xmax = 0;

  /* Bucket the vertices into columns of width cell >= snap (a little wider,
   * so rounding in the division cannot put two matching vertices two
   * columns apart), a few vertices per column, by a counting sort; then
   * sort each column by y. Matches lie in the same or the next column,
   * within snap in y: a sweep finds them with a merge, in O(V) plus the
   * matches. */
  cell = fmax(snap * 1.001, (xmax - xmin) / fmax(1.0, (double)nk / 4.0));
  {
    double nc = floor((xmax - xmin) / cell) + 2;
    ncol = nc < (double)UINT32_MAX - 2 ? (size_t)nc : UINT32_MAX - 2;
  }
  cs = calloc(ncol + 1, sizeof *cs);
  if (!cs) goto oom;
  inv = 1.0 / cell;
  /* x - xmin >= 0, so the conversion truncates like floor; the product may
   * differ from the quotient in the last bit, covered by the 0.1% margin */
  ucol = malloc((2 * L->n + 2) * sizeof *ucol);
  if (!ucol) goto oom;
  for (size_t i = 0; i < L->n; i++) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (int64_t k = first[i] + (v.skip_first && first[i + 1] > first[i]); k < first[i + 1]; k++) {
      uint32_t c = (uint32_t)column(v.xy[2 * k] - xmin, inv, ncol);
      cs[c + 1]++;
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    ucol[2 * i] = lo;
    ucol[2 * i + 1] = hi;
  }
  for (size_t c = 1; c <= ncol; c++) cs[c] += cs[c - 1]; /* cs[c]: where column c starts, cs[ncol] = nk */
  spill__progress(ctx, "contiguity", 0.2);

  /* Strips of columns, each gathered from the vertices in one pass (by each
   * thread into its own buffer) and swept with the first column of the next
   * strip: the sort buffers hold a strip, not the map. Fresh memory is what
   * costs on a virtual machine (each first-touched page is zeroed, and
   * faulted in by the host too), more than another pass over vertices
   * already in memory. */
  {
    sweep_job J;
    int nt = spill__thread_count(ctx, (int64_t)nk);
    size_t cap = ((size_t)16 << 20) / sizeof(vrec);
    if (nk / (4 * (size_t)nt) > cap) cap = nk / (4 * (size_t)nt);
    for (size_t c = 0; c < ncol; c++) { /* a column and the next must fit */
      size_t two = cs[c + 1 < ncol ? c + 2 : ncol] - cs[c];
      if (two > cap) cap = two;
    }
    if (cap > nk) cap = nk;
    strip = malloc((ncol + 2) * sizeof *strip);
    pbs = calloc((size_t)nt, sizeof *pbs);
    if (!strip || !pbs) goto oom;
    memset(&J, 0, sizeof J);
    for (size_t c0 = 0, c1; c0 < ncol; c0 = c1) { /* owned columns c0 .. c1-1 */
      strip[J.nstrips++] = c0;
      for (c1 = c0 + 1; c1 < ncol && cs[c1 + 1 < ncol ? c1 + 2 : ncol] - cs[c0] <= cap; c1++) {}
      if (c1 - c0 > J.maxcols) J.maxcols = c1 - c0;
    }
    strip[J.nstrips] = ncol;
    J.L = L;
    J.xy = v.xy;
    J.first = first;
    J.skip_first = v.skip_first;
    J.cs = cs;
    J.ncol = ncol;
    J.nk = nk;
    J.cap = cap;
    J.strip = strip;
    J.ucol = ucol;
    J.xmin = xmin;
    J.inv = inv;
    J.snap = snap;
    J.pb = pbs;
    if (nt > (int)J.nstrips) nt = (int)J.nstrips;
    npbs = (size_t)nt;
    if (spill__run_parallel(ctx, nt, sweep_task, &J)) goto done;
    /* all threads' pairs in one array */
    for (size_t t = 0; t < npbs; t++) pb.n += pbs[t].n;
    pb.key = spill__malloc_big(NULL, pb.n + 1, sizeof *pb.key);
    if (!pb.key) goto oom;
    pb.n = 0;
    for (size_t t = 0; t < npbs; t++) {
      if (pbs[t].n) memcpy(pb.key + pb.n, pbs[t].key, pbs[t].n * sizeof *pb.key);
      pb.n += pbs[t].n;
      free(pbs[t].key);
      pbs[t].key = NULL;
    }
  }
  free(cs);
  cs = NULL;
  free(ucol);
  ucol = NULL;
  free(v.unit);
  free(v.own);
  v.unit = NULL;
  v.own = NULL;
  spill__progress(ctx, "contiguity", 0.7);

  /* count matches per unit pair */
  k2 = spill__malloc_big(NULL, pb.n + 1, sizeof *k2);
  if (!k2) goto oom;
  if (radix_sort(pb.key, k2, pb.n, 0, &sorted)) goto oom;
  /* keep the pairs matched often enough, once each (in place), then the
   * rows straight from them: sorted by (lo, hi), row r receives its lower
   * neighbours (pairs (lo, r)) in ascending order before its higher ones
   * (pairs (r, hi)), so every row comes out sorted */
  {
    size_t kept = 0;
    for (size_t a = 0, b; a < pb.n; a = b) {
      for (b = a + 1; b < pb.n && sorted[b] == sorted[a]; b++) {}
      if (b - a >= (size_t)need) sorted[kept++] = sorted[a];
    }
    nlinks = 2 * kept;
    w = spill_weights_new(ctx, (int64_t)L->n, (const char *const *)L->ids, (int64_t)nlinks);
    pos = malloc((L->n + 1) * sizeof *pos);
    if (!w || !pos) {
      if (w) goto oom;
      goto done;
    }
    for (size_t q = 0; q < kept; q++) {
      w->p[sorted[q] / L->n + 1]++;
      w->p[sorted[q] % L->n + 1]++;
    }
    for (size_t i = 0; i < L->n; i++) w->p[i + 1] += w->p[i];
    memcpy(pos, w->p, L->n * sizeof *pos);
    for (size_t q = 0; q < kept; q++) {
      int64_t lo = (int64_t)(sorted[q] / L->n), hi = (int64_t)(sorted[q] % L->n);
      w->j[pos[lo]++] = hi;
      w->j[pos[hi]++] = lo;
    }
    for (size_t q = 0; q < nlinks; q++) w->x[q] = 1.0;
  }
  free(k2);
  k2 = NULL;
  free(pb.key);
  pb.key = NULL;
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
  if (first != L->vstart) free(first);
  free(v.own);
  free(v.unit);
  free(cs);
  free(ucol);
  free(strip);
  for (size_t t = 0; pbs && t < npbs; t++) free(pbs[t].key);
  free(pbs);
  free(k2);
  free(pb.key);
  free(pos);
  spill_weights_free(w);
  return out;
}

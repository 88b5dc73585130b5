/* Distances between unit locations and the searchable point set behind the
 * k-NN, band, inverse-distance and kernel weights.
 *
 * Geographic points: geodesics on WGS84 by Karney's algorithm (Karney 2013,
 * J. Geodesy 87:43-55) through PROJ's geodesic.h. Candidates come from a k-d
 * tree on unit vectors; the tree's chord c gives the central angle
 * t = 2 asin(c/2) of the points on the unit sphere, and since the WGS84 metric
 * in geodetic coordinates is ds^2 = M^2 dphi^2 + N^2 cos^2(phi) dlambda^2 with
 * a(1-e^2) <= M, N <= a/sqrt(1-e^2), every geodesic length s obeys
 * a(1-e^2) t <= s <= a/sqrt(1-e^2) t. The searches use these bounds to be
 * exact: no unit is missed, and every decision is made on s itself (or on a
 * bound that settles it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spatial/points.h"

#define PI 3.14159265358979323846
#define WGS84_A_KM 6378.137
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))
/* the bounds of the radii of curvature, km */
#define R_MIN (WGS84_A_KM * (1.0 - WGS84_E2))
#define R_MAX (WGS84_A_KM / sqrt(1.0 - WGS84_E2))

double spill_geodesic_km(double lon1, double lat1, double lon2, double lat2)
{
  struct geod_geodesic g;
  double s12 = NAN;
  geod_init(&g, WGS84_A_KM * 1000.0, WGS84_F);
  geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
  return s12 / 1000.0;
}

double spill_distance_km(const spill_points *pts, int64_t i, int64_t j)
{
  if (pts->geographic) return spill_geodesic_km(pts->x[i], pts->y[i], pts->x[j], pts->y[j]);
  double dx = pts->x[i] - pts->x[j], dy = pts->y[i] - pts->y[j];
  /* sqrt of the squared distance (not hypot), as the k-d tree ranks */
  return sqrt(dx * dx + dy * dy) * (pts->unit_km > 0 ? pts->unit_km : 1.0);
}

double spill__geo_dist(const spill__geo *s, int64_t i, int64_t j)
{
  const spill_points *p = s->pts;
  if (s->dim == 3) {
    double s12;
    geod_inverse(&s->g, p->y[i], p->x[i], p->y[j], p->x[j], &s12, NULL, NULL);
    return s12 / 1000.0;
  }
  {
    double dx = p->x[i] - p->x[j], dy = p->y[i] - p->y[j];
    return sqrt(dx * dx + dy * dy) * s->scale;
  }
}

typedef struct loc {
  double a, b, c;
  int64_t i;
} loc;

static int cmp_loc(const void *pa, const void *pb)
{
  const loc *p = pa, *q = pb;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  if (p->b != q->b) return p->b < q->b ? -1 : 1;
  if (p->c != q->c) return p->c < q->c ? -1 : 1;
  return (p->i > q->i) - (p->i < q->i);
}

/* Two distinct units at one location make distances zero and neighbour
 * ranks arbitrary: refuse, listing the first few. */
static int check_duplicates(spill_ctx *ctx, const spill__geo *s)
{
  const spill_points *p = s->pts;
  int64_t n = p->n, found = 0;
  char list[640];
  size_t used = 0;
  loc *l = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *l);
  if (!l) return SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++) {
    l[i].a = s->xyz[i * s->dim];
    l[i].b = s->xyz[i * s->dim + 1];
    l[i].c = s->dim == 3 ? s->xyz[i * s->dim + 2] : 0.0;
    l[i].i = i;
  }
  qsort(l, (size_t)n, sizeof *l, cmp_loc);
  list[0] = '\0';
  for (int64_t k = 1; k < n; k++)
    if (l[k].a == l[k - 1].a && l[k].b == l[k - 1].b && l[k].c == l[k - 1].c) {
      if (found < 8 && used < sizeof list - 200)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s' and '%s' at (%.10g, %.10g)",
                                 found ? "; " : "", p->ids[l[k - 1].i], p->ids[l[k].i], p->x[l[k].i],
                                 p->y[l[k].i]);
      found++;
    }
  free(l);
  if (found)
    return spill__fail(ctx, SPILL_EDATA,
                       "%lld pair%s of distinct units share a location: %s%s (distances would be zero; merge "
                       "or drop them, or use contiguity weights)",
                       (long long)found, found > 1 ? "s" : "", list, found > 8 ? "; ..." : "");
  return SPILL_OK;
}

int spill__geo_init(spill_ctx *ctx, spill__geo *s, const spill_points *pts)
{
  int64_t n = pts->n;
  int rc;
  memset(s, 0, sizeof *s);
  s->pts = pts;
  s->dim = pts->geographic ? 3 : 2;
  s->scale = pts->unit_km > 0 ? pts->unit_km : 1.0;
  geod_init(&s->g, WGS84_A_KM * 1000.0, WGS84_F);
  if (n < 0 || (n > 0 && (!pts->x || !pts->y || !pts->ids)))
    return spill__fail(ctx, SPILL_EINVAL, "points: missing coordinates or ids");
  s->xyz = spill__malloc(ctx, (size_t)(n ? n : 1) * (size_t)s->dim * sizeof *s->xyz);
  if (!s->xyz) return SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++) {
    double x = pts->x[i], y = pts->y[i];
    if (!isfinite(x) || !isfinite(y)) {
      rc = spill__fail(ctx, SPILL_EDATA, "unit '%s' has no usable location (%g, %g): an empty shape or a missing coordinate?",
                       pts->ids[i], x, y);
      goto fail;
    }
    if (s->dim == 3) {
      double phi = y * (PI / 180.0), lam = x * (PI / 180.0);
      if (fabs(y) > 90.0 || fabs(x) > 540.0) {
        rc = spill__fail(ctx, SPILL_EDATA,
                         "unit '%s': (%g, %g) is not a longitude/latitude in degrees; is the layer projected (check its .prj)?",
                         pts->ids[i], x, y);
        goto fail;
      }
      s->xyz[3 * i] = cos(phi) * cos(lam);
      s->xyz[3 * i + 1] = cos(phi) * sin(lam);
      s->xyz[3 * i + 2] = sin(phi);
    } else {
      s->xyz[2 * i] = x;
      s->xyz[2 * i + 1] = y;
    }
  }
  if ((rc = check_duplicates(ctx, s))) goto fail;
  s->tree = spill__kdtree_new(ctx, s->dim, n, s->xyz);
  if (!s->tree) {
    rc = SPILL_ENOMEM;
    goto fail;
  }
  return SPILL_OK;
fail:
  spill__geo_clear(s);
  return rc;
}

void spill__geo_clear(spill__geo *s)
{
  spill__kdtree_free(s->tree);
  free(s->xyz);
  s->tree = NULL;
  s->xyz = NULL;
}

/* Squared chord of the unit sphere that contains every point within km
 * geodesic distance. */
static double chord2_for(double km)
{
  double t = km / R_MIN * (1.0 + 1e-12);
  double c;
  if (t >= PI) return 4.0 * (1.0 + 1e-12);
  c = 2.0 * sin(0.5 * t);
  return c * c * (1.0 + 1e-12) + 1e-300;
}

/* Central angle of a squared chord. */
static double angle_of(double c2)
{
  double h = 0.5 * sqrt(c2);
  return 2.0 * asin(h > 1.0 ? 1.0 : h);
}

static int dup_error(spill_ctx *ctx, const spill__geo *s, int64_t i, int64_t j)
{
  return spill__fail(ctx, SPILL_EDATA,
                     "units '%s' and '%s' are at the same location (%.10g, %.10g) and (%.10g, %.10g); merge or drop one",
                     s->pts->ids[i], s->pts->ids[j], s->pts->x[i], s->pts->y[i], s->pts->x[j], s->pts->y[j]);
}

/* Insert v into the list out[0..*have) ordered by (distance, index), keeping
 * at most k. */
static void top_insert(spill__nb *out, int64_t *have, int64_t k, spill__nb v)
{
  int64_t r;
  if (*have == k) {
    if (v.d2 > out[k - 1].d2 || (v.d2 == out[k - 1].d2 && v.i > out[k - 1].i)) return;
    (*have)--;
  }
  r = *have - 1;
  while (r >= 0 && (out[r].d2 > v.d2 || (out[r].d2 == v.d2 && out[r].i > v.i))) {
    out[r + 1] = out[r];
    r--;
  }
  out[r + 1] = v;
  (*have)++;
}

/* Walk candidates sorted by chord, keeping the best k by (geodesic, index),
 * until the chord's lower bound R_MIN * angle passes the k-th distance: no
 * later candidate, nor any point with a longer chord, can then enter.
 * Returns 1 when stopped that way, 0 when the candidates ran out. */
static int walk(const spill__geo *s, int64_t i, const spill__nb *cand, int64_t m, int64_t k, spill__nb *out,
                int64_t *have)
{
  for (int64_t c = 0; c < m; c++) {
    spill__nb v;
    if (*have == k && R_MIN * angle_of(cand[c].d2) * (1.0 - 1e-12) > out[k - 1].d2) return 1;
    v.i = cand[c].i;
    v.d2 = spill__geo_dist(s, i, v.i);
    top_insert(out, have, k, v);
  }
  return 0;
}

int64_t spill__geo_knn(spill_ctx *ctx, const spill__geo *s, int64_t i, int64_t k, int need_dist, spill__nb *out,
                       spill__nb **buf, int64_t *cap)
{
  const double *q = s->xyz + i * s->dim;
  int64_t got, have = 0, kq;
  if (s->dim == 2) {
    got = spill__kdtree_knn(s->tree, q, k, i, out);
    /* ranked by squared distance in layer units; reported as spill_distance_km */
    for (int64_t c = 0; c < got; c++) out[c].d2 = spill__geo_dist(s, i, out[c].i);
    if (got && out[0].d2 == 0.0) return dup_error(ctx, s, i, out[0].i), -2;
    return got;
  }
  /* a few more chord-nearest candidates than k usually settle it */
  kq = k + 3 < s->pts->n - 1 ? k + 3 : s->pts->n - 1;
  if (*cap < kq) {
    spill__nb *b = realloc(*buf, (size_t)kq * sizeof *b);
    if (!b) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a neighbour search"), -1;
    *buf = b;
    *cap = kq;
  }
  got = spill__kdtree_knn(s->tree, q, kq, i, *buf);
  /* the set alone is settled by the bounds when even the k-th candidate's
   * longest possible geodesic is shorter than the (k+1)-th's shortest */
  if (!need_dist && got >= k && (*buf)[0].d2 > 1e-20 &&
      (got == k || R_MAX * angle_of((*buf)[k - 1].d2) * (1.0 + 1e-12) < R_MIN * angle_of((*buf)[k].d2) * (1.0 - 1e-12))) {
    for (int64_t c = 0; c < k; c++) {
      out[c].i = (*buf)[c].i;
      out[c].d2 = -1.0;
    }
    return k;
  }
  if (!walk(s, i, *buf, got, k, out, &have) && got == kq) {
    /* not settled: every point within the k-th distance found so far */
    int64_t m = spill__kdtree_radius(s->tree, q, chord2_for(out[k - 1].d2), i, buf, cap);
    if (m < 0) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a neighbour search"), -1;
    spill__nb_sort(*buf, m);
    have = 0;
    walk(s, i, *buf, m, k, out, &have);
  }
  if (have && out[0].d2 == 0.0) return dup_error(ctx, s, i, out[0].i), -2;
  return have;
}

int64_t spill__geo_within(spill_ctx *ctx, const spill__geo *s, int64_t i, double km, int need_dist,
                          spill__nb **buf, int64_t *cap)
{
  const double *q = s->xyz + i * s->dim;
  int64_t m, kept = 0;
  if (s->dim == 2) {
    /* a slightly larger ball, then the decision on the distance itself */
    double r = km / s->scale * (1.0 + 1e-9);
    m = spill__kdtree_radius(s->tree, q, r * r, i, buf, cap);
    if (m < 0) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a neighbour search"), -1;
    for (int64_t c = 0; c < m; c++) {
      /* decide on the distance itself, as spill_distance_km computes it */
      double d = spill__geo_dist(s, i, (*buf)[c].i);
      if (d > km) continue;
      if (d == 0.0) return dup_error(ctx, s, i, (*buf)[c].i), -2;
      (*buf)[kept].i = (*buf)[c].i;
      (*buf)[kept++].d2 = d;
    }
    return kept;
  }
  m = spill__kdtree_radius(s->tree, q, chord2_for(km), i, buf, cap);
  if (m < 0) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a neighbour search"), -1;
  for (int64_t c = 0; c < m; c++) {
    double t = angle_of((*buf)[c].d2), d;
    /* (a near-zero angle goes the exact way, so a duplicate is caught) */
    if (!need_dist && R_MAX * t * (1.0 + 1e-12) < km && t > 1e-10) {
      d = -1.0; /* inside for certain */
    } else {
      if (R_MIN * t * (1.0 - 1e-12) > km) continue;
      d = spill__geo_dist(s, i, (*buf)[c].i);
      if (d > km) continue;
      if (d == 0.0) return dup_error(ctx, s, i, (*buf)[c].i), -2;
    }
    (*buf)[kept].i = (*buf)[c].i;
    (*buf)[kept++].d2 = d;
  }
  return kept;
}

double spill__dense_bytes(int64_t n)
{
  /* CSR: p (n+1) 8-byte offsets, n(n-1) column indices and values */
  return (double)n * (double)(n > 0 ? n - 1 : 0) * 16.0 + (double)(n + 1) * 8.0;
}

int spill__check_memory(spill_ctx *ctx, double bytes, const char *what)
{
  long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  double avail = pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
  if (avail > 0 && bytes > 0.8 * avail)
    return spill__fail(ctx, SPILL_ENOMEM,
                       "%s would take %.3g GB but only %.3g GB of memory is free; give a cutoff distance so the "
                       "matrix is sparse, or use fewer units",
                       what, bytes / 1e9, avail / 1e9);
  return SPILL_OK;
}

int spill_points_project(spill_ctx *ctx, const char *src_crs, const char *dst_crs, int64_t n, const double *x,
                         const double *y, double *ox, double *oy, double *unit_km)
{
  PJ *pj = NULL, *norm = NULL, *dst = NULL;
  int rc = SPILL_OK;
  if (!src_crs || !*src_crs)
    return spill__fail(ctx, SPILL_EINVAL,
                       "cannot project: the layer has no .prj, so its coordinate system is unknown");
  pj = proj_create_crs_to_crs(ctx->proj, src_crs, dst_crs, NULL);
  if (!pj) {
    rc = spill__fail(ctx, SPILL_EDEP, "PROJ cannot transform to '%s': %s", dst_crs,
                     proj_context_errno_string(ctx->proj, proj_context_errno(ctx->proj)));
    goto done;
  }
  /* lon/lat (x = longitude) order whatever the CRS definitions say */
  norm = proj_normalize_for_visualization(ctx->proj, pj);
  if (!norm) {
    rc = spill__fail(ctx, SPILL_EDEP, "PROJ cannot normalise the axis order for '%s'", dst_crs);
    goto done;
  }
  for (int64_t i = 0; i < n; i++) {
    PJ_COORD c = proj_coord(x[i], y[i], 0, 0);
    c = proj_trans(norm, PJ_FWD, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y) || c.xy.x == HUGE_VAL) {
      rc = spill__fail(ctx, SPILL_EDEP, "PROJ cannot project point %lld (%g, %g) to '%s'", (long long)i + 1, x[i],
                       y[i], dst_crs);
      goto done;
    }
    ox[i] = c.xy.x;
    oy[i] = c.xy.y;
  }
  if (unit_km) {
    double conv = 0.0;
    PJ *cs;
    *unit_km = 0.0;
    dst = proj_create(ctx->proj, dst_crs);
    if (dst && proj_get_type(dst) == PJ_TYPE_PROJECTED_CRS && (cs = proj_crs_get_coordinate_system(ctx->proj, dst))) {
      if (proj_cs_get_axis_info(ctx->proj, cs, 0, NULL, NULL, NULL, &conv, NULL, NULL, NULL))
        *unit_km = conv / 1000.0;
      proj_destroy(cs);
    }
    if (*unit_km <= 0.0)
      rc = spill__fail(ctx, SPILL_EINVAL, "'%s' is not a projected coordinate system with a linear unit", dst_crs);
  }
done:
  if (dst) proj_destroy(dst);
  if (norm) proj_destroy(norm);
  if (pj) proj_destroy(pj);
  return rc;
}

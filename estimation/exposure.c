/* Exposure of untreated units to treatment nearby, for the spillover-robust
 * DID of Butts (2021, arXiv 2105.03737, sec. 3): from W ((W d_t)_i > 0 or
 * >= a cut-off), from contiguity orders (the nearest treated unit k steps
 * away) or from distance rings around treated units (geodesic km). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"

void spill_exposure_free(spill_exposure *e)
{
  if (!e) return;
  if (e->labels)
    for (int k = 0; k < e->rings; k++) free(e->labels[k]);
  free(e->labels);
  free(e->ring);
  free(e->onset);
  free(e->kind);
  free(e);
}

static spill_exposure *expo_new(spill_ctx *ctx, const spill_panel *p, int rings, const char *kind)
{
  spill_exposure *e = spill__calloc(ctx, 1, sizeof *e);
  if (!e) return NULL;
  e->n = p->n;
  e->t = p->t;
  e->rings = rings;
  e->labels = spill__calloc(ctx, (size_t)rings, sizeof *e->labels);
  e->ring = spill__calloc(ctx, (size_t)(p->n * p->t), sizeof *e->ring);
  e->onset = spill__malloc(ctx, (size_t)p->n * sizeof *e->onset);
  e->kind = spill__strdup(ctx, kind);
  if (!e->labels || !e->ring || !e->onset || !e->kind) {
    spill_exposure_free(e);
    return NULL;
  }
  return e;
}

/* Onsets from the rings; treated unit-periods carry ring 0. */
static void finish(spill_exposure *e, const spill_panel *p)
{
  for (int64_t i = 0; i < p->n; i++) {
    e->onset[i] = INT64_MIN;
    for (int64_t s = 0; s < p->t; s++) {
      int64_t k = s * p->n + i;
      if (p->d[k] == 1) e->ring[k] = 0;
      if (e->ring[k] > 0 && e->onset[i] == INT64_MIN) e->onset[i] = p->times[s];
    }
  }
}

static int check_inputs(spill_ctx *ctx, const spill_panel *p, int64_t n)
{
  int64_t *g;
  int rc;
  if (!p || !p->d) return spill__fail(ctx, SPILL_EINVAL, "exposure: the panel has no treatment");
  if (n != p->n)
    return spill__fail(ctx, SPILL_EINVAL, "exposure: %lld units in W or the map, %lld in the panel (align them first)",
                       (long long)n, (long long)p->n);
  if (!(g = spill__malloc(ctx, (size_t)p->n * sizeof *g))) return SPILL_ENOMEM;
  rc = spill__did_cohorts(ctx, p, g);
  free(g);
  return rc;
}

spill_exposure *spill_exposure_from_w(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, double cutoff)
{
  spill_exposure *e;
  char lab[64];
  if (!w || check_inputs(ctx, p, w->n)) return NULL;
  if (!(e = expo_new(ctx, p, 1, cutoff > 0 ? "cutoff" : "any"))) return NULL;
  if (cutoff > 0) snprintf(lab, sizeof lab, "W d >= %g", cutoff);
  else snprintf(lab, sizeof lab, "W d > 0");
  if (!(e->labels[0] = spill__strdup(ctx, lab))) goto fail;
  for (int64_t s = 0; s < p->t; s++) {
    const double *d = p->d + s * p->n;
    for (int64_t i = 0; i < p->n; i++) {
      double v = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) v += w->x[q] * d[w->j[q]];
      e->ring[s * p->n + i] = cutoff > 0 ? v >= cutoff : v > 0;
    }
  }
  finish(e, p);
  return e;
fail:
  spill_exposure_free(e);
  return NULL;
}

spill_exposure *spill_exposure_orders(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, int max_order)
{
  spill_exposure *e;
  if (!w || check_inputs(ctx, p, w->n)) return NULL;
  if (max_order < 1 || max_order > 20)
    return spill__fail(ctx, SPILL_EINVAL, "exposure: contiguity order %d must be 1..20", max_order), NULL;
  if (!(e = expo_new(ctx, p, max_order, "orders"))) return NULL;
  for (int k = max_order; k >= 1; k--) { /* nearer orders overwrite farther ones */
    spill_weights *o = spill_weights_higher_order(ctx, w, k, 0);
    char lab[64];
    if (!o) goto fail;
    snprintf(lab, sizeof lab, "order %d", k);
    if (!(e->labels[k - 1] = spill__strdup(ctx, lab))) {
      spill_weights_free(o);
      goto fail;
    }
    for (int64_t s = 0; s < p->t; s++) {
      const double *d = p->d + s * p->n;
      for (int64_t i = 0; i < p->n; i++)
        for (int64_t q = o->p[i]; q < o->p[i + 1]; q++)
          if (d[o->j[q]] == 1) {
            e->ring[s * p->n + i] = k;
            break;
          }
    }
    spill_weights_free(o);
  }
  finish(e, p);
  return e;
fail:
  spill_exposure_free(e);
  return NULL;
}

/* Great-circle distance on the mean sphere (km): a cheap lower-accuracy
 * screen before the geodesic (they differ by under 0.6 %). */
static double haversine_km(double lon1, double lat1, double lon2, double lat2)
{
  const double r = 6371.0088, rad = 0.017453292519943295;
  double dphi = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
  double a = sin(dphi / 2) * sin(dphi / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dl / 2) * sin(dl / 2);
  return 2 * r * asin(fmin(1.0, sqrt(a)));
}

spill_exposure *spill_exposure_rings(spill_ctx *ctx, const spill_panel *p, const spill_points *pts,
                                     const double *edges_km, int nedges)
{
  spill_exposure *e = NULL;
  int64_t n, *g = NULL, *glist = NULL, ng = 0;
  double *dmin = NULL, rmax;
  if (!pts || check_inputs(ctx, p, pts->n)) return NULL;
  if (nedges < 1 || nedges > 50)
    return spill__fail(ctx, SPILL_EINVAL, "exposure: give 1 to 50 ring edges, got %d", nedges), NULL;
  for (int k = 0; k < nedges; k++)
    if (!(edges_km[k] > (k ? edges_km[k - 1] : 0)) || !isfinite(edges_km[k]))
      return spill__fail(ctx, SPILL_EINVAL, "exposure: ring edges must be positive and increasing (edge %d is %g)",
                         k + 1, edges_km[k]),
             NULL;
  n = p->n;
  rmax = edges_km[nedges - 1];
  g = spill__malloc(ctx, (size_t)n * sizeof *g);
  glist = spill__malloc(ctx, (size_t)n * sizeof *glist);
  if (!g || !glist || spill__did_cohorts(ctx, p, g)) goto fail;
  for (int64_t i = 0; i < n; i++) {
    int64_t j;
    if (!g[i]) continue;
    for (j = 0; j < ng && glist[j] != g[i]; j++) {}
    if (j == ng) glist[ng++] = g[i];
  }
  /* nearest member of each cohort: n x ng */
  dmin = spill__malloc(ctx, (size_t)n * (size_t)(ng ? ng : 1) * sizeof *dmin);
  if (!dmin || !(e = expo_new(ctx, p, nedges, "rings"))) goto fail;
  for (int64_t q = 0; q < n * ng; q++) dmin[q] = INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(pts->x[i]) || !isfinite(pts->y[i])) {
      spill__fail(ctx, SPILL_EDATA, "exposure: unit %s has no location", p->ids[i]);
      goto fail;
    }
    for (int64_t j = 0; j < n; j++) {
      int64_t c;
      double dd;
      if (j == i || !g[j]) continue;
      for (c = 0; glist[c] != g[j]; c++) {}
      if (pts->geographic && haversine_km(pts->x[i], pts->y[i], pts->x[j], pts->y[j]) > rmax * 1.01 + 1.0)
        continue;
      dd = spill_distance_km(pts, i, j);
      if (dd < dmin[i * ng + c]) dmin[i * ng + c] = dd;
    }
  }
  for (int k = 0; k < nedges; k++) {
    char lab[64];
    snprintf(lab, sizeof lab, "%g-%g km", k ? edges_km[k - 1] : 0.0, edges_km[k]);
    if (!(e->labels[k] = spill__strdup(ctx, lab))) goto fail;
  }
  for (int64_t s = 0; s < p->t; s++)
    for (int64_t i = 0; i < n; i++) {
      double dn = INFINITY;
      for (int64_t c = 0; c < ng; c++)
        if (glist[c] <= p->times[s] && dmin[i * ng + c] < dn) dn = dmin[i * ng + c];
      for (int k = 0; k < nedges; k++)
        if (dn <= edges_km[k]) {
          e->ring[s * n + i] = k + 1;
          break;
        }
    }
  finish(e, p);
  free(g);
  free(glist);
  free(dmin);
  return e;
fail:
  free(g);
  free(glist);
  free(dmin);
  spill_exposure_free(e);
  return NULL;
}

/* Layers built from GEOS geometries (GeoJSON, GeoPackage): the units, their
 * boundary vertices for contiguity, and the steps every reader ends with. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/read.h"

int spill__layer_alloc(spill_ctx *ctx, spill_layer *L, size_t n)
{
  L->geoms = spill__calloc(ctx, n + 1, sizeof *L->geoms);
  L->records = spill__calloc(ctx, n + 1, sizeof *L->records);
  L->vstart = spill__calloc(ctx, n + 2, sizeof *L->vstart);
  if (!L->geoms || !L->records || !L->vstart) return SPILL_ENOMEM;
  L->bounds[0] = L->bounds[1] = INFINITY;
  L->bounds[2] = L->bounds[3] = -INFINITY;
  return 0;
}

static int push(spill_ctx *ctx, spill_layer *L, size_t *nv, size_t *vcap, double x, double y)
{
  if (*nv == *vcap) {
    size_t c = *vcap ? 2 * *vcap : 4096;
    double *p = realloc(L->vxy, 2 * c * sizeof *p);
    if (!p) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading vertices");
    L->vxy = p;
    *vcap = c;
  }
  L->vxy[2 * *nv] = x;
  L->vxy[2 * *nv + 1] = y;
  (*nv)++;
  if (x < L->bounds[0]) L->bounds[0] = x;
  if (y < L->bounds[1]) L->bounds[1] = y;
  if (x > L->bounds[2]) L->bounds[2] = x;
  if (y > L->bounds[3]) L->bounds[3] = y;
  return 0;
}

/* The vertices of one ring, closed as GEOS keeps it. */
static int push_ring(spill_ctx *ctx, spill_layer *L, const GEOSGeometry *ring, size_t *nv, size_t *vcap,
                     const char *what)
{
  GEOSContextHandle_t h = ctx->geos;
  const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
  unsigned int m = 0;
  if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &m)) return spill__fail(ctx, SPILL_EDEP, "%s: GEOS cannot give its rings", what);
  for (unsigned int k = 0; k < m; k++) {
    double x = 0, y = 0;
    GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
    if (!isfinite(x) || !isfinite(y))
      return spill__fail(ctx, SPILL_EFORMAT, "%s: vertex %u has a coordinate that is not a finite number", what, k + 1);
    if (push(ctx, L, nv, vcap, x, y)) return SPILL_ENOMEM;
  }
  return 0;
}

int spill__layer_add_geom(spill_ctx *ctx, spill_layer *L, GEOSGeometry *g, int64_t record, size_t *vcap,
                          const char *what)
{
  GEOSContextHandle_t h = ctx->geos;
  int type = GEOSGeomTypeId_r(h, g), rc = 0;
  size_t nv = L->n ? (size_t)L->vstart[L->n] : 0;
  spill_shape_kind kind;
  if (type == GEOS_POINT) kind = SPILL_SHAPE_POINT;
  else if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) kind = SPILL_SHAPE_POLYGON;
  else {
    char *tn = GEOSGeomType_r(h, g);
    rc = spill__fail(ctx, SPILL_EFORMAT, "%s is a %s; spill reads polygons and points", what, tn ? tn : "geometry");
    GEOSFree_r(h, tn);
    GEOSGeom_destroy_r(h, g);
    return rc;
  }
  if (L->n == 0) L->kind = kind;
  else if (kind != L->kind) {
    GEOSGeom_destroy_r(h, g);
    return spill__fail(ctx, SPILL_EFORMAT, "%s is a %s but the units before it are %s; a map holds one kind", what,
                       kind == SPILL_SHAPE_POINT ? "point" : "polygon",
                       L->kind == SPILL_SHAPE_POINT ? "points" : "polygons");
  }
  if (kind == SPILL_SHAPE_POINT) {
    rc = push_ring(ctx, L, g, &nv, vcap, what);
  } else {
    int np = GEOSGetNumGeometries_r(h, g);
    for (int p = 0; p < np && !rc; p++) {
      const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
      int nh = GEOSGetNumInteriorRings_r(h, poly);
      rc = push_ring(ctx, L, GEOSGetExteriorRing_r(h, poly), &nv, vcap, what);
      for (int r = 0; r < nh && !rc; r++) rc = push_ring(ctx, L, GEOSGetInteriorRingN_r(h, poly, r), &nv, vcap, what);
    }
  }
  if (rc) {
    GEOSGeom_destroy_r(h, g);
    return rc;
  }
  L->geoms[L->n] = g;
  L->records[L->n] = record;
  L->n++;
  L->vstart[L->n] = (int64_t)nv;
  return 0;
}

void spill__layer_field_sizes(spill_layer *L)
{
  for (size_t f = 0; f < L->nfields; f++) {
    int w = 1, d = 0;
    for (size_t i = 0; i < L->n; i++) {
      const char *s = L->cells[i * L->nfields + f];
      int len = (int)strlen(s);
      if (len > w) w = len;
      if (L->field_types[f] == 'N') {
        const char *dot = strchr(s, '.');
        if (dot && (int)strlen(dot + 1) > d) d = (int)strlen(dot + 1);
      }
    }
    if (L->field_types[f] == 'N') {
      if (w > 24) w = 24;
      if (d > 15) d = 15;
      if (d >= w) d = w - 1 > 0 ? w - 1 : 0;
    }
    if (w > 254) w = 254;
    L->field_widths[f] = w;
    L->field_decimals[f] = d;
  }
}

int spill__layer_finish(spill_ctx *ctx, spill_layer *L, const char *path, const spill_read_opts *o)
{
  int rc;
  if (L->n == 0)
    return spill__fail(ctx, SPILL_EDATA, "%s: no shapes to read (%zu feature%s without geometry)", path, L->skipped,
                       L->skipped == 1 ? "" : "s");
  if (L->kind == SPILL_SHAPE_POLYGON && !o->no_repair && (rc = spill__layer_repair(ctx, L, path))) return rc;
  spill__layer_field_sizes(L);
  return spill__layer_set_ids(ctx, L, o->id_field, path);
}

void spill__number_text(double v, char buf[32])
{
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(buf, 32, "%.0f", v);
    return;
  }
  for (int p = 15; p <= 17; p++) { /* the shortest that reads back the same */
    snprintf(buf, 32, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

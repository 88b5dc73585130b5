/* GeoJSON output (RFC 7946) of a layer with new columns: for `spill join
 * ... -o OUT.geojson`. Geometries as held (invalid ones repaired), every
 * coordinate to 17 significant digits so a map read back gives the same
 * contiguity; attributes typed as read (numbers, booleans, text). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "shapes/maps.h"
#include "shapes/read.h"

static json_t *ring_json(GEOSContextHandle_t h, const GEOSGeometry *ring)
{
  const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
  unsigned m = 0;
  json_t *a = json_array();
  if (!a || !cs || !GEOSCoordSeq_getSize_r(h, cs, &m)) return a;
  for (unsigned k = 0; k < m; k++) {
    double x = 0, y = 0;
    GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
    json_array_append_new(a, json_pack("[ff]", x, y));
  }
  return a;
}

static json_t *polygon_json(GEOSContextHandle_t h, const GEOSGeometry *poly)
{
  json_t *rings = json_array();
  int nh = GEOSGetNumInteriorRings_r(h, poly);
  json_array_append_new(rings, ring_json(h, GEOSGetExteriorRing_r(h, poly)));
  for (int r = 0; r < nh; r++) json_array_append_new(rings, ring_json(h, GEOSGetInteriorRingN_r(h, poly, r)));
  return rings;
}

static json_t *geometry_json(GEOSContextHandle_t h, const GEOSGeometry *g)
{
  int t = GEOSGeomTypeId_r(h, g);
  if (t == GEOS_POINT) {
    double x = 0, y = 0;
    GEOSGeomGetX_r(h, g, &x);
    GEOSGeomGetY_r(h, g, &y);
    return json_pack("{s:s,s:[ff]}", "type", "Point", "coordinates", x, y);
  }
  if (t == GEOS_POLYGON) return json_pack("{s:s,s:o}", "type", "Polygon", "coordinates", polygon_json(h, g));
  {
    json_t *polys = json_array();
    for (int p = 0; p < GEOSGetNumGeometries_r(h, g); p++)
      json_array_append_new(polys, polygon_json(h, GEOSGetGeometryN_r(h, g, p)));
    return json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polys);
  }
}

/* A cell as JSON: numbers for numeric fields, booleans for logical ones,
 * null when empty. */
static json_t *cell_json(const char *s, char type)
{
  char *end;
  double v;
  if (!s || !*s) return json_null();
  if (type == 'L') return json_boolean(strchr("TtYy1", s[0]) != NULL);
  if (type == 'N') {
    v = strtod(s, &end);
    if (*end == '\0' && isfinite(v)) {
      if (v == floor(v) && fabs(v) < 9e15) return json_integer((json_int_t)v);
      return json_real(v);
    }
  }
  return json_string(s);
}

/* "crs" for a layer not in lon/lat: its EPSG code when PROJ knows one. */
static json_t *crs_member(spill_ctx *ctx, const spill_layer *L, const char *out)
{
  PJ *pj;
  const char *auth, *code;
  char name[96];
  if (L->geographic) return NULL;
  if (!L->has_prj || !L->prj) {
    spill__notice(ctx, "%s: the map has no CRS; coordinates written as they are (GeoJSON readers assume lon/lat)", out);
    return NULL;
  }
  pj = proj_create(ctx->proj, L->prj);
  auth = pj ? proj_get_id_auth_name(pj, 0) : NULL;
  code = pj ? proj_get_id_code(pj, 0) : NULL;
  if (!auth || !code) {
    PJ_OBJ_LIST *ids = pj ? proj_identify(ctx->proj, pj, "EPSG", NULL, NULL) : NULL;
    PJ *best = ids && proj_list_get_count(ids) > 0 ? proj_list_get(ctx->proj, ids, 0) : NULL;
    auth = best ? proj_get_id_auth_name(best, 0) : NULL;
    code = best ? proj_get_id_code(best, 0) : NULL;
    if (auth && code) snprintf(name, sizeof name, "urn:ogc:def:crs:%s::%s", auth, code);
    proj_destroy(best);
    proj_list_destroy(ids);
  } else {
    snprintf(name, sizeof name, "urn:ogc:def:crs:%s::%s", auth, code);
  }
  proj_destroy(pj);
  if (!auth || !code) {
    spill__notice(ctx, "%s: the map's projected CRS has no EPSG code; coordinates written as they are", out);
    return NULL;
  }
  return json_pack("{s:s,s:{s:s}}", "type", "name", "properties", "name", name);
}

int spill__write_geojson(spill_ctx *ctx, const spill_layer *L, size_t ncols, const spill_field_column *cols,
                         const char *out, spill_write_report *rep)
{
  json_t *root = json_object(), *feats = json_array(), *crs;
  FILE *f;
  char *tmp = NULL;
  int rc = spill__layer_check_geoms(ctx, L, "writing GeoJSON");
  if (rc) {
    json_decref(root);
    json_decref(feats);
    return rc;
  }
  if (!root || !feats) {
    json_decref(root);
    json_decref(feats);
    return spill__fail(ctx, SPILL_ENOMEM, "out of memory writing %s", out);
  }
  json_object_set_new(root, "type", json_string("FeatureCollection"));
  if ((crs = crs_member(ctx, L, out))) json_object_set_new(root, "crs", crs);
  for (size_t i = 0; i < L->n; i++) {
    json_t *props = json_object(), *ft;
    for (size_t k = 0; k < L->nfields; k++)
      json_object_set_new(props, L->field_names[k], cell_json(L->cells[i * L->nfields + k], L->field_types[k]));
    for (size_t c = 0; c < ncols; c++) {
      json_t *v;
      if (cols[c].values) v = isfinite(cols[c].values[i]) ? json_real(cols[c].values[i]) : json_null();
      else v = cols[c].text[i] ? json_string(cols[c].text[i]) : json_null();
      json_object_set_new(props, cols[c].name, v ? v : json_null());
    }
    ft = json_pack("{s:s,s:o,s:o}", "type", "Feature", "properties", props, "geometry", geometry_json(L->geos, L->geoms[i]));
    if (!ft) {
      json_decref(root);
      json_decref(feats);
      return spill__fail(ctx, SPILL_EFORMAT, "%s: unit %zu cannot be written as GeoJSON (text not UTF-8?)", out, i + 1);
    }
    json_array_append_new(feats, ft);
  }
  json_object_set_new(root, "features", feats);
  f = spill__atomic_open(ctx, out, &tmp);
  if (!f) rc = spill_ctx_status(ctx) ? spill_ctx_status(ctx) : SPILL_EIO;
  else if (json_dumpf(root, f, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF) {
    spill__atomic_abort(f, tmp);
    rc = spill__fail(ctx, SPILL_EIO, "cannot write %s (disk full?)", out);
  } else {
    rc = spill__atomic_commit(ctx, f, tmp, out);
  }
  json_decref(root);
  if (!rc && rep) {
    rep->fields_added = ncols;
    for (size_t c = 0; c < ncols; c++) {
      size_t used = strlen(rep->fields);
      snprintf(rep->fields + used, sizeof rep->fields - used, "%s%s %s", used ? ", " : "", cols[c].name,
               cols[c].values ? "number" : "text");
    }
  }
  return rc;
}

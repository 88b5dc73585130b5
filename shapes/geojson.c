/* GeoJSON maps (RFC 7946): a FeatureCollection read with jansson, each
 * feature's geometry built in GEOS from its coordinates (rings as written,
 * so contiguity sees the same vertices as in the shapefile the file was
 * made from), its properties as the layer's attributes. Coordinates are
 * lon/lat WGS 84 (RFC 7946, sec. 4) unless the 2008 format's "crs" member
 * names another CRS. Text is UTF-8 (RFC 8259, sec. 8.1); a file in another
 * encoding is converted first (--encoding, else GB18030 when it reads as
 * Chinese text). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "shapes/read.h"

/* ---- geometry ---- */

typedef struct coords {
  double *xy;
  size_t n, cap;
} coords;

static int coords_push(spill_ctx *ctx, coords *c, double x, double y)
{
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 256;
    double *p = realloc(c->xy, 2 * cap * sizeof *p);
    if (!p) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading coordinates");
    c->xy = p;
    c->cap = cap;
  }
  c->xy[2 * c->n] = x;
  c->xy[2 * c->n + 1] = y;
  c->n++;
  return 0;
}

static int position(spill_ctx *ctx, const json_t *p, double *x, double *y, const char *what)
{
  if (!json_is_array(p) || json_array_size(p) < 2 || !json_is_number(json_array_get(p, 0)) ||
      !json_is_number(json_array_get(p, 1)))
    return spill__fail(ctx, SPILL_EFORMAT, "%s: a position is not an array of two or more numbers", what);
  *x = json_number_value(json_array_get(p, 0));
  *y = json_number_value(json_array_get(p, 1));
  if (!isfinite(*x) || !isfinite(*y))
    return spill__fail(ctx, SPILL_EFORMAT, "%s: a coordinate is not a finite number", what);
  return 0;
}

/* A linear ring from an array of positions, closed if it was not; NULL
 * with *dropped incremented when it has fewer than 4 positions. */
static GEOSGeometry *ring(spill_ctx *ctx, const json_t *a, coords *c, int *dropped, int *rc, const char *what)
{
  size_t n = json_array_size(a);
  double x = 0, y = 0;
  GEOSCoordSequence *cs;
  GEOSGeometry *g;
  c->n = 0;
  if (!json_is_array(a)) {
    *rc = spill__fail(ctx, SPILL_EFORMAT, "%s: a ring is not an array of positions", what);
    return NULL;
  }
  for (size_t k = 0; k < n; k++) {
    if ((*rc = position(ctx, json_array_get(a, k), &x, &y, what))) return NULL;
    if ((*rc = coords_push(ctx, c, x, y))) return NULL;
  }
  if (c->n > 0 && (c->xy[0] != c->xy[2 * c->n - 2] || c->xy[1] != c->xy[2 * c->n - 1]))
    if ((*rc = coords_push(ctx, c, c->xy[0], c->xy[1]))) return NULL;
  if (c->n < 4) {
    (*dropped)++;
    return NULL;
  }
  cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, c->xy, (unsigned)c->n, 0, 0);
  g = cs ? GEOSGeom_createLinearRing_r(ctx->geos, cs) : NULL;
  if (!g) *rc = spill__fail(ctx, SPILL_EDEP, "%s: GEOS cannot build a ring", what);
  return g;
}

/* A Polygon from its rings; NULL without error when the shell was dropped. */
static GEOSGeometry *polygon(spill_ctx *ctx, const json_t *rings, coords *c, int *dropped, int *rc, const char *what)
{
  GEOSContextHandle_t h = ctx->geos;
  size_t n = json_array_size(rings), nh = 0;
  GEOSGeometry *shell, **holes, *g = NULL;
  if (!json_is_array(rings) || n == 0) {
    *rc = spill__fail(ctx, SPILL_EFORMAT, "%s: a polygon is not an array of rings", what);
    return NULL;
  }
  shell = ring(ctx, json_array_get(rings, 0), c, dropped, rc, what);
  if (!shell) return NULL;
  holes = calloc(n, sizeof *holes);
  if (!holes) {
    GEOSGeom_destroy_r(h, shell);
    *rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t k = 1; k < n && !*rc; k++) {
    GEOSGeometry *r = ring(ctx, json_array_get(rings, k), c, dropped, rc, what);
    if (r) holes[nh++] = r;
  }
  if (!*rc) {
    g = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nh);
    if (!g) *rc = spill__fail(ctx, SPILL_EDEP, "%s: GEOS cannot build the polygon", what);
  } else {
    GEOSGeom_destroy_r(h, shell);
    for (size_t k = 0; k < nh; k++) GEOSGeom_destroy_r(h, holes[k]);
  }
  free(holes);
  return g;
}

/* The feature's geometry: *g NULL for a null geometry. */
static int geometry(spill_ctx *ctx, const json_t *geom, coords *c, GEOSGeometry **g, const char *what)
{
  GEOSContextHandle_t h = ctx->geos;
  const char *type = json_string_value(json_object_get(geom, "type"));
  const json_t *co = json_object_get(geom, "coordinates");
  int rc = 0, dropped = 0;
  *g = NULL;
  if (!geom || json_is_null(geom)) return 0;
  if (!json_is_object(geom) || !type) return spill__fail(ctx, SPILL_EFORMAT, "%s: \"geometry\" is not a GeoJSON geometry", what);
  if (!strcmp(type, "Point") || (!strcmp(type, "MultiPoint") && json_array_size(co) == 1)) {
    double x = 0, y = 0;
    GEOSCoordSequence *cs;
    if ((rc = position(ctx, !strcmp(type, "Point") ? co : json_array_get(co, 0), &x, &y, what))) return rc;
    cs = GEOSCoordSeq_create_r(h, 1, 2);
    if (cs) {
      GEOSCoordSeq_setXY_r(h, cs, 0, x, y);
      *g = GEOSGeom_createPoint_r(h, cs);
    }
    return *g ? 0 : spill__fail(ctx, SPILL_EDEP, "%s: GEOS cannot build the point", what);
  }
  if (!strcmp(type, "Polygon")) {
    *g = polygon(ctx, co, c, &dropped, &rc, what);
  } else if (!strcmp(type, "MultiPolygon")) {
    size_t n = json_array_size(co), np = 0;
    GEOSGeometry **parts;
    if (!json_is_array(co)) return spill__fail(ctx, SPILL_EFORMAT, "%s: a MultiPolygon's coordinates are not an array", what);
    parts = calloc(n + 1, sizeof *parts);
    if (!parts) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && !rc; k++) {
      GEOSGeometry *p = polygon(ctx, json_array_get(co, k), c, &dropped, &rc, what);
      if (p) parts[np++] = p;
    }
    if (rc) {
      for (size_t k = 0; k < np; k++) GEOSGeom_destroy_r(h, parts[k]);
    } else if (np == 1) {
      *g = parts[0];
    } else if (np > 1) {
      *g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)np);
      if (!*g) rc = spill__fail(ctx, SPILL_EDEP, "%s: GEOS cannot build the multipolygon", what);
    }
    free(parts);
  } else {
    return spill__fail(ctx, SPILL_EFORMAT, "%s is a %s; spill reads Polygon, MultiPolygon and Point features", what,
                       type);
  }
  if (rc) return rc;
  if (!*g)
    return spill__fail(ctx, SPILL_EDATA, "%s: no ring has 3 or more distinct points", what);
  if (dropped)
    spill__notice(ctx, "%s: %d ring%s with fewer than 3 distinct points left out of the polygon", what, dropped,
                  dropped > 1 ? "s" : "");
  return 0;
}

/* ---- attributes ---- */

static char *cell_text(const json_t *v, char type)
{
  char buf[32];
  if (!v || json_is_null(v)) return strdup("");
  if (json_is_string(v)) return strdup(json_string_value(v));
  if (json_is_integer(v)) {
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return strdup(buf);
  }
  if (json_is_real(v)) {
    spill__number_text(json_real_value(v), buf);
    return strdup(buf);
  }
  if (json_is_boolean(v)) return strdup(type == 'L' ? (json_is_true(v) ? "T" : "F") : (json_is_true(v) ? "true" : "false"));
  return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static long field_find(char **names, size_t n, const char *key)
{
  for (size_t f = 0; f < n; f++)
    if (!strcmp(names[f], key)) return (long)f;
  return -1;
}

/* The union of the features' property names (in order of appearance), each
 * typed 'N' (numbers only), 'L' (booleans only) or 'C'; a feature-level
 * "id" member becomes field "id" when no property has that name. */
static int fields(spill_ctx *ctx, spill_layer *L, const json_t *feats, int *with_fid)
{
  size_t nf = 0, cap = 16, n = json_array_size(feats);
  unsigned char *kinds = NULL; /* bit 1 number, 2 bool, 4 other */
  int fid = 0;
  L->field_names = calloc(cap, sizeof *L->field_names);
  kinds = calloc(cap, 1);
  if (!L->field_names || !kinds) goto oom;
  for (size_t i = 0; i < n; i++) {
    const json_t *ft = json_array_get(feats, i), *props = json_object_get(ft, "properties"), *v;
    const char *key;
    if (json_object_get(ft, "id")) fid = 1;
    if (!json_is_object(props)) continue;
    json_object_foreach((json_t *)props, key, v) {
      long f = field_find(L->field_names, nf, key);
      if (f < 0) {
        if (nf + 1 >= cap) {
          char **p = realloc(L->field_names, 2 * cap * sizeof *p);
          unsigned char *q = p ? realloc(kinds, 2 * cap) : NULL;
          if (p) L->field_names = p;
          if (!q) goto oom;
          kinds = q;
          cap *= 2;
        }
        f = (long)nf;
        kinds[nf] = 0;
        if (!(L->field_names[nf++] = strdup(key))) goto oom;
      }
      if (json_is_number(v)) kinds[f] |= 1;
      else if (json_is_boolean(v)) kinds[f] |= 2;
      else if (!json_is_null(v)) kinds[f] |= 4;
    }
  }
  *with_fid = 0;
  if (fid) {
    int clash = 0;
    for (size_t f = 0; f < nf; f++) clash |= !spill__strcasecmp(L->field_names[f], "id");
    if (!clash) {
      if (!(L->field_names[nf] = strdup("id"))) goto oom;
      kinds[nf++] = 0;
      *with_fid = 1;
      for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(json_array_get(feats, i), "id");
        if (json_is_number(v)) kinds[nf - 1] |= 1;
        else if (v && !json_is_null(v)) kinds[nf - 1] |= 4;
      }
    }
  }
  L->nfields = nf;
  L->field_types = calloc(nf + 1, 1);
  L->field_widths = calloc(nf + 1, sizeof *L->field_widths);
  L->field_decimals = calloc(nf + 1, sizeof *L->field_decimals);
  if (!L->field_types || !L->field_widths || !L->field_decimals) goto oom;
  for (size_t f = 0; f < nf; f++) L->field_types[f] = kinds[f] == 1 ? 'N' : kinds[f] == 2 ? 'L' : 'C';
  free(kinds);
  return 0;
oom:
  free(kinds);
  return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading properties");
}

/* ---- the file ---- */

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)n + 1);
    if (buf) {
      *len = fread(buf, 1, (size_t)n, f);
      buf[*len] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* Parse path; text not in UTF-8 is converted from encoding or, when it
 * reads as Chinese text, from GB18030 (with a notice). */
static json_t *load(spill_ctx *ctx, const char *path, const char *encoding)
{
  size_t len = 0;
  char *raw = slurp(path, &len), *text = NULL;
  json_t *root = NULL;
  json_error_t err;
  const char *enc = NULL;
  if (!raw) {
    spill__fail(ctx, SPILL_EIO, "%s: %s", path, strerror(errno ? errno : EIO));
    return NULL;
  }
  if (encoding && spill__strcasecmp(encoding, "UTF-8") && spill__strcasecmp(encoding, "UTF8")) enc = encoding;
  else if (!encoding && !spill__attr_valid_utf8(raw, len)) {
    if (!spill__attr_looks_gb18030(raw, len)) {
      spill__fail(ctx, SPILL_EFORMAT,
                  "%s: the text is neither UTF-8 (as GeoJSON must be) nor GB18030; give its encoding with --encoding",
                  path);
      free(raw);
      return NULL;
    }
    enc = "GB18030";
    spill__notice(ctx, "%s is not UTF-8; read as GB18030 (GBK); say otherwise with --encoding", path);
  }
  if (enc) {
    text = spill__attr_to_utf8(enc, raw, len);
    if (!text) {
      spill__fail(ctx, SPILL_EFORMAT, "%s: the text is not valid %s", path, enc);
      free(raw);
      return NULL;
    }
    free(raw);
    raw = text;
    len = strlen(raw);
  }
  root = json_loadb(raw, len, 0, &err);
  if (!root)
    spill__fail(ctx, SPILL_EFORMAT, "%s: not valid JSON (line %d, column %d: %s)", path, err.line, err.column, err.text);
  free(raw);
  return root;
}

/* "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
 * or {"type": "EPSG", "properties": {"code": 3857}} (GeoJSON 2008, sec. 3);
 * absent: OGC:CRS84. A malloc'ed definition PROJ reads. */
static char *crs_def(const json_t *root)
{
  const json_t *crs = json_object_get(root, "crs"), *props = json_object_get(crs, "properties");
  const char *name = json_string_value(json_object_get(props, "name"));
  const json_t *code = json_object_get(props, "code");
  char buf[64];
  if (name) return strdup(name);
  if (json_is_integer(code)) {
    snprintf(buf, sizeof buf, "EPSG:%lld", (long long)json_integer_value(code));
    return strdup(buf);
  }
  return strdup("OGC:CRS84");
}

/* The definition as WKT2 (its CRS name kept), or def itself. */
static char *as_wkt(spill_ctx *ctx, char *def)
{
  PJ *pj = spill__crs_from_file_text(ctx->proj, def);
  const char *w = pj ? proj_as_wkt(ctx->proj, pj, PJ_WKT2_2019, NULL) : NULL;
  char *out = w ? strdup(w) : NULL;
  proj_destroy(pj);
  if (!out) return def;
  free(def);
  return out;
}

spill_layer *spill__geojson_read(spill_ctx *ctx, const char *path, const spill_read_opts *o)
{
  spill_layer *L = spill__calloc(ctx, 1, sizeof *L);
  json_t *root = NULL;
  const json_t *feats;
  const char *type;
  coords c = {NULL, 0, 0};
  size_t n, vcap = 0;
  int rc = SPILL_ENOMEM, with_fid = 0;
  char what[1100];
  if (!L) return NULL;
  L->geos = ctx->geos;
  L->source = SPILL__SRC_GEOJSON;
  snprintf(L->encoding, sizeof L->encoding, "UTF-8");
  if (!(L->path = spill__strdup(ctx, path))) goto fail;
  if (o->encoding && (rc = spill__attr_check_encoding(ctx, o->encoding, "--encoding"))) goto fail;
  rc = SPILL_EFORMAT;
  if (!(root = load(ctx, path, o->encoding))) goto fail;
  if (o->encoding) snprintf(L->encoding, sizeof L->encoding, "%s", o->encoding);
  type = json_string_value(json_object_get(root, "type"));
  feats = json_object_get(root, "features");
  if (!json_is_object(root) || !type || strcmp(type, "FeatureCollection") || !json_is_array(feats)) {
    spill__fail(ctx, SPILL_EFORMAT,
                "%s: not a GeoJSON FeatureCollection (%s%s%s); spill needs a \"features\" array whose properties "
                "hold the unit ids",
                path, type ? "its type is \"" : "no \"type\" member", type ? type : "", type ? "\"" : "");
    goto fail;
  }
  n = json_array_size(feats);
  if ((rc = spill__layer_alloc(ctx, L, n))) goto fail;
  if ((rc = fields(ctx, L, feats, &with_fid))) goto fail;
  L->cells = spill__calloc(ctx, n * L->nfields + 1, sizeof *L->cells);
  if (!L->cells) goto fail;
  for (size_t i = 0; i < n; i++) {
    const json_t *ft = json_array_get(feats, i), *props;
    GEOSGeometry *g = NULL;
    if ((i & 255) == 0) spill__progress(ctx, "reading features", 0.5 * (double)i / (double)n);
    snprintf(what, sizeof what, "%s: feature %zu", path, i + 1);
    if (!json_is_object(ft) || strcmp(json_string_value(json_object_get(ft, "type")) ? json_string_value(json_object_get(ft, "type")) : "", "Feature")) {
      rc = spill__fail(ctx, SPILL_EFORMAT, "%s is not a GeoJSON Feature object", what);
      goto fail;
    }
    if ((rc = geometry(ctx, json_object_get(ft, "geometry"), &c, &g, what))) goto fail;
    if (!g) {
      if (o->skip_null) {
        L->skipped++;
        continue;
      }
      rc = spill__fail(ctx, SPILL_EDATA, "%s has no geometry (null); remove it or use --skip-null to leave it out",
                       what);
      goto fail;
    }
    props = json_object_get(ft, "properties");
    for (size_t f = 0; f < L->nfields; f++) {
      const json_t *v = with_fid && f + 1 == L->nfields ? json_object_get(ft, "id")
                                                        : json_object_get(props, L->field_names[f]);
      char *s = cell_text(v, L->field_types[f]);
      if (!s) goto fail;
      L->cells[L->n * L->nfields + f] = s;
    }
    if ((rc = spill__layer_add_geom(ctx, L, g, (int64_t)i + 1, &vcap, what))) {
      for (size_t f = 0; f < L->nfields; f++) {
        free(L->cells[L->n * L->nfields + f]);
        L->cells[L->n * L->nfields + f] = NULL;
      }
      goto fail;
    }
  }
  spill__progress(ctx, "reading features", 1.0);
  {
    char *def = crs_def(root);
    if (!def) goto fail;
    if ((rc = spill__layer_set_crs(ctx, L, as_wkt(ctx, def), path))) goto fail;
  }
  if ((rc = spill__layer_finish(ctx, L, path, o))) goto fail;
  rc = 0;
fail:
  if (rc == SPILL_ENOMEM && !spill_ctx_status(ctx)) spill__fail(ctx, SPILL_ENOMEM, "%s: out of memory", path);
  free(c.xy);
  json_decref(root);
  if (rc) {
    spill_layer_free(L);
    return NULL;
  }
  return L;
}

/* The coordinate system of a layer, from its .prj (ESRI WKT) through PROJ:
 * geographic or projected, metres per unit, a short name. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/read.h"

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 20) && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)n + 1);
    if (buf) {
      size_t got = fread(buf, 1, (size_t)n, f);
      buf[got] = '\0';
      while (got > 0 && isspace((unsigned char)buf[got - 1])) buf[--got] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* The horizontal CRS of crs (a bound or compound CRS wraps one); new object. */
static PJ *horizontal(PJ_CONTEXT *pc, PJ *crs)
{
  PJ_TYPE t = proj_get_type(crs);
  if (t == PJ_TYPE_BOUND_CRS) return proj_get_source_crs(pc, crs);
  if (t == PJ_TYPE_COMPOUND_CRS) return proj_crs_get_sub_crs(pc, crs, 0);
  return proj_clone(pc, crs);
}

int spill__layer_read_prj(spill_ctx *ctx, spill_layer *L, const char *prj_path)
{
  char *text = read_text(prj_path);
  if (!text) {
    L->prj = NULL;
    L->has_prj = 0;
    L->geographic = 0;
    L->unit_m = 0;
    snprintf(L->crs_name, sizeof L->crs_name, "planar (no .prj)");
    return 0;
  }
  return spill__layer_set_crs(ctx, L, text, prj_path);
}

PJ *spill__crs_from_file_text(PJ_CONTEXT *pc, const char *def)
{
  const char *s = def, *p;
  while (isspace((unsigned char)*s)) s++;
  /* WKT (ESRI or OGC, either version): a keyword then '[' or '('. */
  for (p = s; isalnum((unsigned char)*p) || *p == '_'; p++) {}
  if (p > s && (*p == '[' || *p == '(')) {
    const char *const opts[] = {"STRICT=NO", NULL};
    return proj_create_from_wkt(pc, s, opts, NULL, NULL);
  }
  /* PROJ strings and PROJJSON. */
  if (*s == '{' || strstr(s, "+proj=")) return proj_create(pc, s);
  /* OGC URNs (urn:ogc:def:crs:EPSG::3857) and AUTHORITY:CODE (EPSG:4326,
   * OGC:CRS84): letters, one colon, a code. Anything else (PROJ would
   * search its database by name, which takes long) is not a CRS here. */
  for (p = s; *p && (isalnum((unsigned char)*p) || strchr(":._-", *p)); p++) {}
  if (*p) return NULL;
  if (!strncmp(s, "urn:ogc:def:crs:", 16) || !strncmp(s, "URN:OGC:DEF:CRS:", 16)) {
    /* urn:ogc:def:crs:AUTHORITY:[version]:CODE */
    const char *a = s + 16, *v, *c;
    for (p = a; isalpha((unsigned char)*p); p++) {}
    if (p == a || *p != ':') return NULL;
    v = p + 1;
    if (!(c = strchr(v, ':')) || !c[1] || strchr(c + 1, ':')) return NULL;
    return proj_create(pc, s);
  }
  for (p = s; isalpha((unsigned char)*p); p++) {}
  if (p > s && *p == ':' && p[1] && !strchr(p + 1, ':')) return proj_create(pc, s);
  return NULL;
}

int spill__layer_set_crs(spill_ctx *ctx, spill_layer *L, char *def, const char *prj_path)
{
  PJ_CONTEXT *pc = ctx->proj;
  PJ *crs = NULL, *h = NULL, *cs = NULL;
  PJ_TYPE t;
  const char *name;
  free(L->prj);
  L->prj = def;
  L->has_prj = 1;
  crs = spill__crs_from_file_text(pc, L->prj);
  h = crs ? horizontal(pc, crs) : NULL;
  if (!h || !proj_is_crs(h)) {
    /* Not understood: say so, and fall back on the WKT's first keyword. */
    L->geographic = !strncmp(L->prj, "GEOGCS", 6) || !strncmp(L->prj, "GEOGCRS", 7);
    snprintf(L->crs_name, sizeof L->crs_name, "%s (.prj not understood by PROJ)",
             L->geographic ? "lon/lat" : "planar");
    spill__notice(ctx, "%s: PROJ cannot read this coordinate system; treating the layer as %s", prj_path,
                  L->geographic ? "lon/lat degrees" : "planar");
    goto done;
  }
  t = proj_get_type(h);
  name = proj_get_name(h);
  L->geographic = t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS || t == PJ_TYPE_GEOGRAPHIC_CRS;
  cs = proj_crs_get_coordinate_system(pc, h);
  if (L->geographic) {
    L->unit_m = 0;
    snprintf(L->crs_name, sizeof L->crs_name, "%s (lon/lat)", name ? name : "geographic");
  } else {
    double conv = 0;
    const char *unit = NULL;
    if (cs && proj_cs_get_axis_info(pc, cs, 0, NULL, NULL, NULL, &conv, &unit, NULL, NULL) && conv > 0)
      L->unit_m = conv;
    snprintf(L->crs_name, sizeof L->crs_name, "%s (projected, %s)", name ? name : "projected",
             unit ? unit : "unknown unit");
  }
done:
  proj_destroy(cs);
  proj_destroy(h);
  proj_destroy(crs);
  return 0;
}

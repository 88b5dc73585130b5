/* The CRS a map is drawn in: geographic layers go through PROJ into an
 * equal-area projection chosen from their extent, so areas compare fairly
 * between cities; projected layers are drawn as they are. */
#include <math.h>
#include <string.h>
#include "shapes/maps.h"

void spill__map_crs_clear(spill__map_crs *c)
{
  if (c->pj) proj_destroy(c->pj);
  memset(c, 0, sizeof *c);
}

/* Metres per unit of the first axis of crs, 0 when angular or unknown. */
static double crs_unit_m(PJ_CONTEXT *pc, const PJ *crs)
{
  double m = 0;
  PJ *cs = proj_crs_get_coordinate_system(pc, crs);
  if (cs) {
    double conv = 0;
    const char *unit_type = NULL;
    if (proj_cs_get_axis_count(pc, cs) >= 1 &&
        proj_cs_get_axis_info(pc, cs, 0, NULL, NULL, NULL, &conv, NULL, NULL, NULL) &&
        proj_get_type(crs) == PJ_TYPE_PROJECTED_CRS)
      m = conv;
    (void)unit_type;
    proj_destroy(cs);
  }
  return m;
}

/* An equal-area projection suited to a lon/lat extent b. */
static void auto_projection(const double *b, char *def, size_t size, char *desc, size_t dsize)
{
  double dlon = b[2] - b[0], dlat = b[3] - b[1];
  double clon = 0.5 * (b[0] + b[2]), clat = 0.5 * (b[1] + b[3]);
  double lat1 = b[1] + dlat / 6, lat2 = b[3] - dlat / 6;
  if (dlon > 200 || dlat > 120) { /* most of the globe */
    snprintf(def, size, "+proj=eqearth +lon_0=%.6g +datum=WGS84 +units=m +type=crs",
             dlon > 300 ? 0.0 : clon);
    snprintf(desc, dsize, "Equal Earth (lon_0=%.4g)", dlon > 300 ? 0.0 : clon);
  } else if (lat1 * lat2 <= 0 || fabs(lat1 + lat2) < 0.2 * dlat || dlat < 1e-6) {
    /* straddles the equator: a conic's cone degenerates, use an azimuthal */
    snprintf(def, size, "+proj=laea +lat_0=%.6g +lon_0=%.6g +datum=WGS84 +units=m +type=crs",
             clat, clon);
    snprintf(desc, dsize, "Lambert azimuthal equal-area (lat_0=%.4g, lon_0=%.4g)", clat, clon);
  } else { /* Snyder 1987, Map Projections: A Working Manual, p. 99 (one-sixth rule) */
    snprintf(def, size,
             "+proj=aea +lat_1=%.6g +lat_2=%.6g +lat_0=%.6g +lon_0=%.6g +datum=WGS84 +units=m "
             "+type=crs",
             lat1, lat2, clat, clon);
    snprintf(desc, dsize, "Albers equal-area conic (lat_1=%.4g, lat_2=%.4g, lon_0=%.4g)", lat1,
             lat2, clon);
  }
}

int spill__map_crs_choose(spill_ctx *ctx, const spill_layer *layer, const char *crs,
                          spill__map_crs *out)
{
  char def[256];
  const char *src;
  PJ *dst = NULL, *pj = NULL;
  int rc = SPILL_OK;
  memset(out, 0, sizeof *out);
  if (!crs && !layer->geographic) { /* drawn as it is */
    out->unit_m = layer->unit_m;
    snprintf(out->desc, sizeof out->desc, "%s", layer->crs_name[0] ? layer->crs_name : "planar");
    if (!(out->unit_m > 0))
      snprintf(out->note, sizeof out->note, "the layer is planar with no units: no .prj");
    return SPILL_OK;
  }
  if (!layer->has_prj && !layer->geographic) {
    const double *b = layer->bounds;
    if (!(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90))
      return spill__fail(ctx, SPILL_EINVAL,
                         "%s: a CRS to draw in needs the layer's own CRS, but it has no .prj "
                         "and its coordinates are not lon/lat",
                         layer->path ? layer->path : "layer");
    spill__notice(ctx, "%s has no .prj; its coordinates look like lon/lat: taken as WGS 84",
                  layer->path ? layer->path : "the layer");
  }
  src = layer->has_prj && layer->prj ? layer->prj : "+proj=longlat +datum=WGS84 +no_defs +type=crs";
  if (crs) {
    /* a bare PROJ string names an operation; as a CRS it needs +type=crs */
    int bare = strstr(crs, "+proj=") && !strstr(crs, "+type=crs");
    snprintf(def, sizeof def, "%s%s", crs, bare ? " +type=crs" : "");
    snprintf(out->desc, sizeof out->desc, "%s", crs);
  } else {
    auto_projection(layer->bounds, def, sizeof def, out->desc, sizeof out->desc);
  }
  dst = proj_create(ctx->proj, def);
  if (!dst) {
    rc = spill__fail(ctx, crs ? SPILL_EINVAL : SPILL_EDEP, "PROJ does not understand the CRS '%s': %s",
                     def, proj_context_errno_string(ctx->proj, proj_context_errno(ctx->proj)));
    goto done;
  }
  if (crs) {
    const char *name = proj_get_name(dst);
    if (name && strcmp(name, "unknown")) snprintf(out->desc, sizeof out->desc, "%s", name);
  }
  {
    PJ *raw;
    PJ *srcpj = proj_create(ctx->proj, src);
    if (!srcpj) {
      rc = spill__fail(ctx, SPILL_EDEP, "%s: PROJ cannot read the .prj: %s",
                       layer->path ? layer->path : "layer",
                       proj_context_errno_string(ctx->proj, proj_context_errno(ctx->proj)));
      goto done;
    }
    raw = proj_create_crs_to_crs_from_pj(ctx->proj, srcpj, dst, NULL, NULL);
    proj_destroy(srcpj);
    if (!raw) {
      rc = spill__fail(ctx, SPILL_EDEP, "PROJ finds no way from the layer's CRS to '%s': %s", def,
                       proj_context_errno_string(ctx->proj, proj_context_errno(ctx->proj)));
      goto done;
    }
    /* x = easting/longitude, y = northing/latitude whatever the axis order */
    pj = proj_normalize_for_visualization(ctx->proj, raw);
    proj_destroy(raw);
    if (!pj) {
      rc = spill__fail(ctx, SPILL_EDEP, "PROJ cannot set the axis order for '%s'", def);
      goto done;
    }
  }
  out->pj = pj;
  pj = NULL;
  out->unit_m = crs_unit_m(ctx->proj, dst);
  if (!(out->unit_m > 0))
    snprintf(out->note, sizeof out->note, "the map is drawn in angular coordinates");
done:
  if (dst) proj_destroy(dst);
  if (pj) proj_destroy(pj);
  return rc;
}

void spill__map_crs_apply(const spill__map_crs *c, double *x, double *y, size_t n)
{
  if (!c->pj || !n) return;
  proj_trans_generic(c->pj, PJ_FWD, x, sizeof *x, n, y, sizeof *y, n, NULL, 0, 0, NULL, 0, 0);
}

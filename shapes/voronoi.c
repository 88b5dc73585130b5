/* A generated city network for the demo when the shared data is absent:
 * Voronoi cells (GEOS) of random points inside a stylised country with an
 * offshore island, clipped to its outline and written as a real polygon
 * shapefile. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/maps.h"

#define TWO_PI 6.283185307179586

static const char wgs84_prj[] =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,"
    "298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

/* A closed ring of m vertices around (cx, cy): radii rx, ry modulated by a
 * few harmonics so the outline looks like a coast, not an ellipse. */
static GEOSGeometry *blob(GEOSContextHandle_t h, double cx, double cy, double rx, double ry,
                          const double *amp, int m)
{
  GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)m + 1, 2);
  GEOSGeometry *ring;
  if (!seq) return NULL;
  for (int k = 0; k <= m; k++) {
    double t = TWO_PI * (k % m) / m;
    double f = 1 + amp[0] * sin(2 * t + 0.5) + amp[1] * cos(3 * t) + amp[2] * sin(5 * t + 1.0) +
               amp[3] * cos(7 * t + 2.0);
    GEOSCoordSeq_setXY_r(h, seq, (unsigned)k, cx + rx * f * cos(t), cy + ry * f * sin(t));
  }
  ring = GEOSGeom_createLinearRing_r(h, seq);
  return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

typedef struct hits {
  GEOSContextHandle_t h;
  const GEOSGeometry *pt;
  const GEOSGeometry *found;
} hits;

static void on_hit(void *item, void *user)
{
  hits *H = user;
  if (!H->found && GEOSIntersects_r(H->h, item, H->pt) == 1) H->found = item;
}

/* Append the polygons of g (Polygon, MultiPolygon or a collection) as
 * shapefile parts. */
static int add_parts(GEOSContextHandle_t h, const GEOSGeometry *g, double **x, double **y,
                     int **start, int *nv, int *np, size_t *capv, size_t *capp)
{
  int t = GEOSGeomTypeId_r(h, g);
  if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
    for (int k = 0; k < GEOSGetNumGeometries_r(h, g); k++)
      if (add_parts(h, GEOSGetGeometryN_r(h, g, k), x, y, start, nv, np, capv, capp)) return -1;
    return 0;
  }
  if (t != GEOS_POLYGON || GEOSisEmpty_r(h, g)) return 0;
  for (int r = -1; r < GEOSGetNumInteriorRings_r(h, g); r++) {
    const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, g) : GEOSGetInteriorRingN_r(h, g, r);
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned m = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &m)) return -1;
    if ((size_t)*nv + m > *capv) {
      size_t c = *capv ? *capv : 1024;
      while (c < (size_t)*nv + m) c *= 2;
      double *nx = realloc(*x, c * sizeof *nx);
      if (!nx) return -1;
      *x = nx;
      double *ny = realloc(*y, c * sizeof *ny);
      if (!ny) return -1;
      *y = ny;
      *capv = c;
    }
    if ((size_t)*np + 1 > *capp) {
      size_t c = *capp ? 2 * *capp : 16;
      int *ns = realloc(*start, c * sizeof *ns);
      if (!ns) return -1;
      *start = ns;
      *capp = c;
    }
    if (!GEOSCoordSeq_copyToArrays_r(h, seq, *x + *nv, *y + *nv, NULL, NULL)) return -1;
    (*start)[(*np)++] = *nv;
    *nv += (int)m;
  }
  return 0;
}

static int write_text(spill_ctx *ctx, const char *path, const char *text)
{
  FILE *f = fopen(path, "wb");
  int bad;
  if (!f) return spill__fail(ctx, SPILL_EIO, "cannot write %s", path);
  bad = fputs(text, f) < 0;
  if (fclose(f) != 0) bad = 1;
  return bad ? spill__fail(ctx, SPILL_EIO, "cannot write %s", path) : SPILL_OK;
}

int spill_voronoi_network(spill_ctx *ctx, int64_t n, uint64_t seed, const char *out_shp)
{
  GEOSContextHandle_t h = ctx->geos;
  static const double main_amp[4] = {0.14, 0.09, 0.05, 0.03};
  static const double isle_amp[4] = {0.10, 0.06, 0.0, 0.0};
  GEOSGeometry *mainland = NULL, *isle = NULL, *region = NULL, *mp = NULL, *vor = NULL;
  GEOSGeometry **pts = NULL;
  const GEOSPreparedGeometry *pmain = NULL, *pisle = NULL;
  GEOSSTRtree *tree = NULL;
  double *px = NULL, *py = NULL, *x = NULL, *y = NULL;
  int *start = NULL;
  size_t capv = 0, capp = 0;
  char *obase = NULL, *tbase = NULL, *path = NULL;
  SAHooks hooks;
  SHPHandle shp = NULL;
  DBFHandle dbf = NULL;
  spill_rng rng;
  int64_t n_isle;
  int rc = SPILL_OK, created = 0;
  char ext[16];
  spill__extension(out_shp, ext);
  if (strcmp(ext, "shp")) return spill__fail(ctx, SPILL_EINVAL, "%s: name the output .shp", out_shp);
  if (n < 3 || n > 1000000)
    return spill__fail(ctx, SPILL_EINVAL, "a generated network needs 3 to 1000000 cities, not %lld",
                       (long long)n);
  spill_rng_seed(&rng, seed);
  n_isle = n >= 30 ? (n / 40 > 2 ? n / 40 : 2) : 0;

  mainland = blob(h, 105.0, 35.0, 15.0, 9.5, main_amp, 180);
  isle = blob(h, 114.5, 21.0, 1.6, 1.0, isle_amp, 60);
  if (!mainland || !isle || !(region = GEOSUnion_r(h, mainland, isle)) ||
      !(pmain = GEOSPrepare_r(h, mainland)) || !(pisle = GEOSPrepare_r(h, isle))) {
    rc = spill__fail(ctx, SPILL_EDEP, "GEOS could not build the country outline: %s", ctx->err);
    goto done;
  }
  px = spill__malloc(ctx, (size_t)n * sizeof *px);
  py = spill__malloc(ctx, (size_t)n * sizeof *py);
  pts = spill__calloc(ctx, (size_t)n, sizeof *pts);
  if (!px || !py || !pts) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  { /* dart throwing: uniform in each land mass, not closer than d0 to an
       earlier point (relaxed after many misses) so no cell is a sliver;
       earlier points found through a grid of d0-sized buckets */
    double area = 0, d0, gx0, gy0, genv[4];
    int64_t gw, gh, *head = NULL, *next = NULL;
    GEOSArea_r(h, mainland, &area);
    d0 = 0.55 * sqrt(area / (double)n);
    GEOSGeom_getXMin_r(h, region, &genv[0]);
    GEOSGeom_getYMin_r(h, region, &genv[1]);
    GEOSGeom_getXMax_r(h, region, &genv[2]);
    GEOSGeom_getYMax_r(h, region, &genv[3]);
    gx0 = genv[0];
    gy0 = genv[1];
    gw = (int64_t)((genv[2] - genv[0]) / d0) + 1;
    gh = (int64_t)((genv[3] - genv[1]) / d0) + 1;
    head = spill__malloc(ctx, (size_t)(gw * gh) * sizeof *head);
    next = spill__malloc(ctx, (size_t)n * sizeof *next);
    if (!head || !next) {
      free(head);
      free(next);
      rc = SPILL_ENOMEM;
      goto done;
    }
    for (int64_t c = 0; c < gw * gh; c++) head[c] = -1;
    for (int64_t i = 0; i < n && !rc; i++) {
      int on_isle = i < n_isle, tries = 0;
      const GEOSGeometry *land = on_isle ? isle : mainland;
      const GEOSPreparedGeometry *pg = on_isle ? pisle : pmain;
      double x0 = 0, y0 = 0, need = on_isle ? 0.35 * d0 : d0, env[4];
      int64_t gxi, gyi;
      GEOSGeom_getXMin_r(h, land, &env[0]);
      GEOSGeom_getYMin_r(h, land, &env[1]);
      GEOSGeom_getXMax_r(h, land, &env[2]);
      GEOSGeom_getYMax_r(h, land, &env[3]);
      for (;;) {
        GEOSGeometry *pt;
        int inside, ok = 1;
        x0 = env[0] + (env[2] - env[0]) * spill_rng_uniform(&rng);
        y0 = env[1] + (env[3] - env[1]) * spill_rng_uniform(&rng);
        gxi = (int64_t)((x0 - gx0) / d0);
        gyi = (int64_t)((y0 - gy0) / d0);
        for (int64_t a = gxi - 1; a <= gxi + 1 && ok; a++)
          for (int64_t b = gyi - 1; b <= gyi + 1 && ok; b++) {
            if (a < 0 || b < 0 || a >= gw || b >= gh) continue;
            for (int64_t j = head[b * gw + a]; j >= 0 && ok; j = next[j])
              ok = hypot(px[j] - x0, py[j] - y0) >= need;
          }
        if (!ok) {
          if (++tries % 50 == 0) need *= 0.9;
          continue;
        }
        pt = GEOSGeom_createPointFromXY_r(h, x0, y0);
        if (!pt) {
          rc = spill__fail(ctx, SPILL_EDEP, "GEOS could not make a point");
          break;
        }
        inside = GEOSPreparedContainsProperly_r(h, pg, pt);
        if (inside == 1) {
          pts[i] = pt;
          break;
        }
        GEOSGeom_destroy_r(h, pt);
      }
      px[i] = x0;
      py[i] = y0;
      next[i] = head[gyi * gw + gxi];
      head[gyi * gw + gxi] = i;
    }
    free(head);
    free(next);
    if (rc) goto done;
  }
  mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, (unsigned)n);
  if (!mp) {
    rc = spill__fail(ctx, SPILL_EDEP, "GEOS could not collect the points");
    goto done;
  }
  free(pts); /* now owned by mp */
  pts = NULL;
  vor = GEOSVoronoiDiagram_r(h, mp, region, 0.0, 0);
  if (!vor || GEOSGetNumGeometries_r(h, vor) != (int)n) {
    rc = spill__fail(ctx, SPILL_EDEP, "GEOS Voronoi diagram failed: %s", ctx->err);
    goto done;
  }
  tree = GEOSSTRtree_create_r(h, 10);
  for (int k = 0; k < (int)n; k++)
    GEOSSTRtree_insert_r(h, tree, GEOSGetGeometryN_r(h, vor, k), (void *)GEOSGetGeometryN_r(h, vor, k));

  if (!(obase = spill__strip_ext(ctx, out_shp)) || !(tbase = spill__temp_name(ctx, obase)) ||
      !(path = spill__with_ext(ctx, tbase, "shp"))) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  created = 1;
  spill__shp_hooks(&hooks);
  shp = SHPCreateLL(path, SHPT_POLYGON, &hooks);
  free(path);
  path = spill__with_ext(ctx, tbase, "dbf");
  dbf = path ? DBFCreateLL(path, "LDID/87", &hooks) : NULL;
  if (!shp || !dbf || DBFAddField(dbf, "id", FTInteger, 10, 0) < 0 ||
      DBFAddField(dbf, "name", FTString, 24, 0) < 0 || DBFAddField(dbf, "lon", FTDouble, 12, 6) < 0 ||
      DBFAddField(dbf, "lat", FTDouble, 12, 6) < 0) {
    rc = spill__fail(ctx, SPILL_EIO, "cannot write %s (is the folder there and writable?)", out_shp);
    goto done;
  }
  for (int64_t i = 0; i < n; i++) {
    const GEOSGeometry *pt = GEOSGetGeometryN_r(h, mp, (int)i);
    GEOSGeometry *clip;
    SHPObject *obj;
    hits H = {h, pt, NULL};
    int nv = 0, np = 0, okw;
    char name[32];
    GEOSSTRtree_query_r(h, tree, pt, on_hit, &H);
    if (!H.found) {
      rc = spill__fail(ctx, SPILL_EDEP, "city %lld: no Voronoi cell contains its point", (long long)i + 1);
      goto done;
    }
    clip = GEOSIntersection_r(h, H.found, region);
    if (!clip || add_parts(h, clip, &x, &y, &start, &nv, &np, &capv, &capp) || !np) {
      if (clip) GEOSGeom_destroy_r(h, clip);
      rc = spill__fail(ctx, SPILL_EDEP, "city %lld: clipping its cell to the outline failed", (long long)i + 1);
      goto done;
    }
    GEOSGeom_destroy_r(h, clip);
    obj = SHPCreateObject(SHPT_POLYGON, -1, np, start, NULL, nv, x, y, NULL, NULL);
    if (!obj) {
      rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory writing %s", out_shp);
      goto done;
    }
    SHPRewindObject(shp, obj); /* shapefile order: outer rings clockwise */
    okw = SHPWriteObject(shp, -1, obj) >= 0;
    SHPDestroyObject(obj);
    snprintf(name, sizeof name, "City %lld", (long long)i + 1);
    if (!okw || !DBFWriteIntegerAttribute(dbf, (int)i, 0, (int)(i + 1)) ||
        !DBFWriteStringAttribute(dbf, (int)i, 1, name) ||
        !DBFWriteDoubleAttribute(dbf, (int)i, 2, px[i]) ||
        !DBFWriteDoubleAttribute(dbf, (int)i, 3, py[i])) {
      rc = spill__fail(ctx, SPILL_EIO, "cannot write %s, record %lld (disk full?)", out_shp, (long long)i + 1);
      goto done;
    }
  }
  SHPClose(shp);
  shp = NULL;
  DBFClose(dbf);
  dbf = NULL;
  free(path);
  path = spill__with_ext(ctx, tbase, "prj");
  if (!path || (rc = write_text(ctx, path, wgs84_prj))) goto done;
  free(path);
  path = spill__with_ext(ctx, tbase, "cpg");
  if (!path || (rc = write_text(ctx, path, "UTF-8"))) goto done;
  if ((rc = spill__shp_commit(ctx, tbase, obase))) goto done;
  created = 0;
done:
  if (shp) SHPClose(shp);
  if (dbf) DBFClose(dbf);
  if (created && tbase) spill__shp_abort(ctx, tbase);
  if (tree) GEOSSTRtree_destroy_r(h, tree);
  if (pts) {
    for (int64_t i = 0; i < n; i++)
      if (pts[i]) GEOSGeom_destroy_r(h, pts[i]);
    free(pts);
  }
  if (vor) GEOSGeom_destroy_r(h, vor);
  if (mp) GEOSGeom_destroy_r(h, mp);
  if (pmain) GEOSPreparedGeom_destroy_r(h, pmain);
  if (pisle) GEOSPreparedGeom_destroy_r(h, pisle);
  if (region) GEOSGeom_destroy_r(h, region);
  if (mainland) GEOSGeom_destroy_r(h, mainland);
  if (isle) GEOSGeom_destroy_r(h, isle);
  free(px);
  free(py);
  free(x);
  free(y);
  free(start);
  free(obase);
  free(tbase);
  free(path);
  return rc;
}

/* Reading a shapefile into a layer: shapelib for the records, GEOS for the
 * geometry (rings assembled into (Multi)Polygons, validity checked and
 * repaired), then the attributes (dbf.c) and the coordinate system (prj.c). */
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "shapes/read.h"

/* shapelib reports through a hook without user data; the reader checks every
 * result itself and names the file and record, so the hook stays silent
 * (the library never prints). */
static void quiet_shapelib_error(const char *message) { (void)message; }

/* GEOS's last message (kept in ctx->err by its handler), copied out so it
 * can be quoted in a new message written over ctx->err. */
static const char *geos_message(const spill_ctx *ctx, char buf[256])
{
  size_t n = strnlen(ctx->err, 255);
  memcpy(buf, ctx->err, n);
  buf[n] = '\0';
  return buf;
}

static int file_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* base + ext, or base + EXT when only the upper-case file exists. */
static char *sibling(spill_ctx *ctx, const char *base, const char *ext)
{
  size_t len = strlen(base) + strlen(ext) + 1;
  char *p = spill__malloc(ctx, len);
  if (!p) return NULL;
  snprintf(p, len, "%s%s", base, ext);
  if (!file_exists(p)) {
    char *q = p + strlen(base);
    for (; *q; q++)
      if (*q >= 'a' && *q <= 'z') *q = (char)(*q - 'a' + 'A');
    if (!file_exists(p)) snprintf(p, len, "%s%s", base, ext);
  }
  return p;
}

/* ---- rings to polygons ------------------------------------------------ */

typedef struct ring {
  int start, len;  /* in the shape's vertex arrays (closed ring) */
  double area;     /* signed (shoelace): < 0 clockwise = outer ring */
  double bb[4];
  int shell;       /* 1: an outer ring */
  int owner;       /* holes: index of the enclosing shell ring, -1 none */
} ring;

static double signed_area(const double *xy, int len)
{
  double a = 0;
  for (int k = 0; k + 1 < len; k++) a += xy[2 * k] * xy[2 * k + 3] - xy[2 * k + 2] * xy[2 * k + 1];
  return a / 2;
}

/* Crossing-number test of (px, py) against a closed ring: 1 inside, 0 out. */
static int point_in_ring(const double *xy, int len, double px, double py)
{
  int in = 0;
  for (int a = 0, b = len - 1; a < len; b = a++) {
    double xa = xy[2 * a], ya = xy[2 * a + 1], xb = xy[2 * b], yb = xy[2 * b + 1];
    if ((ya > py) != (yb > py) && px < (xb - xa) * (py - ya) / (yb - ya) + xa) in = !in;
  }
  return in;
}

static GEOSGeometry *make_ring(GEOSContextHandle_t h, const double *xy, int len)
{
  GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(h, xy, (unsigned)len, 0, 0);
  return cs ? GEOSGeom_createLinearRing_r(h, cs) : NULL;
}

/* Assemble the parts of one shape (closed rings in xy) into a Polygon or a
 * MultiPolygon: clockwise rings are shells, counter-clockwise rings holes of
 * the smallest shell containing them (ESRI Shapefile Technical Description,
 * 1998, p. 8). A hole inside no shell becomes a shell of its own. Rings of
 * fewer than 4 points are dropped (*dropped counts them). */
static GEOSGeometry *assemble(spill_ctx *ctx, const double *xy, const int *pstart, int nparts,
                              int *dropped)
{
  GEOSContextHandle_t h = ctx->geos;
  ring *r = spill__calloc(ctx, (size_t)nparts, sizeof *r);
  GEOSGeometry **polys = spill__calloc(ctx, (size_t)nparts, sizeof *polys);
  GEOSGeometry **holes = spill__calloc(ctx, (size_t)nparts, sizeof *holes);
  GEOSGeometry *out = NULL;
  int nr = 0, nshell = 0, npoly = 0;
  if (!r || !polys || !holes) goto done;
  for (int k = 0; k < nparts; k++) {
    ring *g = &r[nr];
    g->start = pstart[k];
    g->len = pstart[k + 1] - pstart[k];
    if (g->len < 4) {
      (*dropped)++;
      continue;
    }
    g->area = signed_area(xy + 2 * g->start, g->len);
    g->bb[0] = g->bb[2] = xy[2 * g->start];
    g->bb[1] = g->bb[3] = xy[2 * g->start + 1];
    for (int v = g->start; v < g->start + g->len; v++) {
      g->bb[0] = fmin(g->bb[0], xy[2 * v]);
      g->bb[2] = fmax(g->bb[2], xy[2 * v]);
      g->bb[1] = fmin(g->bb[1], xy[2 * v + 1]);
      g->bb[3] = fmax(g->bb[3], xy[2 * v + 1]);
    }
    g->shell = g->area <= 0;
    g->owner = -1;
    nshell += g->shell;
    nr++;
  }
  if (nr == 0) {
    spill__fail(ctx, SPILL_EFORMAT, "no ring has 3 or more distinct points");
    goto done;
  }
  if (nshell == 0 || nr == 1) /* one ring, or rings all wound the wrong way: all shells */
    for (int k = 0; k < nr; k++) r[k].shell = 1;
  for (int k = 0; k < nr; k++) {
    double best = INFINITY;
    if (r[k].shell) continue;
    for (int s = 0; s < nr; s++) {
      if (!r[s].shell || fabs(r[s].area) >= best) continue;
      if (r[k].bb[0] < r[s].bb[0] || r[k].bb[2] > r[s].bb[2] || r[k].bb[1] < r[s].bb[1] ||
          r[k].bb[3] > r[s].bb[3])
        continue;
      /* a hole vertex may lie on the shell; the ring's vertex mean is inside
       * the hole's shell for the usual (star-ish) holes, so test both */
      const double *p = xy + 2 * r[k].start;
      if (point_in_ring(xy + 2 * r[s].start, r[s].len, p[0], p[1]) ||
          point_in_ring(xy + 2 * r[s].start, r[s].len, (r[k].bb[0] + r[k].bb[2]) / 2,
                        (r[k].bb[1] + r[k].bb[3]) / 2)) {
        best = fabs(r[s].area);
        r[k].owner = s;
      }
    }
    if (r[k].owner < 0) r[k].shell = 1;
  }
  for (int s = 0; s < nr; s++) {
    GEOSGeometry *shell;
    int nh = 0;
    if (!r[s].shell) continue;
    shell = make_ring(h, xy + 2 * r[s].start, r[s].len);
    if (!shell) goto geos_fail;
    for (int k = 0; k < nr; k++) {
      if (r[k].shell || r[k].owner != s) continue;
      holes[nh] = make_ring(h, xy + 2 * r[k].start, r[k].len);
      if (!holes[nh]) {
        GEOSGeom_destroy_r(h, shell);
        for (int q = 0; q < nh; q++) GEOSGeom_destroy_r(h, holes[q]);
        goto geos_fail;
      }
      nh++;
    }
    polys[npoly] = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nh);
    if (!polys[npoly]) goto geos_fail;
    npoly++;
  }
  if (npoly == 1) {
    out = polys[0];
    npoly = 0;
  } else {
    out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)npoly);
    if (!out) goto geos_fail;
    npoly = 0;
  }
  goto done;
geos_fail:
  {
    char gm[256];
    spill__fail(ctx, SPILL_EDEP, "GEOS could not build the polygon (%s)", geos_message(ctx, gm));
  }
done:
  for (int k = 0; k < npoly; k++) GEOSGeom_destroy_r(h, polys[k]);
  free(r);
  free(polys);
  free(holes);
  return out;
}

/* Keep the polygonal parts of a repaired geometry (GEOSMakeValid may add
 * lines or points where a ring collapsed). Takes ownership of g. */
static GEOSGeometry *polygonal_part(GEOSContextHandle_t h, GEOSGeometry *g)
{
  int type = GEOSGeomTypeId_r(h, g), n, cap = 0, k = 0;
  GEOSGeometry **parts, *out;
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return g;
  n = GEOSGetNumGeometries_r(h, g);
  for (int i = 0; i < n; i++) {
    const GEOSGeometry *sub = GEOSGetGeometryN_r(h, g, i);
    int st = GEOSGeomTypeId_r(h, sub);
    cap += st == GEOS_POLYGON ? 1 : st == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, sub) : 0;
  }
  parts = calloc((size_t)cap + 1, sizeof *parts);
  if (!parts) {
    GEOSGeom_destroy_r(h, g);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    const GEOSGeometry *sub = GEOSGetGeometryN_r(h, g, i);
    int st = GEOSGeomTypeId_r(h, sub);
    if (st == GEOS_POLYGON) parts[k++] = GEOSGeom_clone_r(h, sub);
    else if (st == GEOS_MULTIPOLYGON)
      for (int q = 0; q < GEOSGetNumGeometries_r(h, sub); q++)
        parts[k++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, sub, q));
  }
  GEOSGeom_destroy_r(h, g);
  out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)k);
  free(parts);
  return out;
}

/* ---- the reader ------------------------------------------------------- */

static int grow(spill_ctx *ctx, double **xy, size_t *cap, size_t need)
{
  double *p;
  size_t c = *cap ? *cap : 1024;
  if (need <= *cap) return 0;
  while (c < need) c *= 2;
  p = realloc(*xy, c * 2 * sizeof *p);
  if (!p) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading vertices");
  *xy = p;
  *cap = c;
  return 0;
}

/* Append shape o's rings to the layer's raw vertices (each ring closed) and
 * fill pstart (nparts+1 offsets relative to the shape's first vertex). */
static int append_rings(spill_ctx *ctx, spill_layer *L, size_t *nv, size_t *cap,
                        const SHPObject *o, int *pstart)
{
  int off = 0;
  for (int k = 0; k < o->nParts; k++) {
    int a = o->panPartStart[k], b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
    int closed, len;
    if (a < 0 || b > o->nVertices || a > b) return spill__fail(ctx, SPILL_EFORMAT, "part %d has bad offsets", k + 1);
    len = b - a;
    closed = len > 0 && o->padfX[a] == o->padfX[b - 1] && o->padfY[a] == o->padfY[b - 1];
    if (grow(ctx, &L->vxy, cap, *nv + (size_t)len + 1)) return SPILL_ENOMEM;
    pstart[k] = off;
    for (int v = a; v < b; v++) {
      L->vxy[2 * *nv] = o->padfX[v];
      L->vxy[2 * *nv + 1] = o->padfY[v];
      (*nv)++;
    }
    if (len > 0 && !closed) {
      L->vxy[2 * *nv] = o->padfX[a];
      L->vxy[2 * *nv + 1] = o->padfY[a];
      (*nv)++;
      len++;
    }
    off += len;
  }
  pstart[o->nParts] = off;
  return 0;
}

/* Records whose extent passes the end of the .shp: the file was truncated. */
static int check_truncation(spill_ctx *ctx, SHPHandle shp, const char *shp_path)
{
  struct stat st;
  if (stat(shp_path, &st) != 0)
    return spill__fail(ctx, SPILL_EIO, "%s: %s", shp_path, strerror(errno));
  if (st.st_size < 100)
    return spill__fail(ctx, SPILL_EFORMAT, "%s: only %lld bytes, shorter than a shapefile header (100): the file is truncated",
                       shp_path, (long long)st.st_size);
  for (int i = 0; i < shp->nRecords; i++) {
    unsigned long long end = (unsigned long long)shp->panRecOffset[i] + shp->panRecSize[i] + 8;
    if (end > (unsigned long long)st.st_size)
      return spill__fail(ctx, SPILL_EFORMAT,
                         "%s: record %d ends at byte %llu but the file has %lld bytes: the .shp is truncated "
                         "(or does not match its .shx)",
                         shp_path, i + 1, end, (long long)st.st_size);
  }
  return 0;
}

/* Invalid polygons are repaired with GEOS MakeValid, "structure" method
 * (GEOS >= 3.10): shells unioned, holes subtracted. On these maps (parts of
 * a unit that overlap) it gives the same area as the "linework" method at a
 * sixth of the time, and returns polygons only. */
/* A .dbf shorter than its header says: shapelib would read the missing
 * records as empty text, a silent wrong answer. */
static int check_dbf_size(spill_ctx *ctx, DBFHandle dbf, const char *dbf_path)
{
  struct stat st;
  unsigned long long need;
  if (stat(dbf_path, &st) != 0) return spill__fail(ctx, SPILL_EIO, "%s: %s", dbf_path, strerror(errno));
  need = (unsigned long long)dbf->nHeaderLength + (unsigned long long)dbf->nRecords * (unsigned)dbf->nRecordLength;
  if ((unsigned long long)st.st_size < need)
    return spill__fail(ctx, SPILL_EFORMAT,
                       "%s: %d records of %d bytes need %llu bytes but the file has %lld: the .dbf is truncated "
                       "(record %lld onwards is missing)",
                       dbf_path, dbf->nRecords, dbf->nRecordLength, need, (long long)st.st_size,
                       dbf->nRecordLength > 0
                           ? ((long long)st.st_size - dbf->nHeaderLength) / dbf->nRecordLength + 1
                           : 1LL);
  return 0;
}

int spill__layer_repair(spill_ctx *ctx, spill_layer *L, const char *shp_path)
{
  GEOSContextHandle_t h = ctx->geos;
  GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(h);
  int rc = 0;
  char gm[256];
  if (!params || !GEOSMakeValidParams_setMethod_r(h, params, GEOS_MAKE_VALID_STRUCTURE) ||
      !GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0)) {
    if (params) GEOSMakeValidParams_destroy_r(h, params);
    return spill__fail(ctx, SPILL_EDEP, "GEOS: cannot set up MakeValid (%s)", geos_message(ctx, gm));
  }
  for (size_t i = 0; i < L->n && !rc; i++) {
    char *reason;
    if ((i & 63) == 0) spill__progress(ctx, "reading shapes", 0.5 + 0.5 * (double)i / (double)L->n);
    GEOSGeometry *fixed;
    char v = GEOSisValid_r(h, L->geoms[i]);
    if (v == 1) continue;
    if (v != 0) {
      rc = spill__fail(ctx, SPILL_EDEP, "%s: record %lld: GEOS could not check validity (%s)", shp_path,
                       (long long)L->records[i], geos_message(ctx, gm));
      break;
    }
    reason = GEOSisValidReason_r(h, L->geoms[i]);
    fixed = GEOSMakeValidWithParams_r(h, L->geoms[i], params);
    if (fixed) fixed = polygonal_part(h, fixed);
    if (!fixed || GEOSisEmpty_r(h, fixed) == 1) {
      if (fixed) GEOSGeom_destroy_r(h, fixed);
      rc = spill__fail(ctx, SPILL_EDATA,
                       "%s: record %lld is an invalid polygon (%s) with no area left after repair; "
                       "fix or remove it",
                       shp_path, (long long)L->records[i], reason ? reason : "unknown reason");
    } else {
      spill__notice(ctx, "%s: record %lld was an invalid polygon (%s); repaired with GEOS MakeValid", shp_path,
                    (long long)L->records[i], reason ? reason : "unknown reason");
      GEOSGeom_destroy_r(h, L->geoms[i]);
      L->geoms[i] = fixed;
      L->repaired++;
    }
    GEOSFree_r(h, reason);
  }
  GEOSMakeValidParams_destroy_r(h, params);
  return rc;
}

/* Open, check and read the geometry of every record. */
static int read_shapes(spill_ctx *ctx, spill_layer *L, SHPHandle shp, int nrec, int type,
                       const char *shp_path, const spill_read_opts *o)
{
  size_t nv = 0, cap = 0;
  int maxparts = 16, *pstart = malloc((size_t)(maxparts + 1) * sizeof *pstart);
  int rc = 0;
  L->kind = (type == SHPT_POINT || type == SHPT_POINTZ || type == SHPT_POINTM) ? SPILL_SHAPE_POINT
                                                                              : SPILL_SHAPE_POLYGON;
  L->geoms = spill__calloc(ctx, (size_t)nrec + 1, sizeof *L->geoms);
  L->records = spill__calloc(ctx, (size_t)nrec + 1, sizeof *L->records);
  L->vstart = spill__calloc(ctx, (size_t)nrec + 2, sizeof *L->vstart);
  if (!pstart || !L->geoms || !L->records || !L->vstart) {
    free(pstart);
    return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", shp_path);
  }
  L->bounds[0] = L->bounds[1] = INFINITY;
  L->bounds[2] = L->bounds[3] = -INFINITY;
  for (int i = 0; i < nrec && !rc; i++) {
    SHPObject *obj = SHPReadObject(shp, i);
    GEOSGeometry *g = NULL;
    size_t first = nv;
    if ((i & 255) == 0) spill__progress(ctx, "reading shapes", 0.5 * i / nrec);
    if (!obj) {
      rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d cannot be read (corrupt or truncated)", shp_path, i + 1);
      break;
    }
    for (int k = 0; k < obj->nVertices; k++)
      if (!isfinite(obj->padfX[k]) || !isfinite(obj->padfY[k])) {
        rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d: vertex %d has a coordinate that is not a finite number",
                         shp_path, i + 1, k + 1);
        break;
      }
    if (rc) {
      SHPDestroyObject(obj);
      break;
    }
    if (obj->nSHPType == SHPT_NULL || obj->nVertices == 0) {
      SHPDestroyObject(obj);
      if (o->skip_null) {
        L->skipped++;
        continue;
      }
      rc = spill__fail(ctx, SPILL_EDATA,
                       "%s: record %d is a null shape (no geometry); remove it or use --skip-null to leave it out",
                       shp_path, i + 1);
      break;
    }
    if (L->kind == SPILL_SHAPE_POINT) {
      char gm[256];
      GEOSCoordSequence *cs = GEOSCoordSeq_create_r(ctx->geos, 1, 2);
      if (cs) {
        GEOSCoordSeq_setXY_r(ctx->geos, cs, 0, obj->padfX[0], obj->padfY[0]);
        g = GEOSGeom_createPoint_r(ctx->geos, cs);
      }
      if (!g || grow(ctx, &L->vxy, &cap, nv + 1)) {
        rc = g ? SPILL_ENOMEM : spill__fail(ctx, SPILL_EDEP, "%s: record %d: GEOS: %s", shp_path, i + 1, geos_message(ctx, gm));
      } else {
        L->vxy[2 * nv] = obj->padfX[0];
        L->vxy[2 * nv + 1] = obj->padfY[0];
        nv++;
      }
    } else {
      int dropped = 0, np = obj->nParts > 0 ? obj->nParts : 1;
      int one[2] = {0, 0};
      SHPObject tmp = *obj;
      if (obj->nParts <= 0) { /* some writers omit the part table of a single ring */
        tmp.nParts = 1;
        tmp.panPartStart = one;
      }
      if (np > maxparts) {
        int *p2 = realloc(pstart, (size_t)(np + 1) * sizeof *pstart);
        if (!p2) rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory");
        else {
          pstart = p2;
          maxparts = np;
        }
      }
      if (!rc) rc = append_rings(ctx, L, &nv, &cap, &tmp, pstart);
      if (!rc && !o->vertices_only) {
        g = assemble(ctx, L->vxy + 2 * first, pstart, np, &dropped);
        if (!g) rc = spill_ctx_status(ctx) ? spill_ctx_status(ctx) : SPILL_EDEP;
      }
      if (rc) spill__fail_prefix(ctx, "%s: record %d: ", shp_path, i + 1);
      else if (dropped)
        spill__notice(ctx, "%s: record %d: %d ring%s with fewer than 3 distinct points left out of the polygon",
                      shp_path, i + 1, dropped, dropped > 1 ? "s" : "");
    }
    SHPDestroyObject(obj);
    if (rc) {
      if (g) GEOSGeom_destroy_r(ctx->geos, g);
      break;
    }
    for (size_t v = first; v < nv; v++) {
      double x = L->vxy[2 * v], y = L->vxy[2 * v + 1];
      if (x < L->bounds[0]) L->bounds[0] = x;
      if (y < L->bounds[1]) L->bounds[1] = y;
      if (x > L->bounds[2]) L->bounds[2] = x;
      if (y > L->bounds[3]) L->bounds[3] = y;
    }
    L->geoms[L->n] = g;
    L->records[L->n] = i + 1;
    L->vstart[L->n] = (int64_t)first;
    L->n++;
    L->vstart[L->n] = (int64_t)nv;
  }
  free(pstart);
  if (!rc && L->n == 0)
    rc = spill__fail(ctx, SPILL_EDATA, "%s: no shapes to read (%d record%s, %zu null)", shp_path, nrec,
                     nrec == 1 ? "" : "s", L->skipped);
  if (!rc && L->kind == SPILL_SHAPE_POLYGON && !o->no_repair && !o->vertices_only)
    rc = spill__layer_repair(ctx, L, shp_path);
  return rc;
}

static char *strip_shp(spill_ctx *ctx, const char *path)
{
  char ext[16];
  char *base = spill__strdup(ctx, path);
  if (!base) return NULL;
  spill__extension(path, ext);
  if (!strcmp(ext, "shp") || !strcmp(ext, "shx") || !strcmp(ext, "dbf")) base[strlen(base) - 4] = '\0';
  return base;
}

/* The .prj read through PROJ (tens of milliseconds: PROJ looks the names
 * up in its database) on a second thread while the vertices are read, for
 * the vertices-only path; with its own context, results copied back after. */
typedef struct prj_job {
  const char *path;
  spill_layer tmp; /* receives prj, has_prj, geographic, unit_m, crs_name */
  spill_ctx *ctx;
  char notice[512];
  int rc, started;
  pthread_t th;
} prj_job;

static void prj_notice(void *user, const char *msg)
{
  prj_job *j = user;
  snprintf(j->notice, sizeof j->notice, "%s", msg);
}

static void *prj_run(void *arg)
{
  prj_job *j = arg;
  j->rc = spill__layer_read_prj(j->ctx, &j->tmp, j->path);
  return NULL;
}

static void prj_start(prj_job *j, const char *prj_path)
{
  memset(j, 0, sizeof *j);
  j->path = prj_path;
  j->ctx = spill_ctx_new();
  if (!j->ctx) return;
  spill_ctx_set_notice(j->ctx, prj_notice, j);
  j->started = pthread_create(&j->th, NULL, prj_run, j) == 0;
}

/* Wait for the .prj (or read it here if no thread ran) and move it into L. */
static int prj_finish(spill_ctx *ctx, prj_job *j, spill_layer *L, const char *prj_path)
{
  int rc;
  if (!j->started) {
    spill_ctx_free(j->ctx);
    j->ctx = NULL;
    return spill__layer_read_prj(ctx, L, prj_path);
  }
  pthread_join(j->th, NULL);
  j->started = 0;
  rc = j->rc;
  if (rc) spill__fail(ctx, rc, "%s", spill_ctx_error(j->ctx));
  else {
    L->prj = j->tmp.prj;
    L->has_prj = j->tmp.has_prj;
    L->geographic = j->tmp.geographic;
    L->unit_m = j->tmp.unit_m;
    memcpy(L->crs_name, j->tmp.crs_name, sizeof L->crs_name);
    j->tmp.prj = NULL;
    if (j->notice[0]) spill__notice(ctx, "%s", j->notice);
  }
  free(j->tmp.prj);
  spill_ctx_free(j->ctx);
  j->ctx = NULL;
  return rc;
}

spill_layer *spill_layer_read(spill_ctx *ctx, const char *path, const spill_read_opts *opts)
{
  spill_read_opts defaults = {0};
  const spill_read_opts *o = opts ? opts : &defaults;
  spill_layer *L = NULL;
  char *base = NULL, *shp_path = NULL, *shx_path = NULL, *dbf_path = NULL, *prj_path = NULL, *cpg_path = NULL;
  SHPHandle shp = NULL;
  DBFHandle dbf = NULL;
  SAHooks hooks;
  prj_job pj;
  int nrec = 0, type = 0, rc = SPILL_ENOMEM;
  memset(&pj, 0, sizeof pj);
  if (!path || !*path) {
    spill__fail(ctx, SPILL_EINVAL, "no map path given");
    return NULL;
  }
  {
    char ext[16];
    spill__extension(path, ext);
    if (!strcmp(ext, "geojson") || !strcmp(ext, "json")) return spill__geojson_read(ctx, path, o);
    if (!strcmp(ext, "gpkg") || (strstr(path, ".gpkg:") && !file_exists(path))) return spill__gpkg_read(ctx, path, o);
  }
  L = spill__calloc(ctx, 1, sizeof *L);
  base = strip_shp(ctx, path);
  if (!L || !base) goto fail;
  L->geos = ctx->geos;
  shp_path = sibling(ctx, base, ".shp");
  shx_path = sibling(ctx, base, ".shx");
  dbf_path = sibling(ctx, base, ".dbf");
  prj_path = sibling(ctx, base, ".prj");
  cpg_path = sibling(ctx, base, ".cpg");
  L->path = spill__strdup(ctx, shp_path ? shp_path : path);
  if (!shp_path || !shx_path || !dbf_path || !prj_path || !cpg_path || !L->path) goto fail;
  rc = SPILL_EIO;
  if (!file_exists(shp_path)) {
    spill__fail(ctx, SPILL_EIO, "%s: no such file", shp_path);
    goto fail;
  }
  if (!file_exists(shx_path)) {
    spill__fail(ctx, SPILL_EIO, "%s is missing: a shapefile needs its .shp, .shx and .dbf side by side", shx_path);
    goto fail;
  }
  if (!file_exists(dbf_path)) {
    spill__fail(ctx, SPILL_EIO, "%s is missing: a shapefile needs its .shp, .shx and .dbf side by side", dbf_path);
    goto fail;
  }
  if (o->vertices_only) prj_start(&pj, prj_path);
  SASetupDefaultHooks(&hooks);
  hooks.Error = quiet_shapelib_error;
  shp = SHPOpenLL(shp_path, "rb", &hooks); /* the header and the .shx index */
  if (!shp) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: not a readable shapefile (bad header, or its .shx %s is corrupt or truncated)",
                shp_path, shx_path);
    goto fail;
  }
  SHPGetInfo(shp, &nrec, &type, NULL, NULL);
  if (type != SHPT_POLYGON && type != SHPT_POLYGONZ && type != SHPT_POLYGONM && type != SHPT_POINT &&
      type != SHPT_POINTZ && type != SHPT_POINTM) {
    spill__fail(ctx, SPILL_EFORMAT, "%s holds %s (shape type %d); spill reads polygon and point shapefiles", shp_path,
                SHPTypeName(type), type);
    goto fail;
  }
  if (check_truncation(ctx, shp, shp_path)) goto fail;
  if (o->vertices_only) spill__memfile_hooks(&hooks); /* the .dbf read whole: no seek per record */
  dbf = DBFOpenLL(dbf_path, "rb", &hooks);
  if (!dbf) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: not a readable dBASE file (bad header or truncated)", dbf_path);
    goto fail;
  }
  if (check_dbf_size(ctx, dbf, dbf_path)) goto fail;
  if (DBFGetRecordCount(dbf) != nrec) {
    spill__fail(ctx, SPILL_EFORMAT, "%s has %d records but %s has %d: the files do not belong together", shp_path,
                nrec, dbf_path, DBFGetRecordCount(dbf));
    goto fail;
  }
  if (o->vertices_only && (type == SHPT_POLYGON || type == SHPT_POLYGONZ || type == SHPT_POLYGONM))
    rc = spill__shp_read_vertices(ctx, L, shp, nrec, shp_path, o); /* from the raw bytes (shpraw.c) */
  else
    rc = read_shapes(ctx, L, shp, nrec, type, shp_path, o);
  if (rc) goto fail;
  spill__progress(ctx, "reading shapes", 1.0);
  if ((rc = spill__layer_read_dbf(ctx, L, dbf, dbf_path, cpg_path, o->encoding,
                                  o->ids_only ? (o->id_field ? o->id_field : "") : NULL)))
    goto fail;
  if ((rc = spill__layer_set_ids(ctx, L, o->id_field, dbf_path))) goto fail;
  if (o->vertices_only) {
    if ((rc = prj_finish(ctx, &pj, L, prj_path))) goto fail;
  } else if ((rc = spill__layer_read_prj(ctx, L, prj_path)))
    goto fail;
  rc = 0;
fail:
  if (pj.started || pj.ctx) { /* failed before the .prj was taken */
    if (pj.started) pthread_join(pj.th, NULL);
    free(pj.tmp.prj);
    spill_ctx_free(pj.ctx);
  }
  if (shp) SHPClose(shp);
  if (dbf) DBFClose(dbf);
  free(base);
  free(shp_path);
  free(shx_path);
  free(dbf_path);
  free(prj_path);
  free(cpg_path);
  if (rc) {
    spill_layer_free(L);
    return NULL;
  }
  return L;
}

void spill_layer_free(spill_layer *L)
{
  if (!L) return;
  for (size_t i = 0; i < L->n; i++) {
    if (L->geoms && L->geoms[i]) GEOSGeom_destroy_r(L->geos, L->geoms[i]);
    if (L->ids) free(L->ids[i]);
  }
  if (L->cells)
    for (size_t k = 0; k < L->n * L->nfields; k++) free(L->cells[k]);
  for (size_t f = 0; L->field_names && f < L->nfields; f++) free(L->field_names[f]);
  free(L->geoms);
  free(L->ids);
  free(L->records);
  free(L->prj);
  free(L->field_names);
  free(L->field_types);
  free(L->field_widths);
  free(L->field_decimals);
  free(L->cells);
  free(L->path);
  free(L->cpg);
  free(L->vstart);
  free(L->vxy);
  free(L);
}

size_t spill_layer_count(const spill_layer *L) { return L ? L->n : 0; }
spill_shape_kind spill_layer_kind(const spill_layer *L) { return L->kind; }
const char *const *spill_layer_ids(const spill_layer *L) { return (const char *const *)L->ids; }
const int64_t *spill_layer_records(const spill_layer *L) { return L->records; }
int spill_layer_geographic(const spill_layer *L) { return L->geographic; }
int spill_layer_has_prj(const spill_layer *L) { return L->has_prj; }
double spill_layer_unit_m(const spill_layer *L) { return L->unit_m; }
const char *spill_layer_prj(const spill_layer *L) { return L->prj; }
const char *spill_layer_crs_name(const spill_layer *L) { return L->crs_name; }
size_t spill_layer_repaired(const spill_layer *L) { return L->repaired; }
size_t spill_layer_skipped(const spill_layer *L) { return L->skipped; }
const char *spill_layer_encoding(const spill_layer *L) { return L->encoding[0] ? L->encoding : "UTF-8"; }

void spill_layer_bounds(const spill_layer *L, double b[4]) { memcpy(b, L->bounds, sizeof L->bounds); }

int spill__layer_check_geoms(spill_ctx *ctx, const spill_layer *L, const char *what)
{
  if (L->n > 0 && L->geoms && !L->geoms[0])
    return spill__fail(ctx, SPILL_EINVAL, "%s was read for its vertices only (no geometries): %s need%s a full read",
                       L->path ? L->path : "the layer", what, strchr(what, ' ') ? "" : "s");
  return SPILL_OK;
}

int spill_layer_centroids(spill_ctx *ctx, const spill_layer *L, double *x, double *y)
{
  GEOSContextHandle_t h = L->geos;
  for (size_t i = 0; i < L->n; i++) {
    GEOSGeometry *c;
    const GEOSGeometry *g = L->geoms[i];
    if (!g) /* read with vertices_only */
      return spill__fail(ctx, SPILL_EINVAL, "%s was read for its vertices only (no geometries): centroids need a full read",
                         L->path);
    if (GEOSGeomTypeId_r(h, g) == GEOS_POINT) {
      if (!GEOSGeomGetX_r(h, g, &x[i]) || !GEOSGeomGetY_r(h, g, &y[i])) goto geos_fail;
      continue;
    }
    c = GEOSGetCentroid_r(h, g);
    if (!c) goto geos_fail;
    if (GEOSisEmpty_r(h, c) == 1) {
      x[i] = y[i] = NAN;
    } else if (!GEOSGeomGetX_r(h, c, &x[i]) || !GEOSGeomGetY_r(h, c, &y[i])) {
      GEOSGeom_destroy_r(h, c);
      goto geos_fail;
    }
    GEOSGeom_destroy_r(h, c);
    continue;
  geos_fail: {
    char gm[256];
    return spill__fail(ctx, SPILL_EDEP, "%s: record %lld: GEOS could not compute the centroid (%s)", L->path,
                       (long long)L->records[i], geos_message(ctx, gm));
  }
  }
  return SPILL_OK;
}

size_t spill_layer_nfields(const spill_layer *L) { return L->nfields; }

const char *spill_layer_field_name(const spill_layer *L, size_t f)
{
  return f < L->nfields ? L->field_names[f] : NULL;
}

char spill_layer_field_type(const spill_layer *L, size_t f) { return f < L->nfields ? L->field_types[f] : '\0'; }

long spill_layer_field_index(const spill_layer *L, const char *name)
{
  for (size_t f = 0; name && f < L->nfields; f++)
    if (!spill__strcasecmp(L->field_names[f], name)) return (long)f;
  return -1;
}

const char *spill_layer_attr_text(const spill_layer *L, size_t unit, size_t f)
{
  if (unit >= L->n || f >= L->nfields) return NULL;
  return L->cells[unit * L->nfields + f];
}

double spill_layer_attr_number(const spill_layer *L, size_t unit, size_t f)
{
  const char *s = spill_layer_attr_text(L, unit, f);
  char *end;
  double v;
  if (!s) return NAN;
  while (*s == ' ') s++;
  if (!*s) return NAN;
  v = strtod(s, &end);
  while (*end == ' ') end++;
  return (*end || end == s) ? NAN : v;
}

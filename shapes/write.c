/* Shapefile output: the layer's shapes and attributes copied from its
 * source files, with new DBF fields added (for QGIS and ArcGIS users). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <shapefil.h>
#include "shapes/maps.h"

#define NUM_DIGITS 12 /* significant digits kept in numeric fields */
#define NUM_WIDTH_MAX 24 /* as GDAL writes doubles: N(24,15) */

typedef struct newfield {
  char name[12];
  char type;       /* 'N' or 'C' */
  int width, dec;
} newfield;

static const char *side_ext[] = {"shp", "shx", "dbf", "prj", "cpg"};

/* path without its extension (malloc'ed) */
char *spill__strip_ext(spill_ctx *ctx, const char *path)
{
  char *s = spill__strdup(ctx, path);
  char *dot, *slash;
  if (!s) return NULL;
  dot = strrchr(s, '.');
  slash = strrchr(s, '/');
  if (dot && (!slash || dot > slash)) *dot = '\0';
  return s;
}

char *spill__with_ext(spill_ctx *ctx, const char *base, const char *ext)
{
  size_t len = strlen(base) + strlen(ext) + 2;
  char *s = spill__malloc(ctx, len);
  if (s) snprintf(s, len, "%s.%s", base, ext);
  return s;
}

static void quiet(const char *message) { (void)message; }

void spill__shp_hooks(SAHooks *hooks)
{
  SASetupDefaultHooks(hooks);
  hooks->Error = quiet;
}

/* base.ext, or base.EXT when only that exists (files from Windows tools) */
static char *sibling(spill_ctx *ctx, const char *base, const char *ext)
{
  char up[8];
  char *p = spill__with_ext(ctx, base, ext), *q;
  size_t k;
  if (!p || access(p, F_OK) == 0) return p;
  for (k = 0; ext[k] && k < sizeof up - 1; k++) up[k] = (char)toupper((unsigned char)ext[k]);
  up[k] = '\0';
  q = spill__with_ext(ctx, base, up);
  if (q && access(q, F_OK) == 0) {
    free(p);
    return q;
  }
  free(q);
  return p;
}

int spill__shp_commit(spill_ctx *ctx, const char *tbase, const char *obase)
{
  int rc = SPILL_OK;
  for (int e = 0; e < 5 && !rc; e++) {
    char *from = spill__with_ext(ctx, tbase, side_ext[e]), *to = spill__with_ext(ctx, obase, side_ext[e]);
    if (!from || !to) rc = SPILL_ENOMEM;
    else if (access(from, F_OK) == 0) rc = spill__rename(ctx, from, to);
    else if (e >= 3) unlink(to); /* a stale .prj/.cpg of an earlier output must not stay */
    free(from);
    free(to);
  }
  return rc;
}

void spill__shp_abort(spill_ctx *ctx, const char *tbase)
{
  for (int e = 0; e < 5; e++) {
    char *p = spill__with_ext(ctx, tbase, side_ext[e]);
    if (p) unlink(p);
    free(p);
  }
}

static int copy_file(spill_ctx *ctx, const char *from, const char *to, int *copied)
{
  char buf[8192];
  size_t got;
  FILE *in = fopen(from, "rb"), *out;
  *copied = 0;
  if (!in) return SPILL_OK; /* absent: nothing to copy */
  out = fopen(to, "wb");
  if (!out) {
    fclose(in);
    return spill__fail(ctx, SPILL_EIO, "cannot write %s: %s", to, strerror(errno));
  }
  while ((got = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, got, out) != got) break;
  int bad = ferror(in) || ferror(out);
  if (fclose(out) != 0) bad = 1;
  if (bad) {
    fclose(in);
    return spill__fail(ctx, SPILL_EIO, "cannot copy %s to %s", from, to);
  }
  fclose(in);
  *copied = 1;
  return SPILL_OK;
}

/* A DBF field name from name: ASCII letters, digits and _, at most 10,
 * not starting with a digit, unique (case-insensitively) among taken. */
static void dbf_name(const char *name, char out[12], char (*taken)[12], size_t ntaken)
{
  char base[12];
  size_t len = 0;
  if (isdigit((unsigned char)name[0])) base[len++] = 'x';
  for (const char *p = name; *p && len < 10; p++)
    base[len++] = isalnum((unsigned char)*p) || *p == '_' ? *p : '_';
  if (!len) base[len++] = 'x';
  base[len] = '\0';
  snprintf(out, 12, "%s", base);
  for (int k = 1;; k++) {
    int clash = 0;
    for (size_t j = 0; j < ntaken && !clash; j++) clash = !spill__strcasecmp(out, taken[j]);
    if (!clash) return;
    {
      char suf[8];
      int sl = snprintf(suf, sizeof suf, "_%d", k);
      size_t keep = len + (size_t)sl > 10 ? 10 - (size_t)sl : len;
      memcpy(out, base, keep);
      memcpy(out + keep, suf, (size_t)sl + 1);
    }
  }
}

static int utf8_cut(const char *s, int max) /* bytes to keep: a whole character */
{
  int k = max;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return k;
}

/* A source field's (UTF-8) name kept as it is, made unique among taken
 * with a numeric suffix when two names cut to 10 bytes clash. */
static void dbf_name_utf8(const char *name, char out[12], char (*taken)[12], size_t ntaken)
{
  snprintf(out, 12, "%s", name[0] ? name : "x");
  for (int k = 1;; k++) {
    int clash = 0;
    for (size_t j = 0; j < ntaken && !clash; j++) clash = !spill__strcasecmp(out, taken[j]);
    if (!clash) return;
    {
      char suf[8];
      int sl = snprintf(suf, sizeof suf, "_%d", k), len = (int)strlen(name);
      int keep = len + sl > 10 ? utf8_cut(name, 10 - sl) : len;
      memcpy(out, name, (size_t)keep);
      memcpy(out + keep, suf, (size_t)sl + 1);
    }
  }
}

/* Width and decimals that keep NUM_DIGITS significant digits of every
 * value (fewer decimals when the values need fewer). */
static int num_spec(spill_ctx *ctx, const spill_field_column *col, size_t n, int *width, int *dec)
{
  double mx = 0;
  int neg = 0, d = 0, intd;
  for (size_t i = 0; i < n; i++) {
    double v = col->values[i];
    if (!isfinite(v)) continue;
    mx = fmax(mx, fabs(v));
    if (v < 0) neg = 1;
    if (v != 0) {
      int need = NUM_DIGITS - 1 - (int)floor(log10(fabs(v))), e;
      if (need > 15) need = 15;
      for (e = 0; e < need; e++) { /* the fewest decimals that give v back */
        char buf[64];
        snprintf(buf, sizeof buf, "%.*f", e, v);
        if (fabs(strtod(buf, NULL) - v) <= 1e-12 * fabs(v)) break;
      }
      if (e > d) d = e;
    }
  }
  intd = mx >= 1 ? (int)floor(log10(mx)) + 1 : 1;
  if (neg + intd + (d ? 1 + d : 0) > NUM_WIDTH_MAX) d = NUM_WIDTH_MAX - neg - intd - 1;
  if (d < 0) {
    if (neg + intd > NUM_WIDTH_MAX)
      return spill__fail(ctx, SPILL_EDATA, "column '%s': %g is too large for a DBF number field",
                         col->name, mx);
    d = 0;
  }
  *dec = d;
  *width = 1;
  for (size_t i = 0; i < n; i++) { /* as printed: rounding can add a digit */
    char buf[400];
    if (!isfinite(col->values[i])) continue;
    int len = snprintf(buf, sizeof buf, "%.*f", d, col->values[i]);
    if (len > *width) *width = len;
  }
  if (*width > NUM_WIDTH_MAX + 1)
    return spill__fail(ctx, SPILL_EDATA, "column '%s': %g is too large for a DBF number field",
                       col->name, mx);
  return SPILL_OK;
}

/* The attribute bytes of new field f for unit i, into rec (width bytes). */
static void format_cell(const spill_field_column *col, const newfield *f, size_t i, char *rec,
                        size_t *truncated)
{
  if (f->type == 'N') {
    double v = col->values[i];
    char buf[64];
    if (!isfinite(v)) {
      memset(rec, '*', (size_t)f->width); /* shapelib's and dBase's NULL number */
      return;
    }
    snprintf(buf, sizeof buf, "%*.*f", f->width, f->dec, v);
    memcpy(rec, buf, (size_t)f->width);
  } else {
    const char *s = col->text[i] ? col->text[i] : "";
    int len = (int)strlen(s);
    memset(rec, ' ', (size_t)f->width);
    if (len > f->width) {
      len = utf8_cut(s, f->width);
      (*truncated)++;
    }
    memcpy(rec, s, (size_t)len);
  }
}

/* A field of the source carried to the output: raw bytes copied from the
 * source record (off, width), or its text cells re-written (raw < 0). */
typedef struct srcfield {
  char name[12];
  char type;
  int width, dec, off, raw;
} srcfield;

/* name cut to at most 10 bytes on a UTF-8 character boundary */
static void cut_name(const char *name, char out[12])
{
  int len = (int)strlen(name);
  if (len > 10) len = utf8_cut(name, 10);
  memcpy(out, name, (size_t)len);
  out[len] = '\0';
}

/* A source cell's text into rec (f->width bytes): text left-aligned,
 * numbers right-aligned (as dBASE writes them). */
static void format_text(const char *s, const srcfield *f, char *rec, size_t *truncated)
{
  int len = (int)strlen(s);
  memset(rec, ' ', (size_t)f->width);
  if (len > f->width) {
    len = f->type == 'C' ? utf8_cut(s, f->width) : f->width;
    (*truncated)++;
  }
  memcpy(rec + (f->type == 'N' ? f->width - len : 0), s, (size_t)len);
}

/* Signed area of a GEOS ring (shoelace; > 0 counter-clockwise). */
static double ring_area(GEOSContextHandle_t h, const GEOSCoordSequence *cs, unsigned m)
{
  double a = 0, x0 = 0, y0 = 0, x1, y1;
  if (m) GEOSCoordSeq_getXY_r(h, cs, 0, &x0, &y0);
  for (unsigned k = 1; k < m; k++) {
    GEOSCoordSeq_getXY_r(h, cs, k, &x1, &y1);
    a += x0 * y1 - x1 * y0;
    x0 = x1;
    y0 = y1;
  }
  return a / 2;
}

/* Unit i's GEOS geometry as a shapefile object: every ring a part, outer
 * rings clockwise and holes counter-clockwise (ESRI Shapefile Technical
 * Description, 1998, p. 8). */
static SHPObject *shp_object(spill_ctx *ctx, const spill_layer *L, size_t i)
{
  GEOSContextHandle_t h = L->geos;
  const GEOSGeometry *g = L->geoms[i];
  int np, nparts = 0, nv = 0, *starts = NULL;
  double *x = NULL, *y = NULL;
  SHPObject *o = NULL;
  if (GEOSGeomTypeId_r(h, g) == GEOS_POINT) {
    double px = 0, py = 0;
    GEOSGeomGetX_r(h, g, &px);
    GEOSGeomGetY_r(h, g, &py);
    return SHPCreateSimpleObject(SHPT_POINT, 1, &px, &py, NULL);
  }
  np = GEOSGetNumGeometries_r(h, g);
  for (int pass = 0; pass < 2; pass++) {
    nparts = nv = 0;
    for (int p = 0; p < np; p++) {
      const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
      int nh = GEOSGetNumInteriorRings_r(h, poly);
      for (int r = -1; r < nh; r++) {
        const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
        unsigned m = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &m)) goto done;
        if (pass) {
          int reverse = (r < 0) == (ring_area(h, cs, m) > 0);
          starts[nparts] = nv;
          for (unsigned k = 0; k < m; k++)
            GEOSCoordSeq_getXY_r(h, cs, reverse ? m - 1 - k : k, &x[nv + (int)k], &y[nv + (int)k]);
        }
        nparts++;
        nv += (int)m;
      }
    }
    if (!pass) {
      starts = malloc(((size_t)nparts + 1) * sizeof *starts);
      x = malloc(((size_t)nv + 1) * sizeof *x);
      y = malloc(((size_t)nv + 1) * sizeof *y);
      if (!starts || !x || !y) goto done;
    }
  }
  o = SHPCreateObject(SHPT_POLYGON, -1, nparts, starts, NULL, nv, x, y, NULL, NULL);
done:
  if (!o) spill__fail(ctx, SPILL_EDEP, "%s: unit %zu: cannot turn its geometry into shapefile parts", L->path, i + 1);
  free(starts);
  free(x);
  free(y);
  return o;
}

/* The .prj text of a layer not read from a shapefile: ESRI WKT. */
static int write_prj(spill_ctx *ctx, const spill_layer *L, const char *tbase)
{
  PJ *pj;
  const char *wkt;
  char *path;
  FILE *f;
  int rc = SPILL_OK;
  if (!L->has_prj || !L->prj) return SPILL_OK;
  pj = proj_create(ctx->proj, L->prj);
  wkt = pj ? proj_as_wkt(ctx->proj, pj, PJ_WKT1_ESRI, NULL) : NULL;
  if (!wkt) wkt = L->prj;
  path = spill__with_ext(ctx, tbase, "prj");
  f = path ? fopen(path, "wb") : NULL;
  if (!f || fputs(wkt, f) < 0) rc = spill__fail(ctx, SPILL_EIO, "cannot write %s: %s", path ? path : "the .prj", strerror(errno));
  if (f && fclose(f) != 0 && !rc) rc = spill__fail(ctx, SPILL_EIO, "cannot write %s", path);
  proj_destroy(pj);
  free(path);
  return rc;
}

int spill_layer_write_fields(spill_ctx *ctx, const spill_layer *L, size_t ncols,
                             const spill_field_column *cols, const char *out_shp,
                             spill_write_report *rep)
{
  spill_write_report local;
  SAHooks hooks;
  SHPHandle src = NULL, dst = NULL;
  DBFHandle sdbf = NULL, ddbf = NULL;
  char *sbase = NULL, *obase = NULL, *tbase = NULL, *path = NULL, *rec = NULL;
  char (*taken)[12] = NULL;
  newfield *nf = NULL;
  srcfield *sf = NULL;
  int nsrc = 0, stype = 0, nsf = 0, reclen, created = 0;
  /* text re-written in UTF-8 (with a UTF-8 .cpg) unless the source is a
   * shapefile already in UTF-8, whose records are copied byte for byte */
  int from_shp = L->source == SPILL__SRC_SHP, convert = !from_shp || strcmp(L->encoding, "UTF-8");
  int rc = SPILL_OK;
  char ext[16];
  if (!rep) rep = &local;
  memset(rep, 0, sizeof *rep);
  spill__extension(out_shp, ext);
  if (!strcmp(ext, "geojson") || !strcmp(ext, "json")) {
    for (size_t c = 0; c < ncols; c++)
      if (!cols[c].name || (!cols[c].values && !cols[c].text))
        return spill__fail(ctx, SPILL_EINVAL, "column %zu has no name or no values", c + 1);
    if (L->path && !strcmp(L->path, out_shp))
      return spill__fail(ctx, SPILL_EINVAL, "%s: the output would replace the map it is copied from; choose another name", out_shp);
    return spill__write_geojson(ctx, L, ncols, cols, out_shp, rep);
  }
  if (strcmp(ext, "shp"))
    return spill__fail(ctx, SPILL_EINVAL, "%s: name the output .shp (its .shx, .dbf, .prj and .cpg go beside it) or .geojson", out_shp);
  if (!L->path) return spill__fail(ctx, SPILL_EINVAL, "the layer has no source file");
  for (size_t c = 0; c < ncols; c++)
    if (!cols[c].name || (!cols[c].values && !cols[c].text))
      return spill__fail(ctx, SPILL_EINVAL, "column %zu has no name or no values", c + 1);
  if (!(sbase = spill__strip_ext(ctx, L->path)) || !(obase = spill__strip_ext(ctx, out_shp)) ||
      !(tbase = spill__temp_name(ctx, obase))) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  if (from_shp && !strcmp(sbase, obase)) {
    rc = spill__fail(ctx, SPILL_EINVAL, "%s: the output would replace the map it is copied from; choose another name", out_shp);
    goto done;
  }
  spill__shp_hooks(&hooks);
  if (from_shp) {
    src = SHPOpenLL(L->path, "rb", &hooks);
    {
      char *dbfp = sibling(ctx, sbase, "dbf");
      sdbf = dbfp ? DBFOpenLL(dbfp, "rb", &hooks) : NULL;
      free(dbfp);
    }
    if (!src || !sdbf) {
      rc = spill__fail(ctx, SPILL_EIO, "cannot reopen %s (and its .dbf) to copy its shapes", L->path);
      goto done;
    }
    SHPGetInfo(src, &nsrc, &stype, NULL, NULL);
    nsf = DBFGetFieldCount(sdbf);
  } else {
    stype = L->kind == SPILL_SHAPE_POINT ? SHPT_POINT : SHPT_POLYGON;
    nsf = (int)L->nfields;
  }

  /* the source's fields, then the new ones under unique DBF names */
  taken = spill__calloc(ctx, (size_t)nsf + ncols + 1, sizeof *taken);
  nf = spill__calloc(ctx, ncols + 1, sizeof *nf);
  sf = spill__calloc(ctx, (size_t)nsf + 1, sizeof *sf);
  if (!taken || !nf || !sf) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  reclen = 1; /* the deletion flag, then the fields */
  for (int f = 0, soff = 1; f < nsf; f++) {
    srcfield *q = &sf[f];
    if (from_shp) {
      DBFGetFieldInfo(sdbf, f, q->name, &q->width, &q->dec);
      q->type = DBFGetNativeFieldType(sdbf, f);
      q->off = soff;
      soff += q->width;
      q->raw = 1;
    } else {
      q->type = L->field_types[f];
      q->width = L->field_widths[f];
      q->dec = L->field_decimals[f];
      q->raw = 0;
    }
    if (convert) {
      char name[12];
      cut_name(L->field_names[f], name);
      dbf_name_utf8(name, q->name, taken, (size_t)f);
      if (q->type == 'C' || !from_shp) { /* re-written from the UTF-8 cells: as wide as they need */
        q->raw = 0;
        for (size_t i = 0; i < L->n && q->type == 'C'; i++) {
          int len = (int)strlen(L->cells[i * L->nfields + (size_t)f]);
          if (len > q->width) q->width = len > 254 ? 254 : len;
        }
      }
    }
    memcpy(taken[f], q->name, 12);
    reclen += q->width;
  }
  for (size_t c = 0; c < ncols; c++) {
    newfield *f = &nf[c];
    dbf_name(cols[c].name, f->name, taken, (size_t)nsf + c);
    memcpy(taken[nsf + c], f->name, 12);
    if (strcmp(f->name, cols[c].name)) {
      size_t used = strlen(rep->renames);
      rep->renamed++;
      snprintf(rep->renames + used, sizeof rep->renames - used, "%s%s->%s", used ? ", " : "",
               cols[c].name, f->name);
    }
    if (cols[c].values) {
      f->type = 'N';
      if ((rc = num_spec(ctx, &cols[c], L->n, &f->width, &f->dec))) goto done;
    } else {
      f->type = 'C';
      f->width = 1;
      for (size_t i = 0; i < L->n; i++)
        if (cols[c].text[i] && (int)strlen(cols[c].text[i]) > f->width)
          f->width = (int)strlen(cols[c].text[i]);
      if (f->width > 254) f->width = 254;
    }
    reclen += f->width;
    {
      size_t used = strlen(rep->fields);
      if (f->type == 'N')
        snprintf(rep->fields + used, sizeof rep->fields - used, "%s%s N(%d,%d)", used ? ", " : "",
                 f->name, f->width, f->dec);
      else
        snprintf(rep->fields + used, sizeof rep->fields - used, "%s%s C(%d)", used ? ", " : "",
                 f->name, f->width);
    }
  }
  rec = spill__malloc(ctx, (size_t)reclen + 1);
  if (!rec) {
    rc = SPILL_ENOMEM;
    goto done;
  }

  /* write under temporary names */
  free(path);
  if (!(path = spill__with_ext(ctx, tbase, "shp"))) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  created = 1;
  dst = SHPCreateLL(path, stype, &hooks);
  {
    const char *cp = from_shp ? DBFGetCodePage(sdbf) : NULL;
    free(path);
    if (!(path = spill__with_ext(ctx, tbase, "dbf"))) {
      rc = SPILL_ENOMEM;
      goto done;
    }
    /* converted text: no language byte (the .cpg says UTF-8) */
    ddbf = DBFCreateLL(path, convert ? "LDID/0" : cp && !strncmp(cp, "LDID/", 5) ? cp : "LDID/87", &hooks);
  }
  if (!dst || !ddbf) {
    rc = spill__fail(ctx, SPILL_EIO, "cannot write %s: %s (is the folder there and writable?)",
                     out_shp, strerror(errno));
    goto done;
  }
  for (int f = 0; f < nsf; f++) {
    if (DBFAddNativeFieldType(ddbf, sf[f].name, sf[f].type, sf[f].width, sf[f].dec) < 0) {
      rc = spill__fail(ctx, SPILL_EIO, "%s: cannot add field %s", out_shp, sf[f].name);
      goto done;
    }
  }
  for (size_t c = 0; c < ncols; c++) {
    if (DBFAddNativeFieldType(ddbf, nf[c].name, nf[c].type, nf[c].width, nf[c].dec) < 0) {
      rc = spill__fail(ctx, SPILL_EIO, "%s: cannot add field %s (%c %d.%d)", out_shp, nf[c].name,
                       nf[c].type, nf[c].width, nf[c].dec);
      goto done;
    }
  }
  for (size_t i = 0; i < L->n; i++) {
    int r = (int)(L->records ? L->records[i] - 1 : (int64_t)i);
    SHPObject *obj;
    const char *tuple = NULL;
    size_t off = 1;
    if (from_shp) {
      obj = r >= 0 && r < nsrc ? SHPReadObject(src, r) : NULL;
      tuple = obj ? DBFReadTuple(sdbf, r) : NULL;
      if (!obj || !tuple) {
        if (obj) SHPDestroyObject(obj);
        rc = spill__fail(ctx, SPILL_EFORMAT, "%s, record %d: cannot read it again to copy it", L->path, r + 1);
        goto done;
      }
    } else if (!(obj = shp_object(ctx, L, i))) {
      rc = spill_ctx_status(ctx) ? spill_ctx_status(ctx) : SPILL_ENOMEM;
      goto done;
    }
    if (SHPWriteObject(dst, -1, obj) < 0) {
      SHPDestroyObject(obj);
      rc = spill__fail(ctx, SPILL_EIO, "cannot write %s, record %zu (disk full?)", out_shp, i + 1);
      goto done;
    }
    SHPDestroyObject(obj);
    rec[0] = tuple ? tuple[0] : ' ';
    for (int f = 0; f < nsf; f++) {
      if (sf[f].raw) memcpy(rec + off, tuple + sf[f].off, (size_t)sf[f].width);
      else format_text(L->cells[i * L->nfields + (size_t)f], &sf[f], rec + off, &rep->truncated);
      off += (size_t)sf[f].width;
    }
    for (size_t c = 0; c < ncols; c++) {
      format_cell(&cols[c], &nf[c], i, rec + off, &rep->truncated);
      off += (size_t)nf[c].width;
    }
    if (!DBFWriteTuple(ddbf, (int)i, rec)) {
      rc = spill__fail(ctx, SPILL_EIO, "cannot write %s, record %zu (disk full?)", out_shp, i + 1);
      goto done;
    }
  }
  SHPClose(dst);
  dst = NULL;
  DBFClose(ddbf);
  ddbf = NULL;
  /* .prj copied (or written from the layer's CRS); .cpg copied, or UTF-8 */
  for (int e = 3; e < 5; e++) {
    char *from = sibling(ctx, sbase, side_ext[e]), *to = spill__with_ext(ctx, tbase, side_ext[e]);
    int copied = 0;
    if (!from || !to) rc = SPILL_ENOMEM;
    else if (e == 3 && !from_shp) rc = write_prj(ctx, L, tbase);
    else if (e == 4 && (convert || access(from, F_OK) != 0)) {
      FILE *f = fopen(to, "wb");
      if (!f || fputs("UTF-8\n", f) < 0) rc = spill__fail(ctx, SPILL_EIO, "cannot write %s: %s", to, strerror(errno));
      if (f && fclose(f) != 0 && !rc) rc = spill__fail(ctx, SPILL_EIO, "cannot write %s", to);
    } else rc = copy_file(ctx, from, to, &copied);
    free(from);
    free(to);
    if (rc) goto done;
  }
  if ((rc = spill__shp_commit(ctx, tbase, obase))) goto done;
  created = 0;
  rep->fields_added = ncols;
  if (convert && from_shp)
    spill__notice(ctx, "%s: text written in UTF-8 (converted from the map's %s), with a .cpg saying so", out_shp,
                  L->encoding);
  if (rep->truncated)
    spill__notice(ctx, "%s: %zu text cells were longer than 254 bytes and were cut", out_shp, rep->truncated);
done:
  if (dst) SHPClose(dst);
  if (ddbf) DBFClose(ddbf);
  if (src) SHPClose(src);
  if (sdbf) DBFClose(sdbf);
  if (created && tbase) spill__shp_abort(ctx, tbase); /* leave nothing half-written */
  free(sbase);
  free(obase);
  free(tbase);
  free(path);
  free(rec);
  free(taken);
  free(nf);
  free(sf);
  return rc;
}

/* 1 when every non-missing cell of column c parses as a number. */
static int numeric_column(const spill__table *t, size_t c)
{
  for (size_t r = 0; r < t->nrows; r++) {
    const char *s = spill__table_cell(t, r, c);
    char *end;
    if (spill__table_is_missing(t, r, c)) continue;
    strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == s || *end) return 0;
  }
  return 1;
}

int spill_layer_write_joined(spill_ctx *ctx, const spill_layer *L, const char *csv_path,
                             const char *csv_id_col, int allow_unmatched, const char *out_shp,
                             spill_match_report *match, spill_write_report *rep)
{
  spill_match_report mlocal;
  spill__table *t = NULL;
  size_t *unit_row = NULL, nc = 0;
  spill_field_column *cols = NULL;
  double *num = NULL;
  const char **text = NULL;
  long idc = -1;
  int rc;
  if (!match) match = &mlocal;
  t = spill__table_read(ctx, csv_path);
  if (!t) return spill_ctx_status(ctx);
  unit_row = spill__malloc(ctx, (L->n ? L->n : 1) * sizeof *unit_row);
  cols = spill__calloc(ctx, t->ncols ? t->ncols : 1, sizeof *cols);
  num = spill__malloc(ctx, (t->ncols * L->n + 1) * sizeof *num);
  text = spill__calloc(ctx, t->ncols * L->n + 1, sizeof *text);
  if (!unit_row || !cols || !num || !text) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  rc = spill__match_rows(ctx, L, t, csv_id_col, allow_unmatched, unit_row, &idc, match);
  if (rc) goto done;
  for (size_t c = 0; c < t->ncols; c++) {
    double *v = num + nc * L->n;
    const char **s = text + nc * L->n;
    if ((long)c == idc) continue;
    cols[nc].name = t->names[c];
    if (numeric_column(t, c)) {
      for (size_t i = 0; i < L->n; i++) {
        size_t r = unit_row[i];
        v[i] = r == (size_t)-1 || spill__table_is_missing(t, r, c)
                   ? NAN
                   : strtod(spill__table_cell(t, r, c), NULL);
      }
      cols[nc].values = v;
    } else {
      for (size_t i = 0; i < L->n; i++)
        s[i] = unit_row[i] == (size_t)-1 ? NULL : spill__table_cell(t, unit_row[i], c);
      cols[nc].text = s;
    }
    nc++;
  }
  rc = spill_layer_write_fields(ctx, L, nc, cols, out_shp, rep);
done:
  spill__table_free(t);
  free(unit_row);
  free(cols);
  free(num);
  free(text);
  return rc;
}

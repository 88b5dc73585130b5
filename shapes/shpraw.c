/* The vertices-only read of a polygon shapefile (`spill weights queen|rook`)
 * straight from the bytes of the .shp: records located by shapelib's .shx
 * index, read through one reused window (pread, no copy of the whole file),
 * their points copied once into the layer's vertex array. The same vertices
 * as SHPReadObject gives (a test compares them on every shared map) and the
 * same checks, each refusal naming the file, the record and what is wrong.
 * Record layout: ESRI Shapefile Technical Description (1998), pp. 4-9:
 * an 8-byte big-endian header (number, content length), then little-endian
 * type, box (4 doubles), NumParts, NumPoints, Parts[NumParts] (int32),
 * Points[NumPoints] (x, y doubles); PolygonZ then has a Z range and Z array
 * and optional M data, which contiguity does not use. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shapes/read.h"

/* ---- little-endian fields -------------------------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

static uint32_t le32(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double le_double(const unsigned char *p)
{
  uint64_t u = 0;
  double d;
  for (int k = 7; k >= 0; k--) u = u << 8 | p[k];
  memcpy(&d, &u, sizeof d);
  return d;
}

/* n points (x, y little-endian doubles) from src into dst (interleaved). */
static void copy_points(double *dst, const unsigned char *src, size_t n)
{
  if (HOST_LE) {
    memcpy(dst, src, n * 16);
    return;
  }
  for (size_t k = 0; k < 2 * n; k++) dst[k] = le_double(src + 8 * k);
}

/* ---- a window on the .shp -------------------------------------------- */

typedef struct window {
  int fd;
  uint64_t fsize;     /* bytes in the file */
  unsigned char *buf; /* file bytes start .. start + len */
  size_t cap, len;
  uint64_t start;
} window;

enum { WINDOW_BYTES = 2u << 20 };

/* Bytes off .. off + n of the file, or NULL (*why says why: beyond the end,
 * an I/O error, memory). Records lie in file order in practice, so each
 * refill starts at the record asked for and the window moves forward. */
static const unsigned char *window_get(window *w, uint64_t off, size_t n, const char **why)
{
  size_t want, got = 0;
  if (off > w->fsize || n > w->fsize - off) {
    *why = "it runs past the end of the file";
    return NULL;
  }
  if (off >= w->start && off - w->start <= w->len && n <= w->len - (size_t)(off - w->start))
    return w->buf + (off - w->start);
  want = n > WINDOW_BYTES ? n : WINDOW_BYTES;
  if (want > w->fsize - off) want = (size_t)(w->fsize - off);
  if (want > w->cap) {
    unsigned char *b = spill__malloc_big(NULL, want, 1);
    if (!b) {
      *why = "out of memory";
      return NULL;
    }
    free(w->buf);
    w->buf = b;
    w->cap = want;
  }
  w->start = off;
  w->len = 0;
  while (got < want) {
    ssize_t r = pread(w->fd, w->buf + got, want - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      *why = r < 0 ? strerror(errno) : "the file is shorter than it was";
      return NULL;
    }
    got += (size_t)r;
  }
  w->len = got;
  return w->buf;
}

/* ---- one record --------------------------------------------------------- */

/* A polygon record as SHPReadObject accepts it (shapelib 1.5 shpopen.c:
 * the same size, count and part checks). */
typedef struct prec {
  uint32_t nparts, npoints;
  const unsigned char *parts, *xy;
} prec;

static int polygon_type(int t) { return t == SHPT_POLYGON || t == SHPT_POLYGONZ || t == SHPT_POLYGONM; }

/* 0: parsed; -1: corrupt (*why, with numbers in buf). rec holds len bytes,
 * the 8-byte header included. */
static int parse_polygon(const unsigned char *rec, size_t len, int type, prec *p, char *buf, size_t bufsize)
{
  uint64_t need;
  if (len < 52) {
    snprintf(buf, bufsize, "%zu bytes long, too short for a polygon record (52)", len);
    return -1;
  }
  p->nparts = le32(rec + 44);
  p->npoints = le32(rec + 48);
  if (p->npoints > 50u * 1000 * 1000 || p->nparts > 10u * 1000 * 1000) {
    snprintf(buf, bufsize, "it claims %u points in %u parts, beyond what a record can hold", p->npoints, p->nparts);
    return -1;
  }
  need = 52 + 4 * (uint64_t)p->nparts + 16 * (uint64_t)p->npoints;
  if (type == SHPT_POLYGONZ) need += 16 + 8 * (uint64_t)p->npoints;
  if (need > len) {
    snprintf(buf, bufsize, "%u points in %u parts need %llu bytes but the record has %zu", p->npoints, p->nparts,
             (unsigned long long)need, len);
    return -1;
  }
  p->parts = rec + 52;
  p->xy = rec + 52 + 4 * (size_t)p->nparts;
  for (uint32_t k = 0; k < p->nparts; k++) {
    int32_t s = (int32_t)le32(p->parts + 4 * k), prev = k ? (int32_t)le32(p->parts + 4 * (k - 1)) : -1;
    if (s < 0 || (p->npoints > 0 && (uint32_t)s >= p->npoints) || (p->npoints == 0 && s > 0)) {
      snprintf(buf, bufsize, "part %u starts at point %d, outside the record's points 0..%u", k + 1, (int)s,
               p->npoints ? p->npoints - 1 : 0);
      return -1;
    }
    if (k > 0 && s <= prev) {
      snprintf(buf, bufsize, "part %u starts at point %d, not after part %u (at %d)", k + 1, (int)s, k, (int)prev);
      return -1;
    }
  }
  return 0;
}

/* ---- the reader --------------------------------------------------------- */

typedef struct vbuf {
  double *xy;
  size_t n, cap; /* vertices */
} vbuf;

static int vbuf_reserve(spill_ctx *ctx, vbuf *v, size_t need)
{
  size_t c = v->cap ? v->cap : 4096;
  double *p;
  if (need <= v->cap) return 0;
  while (c < need) c *= 2;
  if (c > SIZE_MAX / 16) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading vertices");
  p = realloc(v->xy, c * 16);
  if (!p) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading vertices");
  v->xy = p;
  v->cap = c;
  return 0;
}

/* Append the rings of a record (nparts parts starting at start[k] among
 * npoints points; each ring closed) the way layer.c's append_rings does.
 * Points come either as raw little-endian bytes (raw) or as shapelib's
 * arrays (x, y). Returns the 1-based first non-finite vertex in *bad. */
static int append_record(spill_ctx *ctx, vbuf *v, uint32_t nparts, const unsigned char *rawparts, const int *start,
                         uint32_t npoints, const unsigned char *raw, const double *x, const double *y)
{
  uint32_t np = nparts ? nparts : 1;
  if (vbuf_reserve(ctx, v, v->n + (size_t)npoints + np)) return SPILL_ENOMEM;
  for (uint32_t k = 0; k < np; k++) {
    uint32_t a = nparts ? (rawparts ? le32(rawparts + 4 * k) : (uint32_t)start[k]) : 0;
    uint32_t b = k + 1 < nparts ? (rawparts ? le32(rawparts + 4 * (k + 1)) : (uint32_t)start[k + 1]) : npoints;
    double *d = v->xy + 2 * v->n;
    size_t len;
    if (a > b || b > npoints) return spill__fail(ctx, SPILL_EFORMAT, "part %u has bad offsets", k + 1);
    len = b - a;
    if (raw) copy_points(d, raw + 16 * (size_t)a, len);
    else
      for (size_t q = 0; q < len; q++) {
        d[2 * q] = x[a + q];
        d[2 * q + 1] = y[a + q];
      }
    v->n += len;
    if (len > 0 && (d[0] != d[2 * len - 2] || d[1] != d[2 * len - 1])) { /* close the ring */
      d[2 * len] = d[0];
      d[2 * len + 1] = d[1];
      v->n++;
    }
  }
  return 0;
}

/* 1-based number of the first vertex of the record that is not finite, or 0. */
static size_t first_nonfinite(uint32_t npoints, const unsigned char *raw, const double *x, const double *y)
{
  for (uint32_t k = 0; k < npoints; k++) {
    double px = raw ? le_double(raw + 16 * (size_t)k) : x[k], py = raw ? le_double(raw + 16 * (size_t)k + 8) : y[k];
    if (!isfinite(px) || !isfinite(py)) return (size_t)k + 1;
  }
  return 0;
}

int spill__shp_read_vertices(spill_ctx *ctx, spill_layer *L, SHPHandle shp, int nrec, const char *shp_path,
                             const spill_read_opts *o)
{
  window w = {-1, 0, NULL, 0, 0, 0};
  vbuf v = {NULL, 0, 0};
  struct stat st;
  char why[200];
  int rc = 0;
  L->kind = SPILL_SHAPE_POLYGON;
  L->geoms = spill__calloc(ctx, (size_t)nrec + 1, sizeof *L->geoms);
  L->records = spill__calloc(ctx, (size_t)nrec + 1, sizeof *L->records);
  L->vstart = spill__calloc(ctx, (size_t)nrec + 2, sizeof *L->vstart);
  if (!L->geoms || !L->records || !L->vstart) return spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", shp_path);
  w.fd = open(shp_path, O_RDONLY);
  if (w.fd < 0 || fstat(w.fd, &st) != 0) {
    rc = spill__fail(ctx, SPILL_EIO, "%s: %s", shp_path, strerror(errno));
    goto done;
  }
  w.fsize = (uint64_t)st.st_size;
  /* Room for every point of the file: 16 bytes each there. Pages are
   * touched (and cost) only as vertices arrive; closing vertices that the
   * file leaves out grow the array if ever needed. */
  v.cap = (size_t)(w.fsize / 16) + 1024;
  v.xy = spill__malloc_big(ctx, v.cap, 16);
  if (!v.xy) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  L->bounds[0] = L->bounds[1] = INFINITY;
  L->bounds[2] = L->bounds[3] = -INFINITY;
  for (int i = 0; i < nrec && !rc; i++) {
    uint64_t off = shp->panRecOffset[i];
    size_t len = (size_t)shp->panRecSize[i] + 8;
    const char *err = NULL;
    const unsigned char *rec;
    SHPObject *obj = NULL;
    prec p = {0, 0, NULL, NULL};
    size_t first = v.n, bad;
    int type;
    if ((i & 4095) == 0) spill__progress(ctx, "reading shapes", (double)i / nrec);
    rec = len >= 12 ? window_get(&w, off, len, &err) : NULL;
    if (!rec) {
      rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d (byte %llu, %zu bytes by the .shx) cannot be read: %s", shp_path,
                       i + 1, (unsigned long long)off, len, err ? err : "shorter than a record header");
      break;
    }
    type = (int)le32(rec + 8);
    if (polygon_type(type)) {
      if (parse_polygon(rec, len, type, &p, why, sizeof why)) {
        rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d is corrupt: %s", shp_path, i + 1, why);
        break;
      }
    } else if (type != SHPT_NULL) { /* an odd record type: shapelib reads it */
      obj = SHPReadObject(shp, i);
      if (!obj) {
        rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d cannot be read (corrupt or truncated)", shp_path, i + 1);
        break;
      }
      p.npoints = obj->nVertices > 0 ? (uint32_t)obj->nVertices : 0;
      p.nparts = obj->nParts > 0 ? (uint32_t)obj->nParts : 0;
    }
    bad = first_nonfinite(p.npoints, p.xy, obj ? obj->padfX : NULL, obj ? obj->padfY : NULL);
    if (bad) {
      rc = spill__fail(ctx, SPILL_EFORMAT, "%s: record %d: vertex %zu has a coordinate that is not a finite number",
                       shp_path, i + 1, bad);
    } else if (type == SHPT_NULL || p.npoints == 0) {
      if (o->skip_null) L->skipped++;
      else
        rc = spill__fail(ctx, SPILL_EDATA,
                         "%s: record %d is a null shape (no geometry); remove it or use --skip-null to leave it out",
                         shp_path, i + 1);
      SHPDestroyObject(obj);
      continue;
    } else if (append_record(ctx, &v, p.nparts, p.parts, obj ? obj->panPartStart : NULL, p.npoints, p.xy,
                             obj ? obj->padfX : NULL, obj ? obj->padfY : NULL)) {
      rc = spill_ctx_status(ctx);
      spill__fail_prefix(ctx, "%s: record %d: ", shp_path, i + 1);
    }
    SHPDestroyObject(obj);
    if (rc) break;
    for (size_t q = first; q < v.n; q++) {
      double x = v.xy[2 * q], y = v.xy[2 * q + 1];
      if (x < L->bounds[0]) L->bounds[0] = x;
      if (y < L->bounds[1]) L->bounds[1] = y;
      if (x > L->bounds[2]) L->bounds[2] = x;
      if (y > L->bounds[3]) L->bounds[3] = y;
    }
    L->records[L->n] = i + 1;
    L->vstart[L->n] = (int64_t)first;
    L->n++;
    L->vstart[L->n] = (int64_t)v.n;
  }
  if (!rc && L->n == 0)
    rc = spill__fail(ctx, SPILL_EDATA, "%s: no shapes to read (%d record%s, %zu null)", shp_path, nrec,
                     nrec == 1 ? "" : "s", L->skipped);
done:
  if (w.fd >= 0) close(w.fd);
  free(w.buf);
  L->vxy = v.xy;
  return rc;
}

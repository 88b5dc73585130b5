/* The vertices-only read of shapefiles (shapes/shpraw.c, the path of
 * `spill weights queen|rook`): the same vertices, record numbers and bounds
 * as shapelib's SHPReadObject gives on every shared map and on hand-made
 * records (holes, several parts, an unclosed ring, PolygonZ, null shapes,
 * an odd record type), and corrupt records refused naming the file and the
 * record. The expected vertices are rebuilt here from SHPReadObject with
 * the layer's rule (each part's points, closed when the file leaves the
 * ring open). */
#include <math.h>
#include "check.h"
#include "shp_fixture.h"
#include "shapes/layer.h"

static spill_ctx *ctx;

typedef struct expect {
  size_t n, nv;
  double *xy;
  int64_t *vstart, *records;
} expect;

static void expect_free(expect *e)
{
  free(e->xy);
  free(e->vstart);
  free(e->records);
  memset(e, 0, sizeof *e);
}

/* The layer's vertices from SHPReadObject; null shapes left out. */
static int expected(const char *path, expect *e)
{
  SHPHandle h = SHPOpen(path, "rb");
  int nrec = 0;
  size_t cap = 1024;
  memset(e, 0, sizeof *e);
  if (!h) return -1;
  SHPGetInfo(h, &nrec, NULL, NULL, NULL);
  e->xy = malloc(2 * cap * sizeof *e->xy);
  e->vstart = calloc((size_t)nrec + 2, sizeof *e->vstart);
  e->records = calloc((size_t)nrec + 1, sizeof *e->records);
  for (int i = 0; i < nrec; i++) {
    SHPObject *o = SHPReadObject(h, i);
    int np;
    if (!o) {
      SHPClose(h);
      return -1;
    }
    if (o->nVertices == 0) {
      SHPDestroyObject(o);
      continue;
    }
    np = o->nParts > 0 ? o->nParts : 1;
    e->vstart[e->n] = (int64_t)e->nv;
    for (int k = 0; k < np; k++) {
      int a = o->nParts > 0 ? o->panPartStart[k] : 0, b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
      if (e->nv + (size_t)(b - a) + 1 > cap) {
        while (e->nv + (size_t)(b - a) + 1 > cap) cap *= 2;
        e->xy = realloc(e->xy, 2 * cap * sizeof *e->xy);
      }
      for (int q = a; q < b; q++) {
        e->xy[2 * e->nv] = o->padfX[q];
        e->xy[2 * e->nv + 1] = o->padfY[q];
        e->nv++;
      }
      if (b > a && (o->padfX[a] != o->padfX[b - 1] || o->padfY[a] != o->padfY[b - 1])) {
        e->xy[2 * e->nv] = o->padfX[a];
        e->xy[2 * e->nv + 1] = o->padfY[a];
        e->nv++;
      }
    }
    e->records[e->n++] = i + 1;
    e->vstart[e->n] = (int64_t)e->nv;
    SHPDestroyObject(o);
  }
  SHPClose(h);
  return 0;
}

/* The vertices-only read of path equals SHPReadObject's vertices, bit for bit. */
static void same_as_shapelib(const char *path, const char *what)
{
  spill_read_opts o = {.vertices_only = 1, .skip_null = 1};
  spill_layer *L = spill_layer_read(ctx, path, &o);
  expect e;
  CHECK_MSG(L != NULL, "%s: %s", what, spill_ctx_error(ctx));
  CHECK_MSG(expected(path, &e) == 0, "%s: shapelib cannot read it", what);
  if (L && e.xy) {
    double b[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    CHECK_EQ_INT(L->n, e.n);
    CHECK_MSG(L->n == e.n && !memcmp(L->vstart, e.vstart, (e.n + 1) * sizeof *e.vstart), "%s: vertex offsets", what);
    CHECK_MSG(L->n == e.n && !memcmp(L->records, e.records, e.n * sizeof *e.records), "%s: record numbers", what);
    CHECK_MSG(L->n == e.n && e.nv == (size_t)L->vstart[L->n] && !memcmp(L->vxy, e.xy, 2 * e.nv * sizeof *e.xy),
              "%s: vertices differ", what);
    if (L->n > 0) { /* no geometries: what needs them says so, never dereferences one */
      double *vals = calloc(L->n, sizeof *vals);
      char out[1200];
      snprintf(out, sizeof out, "%s.vo.png", path);
      CHECK(spill_map_draw(ctx, L, vals, NULL, NULL, out, NULL) != 0 &&
            strstr(spill_ctx_error(ctx), "vertices only"));
      snprintf(out, sizeof out, "%s.vo.geojson", path);
      CHECK(spill_layer_write_fields(ctx, L, 0, NULL, out, NULL) != 0 &&
            strstr(spill_ctx_error(ctx), "vertices only"));
      free(vals);
    }
    for (size_t k = 0; k < e.nv; k++) {
      b[0] = fmin(b[0], e.xy[2 * k]);
      b[1] = fmin(b[1], e.xy[2 * k + 1]);
      b[2] = fmax(b[2], e.xy[2 * k]);
      b[3] = fmax(b[3], e.xy[2 * k + 1]);
    }
    CHECK_MSG(!memcmp(L->bounds, b, sizeof b), "%s: bounds", what);
    for (size_t i = 0; i < L->n; i++) CHECK(L->geoms[i] == NULL);
    printf("%-28s %zu units, %zu vertices: identical to SHPReadObject\n", what, e.n, e.nv);
  }
  expect_free(&e);
  spill_layer_free(L);
}

static void test_shared_maps(void)
{
  static const char *maps[] = {"columbus", "nc_sids", "us48", "georgia_utm", "world", "china_prefectures",
                               "china_counties"};
  for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
    char rel[128], path[1024];
    snprintf(rel, sizeof rel, "data/%s.shp", maps[m]);
    if (!check_shared(rel, path, sizeof path)) continue;
    same_as_shapelib(path, maps[m]);
  }
}

/* A record of nparts rings of type (POLYGON or POLYGONZ, z = x + y). */
static void write_rings(SHPHandle h, int type, int nparts, const int *starts, int nv, const double *x, const double *y)
{
  double z[64];
  for (int k = 0; k < nv && k < 64; k++) z[k] = x[k] + y[k];
  SHPObject *o = SHPCreateObject(type, -1, nparts, starts, NULL, nv, x, y, type == SHPT_POLYGONZ ? z : NULL, NULL);
  SHPWriteObject(h, -1, o);
  SHPDestroyObject(o);
}

/* BASE.shp/.shx/.dbf of type: a square; a square with a square hole; two
 * squares in one record (one ring left open); a null shape; a square. */
static void write_map(const char *base, int type)
{
  char p[1100];
  double x[16], y[16];
  int starts[3] = {0, 5, 10};
  SHPHandle h;
  DBFHandle d;
  snprintf(p, sizeof p, "%s.shp", base);
  h = SHPCreate(p, type);
  snprintf(p, sizeof p, "%s.dbf", base);
  d = DBFCreate(p);
  DBFAddField(d, "id", FTInteger, 8, 0);
  fx_square_ring(0, 0, 1, 1, x, y);
  write_rings(h, type, 1, starts, 5, x, y);
  fx_square_ring(1, 0, 3, 1, x, y);
  fx_square_ring(2, 1, 1, 0, x + 5, y + 5);
  write_rings(h, type, 2, starts, 10, x, y);
  fx_square_ring(4, 0, 1, 1, x, y);
  fx_square_ring(6, 0, 1, 1, x + 5, y + 5);
  write_rings(h, type, 2, starts, 9, x, y); /* the second ring without its closing point */
  {
    SHPObject *o = SHPCreateSimpleObject(SHPT_NULL, 0, NULL, NULL, NULL);
    SHPWriteObject(h, -1, o);
    SHPDestroyObject(o);
  }
  fx_square_ring(0, 1, 1, 1, x, y);
  write_rings(h, type, 1, starts, 5, x, y);
  for (int i = 0; i < 5; i++) DBFWriteIntegerAttribute(d, i, 0, 10 + i);
  SHPClose(h);
  DBFClose(d);
}

/* Offset of record rec (0-based) in BASE.shp, from its .shx. */
static long record_offset(const char *base, int rec)
{
  char p[1100];
  SHPHandle h;
  long off;
  snprintf(p, sizeof p, "%s.shp", base);
  h = SHPOpen(p, "rb");
  if (!h) return -1;
  off = (long)h->panRecOffset[rec];
  SHPClose(h);
  return off;
}

static void patch(const char *path, long off, const void *bytes, size_t n)
{
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  if (!f) return;
  fseek(f, off, SEEK_SET);
  fwrite(bytes, 1, n, f);
  fclose(f);
}

static void le32(unsigned char *b, uint32_t v)
{
  for (int k = 0; k < 4; k++) b[k] = (unsigned char)(v >> (8 * k));
}

static void test_handmade(const char *dir)
{
  char base[1024], shp[1100];
  snprintf(base, sizeof base, "%s/raw", dir);
  snprintf(shp, sizeof shp, "%s.shp", base);
  write_map(base, SHPT_POLYGON);
  same_as_shapelib(shp, "polygons, hole, open ring");
  {
    spill_read_opts o = {.vertices_only = 1};
    spill_layer *L = spill_layer_read(ctx, shp, &o);
    CHECK(L == NULL && strstr(spill_ctx_error(ctx), "record 4 is a null shape"));
    spill_layer_free(L);
  }
  write_map(base, SHPT_POLYGONZ);
  same_as_shapelib(shp, "PolygonZ");
  { /* a record larger than the reader's window (2 MB): 200,000 points */
    enum { NP = 200000 };
    double *x = malloc((NP + 1) * sizeof *x), *y = malloc((NP + 1) * sizeof *y);
    int start[1] = {0};
    char p[1100];
    SHPHandle h;
    DBFHandle d;
    snprintf(p, sizeof p, "%s_big.shp", base);
    h = SHPCreate(p, SHPT_POLYGON);
    snprintf(p, sizeof p, "%s_big.dbf", base);
    d = DBFCreate(p);
    DBFAddField(d, "id", FTInteger, 8, 0);
    for (int r = 0; r < 3; r++) { /* small, big, small */
      int np = r == 1 ? NP : 50;
      for (int k = 0; k < np; k++) {
        x[k] = 3 * r + cos(-6.283185307179586 * k / np);
        y[k] = sin(-6.283185307179586 * k / np);
      }
      x[np] = x[0];
      y[np] = y[0];
      write_rings(h, SHPT_POLYGON, 1, start, np + 1, x, y);
      DBFWriteIntegerAttribute(d, r, 0, r);
    }
    SHPClose(h);
    DBFClose(d);
    snprintf(p, sizeof p, "%s_big.shp", base);
    same_as_shapelib(p, "a record beyond the window");
    free(x);
    free(y);
  }
  { /* a record of another type (an arc: the same layout) goes through shapelib */
    unsigned char t[4];
    write_map(base, SHPT_POLYGON);
    le32(t, SHPT_ARC);
    patch(shp, record_offset(base, 1) + 8, t, 4);
    same_as_shapelib(shp, "an arc record among polygons");
  }
}

/* Corrupt record 2 of a fresh map at byte `at` of the record (or of the
 * .shx when shx) and check the read fails naming the file and record 2 and
 * saying `why`. */
static void corrupt(const char *dir, const char *what, int shx, long at, uint32_t value, const char *why)
{
  char base[1024], path[1100];
  unsigned char b[4];
  spill_read_opts o = {.vertices_only = 1, .skip_null = 1};
  spill_layer *L;
  snprintf(base, sizeof base, "%s/bad", dir);
  write_map(base, SHPT_POLYGON);
  snprintf(path, sizeof path, "%s.%s", base, shx ? "shx" : "shp");
  if (shx) { /* big-endian 16-bit words, like the file */
    b[0] = (unsigned char)(value >> 24), b[1] = (unsigned char)(value >> 16), b[2] = (unsigned char)(value >> 8),
    b[3] = (unsigned char)value;
    patch(path, 100 + 8 * 1 + at, b, 4);
  } else {
    le32(b, value);
    patch(path, record_offset(base, 1) + at, b, 4);
  }
  snprintf(path, sizeof path, "%s.shp", base);
  L = spill_layer_read(ctx, path, &o);
  CHECK_MSG(L == NULL, "%s: read", what);
  CHECK_MSG(strstr(spill_ctx_error(ctx), path) && strstr(spill_ctx_error(ctx), "record 2") &&
                strstr(spill_ctx_error(ctx), why),
            "%s: message '%s'", what, spill_ctx_error(ctx));
  printf("%-28s refused: %s\n", what, spill_ctx_error(ctx));
  spill_layer_free(L);
}

static void test_corrupt(const char *dir)
{
  corrupt(dir, "parts beyond the limit", 0, 44, 20000000u, "beyond what a record can hold");
  corrupt(dir, "points beyond the record", 0, 48, 1000, "need");
  corrupt(dir, "part outside the points", 0, 52, 12, "part 1 starts at point 12");
  corrupt(dir, "parts not increasing", 0, 56, 0, "part 2 starts at point 0");
  corrupt(dir, "negative part start", 0, 52, 0xffffffffu, "part 1 starts at point -1");
  corrupt(dir, "record length too short", 1, 4, 1, "shorter than a record header");
  corrupt(dir, "record past the end", 1, 0, 1u << 30, "truncated");
  corrupt(dir, "polygon record too short", 1, 4, 10, "too short for a polygon record");
  {
    double nan = NAN;
    uint64_t u;
    char base[1024], path[1100];
    spill_read_opts o = {.vertices_only = 1};
    spill_layer *L;
    memcpy(&u, &nan, sizeof u);
    snprintf(base, sizeof base, "%s/bad", dir);
    write_map(base, SHPT_POLYGON);
    snprintf(path, sizeof path, "%s.shp", base);
    patch(path, record_offset(base, 1) + 52 + 8 + 16 + 8, &u, 8); /* y of point 2 (2 parts) */
    L = spill_layer_read(ctx, path, &o);
    CHECK(L == NULL && strstr(spill_ctx_error(ctx), "record 2: vertex 2 has a coordinate that is not a finite number"));
    spill_layer_free(L);
  }
}

int main(void)
{
  const char *dir = check_tmpdir();
  ctx = spill_ctx_new();
  test_handmade(dir);
  test_corrupt(dir);
  test_shared_maps();
  spill_ctx_free(ctx);
  return check_done("test_shpraw");
}

/* Shapefile reading: geometry (holes, multipart, repair), attributes and
 * encodings, ids, the .prj, and bad input naming the file and record. The
 * fixtures are written here with shapelib; the shared maps are checked for
 * counts, CRS and UTF-8 names when present. */
#include <geos_c.h>
#include <iconv.h>
#include <unistd.h>
#include "check.h"
#include "shp_fixture.h"
#include "shapes/layer.h"
#include "spill.h"

static spill_ctx *ctx;
static int notices;

static void count_notice(void *user, const char *msg)
{
  (void)user;
  (void)msg;
  notices++;
}

static char *path_of(const char *dir, const char *name, char *buf, size_t size)
{
  snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

static double area(const spill_layer *L, size_t i)
{
  double a = -1;
  GEOSArea_r(L->geos, L->geoms[i], &a);
  return a;
}

/* 1 when the last error contains every one of the words. */
static int error_has(const char *a, const char *b)
{
  const char *e = spill_ctx_error(ctx);
  int ok = strstr(e, a) && (!b || strstr(e, b));
  if (!ok) fprintf(stderr, "  error was: %s\n", e);
  return ok;
}

static void test_grid(const char *dir)
{
  char base[512], shp[600];
  spill_read_opts o = {0};
  spill_layer *L;
  double b[4], x[9], y[9];
  path_of(dir, "grid", base, sizeof base);
  fx_grid(base);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_EQ_INT(spill_layer_count(L), 9);
  CHECK(spill_layer_kind(L) == SPILL_SHAPE_POLYGON);
  CHECK_STR(spill_layer_crs_name(L), "planar (no .prj)");
  CHECK_EQ_INT(spill_layer_has_prj(L), 0);
  CHECK_EQ_INT(spill_layer_geographic(L), 0);
  CHECK(spill_layer_prj(L) == NULL);
  CHECK_EQ_INT(spill_layer_repaired(L), 0);
  spill_layer_bounds(L, b);
  CHECK(b[0] == 0 && b[1] == 0 && b[2] == 3 && b[3] == 3);
  CHECK_STR(spill_layer_ids(L)[0], "1");
  CHECK_STR(spill_layer_ids(L)[8], "9");
  CHECK_EQ_INT(spill_layer_records(L)[4], 5);
  CHECK_EQ_INT(spill_layer_centroids(ctx, L, x, y), 0);
  /* square r*3+c has centroid (c + 1/2, r + 1/2), exactly in binary */
  for (int k = 0; k < 9; k++) CHECK(x[k] == k % 3 + 0.5 && y[k] == k / 3 + 0.5);
  CHECK_EQ_INT(spill_layer_nfields(L), 2);
  CHECK_STR(spill_layer_field_name(L, 0), "CODE");
  CHECK(spill_layer_field_type(L, 0) == 'N');
  CHECK(spill_layer_field_type(L, 1) == 'C');
  CHECK_EQ_INT(spill_layer_field_index(L, "code"), 0);
  CHECK_EQ_INT(spill_layer_field_index(L, "nope"), -1);
  CHECK(spill_layer_attr_number(L, 3, 0) == 104);
  CHECK(isnan(spill_layer_attr_number(L, 3, 1)));
  CHECK_STR(spill_layer_attr_text(L, 3, 1), "cell");
  for (size_t i = 0; i < 9; i++) CHECK(area(L, i) == 1.0);
  spill_layer_free(L);

  /* ids from a numeric field, case-insensitive, written canonically */
  o.id_field = "code";
  L = spill_layer_read(ctx, shp, &o);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) {
    CHECK_STR(spill_layer_ids(L)[0], "101");
    CHECK_STR(spill_layer_ids(L)[8], "109");
  }
  spill_layer_free(L);

  /* an unknown field: the error lists the fields */
  o.id_field = "CITY";
  L = spill_layer_read(ctx, shp, &o);
  CHECK(L == NULL);
  CHECK(error_has("no field 'CITY'", "CODE, NAME"));
  CHECK_EQ_INT(spill_ctx_status(ctx), SPILL_EINVAL);

  /* duplicate ids: every NAME is "cell"; records 1 and 2 named */
  o.id_field = "NAME";
  L = spill_layer_read(ctx, shp, &o);
  CHECK(L == NULL);
  CHECK(error_has("records 1 and 2", "'cell'"));
  CHECK(error_has("grid.dbf", NULL));
}

/* Unit 1: a 10x10 square with a 4x4 hole (counter-clockwise ring); unit 2
 * fills the hole; unit 3 is multipart (two unit squares far apart). */
static void test_holes_multipart(const char *dir)
{
  char base[512], shp[600];
  double x[10], y[10];
  int starts[2] = {0, 5};
  fx f;
  spill_layer *L;
  path_of(dir, "holes", base, sizeof base);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square_ring(0, 0, 10, 1, x, y);
  fx_square_ring(3, 3, 4, 0, x + 5, y + 5);
  fx_rings(&f, 2, starts, 10, x, y, 1, "ring");
  fx_square(&f, 3, 3, 4, 2, "inner");
  fx_square_ring(20, 0, 1, 1, x, y);
  fx_square_ring(30, 0, 1, 1, x + 5, y + 5);
  fx_rings(&f, 2, starts, 10, x, y, 3, "two parts");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_EQ_INT(GEOSGeomTypeId_r(L->geos, L->geoms[0]), GEOS_POLYGON);
  CHECK_EQ_INT(GEOSGetNumInteriorRings_r(L->geos, L->geoms[0]), 1);
  CHECK(area(L, 0) == 100.0 - 16.0);
  CHECK(area(L, 1) == 16.0);
  CHECK_EQ_INT(GEOSGeomTypeId_r(L->geos, L->geoms[2]), GEOS_MULTIPOLYGON);
  CHECK_EQ_INT(GEOSGetNumGeometries_r(L->geos, L->geoms[2]), 2);
  CHECK(area(L, 2) == 2.0);
  CHECK_EQ_INT(spill_layer_repaired(L), 0);
  spill_layer_free(L);
}

/* A bow-tie ring (0,0)-(0,2)-(2,0)-(2,2): invalid, repaired into two
 * triangles of area 1 each, one notice. */
static void test_bowtie(const char *dir)
{
  char base[512], shp[600];
  double x[5] = {0, 0, 2, 2, 0}, y[5] = {0, 2, 0, 2, 0};
  int starts[1] = {0};
  spill_read_opts o = {0};
  fx f;
  spill_layer *L;
  path_of(dir, "bowtie", base, sizeof base);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 5, 5, 1, 1, "fine");
  fx_rings(&f, 1, starts, 5, x, y, 2, "bow tie");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  notices = 0;
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_EQ_INT(spill_layer_repaired(L), 1);
  CHECK_EQ_INT(notices, 1);
  CHECK_EQ_INT(GEOSisValid_r(L->geos, L->geoms[1]), 1);
  CHECK(fabs(area(L, 1) - 2.0) <= 4 * DBL_EPSILON);
  /* contiguity keeps the vertices as read (spdep does not repair either) */
  CHECK_EQ_INT(L->vstart[2] - L->vstart[1], 5);
  spill_layer_free(L);
  o.no_repair = 1;
  L = spill_layer_read(ctx, shp, &o);
  CHECK(L && spill_layer_repaired(L) == 0 && GEOSisValid_r(L->geos, L->geoms[1]) == 0);
  spill_layer_free(L);
}

static void test_points_and_nulls(const char *dir)
{
  char base[512], shp[600];
  spill_read_opts o = {0};
  double x[2], y[2];
  fx f;
  spill_layer *L;
  path_of(dir, "points", base, sizeof base);
  fx_open(&f, base, SHPT_POINT);
  fx_point(&f, 116.4, 39.9, 110000, "Beijing");
  fx_null(&f, 120000, "nowhere");
  fx_point(&f, 121.5, 31.2, 310000, "Shanghai");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL);
  CHECK(error_has("record 2 is a null shape", "--skip-null"));
  CHECK_EQ_INT(spill_ctx_status(ctx), SPILL_EDATA);
  o.skip_null = 1;
  o.id_field = "CODE";
  L = spill_layer_read(ctx, shp, &o);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK(spill_layer_kind(L) == SPILL_SHAPE_POINT);
  CHECK_EQ_INT(spill_layer_count(L), 2);
  CHECK_EQ_INT(spill_layer_skipped(L), 1);
  CHECK_EQ_INT(spill_layer_records(L)[1], 3);
  CHECK_STR(spill_layer_ids(L)[1], "310000");
  CHECK_STR(spill_layer_attr_text(L, 1, 1), "Shanghai");
  CHECK_EQ_INT(spill_layer_centroids(ctx, L, x, y), 0);
  CHECK(x[0] == 116.4 && y[0] == 39.9 && x[1] == 121.5 && y[1] == 31.2);
  spill_layer_free(L);
}

/* Text in GBK with a .cpg saying so comes back as UTF-8; a UTF-8 .cpg keeps
 * UTF-8 as is; an unknown code page is an error naming the .cpg. */
static void test_encodings(const char *dir)
{
  const char *utf8 = "北京市";
  char gbk[32] = "", base[512], shp[600];
  iconv_t cd = iconv_open("GBK", "UTF-8");
  char *in = (char *)utf8, *out = gbk;
  size_t inleft = strlen(utf8), outleft = sizeof gbk - 1;
  fx f;
  spill_layer *L;
  CHECK(cd != (iconv_t)-1);
  if (cd == (iconv_t)-1) return;
  CHECK(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
  iconv_close(cd);
  CHECK(strcmp(gbk, utf8) != 0);

  path_of(dir, "gbk", base, sizeof base);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 110000, gbk);
  fx_close(&f);
  fx_sidecar(base, "cpg", "GBK\n");
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) CHECK_STR(spill_layer_attr_text(L, 0, 1), utf8);
  spill_layer_free(L);
  fx_sidecar(base, "cpg", "936");
  L = spill_layer_read(ctx, shp, NULL);
  if (L) CHECK_STR(spill_layer_attr_text(L, 0, 1), utf8);
  CHECK(L != NULL);
  spill_layer_free(L);
  fx_sidecar(base, "cpg", "NO-SUCH-CODEPAGE");
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL);
  CHECK(error_has("gbk.cpg", "NO-SUCH-CODEPAGE"));

  path_of(dir, "utf8", base, sizeof base);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 110000, utf8);
  fx_close(&f);
  fx_sidecar(base, "cpg", "UTF-8");
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L != NULL);
  if (L) {
    CHECK_STR(spill_layer_attr_text(L, 0, 1), utf8);
    CHECK_STR(L->cpg, "UTF-8");
  }
  spill_layer_free(L);

  /* A .cpg saying UTF-8 over bytes that are neither UTF-8 nor CP1252 (0x81
   * is undefined there): refused, naming the record and field, never passed
   * on as text that is not UTF-8 (found by fuzz_cpg). */
  path_of(dir, "bad81", base, sizeof base);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 110000, "\xb1\x81");
  fx_close(&f);
  fx_sidecar(base, "cpg", "UTF-8");
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL);
  CHECK_MSG(error_has("record 1", "not valid UTF-8"), "%s", spill_ctx_error(ctx));
  spill_layer_free(L);
}

static const char *wgs84 =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],"
    "PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";
static const char *utm17 =
    "PROJCS[\"WGS_1984_UTM_Zone_17N\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\","
    "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],"
    "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"
    "PARAMETER[\"Central_Meridian\",-81.0],PARAMETER[\"Scale_Factor\",0.9996],"
    "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";
static const char *feet =
    "PROJCS[\"NAD_1983_StatePlane_Georgia_West_FIPS_1002_Feet\",GEOGCS[\"GCS_North_American_1983\","
    "DATUM[\"D_North_American_1983\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],"
    "PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],"
    "PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",2296583.333333333],"
    "PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",-84.16666666666667],"
    "PARAMETER[\"Scale_Factor\",0.9999],PARAMETER[\"Latitude_Of_Origin\",30.0],"
    "UNIT[\"Foot_US\",0.3048006096012192]]";

static void test_prj(const char *dir)
{
  char base[512], shp[600];
  spill_layer *L;
  path_of(dir, "grid", base, sizeof base);
  snprintf(shp, sizeof shp, "%s.shp", base);
  fx_sidecar(base, "prj", wgs84);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L != NULL);
  if (L) {
    CHECK_EQ_INT(spill_layer_geographic(L), 1);
    CHECK_EQ_INT(spill_layer_has_prj(L), 1);
    CHECK(spill_layer_unit_m(L) == 0);
    CHECK_MSG(strstr(spill_layer_crs_name(L), "WGS") && strstr(spill_layer_crs_name(L), "lon/lat"), "%s",
              spill_layer_crs_name(L));
    CHECK_STR(spill_layer_prj(L), wgs84);
  }
  spill_layer_free(L);
  fx_sidecar(base, "prj", utm17);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L != NULL);
  if (L) {
    CHECK_EQ_INT(spill_layer_geographic(L), 0);
    CHECK(spill_layer_unit_m(L) == 1.0);
    CHECK_MSG(strstr(spill_layer_crs_name(L), "UTM") != NULL, "%s", spill_layer_crs_name(L));
  }
  spill_layer_free(L);
  fx_sidecar(base, "prj", feet);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L != NULL);
  /* US survey foot = 1200/3937 m; the WKT's 0.3048006096012192 is that to 16 digits */
  if (L) CHECK_REL(spill_layer_unit_m(L), 1200.0 / 3937.0, 4 * DBL_EPSILON);
  spill_layer_free(L);
  /* Codes and URNs are read; free text is not looked up by name in PROJ's
   * database (a corrupt .prj took seconds that way): planar, with a notice. */
  {
    static const char *defs[] = {"EPSG:32617", " urn:ogc:def:crs:EPSG::32617\n", "WGS 84 / UTM zone 17N",
                                 "PROJCS:garbage"};
    static const int understood[] = {1, 1, 0, 0};
    for (int k = 0; k < 4; k++) {
      fx_sidecar(base, "prj", defs[k]);
      L = spill_layer_read(ctx, shp, NULL);
      CHECK(L != NULL);
      if (!L) continue;
      CHECK_MSG((strstr(spill_layer_crs_name(L), "UTM") != NULL) == understood[k], "%s: %s", defs[k],
                spill_layer_crs_name(L));
      CHECK_MSG((strstr(spill_layer_crs_name(L), "not understood") != NULL) == !understood[k], "%s: %s", defs[k],
                spill_layer_crs_name(L));
      spill_layer_free(L);
    }
  }
  path_of(dir, "grid.prj", base, sizeof base);
  unlink(base);
}

/* Copy src to dst, keeping only the first keep bytes (keep < 0: all). */
static void copy_file(const char *src, const char *dst, long keep)
{
  FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
  int c;
  long n = 0;
  if (!a || !b) {
    fprintf(stderr, "cannot copy %s\n", src);
    exit(1);
  }
  while ((keep < 0 || n < keep) && (c = fgetc(a)) != EOF) {
    fputc(c, b);
    n++;
  }
  fclose(a);
  fclose(b);
}

static void test_bad_input(const char *dir)
{
  char base[512], from[700], to[600], shp[600];
  spill_layer *L;
  fx f;
  path_of(dir, "bad", base, sizeof base);
  fx_grid(base);
  snprintf(shp, sizeof shp, "%s.shp", base);

  /* missing .shx */
  snprintf(from, sizeof from, "%s.shx", base);
  snprintf(to, sizeof to, "%s.shx.away", base);
  CHECK(rename(from, to) == 0);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL && spill_ctx_status(ctx) == SPILL_EIO);
  CHECK(error_has("bad.shx is missing", NULL));
  CHECK(rename(to, from) == 0);

  /* missing .dbf */
  snprintf(from, sizeof from, "%s.dbf", base);
  snprintf(to, sizeof to, "%s.dbf.away", base);
  CHECK(rename(from, to) == 0);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL && spill_ctx_status(ctx) == SPILL_EIO);
  CHECK(error_has("bad.dbf is missing", NULL));
  CHECK(rename(to, from) == 0);

  /* missing .shp */
  L = spill_layer_read(ctx, "/nonexistent/dir/none.shp", NULL);
  CHECK(L == NULL && error_has("/nonexistent/dir/none.shp: no such file", NULL));

  /* truncated .shp: cut in the middle of record 7 (each square record is
   * 8 + 128 bytes after the 100-byte header) */
  snprintf(to, sizeof to, "%s/trunc.shp", dir);
  copy_file(shp, to, 100 + 6 * 136 + 50);
  snprintf(from, sizeof from, "%s.shx", base);
  snprintf(to, sizeof to, "%s/trunc.shx", dir);
  copy_file(from, to, -1);
  snprintf(from, sizeof from, "%s.dbf", base);
  snprintf(to, sizeof to, "%s/trunc.dbf", dir);
  copy_file(from, to, -1);
  snprintf(to, sizeof to, "%s/trunc.shp", dir);
  L = spill_layer_read(ctx, to, NULL);
  CHECK(L == NULL && spill_ctx_status(ctx) == SPILL_EFORMAT);
  CHECK(error_has("trunc.shp: record 7", "truncated"));

  /* truncated .dbf: header 32 + 2 * 32 + 1 = 97 bytes, records of
   * 1 + 12 + 40 = 53 bytes; cut inside record 5 */
  snprintf(to, sizeof to, "%s/tdbf.shp", dir);
  copy_file(shp, to, -1);
  snprintf(from, sizeof from, "%s.shx", base);
  snprintf(to, sizeof to, "%s/tdbf.shx", dir);
  copy_file(from, to, -1);
  snprintf(from, sizeof from, "%s.dbf", base);
  snprintf(to, sizeof to, "%s/tdbf.dbf", dir);
  copy_file(from, to, 97 + 4 * 53 + 10);
  snprintf(to, sizeof to, "%s/tdbf.shp", dir);
  L = spill_layer_read(ctx, to, NULL);
  CHECK(L == NULL && spill_ctx_status(ctx) == SPILL_EFORMAT);
  CHECK(error_has("tdbf.dbf: 9 records", "record 5 onwards is missing"));

  /* a .dbf with fewer records than the .shp */
  path_of(dir, "short", to, sizeof to);
  fx_open(&f, to, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 1, "a");
  fx_square(&f, 1, 0, 1, 2, "b");
  fx_close(&f);
  snprintf(from, sizeof from, "%s.dbf", to);
  snprintf(to, sizeof to, "%s.dbf", base);
  copy_file(from, to, -1);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L == NULL && spill_ctx_status(ctx) == SPILL_EFORMAT);
  CHECK(error_has("bad.shp has 9 records", "bad.dbf has 2"));

  /* a vertex that is not a number */
  {
    double x[5] = {0, 0, 1, NAN, 0}, y[5] = {0, 1, 1, 0, 0};
    int starts[1] = {0};
    path_of(dir, "nan", to, sizeof to);
    fx_open(&f, to, SHPT_POLYGON);
    fx_square(&f, 5, 5, 1, 1, "fine");
    fx_rings(&f, 1, starts, 5, x, y, 2, "nan");
    fx_close(&f);
    snprintf(from, sizeof from, "%s.shp", to);
    L = spill_layer_read(ctx, from, NULL);
    CHECK(L == NULL && error_has("nan.shp: record 2: vertex 4", "not a finite number"));
  }

  /* not a shapefile at all */
  snprintf(from, sizeof from, "%s/junk", dir);
  fx_sidecar(from, "shp", "this is not a shapefile");
  fx_sidecar(from, "shx", "nor this");
  fx_sidecar(from, "dbf", "nor this");
  snprintf(from, sizeof from, "%s/junk.shp", dir);
  L = spill_layer_read(ctx, from, NULL);
  CHECK(L == NULL && error_has("junk.shp", NULL));
}

static void test_shared(void)
{
  char buf[1024];
  spill_read_opts o = {0};
  spill_layer *L;
  long f;
  if (!check_shared("data/china_prefectures.shp", buf, sizeof buf)) return;
  o.id_field = "ADCODE";
  L = spill_layer_read(ctx, buf, &o);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_EQ_INT(spill_layer_count(L), 333);
  CHECK_EQ_INT(spill_layer_geographic(L), 1);
  CHECK_STR(spill_layer_ids(L)[0], "130100");
  f = spill_layer_field_index(L, "name");
  CHECK(f >= 0);
  if (f >= 0) CHECK_STR(spill_layer_attr_text(L, 0, (size_t)f), "石家庄市");
  CHECK(spill_layer_repaired(L) > 0);
  for (size_t i = 0; i < L->n; i++) CHECK(GEOSisValid_r(L->geos, L->geoms[i]) == 1);
  spill_layer_free(L);
  if (!check_shared("data/georgia_utm.shp", buf, sizeof buf)) return;
  L = spill_layer_read(ctx, buf, NULL);
  CHECK(L != NULL);
  if (L) {
    CHECK_EQ_INT(spill_layer_count(L), 159);
    CHECK_EQ_INT(spill_layer_has_prj(L), 0);
    CHECK_STR(spill_layer_crs_name(L), "planar (no .prj)");
  }
  spill_layer_free(L);
}

int main(void)
{
  const char *dir = check_tmpdir();
  ctx = spill_ctx_new();
  spill_ctx_set_notice(ctx, count_notice, NULL);
  test_grid(dir);
  test_holes_multipart(dir);
  test_bowtie(dir);
  test_points_and_nulls(dir);
  test_encodings(dir);
  test_prj(dir);
  test_bad_input(dir);
  test_shared();
  spill_ctx_free(ctx);
  return check_done("test_shapes");
}

/* Shapefile output: a map with CSV columns (or columns of doubles) added as
 * DBF fields, read back with shapelib; and the generated Voronoi network. */
#include <geos_c.h>
#include <shapefil.h>
#include <unistd.h>
#include "check.h"
#include "shp_fixture.h"
#include "spill.h"

static const char *prj_text =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],"
    "PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

static int same_file(const char *a, const char *b)
{
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = 0;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

static int exists(const char *base, const char *ext)
{
  char p[700];
  snprintf(p, sizeof p, "%s.%s", base, ext);
  return access(p, F_OK) == 0;
}

static int no_temp_files(const char *dir)
{
  char cmd[800];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
  return system(cmd) != 0;
}

/* Shapes of record r identical in both files. */
static int same_shape(SHPHandle a, SHPHandle b, int ra, int rb)
{
  SHPObject *x = SHPReadObject(a, ra), *y = SHPReadObject(b, rb);
  int same = x && y && x->nSHPType == y->nSHPType && x->nParts == y->nParts &&
             x->nVertices == y->nVertices;
  for (int k = 0; same && k < x->nParts; k++) same = x->panPartStart[k] == y->panPartStart[k];
  for (int k = 0; same && k < x->nVertices; k++)
    same = x->padfX[k] == y->padfX[k] && x->padfY[k] == y->padfY[k];
  if (x) SHPDestroyObject(x);
  if (y) SHPDestroyObject(y);
  return same;
}

static int field_of(DBFHandle d, const char *name)
{
  return DBFGetFieldIndex(d, name);
}

static void test_join(spill_ctx *ctx, const char *dir)
{
  char src[400], shp[500], csv[500], out[500], obase[500], p1[600], p2[600];
  spill_read_opts ro = {0};
  spill_layer *L;
  spill_match_report m;
  spill_write_report w;
  fx f;
  /* the source: four squares (one of them two-part), CODE 11..14, UTF-8 names */
  snprintf(src, sizeof src, "%s/src", dir);
  fx_open(&f, src, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 11, "Bei\xE4\xBA\xAC");
  fx_square(&f, 1, 0, 1, 12, "Shanghai");
  {
    double x[10], y[10];
    int st[2] = {0, 5};
    fx_square_ring(0, 1, 1, 1, x, y);
    fx_square_ring(0, 3, 0.5, 1, x + 5, y + 5);
    fx_rings(&f, 2, st, 10, x, y, 13, "Two parts");
  }
  fx_square(&f, 1, 1, 1, 14, "Last");
  fx_close(&f);
  fx_sidecar(src, "prj", prj_text);
  fx_sidecar(src, "cpg", "UTF-8");
  snprintf(shp, sizeof shp, "%s.shp", src);
  ro.id_field = "CODE";
  L = spill_layer_read(ctx, shp, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;

  /* a CSV: ids written as 11.0 etc. (canonical match), unit 14 without a
   * row, an empty cell, a text column with a comma, two long names that
   * collide at 10 characters, a name taken by the map ('name') */
  snprintf(csv, sizeof csv, "%s/values.csv", dir);
  write_text(csv,
             "id,value,count,label,population_2010,population_2011,name,received_lo\n"
             "11.0,0.125,3,\"a, b\",1000,1100,x,-0.000123456789012\n"
             "12,-2.5,40,short,2000,,y,1e-3\n"
             "13,,7,\"\xE7\x9C\x81 long text\",3000,3300,z,123.25\n");
  snprintf(out, sizeof out, "%s/out.shp", dir);
  snprintf(obase, sizeof obase, "%s/out", dir);
  CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, NULL, 0, out, &m, &w), 0);
  CHECK_EQ_INT(m.rows, 3);
  CHECK_EQ_INT(m.matched, 3);
  CHECK_EQ_INT(m.units_without, 1);
  CHECK_EQ_INT(m.unmatched, 0);
  CHECK_STR(m.id_col, "id");
  CHECK_EQ_INT(w.fields_added, 7);
  CHECK(no_temp_files(dir));
  {
    SHPHandle a = SHPOpen(shp, "rb"), b = SHPOpen(out, "rb");
    DBFHandle d = DBFOpen(out, "rb");
    int n = 0, type = 0, wd = 0, dec = 0, fi;
    char name[12];
    CHECK(a && b && d);
    if (!a || !b || !d) return;
    SHPGetInfo(b, &n, &type, NULL, NULL);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(type, SHPT_POLYGON);
    CHECK_EQ_INT(DBFGetRecordCount(d), 4);
    for (int r = 0; r < 4; r++) CHECK_MSG(same_shape(a, b, r, r), "record %d differs", r + 1);
    /* the map's own fields first, unchanged */
    CHECK_EQ_INT(DBFGetFieldCount(d), 2 + 7);
    CHECK_EQ_INT(DBFReadIntegerAttribute(d, 2, field_of(d, "CODE")), 13);
    CHECK_STR(DBFReadStringAttribute(d, 0, field_of(d, "NAME")), "Bei\xE4\xBA\xAC");
    /* names: 10 characters at most, no collisions */
    CHECK(field_of(d, "value") == 2);
    CHECK(field_of(d, "populatio_") < 0);
    DBFGetFieldInfo(d, 5, name, NULL, NULL);
    CHECK_STR(name, "population");
    DBFGetFieldInfo(d, 6, name, NULL, NULL);
    CHECK_STR(name, "populati_1");
    DBFGetFieldInfo(d, 7, name, NULL, NULL);
    CHECK_STR(name, "name_1"); /* 'name' is the map's NAME (DBF names ignore case) */
    DBFGetFieldInfo(d, 8, name, NULL, NULL);
    CHECK_STR(name, "received_l");
    CHECK_EQ_INT(w.renamed, 4);
    /* types and widths */
    fi = field_of(d, "value");
    CHECK(DBFGetFieldInfo(d, fi, NULL, &wd, &dec) == FTDouble);
    CHECK_EQ_INT(dec, 3);  /* 0.125 and -2.5 need 3 decimals */
    CHECK_EQ_INT(wd, 6);   /* "-2.500" */
    fi = field_of(d, "count");
    CHECK(DBFGetFieldInfo(d, fi, NULL, &wd, &dec) == FTInteger);
    CHECK_EQ_INT(dec, 0);
    CHECK_EQ_INT(wd, 2);
    fi = field_of(d, "label");
    CHECK(DBFGetFieldInfo(d, fi, NULL, &wd, &dec) == FTString);
    CHECK_EQ_INT(wd, (int)strlen("\xE7\x9C\x81 long text"));
    fi = field_of(d, "received_l");
    CHECK(DBFGetFieldInfo(d, fi, NULL, &wd, &dec) == FTDouble);
    CHECK(dec >= 15 && wd <= 24); /* 12 significant digits of 1.23456789012e-4 */
    /* the right value per id */
    fi = field_of(d, "value");
    CHECK_REL(DBFReadDoubleAttribute(d, 0, fi), 0.125, 0);
    CHECK_REL(DBFReadDoubleAttribute(d, 1, fi), -2.5, 0);
    CHECK(DBFIsAttributeNULL(d, 2, fi)); /* empty cell */
    CHECK(DBFIsAttributeNULL(d, 3, fi)); /* unit 14 has no row */
    fi = field_of(d, "count");
    CHECK_EQ_INT(DBFReadIntegerAttribute(d, 1, fi), 40);
    fi = field_of(d, "label");
    CHECK_STR(DBFReadStringAttribute(d, 0, fi), "a, b");
    CHECK_STR(DBFReadStringAttribute(d, 2, fi), "\xE7\x9C\x81 long text");
    fi = field_of(d, "populati_1");
    CHECK(DBFIsAttributeNULL(d, 1, fi));
    CHECK_REL(DBFReadDoubleAttribute(d, 2, fi), 3300, 0);
    fi = field_of(d, "received_l");
    CHECK_RELSTRICT(DBFReadDoubleAttribute(d, 0, fi), -0.000123456789012, 1e-11);
    CHECK_REL(DBFReadDoubleAttribute(d, 2, fi), 123.25, 0);
    SHPClose(a);
    SHPClose(b);
    DBFClose(d);
  }
  /* .prj and .cpg copied */
  snprintf(p1, sizeof p1, "%s.prj", src);
  snprintf(p2, sizeof p2, "%s.prj", obase);
  CHECK(same_file(p1, p2));
  snprintf(p1, sizeof p1, "%s.cpg", src);
  snprintf(p2, sizeof p2, "%s.cpg", obase);
  CHECK(same_file(p1, p2));
  /* the output reads back as a layer with the same ids */
  {
    spill_layer *B = spill_layer_read(ctx, out, &ro);
    CHECK_MSG(B != NULL, "%s", spill_ctx_error(ctx));
    if (B) {
      CHECK_EQ_INT(spill_layer_count(B), 4);
      CHECK_STR(spill_layer_ids(B)[3], "14");
      CHECK(spill_layer_geographic(B));
      spill_layer_free(B);
    }
  }

  /* columns of doubles (what the demo writes), names shortened */
  {
    double own[4] = {0.5, 0, NAN, 1.0 / 3}, lo[4] = {1, 2, 3, 4}, hi[4] = {-1e6, 2, 3, 4};
    spill_field_column cols[3] = {{"own", own, NULL}, {"received_lo", lo, NULL}, {"received_hi", hi, NULL}};
    char o2[500];
    snprintf(o2, sizeof o2, "%s/cols.shp", dir);
    CHECK_EQ_INT(spill_layer_write_fields(ctx, L, 3, cols, o2, &w), 0);
    DBFHandle d = DBFOpen(o2, "rb");
    CHECK(d != NULL);
    if (d) {
      CHECK(field_of(d, "received_l") == 3 && field_of(d, "received_h") == 4);
      CHECK_RELSTRICT(DBFReadDoubleAttribute(d, 3, 2), 1.0 / 3, 1e-12);
      CHECK(DBFIsAttributeNULL(d, 2, 2));
      CHECK_REL(DBFReadDoubleAttribute(d, 0, 4), -1e6, 0);
      DBFClose(d);
    }
  }

  /* bad input: unmatched ids (counted, listed), duplicates, a missing
   * folder; nothing is written */
  {
    char bad[500], o3[500], b3[500];
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    write_text(bad, "code,v\n11,1\n99,2\n98,3\n");
    snprintf(o3, sizeof o3, "%s/bad.shp", dir);
    snprintf(b3, sizeof b3, "%s/bad", dir);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, bad, NULL, 0, o3, &m, &w), SPILL_EDATA);
    CHECK_EQ_INT(m.unmatched, 2);
    CHECK_STR(m.id_col, "code"); /* no 'id' column: the first */
    CHECK(strstr(spill_ctx_error(ctx), "99") && strstr(spill_ctx_error(ctx), "98") &&
          strstr(spill_ctx_error(ctx), "2 of 3"));
    CHECK(!exists(b3, "shp") && !exists(b3, "dbf") && !exists(b3, "shx"));
    /* allowed: written, the unmatched counted */
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, bad, "code", 1, o3, &m, &w), 0);
    CHECK_EQ_INT(m.unmatched, 2);
    CHECK_STR(m.unmatched_ids, "99, 98");
    CHECK(exists(b3, "shp") && exists(b3, "dbf") && exists(b3, "shx") && exists(b3, "prj"));
    write_text(bad, "id,v\n11,1\n12,2\n11,3\n");
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, bad, NULL, 0, o3, &m, &w), SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "lines 2 and 4") != NULL);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, "nosuch", 0, o3, &m, &w), SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "columns: id, value") != NULL);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, NULL, 0, "/nonexistent-dir/x.shp", &m, &w), SPILL_EIO);
    CHECK(strstr(spill_ctx_error(ctx), "/nonexistent-dir/x.shp") != NULL);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, NULL, 0, shp, &m, &w), SPILL_EINVAL);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, NULL, 0, "x.dbf", &m, &w), SPILL_EINVAL);
    CHECK(no_temp_files(dir));
  }
  /* values for a map, as `spill map` reads them */
  {
    double v[4];
    CHECK_EQ_INT(spill_layer_values_csv(ctx, L, csv, NULL, "value", 0, v, &m), 0);
    CHECK_REL(v[0], 0.125, 0);
    CHECK_REL(v[1], -2.5, 0);
    CHECK(isnan(v[2]) && isnan(v[3]));
    CHECK_EQ_INT(spill_layer_values_csv(ctx, L, csv, NULL, "label", 0, v, &m), SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "line 2") && strstr(spill_ctx_error(ctx), "not a number"));
    CHECK_EQ_INT(spill_layer_values_csv(ctx, L, csv, NULL, "nosuch", 0, v, &m), SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "no column 'nosuch'") != NULL);
  }
  spill_layer_free(L);
}

static void test_voronoi(spill_ctx *ctx, const char *dir)
{
  char shp[500], shp2[500], base[500], p1[600], p2[600];
  spill_read_opts ro = {0};
  spill_layer *L;
  snprintf(shp, sizeof shp, "%s/net.shp", dir);
  snprintf(shp2, sizeof shp2, "%s/net2.shp", dir);
  snprintf(base, sizeof base, "%s/net", dir);
  CHECK_EQ_INT(spill_voronoi_network(ctx, 250, 42, shp), 0);
  CHECK(exists(base, "shp") && exists(base, "shx") && exists(base, "dbf") && exists(base, "prj") &&
        exists(base, "cpg"));
  CHECK(no_temp_files(dir));
  /* reproducible from the seed */
  CHECK_EQ_INT(spill_voronoi_network(ctx, 250, 42, shp2), 0);
  CHECK(same_file(shp, shp2));
  snprintf(p1, sizeof p1, "%s.dbf", base);
  snprintf(p2, sizeof p2, "%s/net2.dbf", dir);
  CHECK(same_file(p1, p2));
  ro.id_field = "id";
  L = spill_layer_read(ctx, shp, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) {
    size_t n = spill_layer_count(L), multi = 0;
    long nf = spill_layer_field_index(L, "name");
    double sum = 0, lonlat[4];
    GEOSContextHandle_t h = GEOS_init_r();
    GEOSGeometry **copies = calloc(n, sizeof *copies);
    SHPHandle s = SHPOpen(shp, "rb");
    CHECK_EQ_INT(n, 250);
    CHECK_EQ_INT(spill_layer_repaired(L), 0);
    CHECK(spill_layer_geographic(L));
    CHECK_STR(spill_layer_ids(L)[0], "1");
    CHECK_STR(spill_layer_ids(L)[249], "250");
    CHECK(nf >= 0);
    if (nf >= 0) CHECK_STR(spill_layer_attr_text(L, 6, (size_t)nf), "City 7");
    spill_layer_bounds(L, lonlat);
    CHECK(lonlat[0] > 85 && lonlat[2] < 125 && lonlat[1] > 15 && lonlat[3] < 50);
    /* the cells tile the country: no overlaps, so the area of their union
     * equals the sum of their areas (planar, in square degrees) */
    for (size_t i = 0; i < n; i++) {
      SHPObject *o = SHPReadObject(s, (int)i);
      GEOSGeometry **polys = calloc((size_t)o->nParts, sizeof *polys);
      for (int k = 0; k < o->nParts; k++) {
        int a = o->panPartStart[k], b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
        GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)(b - a), 2);
        for (int v = a; v < b; v++) GEOSCoordSeq_setXY_r(h, seq, (unsigned)(v - a), o->padfX[v], o->padfY[v]);
        polys[k] = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, seq), NULL, 0);
      }
      multi += o->nParts > 1;
      copies[i] = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)o->nParts);
      double a = 0;
      GEOSArea_r(h, copies[i], &a);
      CHECK(a > 0);
      sum += a;
      free(polys);
      SHPDestroyObject(o);
    }
    {
      GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, copies, (unsigned)n);
      GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
      double ua = 0;
      GEOSArea_r(h, u, &ua);
      CHECK_RELSTRICT(ua, sum, 1e-9);
      CHECK_EQ_INT(GEOSGetNumGeometries_r(h, u), 2); /* mainland and island */
      GEOSGeom_destroy_r(h, u);
      GEOSGeom_destroy_r(h, all);
    }
    printf("voronoi: %zu cells, %zu multipart, area %.4f square degrees\n", n, multi, sum);
    free(copies);
    SHPClose(s);
    GEOS_finish_r(h);
    spill_layer_free(L);
  }
  CHECK_EQ_INT(spill_voronoi_network(ctx, 2, 1, shp), SPILL_EINVAL);
  CHECK_EQ_INT(spill_voronoi_network(ctx, 50, 1, "/nonexistent-dir/n.shp"), SPILL_EIO);
  /* a small network (no separate island cells): still a tiling */
  CHECK_EQ_INT(spill_voronoi_network(ctx, 5, 9, shp2), 0);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  const char *dir = check_tmpdir();
  test_join(ctx, dir);
  test_voronoi(ctx, dir);
  spill_ctx_free(ctx);
  return check_done("test_join");
}

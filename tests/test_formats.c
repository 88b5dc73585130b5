/* Maps in the formats Chinese boundaries circulate in: GeoJSON and GeoPackage
 * copies of the shared shapefiles, written here by the test's own writers
 * (shapelib in, JSON text and SQLite + hand-made WKB out), must give the
 * same contiguity W link for link as the shapefile and as R spdep (the
 * shared refs); DBF text in GBK without a .cpg; `spill join` of UTF-8 text
 * into a GBK map read back with the right Chinese; bad inputs. */
#include <iconv.h>
#include <math.h>
#include <shapefil.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "shp_fixture.h"
#include "spill.h"

static char last_notice[2048];
static void on_notice(void *user, const char *msg)
{
  (void)user;
  snprintf(last_notice, sizeof last_notice, "%s", msg);
}

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

/* UTF-8 text in GBK (the test's own conversion). */
static void to_gbk(const char *s, char *out, size_t cap)
{
  iconv_t cd = iconv_open("GBK", "UTF-8");
  char *in = (char *)s, *o = out;
  size_t il = strlen(s), ol = cap - 1;
  if (cd == (iconv_t)-1 || iconv(cd, &in, &il, &o, &ol) == (size_t)-1) {
    fprintf(stderr, "iconv to GBK failed\n");
    exit(1);
  }
  *o = '\0';
  iconv_close(cd);
}

/* ---- the test's writers: a shapefile's rings grouped into polygons
 * (a clockwise ring starts a polygon, the counter-clockwise rings after it
 * are its holes), as GeoJSON text and as GeoPackage WKB ---- */

typedef struct shp_in {
  SHPHandle shp;
  DBFHandle dbf;
  int n, nf;
} shp_in;

static int shp_in_open(shp_in *s, const char *shp)
{
  char dbf[1024];
  snprintf(dbf, sizeof dbf, "%.*s.dbf", (int)strlen(shp) - 4, shp);
  s->shp = SHPOpen(shp, "rb");
  s->dbf = DBFOpen(dbf, "rb");
  if (!s->shp || !s->dbf) return -1;
  SHPGetInfo(s->shp, &s->n, NULL, NULL, NULL);
  s->nf = DBFGetFieldCount(s->dbf);
  return 0;
}

static void shp_in_close(shp_in *s)
{
  SHPClose(s->shp);
  DBFClose(s->dbf);
}

static int clockwise(const SHPObject *o, int a, int b)
{
  double area = 0;
  for (int k = a; k + 1 < b; k++) area += o->padfX[k] * o->padfY[k + 1] - o->padfX[k + 1] * o->padfY[k];
  return area < 0;
}

/* polygon index of every part: parts[k] = polygon number (0-based) */
static int group_parts(const SHPObject *o, int *poly)
{
  int np = -1;
  for (int k = 0; k < o->nParts; k++) {
    int a = o->panPartStart[k], b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
    if (clockwise(o, a, b) || np < 0) np++;
    poly[k] = np;
  }
  return np + 1;
}

static void json_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static const char *trimmed(const char *s, char *buf, size_t cap)
{
  size_t n;
  while (*s == ' ') s++;
  snprintf(buf, cap, "%s", s);
  n = strlen(buf);
  while (n > 0 && buf[n - 1] == ' ') buf[--n] = '\0';
  return buf;
}

static void json_props(FILE *f, shp_in *s, int i)
{
  fputs("\"properties\":{", f);
  for (int k = 0; k < s->nf; k++) {
    char name[16], buf[512];
    int w, d;
    DBFFieldType t = DBFGetFieldInfo(s->dbf, k, name, &w, &d);
    const char *v = trimmed(DBFReadStringAttribute(s->dbf, i, k), buf, sizeof buf);
    fprintf(f, "%s\"%s\":", k ? "," : "", name);
    if (t == FTString) json_string(f, v);
    else if (!*v || *v == '*') fputs("null", f);
    else fputs(v, f);
  }
  fputc('}', f);
}

static int shp_to_geojson(const char *shp, const char *out, const char *crs)
{
  shp_in s;
  FILE *f;
  if (shp_in_open(&s, shp) || !(f = fopen(out, "wb"))) return -1;
  fputs("{\"type\":\"FeatureCollection\",", f);
  if (crs) fprintf(f, "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"%s\"}},", crs);
  fputs("\"features\":[\n", f);
  for (int i = 0; i < s.n; i++) {
    SHPObject *o = SHPReadObject(s.shp, i);
    int *poly = malloc(((size_t)o->nParts + 1) * sizeof *poly), np = group_parts(o, poly);
    fprintf(f, "%s{\"type\":\"Feature\",", i ? ",\n" : "");
    json_props(f, &s, i);
    fputs(",\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[", f);
    for (int p = 0; p < np; p++) {
      int first = 1;
      fprintf(f, "%s[", p ? "," : "");
      for (int k = 0; k < o->nParts; k++) {
        int a = o->panPartStart[k], b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
        if (poly[k] != p) continue;
        fprintf(f, "%s[", first ? "" : ",");
        first = 0;
        for (int v = a; v < b; v++) fprintf(f, "%s[%.17g,%.17g]", v > a ? "," : "", o->padfX[v], o->padfY[v]);
        fputc(']', f);
      }
      fputc(']', f);
    }
    fputs("]}}", f);
    free(poly);
    SHPDestroyObject(o);
  }
  fputs("\n]}\n", f);
  fclose(f);
  shp_in_close(&s);
  return 0;
}

/* bytes of a little-endian WKB / GeoPackage blob */
typedef struct buf {
  unsigned char *b;
  size_t n, cap;
} buf;

static void put(buf *w, const void *p, size_t n)
{
  if (w->n + n > w->cap) {
    w->cap = 2 * (w->n + n) + 64;
    w->b = realloc(w->b, w->cap);
  }
  memcpy(w->b + w->n, p, n);
  w->n += n;
}
static void put_u32(buf *w, uint32_t v, int big)
{
  unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  if (big) {
    unsigned char r[4] = {b[3], b[2], b[1], b[0]};
    put(w, r, 4);
  } else {
    put(w, b, 4);
  }
}
static void put_f64(buf *w, double v, int big)
{
  unsigned char b[8];
  memcpy(b, &v, 8); /* the machine is little-endian (checked in main) */
  if (big)
    for (int k = 0; k < 4; k++) {
      unsigned char t = b[k];
      b[k] = b[7 - k];
      b[7 - k] = t;
    }
  put(w, b, 8);
}

/* GeoPackage blob (spec 2.1.3): "GP", version 0, flags (header byte order
 * big or little, envelope xy), srs id, envelope, then WKB MultiPolygon in
 * the other byte order (WKB says its own). */
static void gp_blob(buf *w, const SHPObject *o, int srs, int big)
{
  int *poly = malloc(((size_t)o->nParts + 1) * sizeof *poly), np = group_parts(o, poly);
  unsigned char head[4] = {'G', 'P', 0, (unsigned char)((1 << 1) | (big ? 0 : 1))};
  unsigned char order = big ? 1 : 0; /* WKB in the opposite order to the header */
  int wbig = !order;
  w->n = 0;
  put(w, head, 4);
  put_u32(w, (uint32_t)srs, big);
  put_f64(w, o->dfXMin, big);
  put_f64(w, o->dfXMax, big);
  put_f64(w, o->dfYMin, big);
  put_f64(w, o->dfYMax, big);
  put(w, &order, 1);
  put_u32(w, 6, wbig);
  put_u32(w, (uint32_t)np, wbig);
  for (int p = 0; p < np; p++) {
    int nr = 0;
    for (int k = 0; k < o->nParts; k++) nr += poly[k] == p;
    put(w, &order, 1);
    put_u32(w, 3, wbig);
    put_u32(w, (uint32_t)nr, wbig);
    for (int k = 0; k < o->nParts; k++) {
      int a = o->panPartStart[k], b = k + 1 < o->nParts ? o->panPartStart[k + 1] : o->nVertices;
      if (poly[k] != p) continue;
      put_u32(w, (uint32_t)(b - a), wbig);
      for (int v = a; v < b; v++) {
        put_f64(w, o->padfX[v], wbig);
        put_f64(w, o->padfY[v], wbig);
      }
    }
  }
  free(poly);
}

static const char *wgs84_wkt =
    "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],"
    "UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"4326\"]]";

static int exec_sql(sqlite3 *db, const char *sql)
{
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlite: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return -1;
  }
  return 0;
}

/* A GeoPackage with the shapefile as table `table` (srs 4326 or -1). */
static int shp_to_gpkg(const char *shp, const char *out, const char *table, int srs)
{
  shp_in s;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char sql[4096];
  size_t used;
  buf w = {NULL, 0, 0};
  if (shp_in_open(&s, shp)) return -1;
  unlink(out);
  if (sqlite3_open(out, &db) != SQLITE_OK) return -1;
  exec_sql(db, "BEGIN");
  exec_sql(db, "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization "
               "TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)");
  exec_sql(db, "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),"
               "('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL)");
  snprintf(sql, sizeof sql, "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '%s', NULL)",
           wgs84_wkt);
  exec_sql(db, sql);
  exec_sql(db, "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, "
               "description TEXT, last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, "
               "srs_id INTEGER)");
  exec_sql(db, "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
               "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL)");
  snprintf(sql, sizeof sql, "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('%s', 'features', %d)",
           table, srs);
  exec_sql(db, sql);
  snprintf(sql, sizeof sql, "INSERT INTO gpkg_geometry_columns VALUES ('%s', 'geom', 'MULTIPOLYGON', %d, 0, 0)", table,
           srs);
  exec_sql(db, sql);
  used = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON", table);
  for (int k = 0; k < s.nf; k++) {
    char name[16];
    int wd, d;
    DBFFieldType t = DBFGetFieldInfo(s.dbf, k, name, &wd, &d);
    used += (size_t)snprintf(sql + used, sizeof sql - used, ", \"%s\" %s", name,
                             t == FTString ? "TEXT" : t == FTInteger || d == 0 ? "INTEGER" : "REAL");
  }
  snprintf(sql + used, sizeof sql - used, ")");
  exec_sql(db, sql);
  used = (size_t)snprintf(sql, sizeof sql, "INSERT INTO \"%s\" VALUES (?, ?", table);
  for (int k = 0; k < s.nf; k++) used += (size_t)snprintf(sql + used, sizeof sql - used, ", ?");
  snprintf(sql + used, sizeof sql - used, ")");
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  for (int i = 0; i < s.n; i++) {
    SHPObject *o = SHPReadObject(s.shp, i);
    gp_blob(&w, o, srs, i % 2);
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, i + 1);
    sqlite3_bind_blob(st, 2, w.b, (int)w.n, SQLITE_TRANSIENT);
    for (int k = 0; k < s.nf; k++) {
      char name[16], b2[512];
      int wd, d;
      DBFFieldType t = DBFGetFieldInfo(s.dbf, k, name, &wd, &d);
      const char *v = trimmed(DBFReadStringAttribute(s.dbf, i, k), b2, sizeof b2);
      if (t == FTString) sqlite3_bind_text(st, k + 3, v, -1, SQLITE_TRANSIENT);
      else if (!*v || *v == '*') sqlite3_bind_null(st, k + 3);
      else if (d == 0) sqlite3_bind_int64(st, k + 3, strtoll(v, NULL, 10));
      else sqlite3_bind_double(st, k + 3, strtod(v, NULL));
    }
    if (sqlite3_step(st) != SQLITE_DONE) return -1;
    SHPDestroyObject(o);
  }
  sqlite3_finalize(st);
  exec_sql(db, "COMMIT");
  sqlite3_close(db);
  free(w.b);
  shp_in_close(&s);
  return 0;
}

/* ---- comparisons ---- */

static int same_w(const spill_weights *a, const spill_weights *b)
{
  if (!a || !b || a->n != b->n) return 0;
  for (int64_t i = 0; i < a->n; i++)
    if (strcmp(a->ids[i], b->ids[i]) || a->p[i + 1] != b->p[i + 1]) return 0;
  for (int64_t k = 0; k < a->p[a->n]; k++)
    if (a->j[k] != b->j[k]) return 0;
  return 1;
}

/* W's links equal those of a GAL from spdep, whose ids are the record
 * numbers of the layer's units. */
static int same_as_gal(spill_ctx *ctx, const spill_weights *w, const char *gal, const spill_layer *L)
{
  spill_weights *r = spill_weights_read(ctx, gal, SPILL_WFMT_GAL);
  int64_t *map = malloc(((size_t)w->n + 1) * sizeof *map); /* unit i of w -> unit of r */
  int ok = r && map && r->n == w->n && r->p[r->n] == w->p[w->n];
  for (int64_t i = 0; ok && i < w->n; i++) {
    char rec[32];
    snprintf(rec, sizeof rec, "%lld", (long long)spill_layer_records(L)[i]);
    map[i] = spill_weights_find(r, rec);
    ok = map[i] >= 0;
  }
  for (int64_t i = 0; ok && i < w->n; i++) {
    int64_t ri = map[i];
    if (r->p[ri + 1] - r->p[ri] != w->p[i + 1] - w->p[i]) ok = 0;
    for (int64_t k = w->p[i]; ok && k < w->p[i + 1]; k++) {
      int64_t rj = map[w->j[k]], hit = 0;
      for (int64_t q = r->p[ri]; q < r->p[ri + 1]; q++) hit |= r->j[q] == rj;
      ok = hit;
    }
  }
  free(map);
  spill_weights_free(r);
  return ok;
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

static int run(const char *cmd)
{
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *err_has(spill_ctx *ctx, const char *part)
{
  const char *e = spill_ctx_error(ctx);
  if (!strstr(e, part)) fprintf(stderr, "  error was: %s\n", e);
  return strstr(e, part);
}

/* One shared map in three formats: W queen and rook identical link for
 * link, equal to spdep's, and the CLI's GAL files byte for byte equal. */
static void same_attributes(spill_ctx *ctx, const char *dir, spill_layer *a, spill_layer *b, spill_layer *c);

static void same_w_three_formats(spill_ctx *ctx, const char *dir, const char *name, const char *id, int srs)
{
  spill_layer *Ls[3] = {NULL, NULL, NULL};
  spill_read_opts ro = {0};
  char shp[1024], gal[1024], gj[1024], gp[1024], cmd[8192], o1[1024], o2[1024], o3[1024];
  const char *paths[3];
  spill_weights *w[2][3] = {{NULL}};
  size_t n0 = 0, nf0 = 0;
  snprintf(shp, sizeof shp, "%s/data/%s.shp", SPILL_SHARED_DIR, name);
  snprintf(gj, sizeof gj, "%s/%s.geojson", dir, name);
  snprintf(gp, sizeof gp, "%s/%s.gpkg", dir, name);
  CHECK_EQ_INT(shp_to_geojson(shp, gj, NULL), 0);
  CHECK_EQ_INT(shp_to_gpkg(shp, gp, name, srs), 0);
  paths[0] = shp;
  paths[1] = gj;
  paths[2] = gp;
  for (int f = 0; f < 3; f++) {
    spill_layer *L = Ls[f] = spill_layer_read(ctx, paths[f], (ro.id_field = id, &ro));
    CHECK_MSG(L != NULL, "%s: %s", paths[f], spill_ctx_error(ctx));
    if (!L) continue;
    if (f == 0) {
      n0 = spill_layer_count(L);
      nf0 = spill_layer_nfields(L);
    }
    CHECK_EQ_INT(spill_layer_count(L), n0);
    CHECK_EQ_INT(spill_layer_nfields(L), nf0);
    for (int rook = 0; rook < 2; rook++) {
      spill_contig_opts co = {0};
      co.rook = rook;
      co.order = 1;
      w[rook][f] = spill_weights_contiguity(ctx, L, &co);
      CHECK(w[rook][f] != NULL);
    }
    if (f > 0) CHECK_EQ_INT(spill_layer_geographic(L), f == 1 || srs == 4326);
  }
  for (int rook = 0; rook < 2; rook++) {
    snprintf(gal, sizeof gal, "%s/refs/%s_%s.gal", SPILL_SHARED_DIR, name, rook ? "rook" : "queen");
    for (int f = 0; f < 3; f++) {
      CHECK_MSG(w[rook][f] && same_as_gal(ctx, w[rook][f], gal, Ls[f]), "%s %s differs from %s", paths[f],
                rook ? "rook" : "queen", gal);
      CHECK_MSG(f == 0 || same_w(w[rook][0], w[rook][f]), "%s %s differs from the shapefile's", paths[f],
                rook ? "rook" : "queen");
    }
    for (int f = 0; f < 3; f++) spill_weights_free(w[rook][f]);
  }
  /* the command line, with ids from a field */
  snprintf(o1, sizeof o1, "%s/%s_shp.gal", dir, name);
  snprintf(o2, sizeof o2, "%s/%s_geojson.gal", dir, name);
  snprintf(o3, sizeof o3, "%s/%s_gpkg.gal", dir, name);
  snprintf(cmd, sizeof cmd, "'%s' weights queen '%s' --id %s -o '%s' >/dev/null && '%s' weights queen '%s' --id %s -o '%s' "
           ">/dev/null && '%s' weights queen '%s' --id %s -o '%s' >/dev/null",
           SPILL_EXE, shp, id, o1, SPILL_EXE, gj, id, o2, SPILL_EXE, gp, id, o3);
  CHECK_EQ_INT(run(cmd), 0);
  CHECK_MSG(same_file(o1, o2), "%s and %s differ", o1, o2);
  CHECK_MSG(same_file(o1, o3), "%s and %s differ", o1, o3);
  if (!strcmp(name, "china_prefectures") && Ls[0] && Ls[1] && Ls[2]) same_attributes(ctx, dir, Ls[0], Ls[1], Ls[2]);
  for (int f = 0; f < 3; f++) spill_layer_free(Ls[f]);
}

/* Attributes and ids agree across the formats (china: Chinese names). */
static void same_attributes(spill_ctx *ctx, const char *dir, spill_layer *a, spill_layer *b, spill_layer *c)
{
  char gj[1024];
  spill_read_opts ro = {.id_field = "adcode"};
  snprintf(gj, sizeof gj, "%s/china_prefectures.geojson", dir);
  CHECK(a && b && c);
  if (a && b && c) {
    long fa = spill_layer_field_index(a, "name"), fb = spill_layer_field_index(b, "name"),
         fc = spill_layer_field_index(c, "name");
    int ids = 1, names = 0;
    double ba[4], bb[4];
    CHECK(fa >= 0 && fb >= 0 && fc >= 0);
    for (size_t i = 0; i < spill_layer_count(a) && fa >= 0 && fb >= 0 && fc >= 0; i++) {
      ids &= !strcmp(spill_layer_ids(a)[i], spill_layer_ids(b)[i]) && !strcmp(spill_layer_ids(a)[i], spill_layer_ids(c)[i]);
      names += !strcmp(spill_layer_attr_text(a, i, (size_t)fa), spill_layer_attr_text(b, i, (size_t)fb)) &&
               !strcmp(spill_layer_attr_text(a, i, (size_t)fa), spill_layer_attr_text(c, i, (size_t)fc));
    }
    CHECK(ids);
    CHECK_EQ_INT(names, spill_layer_count(a));
    CHECK_STR(spill_layer_attr_text(b, 0, (size_t)fb), "石家庄市");
    CHECK_EQ_INT(spill_layer_field_type(b, (size_t)spill_layer_field_index(b, "adcode")), 'N');
    CHECK_EQ_INT(spill_layer_field_type(c, (size_t)spill_layer_field_index(c, "lat")), 'N');
    CHECK_EQ_INT(spill_layer_geographic(b), 1);
    CHECK_EQ_INT(spill_layer_geographic(c), 1);
    spill_layer_bounds(a, ba);
    spill_layer_bounds(b, bb);
    for (int k = 0; k < 4; k++) CHECK_REL(bb[k], ba[k], 0);
    /* centroids of the (repaired) polygons agree */
    {
      size_t n = spill_layer_count(a);
      double *x1 = malloc(n * sizeof *x1), *y1 = malloc(n * sizeof *y1), *x2 = malloc(n * sizeof *x2),
             *y2 = malloc(n * sizeof *y2), worst = 0;
      CHECK_EQ_INT(spill_layer_centroids(ctx, a, x1, y1), 0);
      CHECK_EQ_INT(spill_layer_centroids(ctx, c, x2, y2), 0);
      for (size_t i = 0; i < n; i++) worst = fmax(worst, fmax(fabs(x1[i] - x2[i]), fabs(y1[i] - y2[i])));
      CHECK_MSG(worst < 1e-9, "centroids differ by %g degrees", worst);
      free(x1);
      free(y1);
      free(x2);
      free(y2);
    }
  }
  /* join output from a GeoJSON map: a shapefile that reads back the same */
  {
    char out[1024], csv[1024];
    spill_layer *g = b, *back;
    spill_write_report wr;
    snprintf(out, sizeof out, "%s/joined_from_geojson.shp", dir);
    snprintf(csv, sizeof csv, "%s/one.csv", dir);
    write_text(csv, "adcode,effect,label\n130100,0.25,省会\n");
    CHECK(g != NULL);
    if (g) CHECK_EQ_INT(spill_layer_write_joined(ctx, g, csv, NULL, 1, out, NULL, &wr), 0);
    back = spill_layer_read(ctx, out, &ro);
    CHECK_MSG(back != NULL, "%s", spill_ctx_error(ctx));
    if (g && back) {
      spill_contig_opts co = {0};
      spill_weights *w1, *w2;
      long fl = spill_layer_field_index(back, "label"), fn = spill_layer_field_index(back, "name");
      co.order = 1;
      w1 = spill_weights_contiguity(ctx, g, &co);
      w2 = spill_weights_contiguity(ctx, back, &co);
      /* repaired polygons are written, so links can only differ where a
       * repair moved a vertex: compare the counts and most rows */
      CHECK(w1 && w2);
      if (w1 && w2) CHECK_MSG(same_w(w1, w2), "joined shapefile W differs from the GeoJSON's");
      spill_weights_free(w1);
      spill_weights_free(w2);
      CHECK(fl >= 0 && fn >= 0);
      if (fl >= 0) CHECK_STR(spill_layer_attr_text(back, 0, (size_t)fl), "省会");
      if (fn >= 0) CHECK_STR(spill_layer_attr_text(back, 0, (size_t)fn), "石家庄市");
      CHECK_EQ_INT(spill_layer_geographic(back), 1);
    }
    spill_layer_free(back);
    /* and as GeoJSON: the same W and text back */
    snprintf(out, sizeof out, "%s/joined.geojson", dir);
    if (g) CHECK_EQ_INT(spill_layer_write_joined(ctx, g, csv, NULL, 1, out, NULL, &wr), 0);
    back = spill_layer_read(ctx, out, &ro);
    CHECK_MSG(back != NULL, "%s", spill_ctx_error(ctx));
    if (g && back) {
      spill_contig_opts co = {0};
      spill_weights *w1, *w2;
      long fl = spill_layer_field_index(back, "label");
      co.order = 1;
      co.rook = 1;
      w1 = spill_weights_contiguity(ctx, g, &co);
      w2 = spill_weights_contiguity(ctx, back, &co);
      CHECK_MSG(w1 && w2 && same_w(w1, w2), "joined GeoJSON W differs from the GeoJSON's");
      spill_weights_free(w1);
      spill_weights_free(w2);
      CHECK(fl >= 0);
      if (fl >= 0) CHECK_STR(spill_layer_attr_text(back, 0, (size_t)fl), "省会");
      CHECK_EQ_INT(spill_layer_field_type(back, (size_t)spill_layer_field_index(back, "effect")), 'N');
    }
    spill_layer_free(back);
  }
}

/* Small hand-written GeoJSON: CRS member, feature ids, null geometry,
 * numbers and booleans; the bad inputs. */
static void small_geojson(spill_ctx *ctx, const char *dir)
{
  char p[1024];
  spill_read_opts ro = {0};
  spill_layer *L;
  const char *sq = "[[[0,0],[0,1],[1,1],[1,0],[0,0]]]", *sq2 = "[[[1,0],[1,1],[2,1],[2,0],[1,0]]]";
  char text[4096];
  snprintf(p, sizeof p, "%s/small.geojson", dir);
  snprintf(text, sizeof text,
           "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
           "\"urn:ogc:def:crs:EPSG::3857\"}},\"features\":["
           "{\"type\":\"Feature\",\"id\":7,\"properties\":{\"code\":110000,\"name\":\"北京市\",\"x\":0.1,\"ok\":true},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}},"
           "{\"type\":\"Feature\",\"id\":8,\"properties\":{\"code\":120000.0,\"name\":\"天津市\",\"ok\":false},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}},"
           "{\"type\":\"Feature\",\"id\":9,\"properties\":{\"code\":130000,\"name\":null},\"geometry\":null}]}",
           sq, sq2);
  write_text(p, text);
  ro.id_field = "code";
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "feature 3 has no geometry") && err_has(ctx, "--skip-null"));
  ro.skip_null = 1;
  L = spill_layer_read(ctx, p, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) {
    CHECK_EQ_INT(spill_layer_count(L), 2);
    CHECK_EQ_INT(spill_layer_skipped(L), 1);
    CHECK_STR(spill_layer_ids(L)[1], "120000");
    CHECK_EQ_INT(spill_layer_geographic(L), 0);
    CHECK(strstr(spill_layer_crs_name(L), "Pseudo-Mercator") != NULL);
    CHECK_REL(spill_layer_unit_m(L), 1.0, 0);
    CHECK_STR(spill_layer_attr_text(L, 0, (size_t)spill_layer_field_index(L, "x")), "0.1");
    CHECK_STR(spill_layer_attr_text(L, 1, (size_t)spill_layer_field_index(L, "x")), "");
    CHECK_EQ_INT(spill_layer_field_type(L, (size_t)spill_layer_field_index(L, "ok")), 'L');
    CHECK_STR(spill_layer_attr_text(L, 0, (size_t)spill_layer_field_index(L, "ok")), "T");
    CHECK_STR(spill_layer_attr_text(L, 1, (size_t)spill_layer_field_index(L, "id")), "8");
    {
      spill_contig_opts co = {0};
      spill_weights *w;
      co.rook = 1;
      co.order = 1;
      w = spill_weights_contiguity(ctx, L, &co);
      CHECK(w && w->p[2] == 2);
      spill_weights_free(w);
    }
    spill_layer_free(L);
  }
  ro.id_field = "id"; /* the feature-level id member */
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L && !strcmp(spill_layer_ids(L)[0], "7"));
  spill_layer_free(L);
  ro.id_field = "name";
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L && !strcmp(spill_layer_ids(L)[0], "北京市"));
  spill_layer_free(L);
  ro.skip_null = 0;

  /* the same file in GBK: read as GB18030 with a notice */
  {
    char gbk[4096], pg[1024];
    to_gbk(text, gbk, sizeof gbk);
    snprintf(pg, sizeof pg, "%s/small_gbk.geojson", dir);
    write_text(pg, gbk);
    ro.skip_null = 1;
    last_notice[0] = '\0';
    L = spill_layer_read(ctx, pg, &ro);
    CHECK(L && !strcmp(spill_layer_ids(L)[1], "天津市"));
    CHECK(strstr(last_notice, "read as GB18030") != NULL);
    spill_layer_free(L);
    ro.encoding = "GBK";
    L = spill_layer_read(ctx, pg, &ro);
    CHECK(L && !strcmp(spill_layer_ids(L)[0], "北京市"));
    spill_layer_free(L);
    ro.encoding = "NO-SUCH-ENCODING";
    L = spill_layer_read(ctx, pg, &ro);
    CHECK(L == NULL && err_has(ctx, "--encoding 'NO-SUCH-ENCODING'") && err_has(ctx, "iconv does not know"));
    ro.encoding = NULL;
    ro.skip_null = 0;
  }

  /* bad inputs */
  ro.id_field = "code";
  write_text(p, "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}");
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "not a GeoJSON FeatureCollection") && err_has(ctx, "\"Feature\""));
  write_text(p, "{\"type\":\"FeatureCollection\",\"features\":[");
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "not valid JSON (line 1"));
  snprintf(text, sizeof text,
           "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"code\":1},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}},{\"type\":\"Feature\",\"properties\":{\"code\":1},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}}]}",
           sq, sq2);
  write_text(p, text);
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "records 1 and 2 both have id '1'"));
  ro.id_field = "adcode";
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "has no field 'adcode'; its fields are: code"));
  snprintf(text, sizeof text,
           "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"code\":1},"
           "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}]}");
  write_text(p, text);
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "feature 1 is a LineString"));
  snprintf(text, sizeof text,
           "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"code\":1},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,\"a\"],[1,1],[0,0]]]}}]}");
  write_text(p, text);
  L = spill_layer_read(ctx, p, &ro);
  CHECK(L == NULL && err_has(ctx, "feature 1: a position is not an array of two or more numbers"));
}

/* GeoPackage: several tables, no feature table, an empty geometry. */
static void small_gpkg(spill_ctx *ctx, const char *dir)
{
  char shp[1024], gp[1024], named[1100];
  sqlite3 *db;
  spill_layer *L;
  spill_read_opts ro = {0};
  snprintf(shp, sizeof shp, "%s/grid.shp", dir);
  fx_grid((snprintf(named, sizeof named, "%s/grid", dir), named));
  snprintf(gp, sizeof gp, "%s/two.gpkg", dir);
  CHECK_EQ_INT(shp_to_gpkg(shp, gp, "grid", -1), 0);
  if (sqlite3_open(gp, &db) == SQLITE_OK) { /* a second feature table */
    exec_sql(db, "CREATE TABLE other AS SELECT * FROM grid");
    exec_sql(db, "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('other', 'features', -1)");
    exec_sql(db, "INSERT INTO gpkg_geometry_columns VALUES ('other', 'geom', 'MULTIPOLYGON', -1, 0, 0)");
    exec_sql(db, "UPDATE other SET geom = X'4750000100000000' WHERE fid = 2"); /* flags: empty */
    sqlite3_close(db);
  }
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L == NULL && err_has(ctx, "holds 2 feature tables (grid, other)") && err_has(ctx, ":TABLE"));
  snprintf(named, sizeof named, "%s:grid", gp);
  ro.id_field = "CODE";
  L = spill_layer_read(ctx, named, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) {
    CHECK_EQ_INT(spill_layer_count(L), 9);
    CHECK_STR(spill_layer_ids(L)[8], "109");
    CHECK_EQ_INT(spill_layer_has_prj(L), 0);
    spill_layer_free(L);
  }
  snprintf(named, sizeof named, "%s:nosuch", gp);
  L = spill_layer_read(ctx, named, &ro);
  CHECK(L == NULL && err_has(ctx, "has no feature table 'nosuch'"));
  ro.layer = "other";
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L == NULL && err_has(ctx, "table other, row 2 has no geometry"));
  ro.skip_null = 1;
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L && spill_layer_count(L) == 8);
  spill_layer_free(L);
  /* no feature table; not a GeoPackage; not SQLite */
  if (sqlite3_open(gp, &db) == SQLITE_OK) {
    exec_sql(db, "DELETE FROM gpkg_contents");
    sqlite3_close(db);
  }
  ro.layer = NULL;
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L == NULL && err_has(ctx, "holds no feature table"));
  if (sqlite3_open(gp, &db) == SQLITE_OK) {
    exec_sql(db, "DROP TABLE gpkg_contents");
    sqlite3_close(db);
  }
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L == NULL && err_has(ctx, "not a GeoPackage (no gpkg_contents table)"));
  write_text(gp, "this is not a database, just text that is long enough to fill the header of one..........\n");
  L = spill_layer_read(ctx, gp, &ro);
  CHECK(L == NULL && err_has(ctx, "not a GeoPackage"));
}

/* A 3-unit map with GBK names and no .cpg: the language byte says GBK
 * (0x4D), or nothing (detected), or 0x57 (detected). */
static void gbk_map(const char *base, int ldid)
{
  fx f;
  char dbf[1100], n1[64], n2[64], n3[64];
  FILE *fp;
  unsigned char b = (unsigned char)ldid;
  to_gbk("石家庄市", n1, sizeof n1);
  to_gbk("唐山市", n2, sizeof n2);
  to_gbk("秦皇岛市", n3, sizeof n3);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 130100, n1);
  fx_square(&f, 1, 0, 1, 130200, n2);
  fx_square(&f, 2, 0, 1, 130300, n3);
  fx_close(&f);
  snprintf(dbf, sizeof dbf, "%s.dbf", base);
  fp = fopen(dbf, "r+b");
  if (fp) {
    fseek(fp, 29, SEEK_SET);
    fwrite(&b, 1, 1, fp);
    fclose(fp);
  }
}

static void dbf_encodings(spill_ctx *ctx, const char *dir)
{
  char base[1024], shp[1100], csv[1100], out[1100], cpg[1100];
  spill_read_opts ro = {.id_field = "NAME"};
  spill_layer *L;
  int ldids[3] = {0x4D, 0x00, 0x57};
  for (int k = 0; k < 3; k++) {
    snprintf(base, sizeof base, "%s/gbk%d", dir, k);
    snprintf(shp, sizeof shp, "%s.shp", base);
    gbk_map(base, ldids[k]);
    last_notice[0] = '\0';
    L = spill_layer_read(ctx, shp, &ro);
    CHECK_MSG(L != NULL, "LDID 0x%02X: %s", ldids[k], spill_ctx_error(ctx));
    if (L) {
      CHECK_STR(spill_layer_ids(L)[0], "石家庄市");
      CHECK_STR(spill_layer_ids(L)[2], "秦皇岛市");
    }
    CHECK_MSG(k == 0 ? last_notice[0] == '\0' : strstr(last_notice, "read as GB18030") != NULL, "notice: %s",
              last_notice);
    spill_layer_free(L);
  }
  /* --encoding wins over the language byte; an unknown one is an error */
  snprintf(shp, sizeof shp, "%s/gbk0.shp", dir);
  ro.encoding = "CP1252";
  L = spill_layer_read(ctx, shp, &ro);
  CHECK(L && strcmp(spill_layer_ids(L)[0], "石家庄市") != 0);
  spill_layer_free(L);
  ro.encoding = "KLINGON";
  L = spill_layer_read(ctx, shp, &ro);
  CHECK(L == NULL && err_has(ctx, "--encoding 'KLINGON'"));
  ro.encoding = NULL;
  /* Western text without a .cpg stays CP1252 */
  {
    fx f;
    snprintf(base, sizeof base, "%s/latin", dir);
    fx_open(&f, base, SHPT_POLYGON);
    fx_square(&f, 0, 0, 1, 1, "Z\xFCrich");
    fx_square(&f, 1, 0, 1, 2, "M\xFCnchen");
    fx_close(&f);
    snprintf(shp, sizeof shp, "%s.shp", base);
    L = spill_layer_read(ctx, shp, &ro);
    CHECK(L && !strcmp(spill_layer_ids(L)[0], "Zürich"));
    spill_layer_free(L);
  }

  /* ids matched between the GBK map and a UTF-8 CSV; join writes UTF-8 */
  snprintf(shp, sizeof shp, "%s/gbk1.shp", dir);
  snprintf(csv, sizeof csv, "%s/utf8.csv", dir);
  snprintf(out, sizeof out, "%s/joined.shp", dir);
  snprintf(cpg, sizeof cpg, "%s/joined.cpg", dir);
  write_text(csv, "city,gdp,note\n唐山市,2.5,港口城市\n石家庄市,1.5,省会\n秦皇岛市,0.5,海滨\n");
  L = spill_layer_read(ctx, shp, &ro);
  CHECK(L != NULL);
  if (L) {
    double v[3];
    spill_match_report m;
    CHECK_EQ_INT(spill_layer_values_csv(ctx, L, csv, "city", "gdp", 0, v, &m), 0);
    CHECK_EQ_INT(m.matched, 3);
    CHECK_REL(v[0], 1.5, 0);
    CHECK_REL(v[1], 2.5, 0);
    CHECK_EQ_INT(spill_layer_write_joined(ctx, L, csv, "city", 0, out, NULL, NULL), 0);
    spill_layer_free(L);
  }
  {
    FILE *f = fopen(cpg, "rb");
    char t[32] = "";
    if (f) {
      if (!fgets(t, sizeof t, f)) t[0] = '\0';
      fclose(f);
    }
    CHECK(!strncmp(t, "UTF-8", 5));
  }
  ro.id_field = "CODE";
  L = spill_layer_read(ctx, out, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (L) {
    long fn = spill_layer_field_index(L, "NAME"), fo = spill_layer_field_index(L, "note");
    CHECK(fn >= 0 && fo >= 0);
    if (fn >= 0) CHECK_STR(spill_layer_attr_text(L, 1, (size_t)fn), "唐山市");
    if (fo >= 0) CHECK_STR(spill_layer_attr_text(L, 1, (size_t)fo), "港口城市");
    if (fo >= 0) CHECK_STR(spill_layer_attr_text(L, 2, (size_t)fo), "海滨");
    spill_layer_free(L);
  }
  { /* and shapelib reads UTF-8 bytes there (an independent reader) */
    char dbf[1100];
    DBFHandle d;
    snprintf(dbf, sizeof dbf, "%s/joined.dbf", dir);
    d = DBFOpen(dbf, "rb");
    CHECK(d != NULL);
    if (d) {
      int fi = DBFGetFieldIndex(d, "NAME");
      char t[128];
      CHECK(fi >= 0);
      if (fi >= 0) CHECK_STR(trimmed(DBFReadStringAttribute(d, 0, fi), t, sizeof t), "石家庄市");
      DBFClose(d);
    }
  }
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  const char *dir = check_tmpdir();
  char buf[1024];
  uint16_t one = 1;
  if (*(unsigned char *)&one != 1) {
    printf("SKIP: the test's WKB writer assumes a little-endian machine\n");
    return 77;
  }
  spill_ctx_set_notice(ctx, on_notice, NULL);
  small_geojson(ctx, dir);
  small_gpkg(ctx, dir);
  dbf_encodings(ctx, dir);
  if (check_shared("data/columbus.shp", buf, sizeof buf) && check_shared("refs/columbus_queen.gal", buf, sizeof buf))
    same_w_three_formats(ctx, dir, "columbus", "POLYID", -1);
  if (check_shared("data/china_prefectures.shp", buf, sizeof buf)) {
    same_w_three_formats(ctx, dir, "china_prefectures", "adcode", 4326);
  }
  spill_ctx_free(ctx);
  return check_done("test_formats");
}

/* GeoPackage maps (OGC 12-128r18): one feature table read with SQLite, its
 * geometry blobs (a GeoPackage header, then WKB) parsed with GEOS, its other
 * columns as the layer's attributes, its CRS from gpkg_spatial_ref_sys. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "shapes/read.h"

/* A quoted SQL identifier ("name" with " doubled), malloc'ed. */
static char *quote_ident(const char *name)
{
  size_t n = strlen(name), k = 0;
  char *q = malloc(2 * n + 3);
  if (!q) return NULL;
  q[k++] = '"';
  for (const char *p = name; *p; p++) {
    if (*p == '"') q[k++] = '"';
    q[k++] = *p;
  }
  q[k++] = '"';
  q[k] = '\0';
  return q;
}

static uint32_t u32(const unsigned char *p, int little)
{
  return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* The WKB inside a GeoPackage geometry blob (spec 2.1.3 "GeoPackageBinary"):
 * "GP", version, flags (bit 0 byte order of the header, bits 1-3 the
 * envelope: 0 none, 1 xy 32 bytes, 2 xyz or 3 xym 48, 4 xyzm 64; bit 4
 * empty; bit 5 extended type), srs_id, envelope, then the WKB. Sets *wkb
 * NULL for an empty geometry. */
static int gp_header(spill_ctx *ctx, const unsigned char *b, size_t n, const unsigned char **wkb, size_t *wlen,
                     int32_t *srs, const char *what)
{
  static const size_t env[8] = {0, 32, 48, 48, 64, 0, 0, 0};
  int flags, e;
  size_t head;
  if (n < 8 || b[0] != 'G' || b[1] != 'P')
    return spill__fail(ctx, SPILL_EFORMAT, "%s: the geometry is not a GeoPackage geometry blob (no \"GP\" header)", what);
  flags = b[3];
  e = (flags >> 1) & 7;
  if (e > 4) return spill__fail(ctx, SPILL_EFORMAT, "%s: the geometry header has an invalid envelope code %d", what, e);
  if (flags & 0x20)
    return spill__fail(ctx, SPILL_EFORMAT, "%s: the geometry uses an extended (non-standard) GeoPackage type", what);
  *srs = (int32_t)u32(b + 4, flags & 1);
  head = 8 + env[e];
  if (n < head) return spill__fail(ctx, SPILL_EFORMAT, "%s: the geometry blob is shorter than its header", what);
  if ((flags & 0x10) || n == head) {
    *wkb = NULL;
    *wlen = 0;
    return 0;
  }
  *wkb = b + head;
  *wlen = n - head;
  return 0;
}

static char field_type(const char *decl)
{
  char up[32];
  size_t k = 0;
  for (; decl && decl[k] && k < sizeof up - 1; k++) up[k] = (char)toupper((unsigned char)decl[k]);
  up[k] = '\0';
  if (!strncmp(up, "INT", 3) || strstr(up, "INT") || !strcmp(up, "REAL") || !strcmp(up, "DOUBLE") ||
      !strcmp(up, "FLOAT") || !strncmp(up, "NUMERIC", 7))
    return 'N';
  if (!strcmp(up, "BOOLEAN")) return 'L';
  return 'C'; /* TEXT, DATE and DATETIME ("2020-01-01"), BLOB */
}

/* The one feature table, or the one named; its geometry column and srs. */
static int pick_table(spill_ctx *ctx, sqlite3 *db, const char *file, const char *want, char **table, char **gcol,
                      int *srs)
{
  sqlite3_stmt *st = NULL;
  char list[512] = "";
  size_t used = 0;
  int nt = 0, rc = 0;
  if (sqlite3_prepare_v2(db, "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
                         -1, &st, NULL) != SQLITE_OK)
    return spill__fail(ctx, SPILL_EFORMAT, "%s: not a GeoPackage (%s)", file,
                       strstr(sqlite3_errmsg(db), "no such table") ? "no gpkg_contents table" : sqlite3_errmsg(db));
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    if (!t) continue;
    nt++;
    if (used + 2 < sizeof list) used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", nt > 1 ? ", " : "", t);
    if ((want && !strcmp(t, want)) || (!want && nt == 1)) {
      free(*table);
      *table = strdup(t);
    }
  }
  sqlite3_finalize(st);
  if (nt == 0) return spill__fail(ctx, SPILL_EDATA, "%s: the GeoPackage holds no feature table (gpkg_contents lists none)", file);
  if (want && !*table)
    return spill__fail(ctx, SPILL_EINVAL, "%s has no feature table '%s'; its feature tables: %s", file, want, list);
  if (!want && nt > 1)
    return spill__fail(ctx, SPILL_EINVAL, "%s holds %d feature tables (%s); name one as %s:TABLE", file, nt, list, file);
  if (!*table) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
  if (sqlite3_prepare_v2(db, "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", -1, &st,
                         NULL) != SQLITE_OK)
    return spill__fail(ctx, SPILL_EFORMAT, "%s: not a GeoPackage (%s)", file, sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, *table, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    *gcol = strdup((const char *)sqlite3_column_text(st, 0));
    *srs = sqlite3_column_int(st, 1);
    if (!*gcol) rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory");
  } else {
    rc = spill__fail(ctx, SPILL_EFORMAT, "%s: feature table '%s' has no entry in gpkg_geometry_columns", file, *table);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The CRS definition of srs (malloc'ed): its WKT, else EPSG:code; srs_id 0
 * is undefined geographic (taken as lon/lat), -1 undefined Cartesian (NULL:
 * planar). */
static char *srs_def(sqlite3 *db, int srs)
{
  sqlite3_stmt *st = NULL;
  char *def = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                         "WHERE srs_id = ?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int(st, 1, srs);
    if (sqlite3_step(st) == SQLITE_ROW) {
      const char *org = (const char *)sqlite3_column_text(st, 0), *d = (const char *)sqlite3_column_text(st, 2);
      int code = sqlite3_column_int(st, 1);
      if (d && *d && spill__strcasecmp(d, "undefined")) def = strdup(d);
      else if (org && !spill__strcasecmp(org, "EPSG") && code > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "EPSG:%d", code);
        def = strdup(buf);
      }
    }
    sqlite3_finalize(st);
  }
  if (!def && srs == 0) def = strdup("OGC:CRS84");
  return def;
}

static int file_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

spill_layer *spill__gpkg_read(spill_ctx *ctx, const char *path, const spill_read_opts *o)
{
  spill_layer *L = spill__calloc(ctx, 1, sizeof *L);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  GEOSWKBReader *rd = NULL;
  char *file = NULL, *want = NULL, *table = NULL, *gcol = NULL, *sql = NULL, *qt = NULL;
  char **cols = NULL, *pk = NULL;
  size_t ncols = 0, n = 0, vcap = 0, sqlcap;
  int srs = -1, rc = SPILL_ENOMEM;
  char what[1400];
  if (!L) return NULL;
  L->geos = ctx->geos;
  L->source = SPILL__SRC_GPKG;
  snprintf(L->encoding, sizeof L->encoding, "UTF-8");
  if (!(file = spill__strdup(ctx, path))) goto fail;
  if (!file_exists(path)) { /* FILE.gpkg:TABLE */
    char *c = strstr(file, ".gpkg:");
    if (c) {
      c[5] = '\0';
      want = c + 6;
    }
  }
  if (o->layer) want = (char *)o->layer;
  if (o->encoding && (rc = spill__attr_check_encoding(ctx, o->encoding, "--encoding"))) goto fail;
  if (!(L->path = spill__strdup(ctx, file))) goto fail;
  rc = SPILL_EIO;
  if (!file_exists(file)) {
    spill__fail(ctx, SPILL_EIO, "%s: no such file", file);
    goto fail;
  }
  if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    spill__fail(ctx, SPILL_EIO, "%s: cannot open it as SQLite (%s)", file, db ? sqlite3_errmsg(db) : "out of memory");
    goto fail;
  }
  if ((rc = pick_table(ctx, db, file, want, &table, &gcol, &srs))) goto fail;
  rc = SPILL_ENOMEM;
  if (!(qt = quote_ident(table))) goto fail;

  /* the attribute columns: all but the geometry and the integer primary key */
  sqlcap = strlen(qt) + 32;
  if (!(sql = malloc(sqlcap))) goto fail;
  snprintf(sql, sqlcap, "PRAGMA table_info(%s)", qt);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    rc = spill__fail(ctx, SPILL_EFORMAT, "%s: cannot read the columns of '%s' (%s)", file, table, sqlite3_errmsg(db));
    goto fail;
  }
  {
    size_t cap = 16;
    char *types = malloc(cap);
    cols = calloc(cap, sizeof *cols);
    if (!types || !cols) {
      free(types);
      goto fail;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 1), *decl = (const char *)sqlite3_column_text(st, 2);
      int ispk = sqlite3_column_int(st, 5);
      if (!name || !spill__strcasecmp(name, gcol)) continue;
      if (ispk && decl && !spill__strcasecmp(decl, "INTEGER")) {
        free(pk);
        pk = strdup(name);
        continue;
      }
      if (ncols + 1 >= cap) {
        char **c2 = realloc(cols, 2 * cap * sizeof *c2);
        char *t2 = c2 ? realloc(types, 2 * cap) : NULL;
        if (c2) cols = c2;
        if (!t2) {
          free(types);
          goto fail;
        }
        types = t2;
        cap *= 2;
      }
      types[ncols] = field_type(decl);
      if (!(cols[ncols++] = strdup(name))) {
        free(types);
        goto fail;
      }
    }
    sqlite3_finalize(st);
    st = NULL;
    L->nfields = ncols;
    L->field_names = cols;
    cols = NULL;
    L->field_types = types;
    L->field_widths = calloc(ncols + 1, sizeof *L->field_widths);
    L->field_decimals = calloc(ncols + 1, sizeof *L->field_decimals);
    if (!L->field_widths || !L->field_decimals) goto fail;
  }

  /* the rows, in primary-key order */
  free(sql);
  sqlcap = 64 + 2 * strlen(qt) + 2 * strlen(gcol) + 8;
  for (size_t f = 0; f < L->nfields; f++) sqlcap += 2 * strlen(L->field_names[f]) + 4;
  if (pk) sqlcap += 2 * strlen(pk) + 4;
  if (!(sql = malloc(sqlcap))) goto fail;
  snprintf(sql, sqlcap, "SELECT count(*) FROM %s", qt);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
    rc = spill__fail(ctx, SPILL_EFORMAT, "%s: cannot read table '%s' (%s)", file, table, sqlite3_errmsg(db));
    goto fail;
  }
  n = (size_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  {
    char *q = quote_ident(gcol);
    size_t used;
    if (!q) goto fail;
    used = (size_t)snprintf(sql, sqlcap, "SELECT %s", q);
    free(q);
    for (size_t f = 0; f < L->nfields; f++) {
      if (!(q = quote_ident(L->field_names[f]))) goto fail;
      used += (size_t)snprintf(sql + used, sqlcap - used, ", %s", q);
      free(q);
    }
    if (pk && !(q = quote_ident(pk))) goto fail;
    snprintf(sql + used, sqlcap - used, " FROM %s ORDER BY %s", qt, pk ? q : "rowid");
    if (pk) free(q);
  }
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    rc = spill__fail(ctx, SPILL_EFORMAT, "%s: cannot read table '%s' (%s)", file, table, sqlite3_errmsg(db));
    goto fail;
  }
  if ((rc = spill__layer_alloc(ctx, L, n))) goto fail;
  rc = SPILL_ENOMEM;
  L->cells = spill__calloc(ctx, n * L->nfields + 1, sizeof *L->cells);
  rd = GEOSWKBReader_create_r(ctx->geos);
  if (!L->cells || !rd) goto fail;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *blob, *wkb = NULL;
    size_t blen, wlen = 0;
    int32_t gsrs = 0;
    GEOSGeometry *g = NULL;
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
      if (step == SQLITE_DONE) break;
      rc = spill__fail(ctx, SPILL_EFORMAT, "%s: reading '%s', row %zu: %s", file, table, i + 1, sqlite3_errmsg(db));
      goto fail;
    }
    if ((i & 255) == 0) spill__progress(ctx, "reading features", 0.5 * (double)i / (double)(n ? n : 1));
    snprintf(what, sizeof what, "%s: table %s, row %zu", file, table, i + 1);
    blob = sqlite3_column_blob(st, 0);
    blen = (size_t)sqlite3_column_bytes(st, 0);
    if (blob && (rc = gp_header(ctx, blob, blen, &wkb, &wlen, &gsrs, what))) goto fail;
    if (wkb) {
      g = GEOSWKBReader_read_r(ctx->geos, rd, wkb, wlen);
      if (!g) {
        rc = spill__fail(ctx, SPILL_EFORMAT, "%s: the geometry's WKB cannot be read", what);
        goto fail;
      }
      if (GEOSisEmpty_r(ctx->geos, g) == 1) {
        GEOSGeom_destroy_r(ctx->geos, g);
        g = NULL;
      }
    }
    if (!g) {
      if (o->skip_null) {
        L->skipped++;
        continue;
      }
      rc = spill__fail(ctx, SPILL_EDATA, "%s has no geometry (null or empty); remove it or use --skip-null to leave it out",
                       what);
      goto fail;
    }
    for (size_t f = 0; f < L->nfields; f++) {
      int t = sqlite3_column_type(st, (int)f + 1);
      char buf[32], *s;
      if (t == SQLITE_INTEGER && L->field_types[f] == 'L') {
        s = strdup(sqlite3_column_int64(st, (int)f + 1) ? "T" : "F"); /* GeoPackage BOOLEAN: 0/1 */
      } else if (t == SQLITE_INTEGER) {
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, (int)f + 1));
        s = strdup(buf);
      } else if (t == SQLITE_FLOAT) {
        spill__number_text(sqlite3_column_double(st, (int)f + 1), buf);
        s = strdup(buf);
      } else if (t == SQLITE_TEXT) {
        const char *txt = (const char *)sqlite3_column_text(st, (int)f + 1);
        size_t len = (size_t)sqlite3_column_bytes(st, (int)f + 1);
        s = spill__attr_valid_utf8(txt, len) ? strdup(txt)
            : spill__attr_to_utf8(o->encoding ? o->encoding : "GB18030", txt, len);
        if (!s) {
          rc = spill__fail(ctx, SPILL_EFORMAT, "%s, column %s: text is neither UTF-8 (as GeoPackage requires) nor %s", what,
                           L->field_names[f], o->encoding ? o->encoding : "GB18030");
          goto row_fail;
        }
      } else {
        s = strdup(""); /* NULL, or a BLOB: no text */
      }
      if (!s) {
        rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory");
        goto row_fail;
      }
      L->cells[L->n * L->nfields + f] = s;
    }
    if (0) {
    row_fail: /* this row's geometry and cells are not the layer's yet (found by fuzz_gpkg) */
      if (g) GEOSGeom_destroy_r(ctx->geos, g);
      for (size_t f = 0; f < L->nfields; f++) {
        free(L->cells[L->n * L->nfields + f]);
        L->cells[L->n * L->nfields + f] = NULL;
      }
      goto fail;
    }
    if ((rc = spill__layer_add_geom(ctx, L, g, (int64_t)i + 1, &vcap, what))) {
      for (size_t f = 0; f < L->nfields; f++) {
        free(L->cells[L->n * L->nfields + f]);
        L->cells[L->n * L->nfields + f] = NULL;
      }
      goto fail;
    }
  }
  spill__progress(ctx, "reading features", 1.0);
  {
    char *def = srs_def(db, srs);
    if (def) {
      if ((rc = spill__layer_set_crs(ctx, L, def, file))) goto fail;
    } else {
      L->has_prj = 0;
      snprintf(L->crs_name, sizeof L->crs_name, "planar (undefined Cartesian CRS)");
    }
  }
  if ((rc = spill__layer_finish(ctx, L, file, o))) goto fail;
  rc = 0;
fail:
  if (rc == SPILL_ENOMEM && !spill_ctx_status(ctx)) spill__fail(ctx, SPILL_ENOMEM, "%s: out of memory", path);
  if (st) sqlite3_finalize(st);
  if (db) sqlite3_close(db);
  if (rd) GEOSWKBReader_destroy_r(ctx->geos, rd);
  if (cols)
    for (size_t f = 0; f < ncols; f++) free(cols[f]);
  free(cols);
  free(file);
  free(table);
  free(gcol);
  free(sql);
  free(qt);
  free(pk);
  if (rc) {
    spill_layer_free(L);
    return NULL;
  }
  return L;
}

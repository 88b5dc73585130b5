/* Weight files: every format round-trips exactly (ids, pattern, weights bit
 * for bit), islands included; the reference GAL files and usaww.csv read;
 * bad input fails naming the file and line. */
#include <stdint.h>
#include "check.h"
#include "spill.h"

static spill_ctx *ctx;

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

/* 1 when a and b are equal: ids, pattern, and weights bit for bit. */
static int same(const spill_weights *a, const spill_weights *b, int values)
{
  if (!a || !b || a->n != b->n) return 0;
  for (int64_t i = 0; i < a->n; i++)
    if (strcmp(a->ids[i], b->ids[i])) {
      fprintf(stderr, "id %lld: '%s' vs '%s'\n", (long long)i, a->ids[i], b->ids[i]);
      return 0;
    }
  for (int64_t i = 0; i <= a->n; i++)
    if (a->p[i] != b->p[i]) {
      fprintf(stderr, "row pointer %lld: %lld vs %lld\n", (long long)i, (long long)a->p[i], (long long)b->p[i]);
      return 0;
    }
  for (int64_t k = 0; k < a->p[a->n]; k++) {
    if (a->j[k] != b->j[k]) return 0;
    if (values && memcmp(&a->x[k], &b->x[k], sizeof(double))) {
      fprintf(stderr, "entry %lld: %.17g vs %.17g\n", (long long)k, a->x[k], b->x[k]);
      return 0;
    }
  }
  return 1;
}

/* A 9-unit matrix with awkward ids, islands first, in the middle and last, a
 * unit with in-links only, and weights that need all 17 digits. */
static spill_weights *awkward(int binary)
{
  static const char *ids[] = {"lonely start", "北京市", "a,b", "say \"hi\"", "  padded  ",
                              "110000",       "x",      "sink", "lonely end"};
  int64_t ti[] = {1, 1, 2, 2, 3, 4, 5, 5, 6, 1, 3};
  int64_t tj[] = {2, 5, 1, 7, 4, 3, 1, 6, 5, 7, 3};
  double tx[] = {1.0 / 3.0, 3.14159265358979323846, 2.0 / 7.0, 1e-300, 5e-324, 0.1, 1e300, 0.7, 1.0 - DBL_EPSILON / 2, -2.5, 0.0};
  spill_weights *w = spill_weights_from_triplets(ctx, 9, ids, 11, ti, tj, binary ? NULL : tx);
  return w;
}

static void round_trip(const char *dir, const char *name, spill_wformat fmt, int binary)
{
  char path[1024];
  spill_weights *w = awkward(binary), *r;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  CHECK(w != NULL);
  if (!w) return;
  if (fmt == SPILL_WFMT_DENSE) {
    /* dense files store no zeros: drop the explicit zero on (3,3) first */
    for (int64_t k = w->p[3]; k < w->p[4]; k++)
      if (w->x[k] == 0.0) w->x[k] = 0.25;
  }
  CHECK_MSG(spill_weights_write(ctx, w, path, fmt) == 0, "%s: %s", name, spill_ctx_error(ctx));
  r = spill_weights_read(ctx, path, fmt == SPILL_WFMT_DENSE ? SPILL_WFMT_AUTO : fmt);
  CHECK_MSG(r != NULL, "%s: %s", name, spill_ctx_error(ctx));
  CHECK_MSG(same(w, r, !binary), "%s does not round-trip", name);
  /* islands stay islands */
  if (r) {
    CHECK_EQ_INT(r->p[1] - r->p[0], 0);
    CHECK_EQ_INT(r->p[9] - r->p[8], 0);
    CHECK_EQ_INT(r->p[8] - r->p[7], 0);
  }
  /* reading with the format guessed from the name gives the same */
  if (fmt != SPILL_WFMT_DENSE) {
    spill_weights *g = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
    CHECK_MSG(same(w, g, !binary), "%s read with AUTO differs", name);
    spill_weights_free(g);
  }
  spill_weights_free(w);
  spill_weights_free(r);
}

/* Expect a read failure whose message holds every string in want. */
static void expect_fail(const char *path, spill_wformat fmt, const char *want1, const char *want2)
{
  spill_weights *w = spill_weights_read(ctx, path, fmt);
  const char *msg = spill_ctx_error(ctx);
  CHECK_MSG(w == NULL, "%s read although it is bad", path);
  CHECK(spill_ctx_status(ctx) < 0);
  CHECK_MSG(strstr(msg, path) != NULL, "message does not name the file: %s", msg);
  CHECK_MSG(!want1 || strstr(msg, want1), "message lacks '%s': %s", want1, msg);
  CHECK_MSG(!want2 || strstr(msg, want2), "message lacks '%s': %s", want2, msg);
  spill_weights_free(w);
  spill_ctx_clear_error(ctx);
}

static void refs(void)
{
  static const struct { const char *name; int64_t n, links, islands; } ref[] = {
      {"columbus_queen", 49, 236, 0},      {"columbus_rook", 49, 200, -1},
      {"nc_sids_queen", 100, 490, 0},      {"nc_sids_rook", 100, 462, -1},
      {"us48_queen", 48, 214, 0},          {"us48_rook", 48, 210, -1},
      {"georgia_utm_queen", 159, 862, 0},  {"georgia_utm_rook", 159, 834, -1},
      {"world_queen", 177, 628, 21},       {"world_rook", 177, 626, -1},
      {"china_prefectures_queen", 333, 1740, 5}, {"china_prefectures_rook", 333, 1740, -1},
      {"china_counties_queen", 2841, 16226, 4},  {"china_counties_rook", 2841, 16162, -1}};
  char buf[1024], rel[256], out[1024];
  for (size_t r = 0; r < sizeof ref / sizeof ref[0]; r++) {
    spill_weights *w, *back;
    spill_weights_summary s;
    snprintf(rel, sizeof rel, "refs/%s.gal", ref[r].name);
    if (!check_shared(rel, buf, sizeof buf)) continue;
    w = spill_weights_read(ctx, buf, SPILL_WFMT_AUTO);
    CHECK_MSG(w != NULL, "%s: %s", rel, spill_ctx_error(ctx));
    if (!w) continue;
    CHECK_EQ_INT(w->n, ref[r].n);
    CHECK_EQ_INT(w->style, 'B');
    CHECK(spill_weights_summarize(ctx, w, &s) == 0);
    CHECK_EQ_INT(s.links, ref[r].links);
    if (ref[r].islands >= 0) CHECK_EQ_INT(s.n_islands, ref[r].islands);
    CHECK(s.symmetric);
    /* spdep writes region ids 1..n in record order */
    for (int64_t i = 0; i < w->n; i++) {
      char id[32];
      snprintf(id, sizeof id, "%lld", (long long)i + 1);
      if (strcmp(w->ids[i], id)) {
        CHECK_STR(w->ids[i], id);
        break;
      }
    }
    for (int64_t i = 0; i < w->n; i++)
      for (int64_t k = w->p[i] + 1; k < w->p[i + 1]; k++) CHECK(w->j[k - 1] < w->j[k]);
    spill_weights_summary_clear(&s);
    /* through every format and back */
    for (int f = SPILL_WFMT_GAL; f <= SPILL_WFMT_DENSE; f++) {
      snprintf(out, sizeof out, "%s/%s.%d", SPILL_TEST_TMP, ref[r].name, f);
      CHECK_MSG(spill_weights_write(ctx, w, out, (spill_wformat)f) == 0, "%s", spill_ctx_error(ctx));
      back = spill_weights_read(ctx, out, (spill_wformat)f);
      CHECK_MSG(same(w, back, 1), "%s through %s", ref[r].name, spill_wformat_name((spill_wformat)f));
      spill_weights_free(back);
    }
    spill_weights_free(w);
  }
  /* the queen file is byte-identical after a GAL round trip (spdep layout) */
  if (check_shared("refs/columbus_queen.gal", buf, sizeof buf)) {
    spill_weights *w = spill_weights_read(ctx, buf, SPILL_WFMT_GAL);
    char cmd[2200];
    snprintf(out, sizeof out, "%s/columbus_copy.gal", SPILL_TEST_TMP);
    CHECK(w && spill_weights_write(ctx, w, out, SPILL_WFMT_GAL) == 0);
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", buf, out);
    CHECK_MSG(system(cmd) == 0, "%s and %s differ", buf, out);
    spill_weights_free(w);
  }
}

static double entry(const spill_weights *w, int64_t i, int64_t j)
{
  for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
    if (w->j[k] == j) return w->x[k];
  return 0.0;
}

static void usaww(void)
{
  char buf[1024];
  spill_weights *w;
  spill_weights_summary s;
  int64_t al, fl, ga, ms, tn, ca;
  if (!check_shared("data/usaww.csv", buf, sizeof buf)) return;
  w = spill_weights_read(ctx, buf, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (!w) return;
  CHECK_EQ_INT(w->n, 48);
  CHECK_STR(w->ids[0], "ALABAMA");
  CHECK_STR(w->ids[47], "WYOMING");
  al = spill_weights_find(w, "ALABAMA");
  fl = spill_weights_find(w, "FLORIDA");
  ga = spill_weights_find(w, "GEORGIA");
  ms = spill_weights_find(w, "MISSISSIPPI");
  tn = spill_weights_find(w, "TENNESSE"); /* spelled so in splm::usaww */
  ca = spill_weights_find(w, "CALIFORNIA");
  CHECK(al >= 0 && fl >= 0 && ga >= 0 && ms >= 0 && tn >= 0 && ca >= 0);
  /* Alabama: Florida, Georgia, Mississippi, Tennessee, 1/4 each */
  CHECK_EQ_INT(w->p[al + 1] - w->p[al], 4);
  CHECK(entry(w, al, fl) == 0.25 && entry(w, al, ga) == 0.25 && entry(w, al, ms) == 0.25 &&
        entry(w, al, tn) == 0.25);
  CHECK(entry(w, al, ca) == 0.0);
  CHECK(spill_weights_summarize(ctx, w, &s) == 0);
  CHECK(s.symmetric_pattern);
  CHECK_EQ_INT(s.n_islands, 0);
  /* the file's weights carry 15 significant digits */
  CHECK_REL(s.min_rowsum, 1.0, 1e-14);
  CHECK_REL(s.max_rowsum, 1.0, 1e-14);
  CHECK_EQ_INT(s.links, 214); /* the us48 queen count */
  spill_weights_summary_clear(&s);
  spill_weights_free(w);
}

static void foreign(const char *dir)
{
  char path[1024];
  spill_weights *w;
  /* plain Matrix Market (no ids), symmetric storage, pattern field */
  snprintf(path, sizeof path, "%s/plain.mtx", dir);
  write_text(path, "%%MatrixMarket matrix coordinate pattern symmetric\n% from elsewhere\n3 3 2\n2 1\n3 2\n");
  w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_EQ_INT(w->n, 3);
    CHECK_STR(w->ids[2], "3");
    CHECK_EQ_INT(w->p[3], 4);
    CHECK(entry(w, 0, 1) == 1.0 && entry(w, 1, 0) == 1.0 && entry(w, 1, 2) == 1.0 && entry(w, 2, 1) == 1.0);
  }
  spill_weights_free(w);
  /* GeoDa GAL header, ids in any order, neighbour lists out of order */
  snprintf(path, sizeof path, "%s/geoda.gal", dir);
  write_text(path, "0 3 cities CODE\r\nB 2\r\nC A\r\nA 1\r\nB\r\nC 1\r\nB\r\n");
  w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_STR(w->ids[0], "B");
    CHECK_EQ_INT(w->p[1], 2);
    CHECK_EQ_INT(w->j[0], 1); /* C comes before A in the unit order: sorted by index */
    CHECK_EQ_INT(w->j[1], 2);
  }
  spill_weights_free(w);
  /* GeoDa GWT */
  snprintf(path, sizeof path, "%s/geoda.gwt", dir);
  write_text(path, "0 3 cities CODE\n10 20 1.5\n20 10 1.5\n30 20 2\n");
  w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_STR(w->ids[2], "30");
    CHECK(entry(w, 2, 1) == 2.0);
  }
  spill_weights_free(w);
  /* dense CSV with an empty first header cell, rows in another order */
  snprintf(path, sizeof path, "%s/dense.csv", dir);
  write_text(path, ",a,b,c\nb,0.5,0,0.5\na,0,1,0\nc,0,1,0\n");
  w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_STR(w->ids[0], "a");
    CHECK(entry(w, 0, 1) == 1.0 && entry(w, 1, 0) == 0.5 && entry(w, 1, 2) == 0.5);
    CHECK_EQ_INT(w->p[3], 4);
  }
  spill_weights_free(w);
  /* triplets with other column names */
  snprintf(path, sizeof path, "%s/links.csv", dir);
  write_text(path, "from,to,weight\nq,r,0.5\nr,q,0.5\ns,s,0\n");
  w = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_EQ_INT(w->n, 3);
    CHECK_STR(w->ids[2], "s");
    CHECK_EQ_INT(w->p[3], 2);
  }
  spill_weights_free(w);
}

static void bad(const char *dir)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/trunc.gal", dir);
  write_text(path, "3\n1 1\n2\n2 2\n1 3\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 5", "truncated");
  snprintf(path, sizeof path, "%s/trunc2.gal", dir);
  write_text(path, "3\n1 1\n2\n2 2\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 4", "truncated");
  /* a header announcing absurdly many units: refused before any allocation
   * sized by it (found by fuzz_weights: a 3e15 GWT header) */
  snprintf(path, sizeof path, "%s/huge.gal", dir);
  write_text(path, "1000000000000000\n1 1\n2\n2 1\n1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "of the 1000000000000000 units", "truncated");
  snprintf(path, sizeof path, "%s/hugek.gal", dir);
  write_text(path, "2\n1 900000000000\n2\n2 1\n1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "declares 900000000000 neighbours", "more than the rest of the file");
  snprintf(path, sizeof path, "%s/huge.gwt", dir);
  write_text(path, "0 1000000000000000 m id\n1 2 1\n2 1 1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "announces 1000000000000000 units", "2 ids");
  snprintf(path, sizeof path, "%s/huge.mtx", dir);
  write_text(path, "%%MatrixMarket matrix coordinate real general\n3 3 4000000000000\n1 2 1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "at most 1 of the 4000000000000 entries", NULL);
  snprintf(path, sizeof path, "%s/unknown.gal", dir);
  write_text(path, "2\n1 1\n2\n2 1\n7\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 5", "'7'");
  snprintf(path, sizeof path, "%s/count.gal", dir);
  write_text(path, "2\n1 1\n2 2\n2 1\n1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 3", "more are listed");
  snprintf(path, sizeof path, "%s/dup.gal", dir);
  write_text(path, "2\n1 1\n2\n1 1\n1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 4", "second time");
  snprintf(path, sizeof path, "%s/header.gal", dir);
  write_text(path, "three units\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 1", NULL);
  snprintf(path, sizeof path, "%s/nonsquare.csv", dir);
  write_text(path, "id,a,b,c\na,0,1,0\nb,1,0,1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "not square", NULL);
  snprintf(path, sizeof path, "%s/cell.csv", dir);
  write_text(path, "id,a,b\na,0,1\nb,one,0\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 3", "'one'");
  snprintf(path, sizeof path, "%s/cell.gwt", dir);
  write_text(path, "0 2 x id\n1 2 1\n2 1 heavy\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 3", NULL);
  snprintf(path, sizeof path, "%s/lost.gwt", dir);
  write_text(path, "0 3 x id\n1 2 1\n2 1 1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "3 units", NULL);
  snprintf(path, sizeof path, "%s/twice.csv", dir);
  write_text(path, "id_i,id_j,w\n1,2,1\n2,1,1\n1,2,1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 4", "second time");
  snprintf(path, sizeof path, "%s/range.mtx", dir);
  write_text(path, "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 3", "outside");
  snprintf(path, sizeof path, "%s/short.mtx", dir);
  write_text(path, "%%MatrixMarket matrix coordinate real general\n2 2 2\n2 1 1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "1 of the 2", NULL);
  snprintf(path, sizeof path, "%s/rect.mtx", dir);
  write_text(path, "%%MatrixMarket matrix coordinate real general\n2 3 0\n");
  expect_fail(path, SPILL_WFMT_AUTO, "line 2", "square");
  snprintf(path, sizeof path, "%s/missing.gal", dir);
  expect_fail(path, SPILL_WFMT_AUTO, "cannot open", NULL);
  snprintf(path, sizeof path, "%s/what.xyz", dir);
  write_text(path, "1\n");
  expect_fail(path, SPILL_WFMT_AUTO, "format", NULL);
  /* writing: unknown extension, and a folder that is not there */
  {
    spill_weights *w = awkward(1);
    snprintf(path, sizeof path, "%s/w.xyz", dir);
    CHECK(spill_weights_write(ctx, w, path, SPILL_WFMT_AUTO) == SPILL_EINVAL);
    snprintf(path, sizeof path, "%s/no/such/dir/w.gal", dir);
    CHECK(spill_weights_write(ctx, w, path, SPILL_WFMT_AUTO) == SPILL_EIO);
    CHECK(strstr(spill_ctx_error(ctx), path) != NULL);
    spill_weights_free(w);
    spill_ctx_clear_error(ctx);
  }
}

int main(void)
{
  const char *dir;
  ctx = spill_ctx_new();
  if (!ctx) return 1;
  dir = check_tmpdir();
  CHECK(spill_wformat_from_path("a/b.GAL") == SPILL_WFMT_GAL);
  CHECK(spill_wformat_from_path("x.gwt") == SPILL_WFMT_GWT);
  CHECK(spill_wformat_from_path("x.mtx") == SPILL_WFMT_MTX);
  CHECK(spill_wformat_from_path("x.csv") == SPILL_WFMT_CSV);
  CHECK(spill_wformat_from_path("x.gal.xls") == SPILL_WFMT_AUTO);
  CHECK(spill_wformat_from_path("x.gal.txt") == SPILL_WFMT_STATA);
  CHECK(spill_wformat_from_path("dir.gal/x") == SPILL_WFMT_AUTO);
  CHECK_STR(spill_wformat_name(SPILL_WFMT_MTX), "Matrix Market");

  round_trip(dir, "w.gal", SPILL_WFMT_GAL, 1);
  round_trip(dir, "w.gwt", SPILL_WFMT_GWT, 0);
  round_trip(dir, "w.mtx", SPILL_WFMT_MTX, 0);
  round_trip(dir, "w.csv", SPILL_WFMT_CSV, 0);
  round_trip(dir, "dense.csv", SPILL_WFMT_DENSE, 0);
  round_trip(dir, "wb.gwt", SPILL_WFMT_GWT, 1);
  /* MTX keeps the style */
  {
    char path[1024];
    spill_weights *w = awkward(1), *r;
    snprintf(path, sizeof path, "%s/style.mtx", dir);
    spill_weights_transform(ctx, w, 'W');
    CHECK(spill_weights_write(ctx, w, path, SPILL_WFMT_AUTO) == 0);
    r = spill_weights_read(ctx, path, SPILL_WFMT_AUTO);
    CHECK(r && r->style == 'W');
    spill_weights_free(w);
    spill_weights_free(r);
  }
  foreign(dir);
  bad(dir);
  refs();
  usaww();
  spill_ctx_free(ctx);
  return check_done("test_weights_io");
}

/* Contiguity weights: generated maps with known neighbours (grid, hole,
 * multipart, corner contact, island, snap), higher orders against closed
 * forms and a dense matrix-power computation, the reference neighbour lists of
 * R spdep 1.2-7 poly2nb for every shared map (exact agreement required), and
 * the CLI writing a GAL that reads back equal. */
#include <geos_c.h>
#include "check.h"
#include "shp_fixture.h"
#include "shapes/layer.h"
#include "spill.h"

static spill_ctx *ctx;

static spill_layer *read_map(const char *path)
{
  spill_layer *L = spill_layer_read(ctx, path, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  return L;
}

static spill_weights *contig(const spill_layer *L, int rook, double snap, int order, int cumulative)
{
  spill_contig_opts o = {rook, snap, order, cumulative};
  spill_weights *w = spill_weights_contiguity(ctx, L, &o);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  return w;
}

static int64_t degree(const spill_weights *w, int64_t i) { return w->p[i + 1] - w->p[i]; }

static int has_link(const spill_weights *w, int64_t i, int64_t j)
{
  for (int64_t q = w->p[i]; q < w->p[i + 1]; q++)
    if (w->j[q] == j) return 1;
  return 0;
}

static void test_grid(const char *dir)
{
  char base[512], shp[600];
  spill_layer *L;
  spill_weights *q, *r, *q2, *q2c, *r2;
  spill_weights_summary s;
  snprintf(base, sizeof base, "%s/grid", dir);
  fx_grid(base);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = read_map(shp);
  if (!L) return;
  q = contig(L, 0, 0, 1, 0);
  r = contig(L, 1, 0, 1, 0);
  if (q && r) {
    /* unit 4 (index 4) is the centre; 0, 2, 6, 8 corners; others edges */
    for (int i = 0; i < 9; i++) {
      int corner = i == 0 || i == 2 || i == 6 || i == 8, centre = i == 4;
      CHECK_EQ_INT(degree(q, i), centre ? 8 : corner ? 3 : 5);
      CHECK_EQ_INT(degree(r, i), centre ? 4 : corner ? 2 : 3);
    }
    CHECK_EQ_INT(q->p[9], 40);
    CHECK_EQ_INT(r->p[9], 24);
    CHECK(q->style == 'B' && q->x[0] == 1.0);
    CHECK(has_link(q, 0, 4) && !has_link(r, 0, 4));
    CHECK_STR(q->ids[0], "1");
    CHECK_EQ_INT(spill_weights_summarize(ctx, q, &s), 0);
    CHECK(s.symmetric && s.n_islands == 0 && s.n_components == 1);
    spill_weights_summary_clear(&s);
  }
  /* order 2: queen steps are Chebyshev distance, rook steps Manhattan */
  q2 = contig(L, 0, 0, 2, 0);
  q2c = contig(L, 0, 0, 2, 1);
  r2 = contig(L, 1, 0, 2, 0);
  if (q2 && q2c && r2) {
    CHECK_EQ_INT(degree(q2, 0), 5);
    CHECK_EQ_INT(degree(q2, 4), 0);
    CHECK_EQ_INT(degree(q2, 1), 3);
    CHECK_EQ_INT(degree(q2c, 0), 8);
    CHECK_EQ_INT(degree(q2c, 4), 8);
    CHECK_EQ_INT(degree(r2, 0), 3); /* (0,2) (1,1) (2,0) */
    CHECK_EQ_INT(degree(r2, 4), 4); /* the corners */
    CHECK(has_link(r2, 0, 4) && !has_link(r2, 0, 1));
  }
  spill_weights_free(q);
  spill_weights_free(r);
  spill_weights_free(q2);
  spill_weights_free(q2c);
  spill_weights_free(r2);
  spill_layer_free(L);
}

/* Record 1: square 0..10 with a hole 3..7; 2: fills the hole; 3: two parts,
 * squares at (20,0) and (30,0); 4: touches only the second part of 3
 * (shares its edge x = 31); 5: touches 4 only at the corner (32,1);
 * 6: an island; 7 and 8: squares 1e-6 apart (beyond the default snap). */
static void test_cases(const char *dir)
{
  char base[512], shp[600];
  double x[10], y[10];
  int starts[2] = {0, 5};
  fx f;
  spill_layer *L;
  spill_weights *q, *r, *wide;
  snprintf(base, sizeof base, "%s/cases", dir);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square_ring(0, 0, 10, 1, x, y);
  fx_square_ring(3, 3, 4, 0, x + 5, y + 5);
  fx_rings(&f, 2, starts, 10, x, y, 1, "with hole");
  fx_square(&f, 3, 3, 4, 2, "in the hole");
  fx_square_ring(20, 0, 1, 1, x, y);
  fx_square_ring(30, 0, 1, 1, x + 5, y + 5);
  fx_rings(&f, 2, starts, 10, x, y, 3, "two parts");
  fx_square(&f, 31, 0, 1, 4, "beside part 2");
  fx_square(&f, 32, 1, 1, 5, "corner of 4");
  fx_square(&f, 100, 100, 1, 6, "island");
  fx_square(&f, 200, 0, 1, 7, "left of a gap");
  fx_square(&f, 201 + 1e-6, 0, 1, 8, "right of a gap of 1e-6");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = read_map(shp);
  if (!L) return;
  q = contig(L, 0, 0, 1, 0);
  r = contig(L, 1, 0, 1, 0);
  wide = contig(L, 0, 1e-5, 1, 0);
  if (q && r && wide) {
    CHECK(has_link(q, 0, 1) && has_link(r, 0, 1) && has_link(q, 1, 0));
    CHECK_EQ_INT(degree(q, 0), 1);
    CHECK(has_link(q, 2, 3) && has_link(r, 2, 3));
    CHECK_EQ_INT(degree(q, 2), 1);
    CHECK(has_link(q, 3, 4) && !has_link(r, 3, 4)); /* one shared point */
    CHECK_EQ_INT(degree(r, 4), 0);
    CHECK_EQ_INT(degree(q, 5), 0); /* the island */
    CHECK_EQ_INT(degree(wide, 5), 0);
    /* 7 and 8: 1e-6 apart: neighbours only with snap 1e-5 */
    CHECK(!has_link(q, 6, 7) && has_link(wide, 6, 7) && !has_link(r, 6, 7));
    {
      spill_weights_summary s;
      CHECK_EQ_INT(spill_weights_summarize(ctx, q, &s), 0);
      CHECK_EQ_INT(s.n_islands, 3); /* 6, 7, 8 */
      CHECK(s.n_islands >= 1 && s.islands[0] == 5);
      spill_weights_summary_clear(&s);
    }
  }
  spill_weights_free(q);
  spill_weights_free(r);
  spill_weights_free(wide);
  spill_layer_free(L);

  /* spdep's counting: a corner contact whose point is repeated in one
   * unit's ring gives two matching vertex pairs, so rook (see
   * rook_by_repeat below for the real cases) */
  snprintf(base, sizeof base, "%s/repeat", dir);
  fx_open(&f, base, SHPT_POLYGON);
  {
    double rx[6] = {0, 0, 1, 1, 1, 0}, ry[6] = {0, 1, 1, 1, 0, 0};
    int one[1] = {0};
    fx_rings(&f, 1, one, 6, rx, ry, 1, "corner (1,1) twice");
  }
  fx_square(&f, 1, 1, 1, 2, "touches at (1,1)");
  fx_square(&f, 1, -1, 1, 3, "touches at (1,0), once");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = read_map(shp);
  if (!L) return;
  q = contig(L, 0, 0, 1, 0);
  r = contig(L, 1, 0, 1, 0);
  if (q && r) {
    CHECK(has_link(q, 0, 1) && has_link(r, 0, 1));
    CHECK(has_link(q, 0, 2) && !has_link(r, 0, 2));
  }
  spill_weights_free(q);
  spill_weights_free(r);
  spill_layer_free(L);

  /* snap at the default: squares 1e-9 apart are neighbours (queen and
   * rook: both shared corners match), 1e-7 apart are not */
  snprintf(base, sizeof base, "%s/snap", dir);
  fx_open(&f, base, SHPT_POLYGON);
  fx_square(&f, 0, 0, 1, 1, "a");
  fx_square(&f, 1 + 1e-9, 0, 1, 2, "b, 1e-9 to the right of a");
  fx_square(&f, 2 + 1e-9 + 1e-7, 0, 1, 3, "c, 1e-7 to the right of b");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = read_map(shp);
  if (!L) return;
  q = contig(L, 0, 0, 1, 0);
  r = contig(L, 1, 0, 1, 0);
  wide = contig(L, 1, 1e-6, 1, 0);
  if (q && r && wide) {
    CHECK(has_link(q, 0, 1) && has_link(r, 0, 1));
    CHECK(!has_link(q, 1, 2) && !has_link(r, 1, 2));
    CHECK(has_link(wide, 1, 2));
  }
  spill_weights_free(q);
  spill_weights_free(r);
  spill_weights_free(wide);
  spill_layer_free(L);
}

static void test_points_rejected(const char *dir)
{
  char base[512], shp[600], cmd[1400];
  fx f;
  spill_layer *L;
  snprintf(base, sizeof base, "%s/pts", dir);
  fx_open(&f, base, SHPT_POINT);
  fx_point(&f, 0, 0, 1, "a");
  fx_point(&f, 1, 0, 2, "b");
  fx_close(&f);
  snprintf(shp, sizeof shp, "%s.shp", base);
  L = read_map(shp);
  if (!L) return;
  CHECK(spill_weights_contiguity(ctx, L, NULL) == NULL);
  CHECK_EQ_INT(spill_ctx_status(ctx), SPILL_EINVAL);
  CHECK(strstr(spill_ctx_error(ctx), "pts.shp holds points") != NULL);
  spill_layer_free(L);
  snprintf(cmd, sizeof cmd, "'%s' weights queen '%s' > '%s/out.txt' 2> '%s/err.txt'", SPILL_EXE, shp, dir, dir);
  CHECK_EQ_INT(WEXITSTATUS(system(cmd)), 1);
}

/* Order k by a dense computation: reach[i][j] = shortest path length. */
static void test_higher_order_dense(const char *shp)
{
  spill_layer *L = read_map(shp);
  spill_weights *w1, *wk[4], *wc;
  int n, *d;
  if (!L) return;
  n = (int)L->n;
  w1 = contig(L, 0, 0, 1, 0);
  d = malloc((size_t)n * n * sizeof *d);
  if (!w1 || !d) goto done;
  /* Floyd-Warshall on the unit-length graph */
  for (int i = 0; i < n * n; i++) d[i] = 1 << 20;
  for (int i = 0; i < n; i++) {
    d[i * n + i] = 0;
    for (int64_t q = w1->p[i]; q < w1->p[i + 1]; q++) d[i * n + w1->j[q]] = 1;
  }
  for (int k = 0; k < n; k++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        if (d[i * n + k] + d[k * n + j] < d[i * n + j]) d[i * n + j] = d[i * n + k] + d[k * n + j];
  for (int k = 1; k <= 3; k++) {
    int64_t expect = 0, bad = 0;
    wk[k] = contig(L, 0, 0, k, 0);
    if (!wk[k]) continue;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        expect += d[i * n + j] == k;
        bad += (d[i * n + j] == k) != has_link(wk[k], i, j);
      }
    CHECK_EQ_INT(wk[k]->p[n], expect);
    CHECK_EQ_INT(bad, 0);
    spill_weights_free(wk[k]);
  }
  wc = contig(L, 0, 0, 3, 1);
  if (wc) {
    int64_t bad = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) bad += (d[i * n + j] >= 1 && d[i * n + j] <= 3) != has_link(wc, i, j);
    CHECK_EQ_INT(bad, 0);
  }
  spill_weights_free(wc);
done:
  free(d);
  spill_weights_free(w1);
  spill_layer_free(L);
}

/* Compare w with the reference GAL by id; print each differing pair. */
static int64_t diff_with_ref(const spill_weights *w, const spill_weights *ref, const char *what)
{
  int64_t bad = 0;
  int64_t *map;
  if (!w || !ref) return -1;
  if (w->n != ref->n) {
    fprintf(stderr, "%s: %lld units, reference %lld\n", what, (long long)w->n, (long long)ref->n);
    return -1;
  }
  map = malloc((size_t)ref->n * sizeof *map);
  if (!map) return -1;
  for (int64_t i = 0; i < ref->n; i++) map[i] = spill_weights_find(w, ref->ids[i]);
  for (int64_t i = 0; i < ref->n; i++) {
    int64_t a = map[i];
    if (a < 0) {
      fprintf(stderr, "%s: reference id %s not in ours\n", what, ref->ids[i]);
      bad++;
      continue;
    }
    for (int64_t q = ref->p[i]; q < ref->p[i + 1]; q++)
      if (!has_link(w, a, map[ref->j[q]])) {
        fprintf(stderr, "%s: spdep has %s-%s, spill does not\n", what, ref->ids[i], ref->ids[ref->j[q]]);
        bad++;
      }
    for (int64_t q = w->p[a]; q < w->p[a + 1]; q++) {
      int64_t b = spill_weights_find(ref, w->ids[w->j[q]]);
      if (b < 0 || !has_link(ref, i, b)) {
        fprintf(stderr, "%s: spill has %s-%s, spdep does not\n", what, w->ids[a], w->ids[w->j[q]]);
        bad++;
      }
    }
  }
  free(map);
  return bad;
}

/* Every shared map: queen and rook equal spdep's lists exactly. No pair is
 * excepted: spill follows poly2nb's vertex rule (see spatial/contiguity.c).
 * Where libpysal and spdep disagree on rook (refs/README.md), the pairs are
 * single-point contacts whose point is a repeated vertex of one unit, which
 * spdep counts twice (two matching vertex pairs = rook): georgia_utm 39-96,
 * china_counties 529-538 and 2274-2276 (the 4 links of 16162 vs 16158).
 * spill has them, as spdep does; rook_by_repeat names them. */
static const struct { const char *map; const char *a, *b; } rook_by_repeat[] = {
    {"georgia_utm", "39", "96"}, {"china_counties", "529", "538"}, {"china_counties", "2274", "2276"}};
static void test_references(void)
{
  static const struct { const char *name; int64_t queen, rook; } maps[] = {
      {"columbus", 236, 200},        {"nc_sids", 490, 462}, {"us48", 214, 210},
      {"georgia_utm", 862, 834},     {"world", 628, 626},   {"china_prefectures", 1740, 1740},
      {"china_counties", 16226, 16162}};
  char buf[1024], ref[1024];
  for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
    spill_layer *L;
    char rel[256];
    snprintf(rel, sizeof rel, "data/%s.shp", maps[m].name);
    if (!check_shared(rel, buf, sizeof buf)) continue;
    L = read_map(buf);
    if (!L) continue;
    for (int rook = 0; rook < 2; rook++) {
      spill_weights *w = contig(L, rook, 0, 1, 0), *r;
      char what[128];
      snprintf(rel, sizeof rel, "refs/%s_%s.gal", maps[m].name, rook ? "rook" : "queen");
      snprintf(what, sizeof what, "%s %s", maps[m].name, rook ? "rook" : "queen");
      if (!check_shared(rel, ref, sizeof ref)) {
        spill_weights_free(w);
        continue;
      }
      r = spill_weights_read(ctx, ref, SPILL_WFMT_GAL);
      CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
      if (w && r) {
        CHECK_EQ_INT(w->p[w->n], rook ? maps[m].rook : maps[m].queen);
        CHECK_EQ_INT(r->p[r->n], rook ? maps[m].rook : maps[m].queen);
        CHECK_EQ_INT(diff_with_ref(w, r, what), 0);
        for (size_t k = 0; rook && k < sizeof rook_by_repeat / sizeof rook_by_repeat[0]; k++)
          if (!strcmp(rook_by_repeat[k].map, maps[m].name))
            CHECK_MSG(has_link(w, spill_weights_find(w, rook_by_repeat[k].a), spill_weights_find(w, rook_by_repeat[k].b)),
                      "%s rook %s-%s", maps[m].name, rook_by_repeat[k].a, rook_by_repeat[k].b);
      }
      printf("%-24s %lld links, reference %lld\n", what, w ? (long long)w->p[w->n] : -1LL,
             r ? (long long)r->p[r->n] : -1LL);
      spill_weights_free(w);
      spill_weights_free(r);
    }
    /* the GEOS path (a layer without raw vertices) gives the same lists when
     * nothing was repaired */
    if (L->repaired == 0) {
      int64_t *vs = L->vstart;
      spill_weights *a = contig(L, 0, 0, 1, 0), *b;
      L->vstart = NULL;
      b = contig(L, 0, 0, 1, 0);
      L->vstart = vs;
      CHECK(a && b && a->p[a->n] == b->p[b->n] && !memcmp(a->j, b->j, (size_t)a->p[a->n] * sizeof *a->j));
      spill_weights_free(a);
      spill_weights_free(b);
    }
    spill_layer_free(L);
    { /* the fast path of `spill weights queen|rook`: vertices only, no GEOS */
      spill_read_opts vo = {.vertices_only = 1};
      L = spill_layer_read(ctx, buf, &vo);
      CHECK_MSG(L != NULL && L->geoms[0] == NULL, "%s", spill_ctx_error(ctx));
      for (int rook = 0; L && rook < 2; rook++) {
        spill_weights *w = contig(L, rook, 0, 1, 0), *r;
        snprintf(rel, sizeof rel, "refs/%s_%s.gal", maps[m].name, rook ? "rook" : "queen");
        if (!check_shared(rel, ref, sizeof ref)) {
          spill_weights_free(w);
          continue;
        }
        r = spill_weights_read(ctx, ref, SPILL_WFMT_GAL);
        CHECK(w && r && diff_with_ref(w, r, "vertices only") == 0);
        spill_weights_free(w);
        spill_weights_free(r);
      }
      spill_layer_free(L);
    }
  }
}

/* The CLI writes a GAL that reads back equal to the library's result. */
static void test_cli_gal(const char *dir)
{
  char shp[1024], cmd[3000], out[1100];
  spill_layer *L;
  spill_weights *w, *back;
  if (!check_shared("data/columbus.shp", shp, sizeof shp)) return;
  snprintf(out, sizeof out, "%s/columbus_rook.gal", dir);
  snprintf(cmd, sizeof cmd, "'%s' weights rook '%s' --id POLYID -o '%s' > '%s/cli.txt'", SPILL_EXE, shp, out, dir);
  CHECK_EQ_INT(WEXITSTATUS(system(cmd)), 0);
  {
    spill_read_opts o = {.id_field = "POLYID"};
    L = spill_layer_read(ctx, shp, &o);
  }
  CHECK(L != NULL);
  if (!L) return;
  w = contig(L, 1, 0, 1, 0);
  back = spill_weights_read(ctx, out, SPILL_WFMT_GAL);
  CHECK_MSG(back != NULL, "%s", spill_ctx_error(ctx));
  if (w && back) {
    CHECK_EQ_INT(back->n, w->n);
    for (int64_t i = 0; i < w->n && back->n == w->n; i++) CHECK_STR(back->ids[i], w->ids[i]);
    CHECK(back->p[back->n] == w->p[w->n]);
    CHECK(!memcmp(back->p, w->p, ((size_t)w->n + 1) * sizeof *w->p));
    CHECK(!memcmp(back->j, w->j, (size_t)w->p[w->n] * sizeof *w->j));
  }
  spill_weights_free(w);
  spill_weights_free(back);
  spill_layer_free(L);
}

int main(void)
{
  char buf[1024];
  const char *dir = check_tmpdir();
  ctx = spill_ctx_new();
  test_grid(dir);
  test_cases(dir);
  test_points_rejected(dir);
  CHECK(spill_weights_higher_order(ctx, NULL, 2, 0) == NULL);
  if (check_shared("data/columbus.shp", buf, sizeof buf)) test_higher_order_dense(buf);
  test_references();
  test_cli_gal(dir);
  spill_ctx_free(ctx);
  return check_done("test_contiguity");
}

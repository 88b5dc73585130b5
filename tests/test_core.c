/* core/: context, weights construction and summary, transforms, rng, output. */
#include "check.h"
#include "core/internal.h"
#include "core/table.h"
#include "spill.h"

static void test_triplets(spill_ctx *ctx)
{
  /* 0-1, 1-0, 1-2, 2-1 with a duplicate (1,2) that must be summed */
  int64_t ti[] = {1, 0, 2, 1, 1};
  int64_t tj[] = {2, 1, 1, 0, 2};
  double tx[] = {0.5, 1, 1, 1, 0.5};
  spill_weights *w = spill_weights_from_triplets(ctx, 4, NULL, 5, ti, tj, tx);
  spill_weights_summary s;
  CHECK(w != NULL);
  CHECK_EQ_INT(w->p[4], 4);
  CHECK_EQ_INT(w->j[w->p[1]], 0); /* sorted within the row */
  CHECK_EQ_INT(w->j[w->p[1] + 1], 2);
  CHECK_REL(w->x[w->p[1] + 1], 1.0, 0);
  CHECK_STR(w->ids[3], "4");
  CHECK_EQ_INT(spill_weights_find(w, "3"), 2);
  CHECK_EQ_INT(spill_weights_find(w, "x"), -1);
  CHECK(spill_weights_summarize(ctx, w, &s) == 0);
  CHECK_EQ_INT(s.links, 4);
  CHECK_EQ_INT(s.n_islands, 1);
  CHECK_EQ_INT(s.islands[0], 3);
  CHECK_EQ_INT(s.n_components, 2);
  CHECK_EQ_INT(s.min_neighbours, 0);
  CHECK_EQ_INT(s.max_neighbours, 2);
  CHECK(s.symmetric);
  CHECK(s.style_guess == 'B');
  spill_weights_summary_clear(&s);

  CHECK(spill_weights_transform(ctx, w, 'W') == 0);
  CHECK_REL(w->x[w->p[1]], 0.5, 4 * DBL_EPSILON);
  CHECK(spill_weights_summarize(ctx, w, &s) == 0);
  CHECK(!s.symmetric && s.symmetric_pattern);
  CHECK(s.style_guess == 'W');
  spill_weights_summary_clear(&s);
  /* spectral: a path of 3 nodes binary has lambda_max sqrt(2) */
  CHECK(spill_weights_transform(ctx, w, 'B') == 0);
  CHECK(spill_weights_transform(ctx, w, 'M') == 0);
  CHECK_REL(w->x[0], 1.0 / sqrt(2.0), 1e-10);
  CHECK(spill_weights_transform(ctx, w, 'Q') == SPILL_EINVAL);
  CHECK(strstr(spill_ctx_error(ctx), "style") != NULL);
  spill_weights_free(w);

  /* out-of-range triplet is an error, not a crash */
  {
    int64_t bi = 5, bj = 0;
    CHECK(spill_weights_from_triplets(ctx, 2, NULL, 1, &bi, &bj, NULL) == NULL);
    CHECK(spill_ctx_status(ctx) == SPILL_EINVAL);
  }
}

/* Lattices against closed forms: rook links 2(r(c-1) + c(r-1)), queen adds
 * 4(r-1)(c-1); corner, edge and interior degrees. */
static void test_lattice(spill_ctx *ctx)
{
  for (int queen = 0; queen <= 1; queen++) {
    spill_weights *w = spill_weights_lattice(ctx, 4, 7, queen);
    spill_weights_summary s;
    CHECK(w != NULL);
    if (!w) continue;
    CHECK(spill_weights_summarize(ctx, w, &s) == 0);
    CHECK_EQ_INT(s.links, 2 * (4 * 6 + 7 * 3) + (queen ? 4 * 3 * 6 : 0));
    CHECK_EQ_INT(s.min_neighbours, queen ? 3 : 2); /* corners */
    CHECK_EQ_INT(s.max_neighbours, queen ? 8 : 4); /* interior */
    CHECK(s.symmetric && s.n_components == 1 && w->style == 'B');
    CHECK_EQ_INT(w->p[8 + 1] - w->p[8], queen ? 8 : 4); /* cell (1, 1) */
    CHECK_STR(w->ids[27], "28");
    spill_weights_summary_clear(&s);
    spill_weights_free(w);
  }
  CHECK(spill_weights_lattice(ctx, 1, 1, 0) == NULL);
  CHECK(spill_ctx_status(ctx) == SPILL_EINVAL);
}

static void test_rng(void)
{
  spill_rng a, b;
  double sum = 0, sum2 = 0;
  int n = 200000;
  spill_rng_seed(&a, 42);
  spill_rng_seed(&b, 42);
  CHECK(spill_rng_u64(&a) == spill_rng_u64(&b));
  for (int i = 0; i < n; i++) {
    double z = spill_rng_normal(&a);
    sum += z;
    sum2 += z * z;
  }
  /* mean within 5 standard errors, variance within 5 standard errors */
  CHECK(fabs(sum / n) < 5.0 / sqrt(n));
  CHECK(fabs(sum2 / n - 1.0) < 5.0 * sqrt(2.0 / n));
}

static void test_ids(void)
{
  char buf[32];
  CHECK(spill__canonical_id("110000.0", buf) && !strcmp(buf, "110000"));
  CHECK(spill__canonical_id(" 7 ", buf) && !strcmp(buf, "7"));
  CHECK(!spill__canonical_id("Beijing", buf));
  CHECK(spill__canonical_id("2.5", buf) && !strcmp(buf, "2.5"));
}

static void test_atomic(spill_ctx *ctx)
{
  const char *dir = check_tmpdir();
  char path[1024], *tmp = NULL;
  FILE *f;
  snprintf(path, sizeof path, "%s/out.txt", dir);
  f = spill__atomic_open(ctx, path, &tmp);
  CHECK(f != NULL);
  fputs("good\n", f);
  CHECK(spill__atomic_commit(ctx, f, tmp, path) == 0);
  /* an aborted write leaves the good file in place */
  f = spill__atomic_open(ctx, path, &tmp);
  fputs("half", f);
  spill__atomic_abort(f, tmp);
  f = fopen(path, "r");
  CHECK(f != NULL);
  if (f) {
    char line[16] = {0};
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "good\n"));
    fclose(f);
  }
  snprintf(path, sizeof path, "%s/no/such/dir/out.txt", dir);
  CHECK(spill__atomic_open(ctx, path, &tmp) == NULL);
  CHECK(strstr(spill_ctx_error(ctx), "no/such/dir") != NULL);
}

static void test_table(spill_ctx *ctx)
{
  char path[1024];
  FILE *f;
  spill__table *t;
  double v;
  snprintf(path, sizeof path, "%s/t.csv", SPILL_TEST_TMP);
  f = fopen(path, "wb");
  fputs("\xEF\xBB\xBFid,name,gdp\r\n1,\"Xi'an, Shaanxi\",3.5\r\n\r\n2,\"\xE5\x8C\x97\xE4\xBA\xAC\",NA\r\n", f);
  fclose(f);
  t = spill__table_read(ctx, path);
  CHECK(t != NULL);
  if (!t) return;
  CHECK_EQ_INT(t->ncols, 3);
  CHECK_EQ_INT(t->nrows, 2);
  CHECK_STR(t->names[0], "id");
  CHECK_STR(spill__table_cell(t, 0, 1), "Xi'an, Shaanxi");
  CHECK_STR(spill__table_cell(t, 1, 1), "\xE5\x8C\x97\xE4\xBA\xAC");
  CHECK_EQ_INT(spill__table_col(t, "GDP"), 2);
  CHECK(spill__table_number(ctx, t, 0, 2, &v) == 0 && v == 3.5);
  {
    /* a subnormal (as %.17g writes 5e-324) is a number; an overflow is not */
    spill__table probe = *t;
    char *cells[3] = {"1", "x", "4.9406564584124654e-324"};
    probe.cells = cells;
    probe.nrows = 1;
    CHECK(spill__table_number(ctx, &probe, 0, 2, &v) == 0 && v > 0 && v < 1e-320);
    cells[2] = "1e999";
    CHECK(spill__table_number(ctx, &probe, 0, 2, &v) == SPILL_EDATA);
  }
  CHECK(spill__table_number(ctx, t, 1, 2, &v) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "line 3, column 'gdp': missing") != NULL);
  CHECK(spill__table_require_col(ctx, t, "pop") < 0);
  CHECK(strstr(spill_ctx_error(ctx), "columns: id, name, gdp") != NULL);
  spill__table_free(t);
  /* a byte-order mark before a quoted first header cell */
  f = fopen(path, "wb");
  fputs("\xEF\xBB\xBF\"city\",\"year\"\n1,2011\n", f);
  fclose(f);
  t = spill__table_read(ctx, path);
  CHECK(t != NULL);
  if (t) {
    CHECK_STR(t->names[0], "city");
    CHECK_EQ_INT(spill__table_col(t, "city"), 0);
    spill__table_free(t);
  }
  f = fopen(path, "wb");
  fputs("a,b\n1,2\n3\n", f);
  fclose(f);
  CHECK(spill__table_read(ctx, path) == NULL);
  CHECK(strstr(spill_ctx_error(ctx), "line 3: 1 fields where the header has 2") != NULL);
  snprintf(path, sizeof path, "%s/missing.csv", SPILL_TEST_TMP);
  CHECK(spill__table_read(ctx, path) == NULL);
  CHECK(spill_ctx_status(ctx) == SPILL_EIO);
}

/* Subset against a dense cut of the binary matrix, row-standardised by hand. */
static void test_subset(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 5, 6, 1);
  CHECK(w != NULL);
  if (!w) return;
  int64_t n = w->n;
  unsigned char keep[30];
  for (int64_t i = 0; i < n; i++) keep[i] = (i * 7) % 5 != 1; /* drops 6 cells */
  keep[0] = 1;
  keep[1] = keep[6] = keep[7] = 0; /* cell 0 loses all its neighbours: an island */
  spill_weights *s = spill_weights_subset(ctx, w, keep, 'W');
  CHECK(s != NULL);
  if (!s) { spill_weights_free(w); return; }
  double dense[30][30] = {{0}};
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) dense[i][w->j[q]] = w->x[q];
  int64_t m = 0, map[30];
  for (int64_t i = 0; i < n; i++) map[i] = keep[i] ? m++ : -1;
  CHECK(s->n == m);
  for (int64_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    double rs = 0;
    for (int64_t j = 0; j < n; j++) if (keep[j]) rs += dense[i][j];
    CHECK(!strcmp(s->ids[map[i]], w->ids[i]));
    for (int64_t j = 0; j < n; j++) {
      if (!keep[j]) continue;
      double want = rs > 0 ? dense[i][j] / rs : 0, got = 0;
      for (int64_t q = s->p[map[i]]; q < s->p[map[i] + 1]; q++)
        if (s->j[q] == map[j]) got = s->x[q];
      CHECK_REL(got, want, 4 * DBL_EPSILON);
    }
  }
  CHECK(s->p[1] == s->p[0]); /* the island */
  spill_weights_free(s);
  spill_weights_free(w);
}

/* An interrupted run: the context removes the temporary it had open, and a
 * later commit of it fails cleanly instead of writing a half file. */
static void test_temporaries(spill_ctx *ctx)
{
  char path[256], *tmp = NULL;
  struct stat st;
  snprintf(path, sizeof path, "%s_interrupt.txt", SPILL_TEST_TMP);
  FILE *f = spill__atomic_open(ctx, path, &tmp);
  CHECK(f != NULL && tmp != NULL);
  if (!f) return;
  fputs("half", f);
  fflush(f);
  CHECK(stat(tmp, &st) == 0);
  spill_ctx_remove_temporaries(ctx);
  CHECK(stat(tmp, &st) != 0);
  CHECK(spill__atomic_commit(ctx, f, tmp, path) != 0);
  CHECK(stat(path, &st) != 0);
  spill_ctx_clear_error(ctx);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  CHECK(ctx != NULL);
  test_triplets(ctx);
  test_rng();
  test_lattice(ctx);
  test_ids();
  test_atomic(ctx);
  test_table(ctx);
  test_subset(ctx);
  test_temporaries(ctx);
  spill_ctx_free(ctx);
  return check_done("test_core");
}

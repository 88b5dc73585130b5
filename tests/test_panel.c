/* Panels: CSV reading, adoption years, balance, ids, alignment to W, and the
 * clear failures on bad input (fixtures written by the test itself). */
#include "check.h"
#include "spill.h"

static char last_notice[1024];
static void on_notice(void *u, const char *m)
{
  (void)u;
  snprintf(last_notice, sizeof last_notice, "%s", m);
}

static const char *write_file(const char *dir, const char *name, const char *text)
{
  static char path[4][512];
  static int slot = 0;
  char *p = path[slot++ % 4];
  FILE *f;
  snprintf(p, 512, "%s/%s", dir, name);
  f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
  return p;
}

static spill_weights *line_w(spill_ctx *ctx, int n, const char *const *ids)
{
  int64_t ti[64], tj[64];
  double tx[64];
  int m = 0;
  for (int i = 0; i + 1 < n; i++) {
    ti[m] = i; tj[m] = i + 1; tx[m++] = 1;
    ti[m] = i + 1; tj[m] = i; tx[m++] = 1;
  }
  return spill_weights_from_triplets(ctx, n, ids, m, ti, tj, tx);
}

int main(void)
{
  const char *dir = check_tmpdir();
  spill_ctx *ctx = spill_ctx_new();
  const char *xs[] = {"x1", "x2"};
  spill_panel_spec spec = {"city", "year", "y", NULL, "pilot", xs, 2, 0};
  spill_panel *p;
  const char *path;
  spill_ctx_set_notice(ctx, on_notice, NULL);

  /* a good file: BOM, quoted fields, CRLF, ids with ".0", adoption years */
  path = write_file(dir, "good.csv",
                    "\xEF\xBB\xBF" "city,\"year\",\"y\",\"x1\",\"x2\",\"pilot\"\r\n"
                    "\"110000.0\",2012,1.5,1,2,2013\r\n\"110000\",2013,1.7,2,3,2013\r\n"
                    "\"120000\",2012,0.5,3,1,\r\n\"120000\",2013,0.6,4,0,\r\n"
                    "130000,2013,2.5,5,5,0\r\n130000,2012,2.0,6,6,0\r\n");
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (p) {
    CHECK_EQ_INT(p->n, 3);
    CHECK_EQ_INT(p->t, 2);
    CHECK_STR(p->ids[0], "110000");
    CHECK_EQ_INT(p->times[0], 2012);
    CHECK_REL(p->d[0 * 3 + 0], 0.0, 0); /* 110000 in 2012: before adoption */
    CHECK_REL(p->d[1 * 3 + 0], 1.0, 0); /* 2013: adopted */
    CHECK_REL(p->d[1 * 3 + 1], 0.0, 0); /* empty: never */
    CHECK_REL(p->y[0 * 3 + 2], 2.0, 0); /* rows out of order are placed by year */
    CHECK_REL(p->x[1 * 6 + 1 * 3 + 1], 0.0, 0);
    {
      const char *wids[] = {"130000", "110000", "120000"};
      spill_weights *w = line_w(ctx, 3, wids);
      CHECK(spill_panel_align(ctx, p, w) == SPILL_OK);
      CHECK_STR(p->ids[0], "130000");
      CHECK_REL(p->y[0], 2.0, 0);
      CHECK_REL(p->y[1], 1.5, 0);
      spill_weights_free(w);
    }
    {
      const char *wids[] = {"130000", "110000", "999"};
      spill_weights *w = line_w(ctx, 3, wids);
      CHECK(spill_panel_align(ctx, p, w) == SPILL_EDATA);
      CHECK_MSG(strstr(spill_ctx_error(ctx), "120000") && strstr(spill_ctx_error(ctx), "999"), "%s",
                spill_ctx_error(ctx));
      spill_weights_free(w);
    }
    spill_panel_free(p);
  }

  /* unbalanced: one city-year missing */
  path = write_file(dir, "unbal.csv", "city,year,y,x1,x2,pilot\nA,1,1,1,1,0\nA,2,1,2,1,0\nB,1,1,1,3,0\n");
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "1 unit-periods missing") && strstr(spill_ctx_error(ctx), "B (1)") &&
                strstr(spill_ctx_error(ctx), "--drop-incomplete"), "%s", spill_ctx_error(ctx));
  spec.drop_incomplete = 1;
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK(p && p->n == 1 && p->t == 2);
  CHECK(strstr(last_notice, "dropped 1 incomplete") != NULL);
  spill_panel_free(p);
  spec.drop_incomplete = 0;

  /* a missing (NA) cell leaves its row out: the unit-period is then absent */
  path = write_file(dir, "nan.csv", "city,year,y,x1,x2,pilot\nA,1,1,1,1,0\nA,2,NA,2,1,0\nB,1,1,1,1,0\nB,2,2,2,1,0\n");
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "unbalanced panel") && strstr(spill_ctx_error(ctx), "A (1)"), "%s",
            spill_ctx_error(ctx));
  /* non-numeric cells name line and column */
  path = write_file(dir, "text.csv", "city,year,y,x1,x2,pilot\nA,1,1,1,abc,0\nA,2,1,2,1,0\n");
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "line 2") && strstr(spill_ctx_error(ctx), "'x2'") &&
                strstr(spill_ctx_error(ctx), "abc"), "%s", spill_ctx_error(ctx));
  /* duplicates, inconsistent adoption, missing column */
  path = write_file(dir, "dup.csv", "city,year,y,x1,x2,pilot\nA,1,1,1,1,0\nA,1,1,2,1,0\n");
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "lines 2 and 3"), "%s", spill_ctx_error(ctx));
  path = write_file(dir, "adopt.csv", "city,year,y,x1,x2,pilot\nA,1,1,1,1,2\nA,2,1,2,1,3\n");
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "adoption period"), "%s", spill_ctx_error(ctx));
  spec.y_col = "gdp";
  CHECK(spill_panel_read_csv(ctx, path, &spec) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "no column 'gdp'"), "%s", spill_ctx_error(ctx));
  spec.y_col = "y";

  /* fitting: a constant regressor is dropped with a notice; T = 1 with FE fails; NaN fails */
  {
    const char *ids[] = {"a", "b", "c", "d", "e", "f"};
    spill_weights *w = line_w(ctx, 6, ids);
    spill_panel *q = spill_panel_new(ctx, 6, 4, ids, NULL, 2, 1);
    spill_fit_opts o;
    spill_fit *f;
    spill_weights_transform(ctx, w, 'W');
    for (int s = 0; s < 4; s++)
      for (int i = 0; i < 6; i++) {
        int at = s * 6 + i;
        q->y[at] = sin(at * 1.3) + 0.1 * i;
        q->d[at] = (i < 2 && s >= 2) ? 1 : 0;
        q->x[at] = cos(at * 0.7);
        q->x[24 + at] = 5.0 + i; /* constant within each unit */
      }
    spill_fit_opts_init(&o);
    o.model = SPILL_MODEL_OLS;
    o.fe = SPILL_FE_TWOWAYS;
    last_notice[0] = '\0';
    f = spill_fit_model(ctx, q, w, &o);
    CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
    CHECK_MSG(strstr(last_notice, "x2 omitted"), "%s", last_notice);
    if (f) {
      CHECK_EQ_INT(f->k, 2);
      CHECK_EQ_INT(f->n_omitted, 1);
      CHECK_EQ_INT(f->treat, 0);
    }
    spill_fit_free(f);
    /* collinear: x2 = 2 x1 */
    for (int at = 0; at < 24; at++) q->x[24 + at] = 2.0 * q->x[at];
    last_notice[0] = '\0';
    f = spill_fit_model(ctx, q, w, &o);
    CHECK(f != NULL);
    CHECK_MSG(strstr(last_notice, "x2 omitted because of collinearity"), "%s", last_notice);
    spill_fit_free(f);
    q->y[5] = NAN;
    CHECK(spill_fit_model(ctx, q, w, &o) == NULL);
    CHECK_MSG(strstr(spill_ctx_error(ctx), "unit 'f'") && strstr(spill_ctx_error(ctx), "NaN"), "%s", spill_ctx_error(ctx));
    q->y[5] = 0.0;
    q->t = 1;
    CHECK(spill_fit_model(ctx, q, w, &o) == NULL);
    CHECK_MSG(strstr(spill_ctx_error(ctx), "T = 1"), "%s", spill_ctx_error(ctx));
    q->t = 4;
    {
      const char *ids2[] = {"a", "b", "c", "d", "e", "g"};
      spill_weights *w2 = line_w(ctx, 6, ids2);
      CHECK(spill_fit_model(ctx, q, w2, &o) == NULL);
      CHECK_MSG(strstr(spill_ctx_error(ctx), "align"), "%s", spill_ctx_error(ctx));
      CHECK(spill_panel_align(ctx, q, w2) == SPILL_EDATA);
      CHECK_MSG(strstr(spill_ctx_error(ctx), "1 panel unit not in W (f)") &&
                    strstr(spill_ctx_error(ctx), "1 W unit not in the panel (g)"), "%s", spill_ctx_error(ctx));
      spill_weights_free(w2);
      /* a W whose ids are record numbers (built without --id): the message says so */
      w2 = line_w(ctx, 6, NULL);
      CHECK(spill_panel_align(ctx, q, w2) == SPILL_EDATA);
      CHECK_MSG(strstr(spill_ctx_error(ctx), "built without --id"), "%s", spill_ctx_error(ctx));
      spill_weights_free(w2);
    }
    spill_panel_free(q);
    spill_weights_free(w);
  }
  spill_ctx_free(ctx);
  return check_done("test_panel");
}

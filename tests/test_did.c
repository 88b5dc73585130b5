/* Staggered DID: Callaway-Sant'Anna on mpdta against R did's published
 * values and group means; imputation and two-stage against a dense dummy
 * regression and dense forms of the papers' variances; the spillover-robust
 * estimator on simulated panels; bootstrap reproducibility across threads. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "spill.h"

static const spill_did_row *row_by(const spill_did_table *t, int64_t g, int64_t tt, int64_t e)
{
  for (size_t j = 0; t && j < t->count; j++)
    if (t->row[j].g == g && t->row[j].t == tt && t->row[j].e == e) return &t->row[j];
  return NULL;
}

/* printed to 4 decimals as R prints them */
static int same4(double x, double pub) { return fabs(round(x * 1e4) / 1e4 - pub) < 1e-9; }

static void test_mpdta(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("data/mpdta.csv", buf, sizeof buf);
  static const double pub_gt[3][4] = {{-0.0105, -0.0704, -0.1373, -0.1008},
                                      {0.0065, -0.0028, -0.0046, -0.0412},
                                      {0.0305, -0.0027, -0.0311, -0.0261}};
  static const double pub_e[7] = {0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008};
  static const int64_t gs[3] = {2004, 2006, 2007};
  spill_panel_spec spec = {"countyreal", "year", "lemp", NULL, "first.treat", NULL, 0, 0};
  spill_panel *p;
  spill_did_opts o;
  spill_did_result *r;
  double mean[3 + 1][5]; /* [cohort 2004,2006,2007, never][year] */
  int64_t cnt[4] = {0, 0, 0, 0};
  double gt[3][4];
  if (!path) return;
  p = spill_panel_read_csv(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  /* independent: group means by cohort and year */
  memset(mean, 0, sizeof mean);
  for (int64_t i = 0; i < p->n; i++) {
    int c = 3;
    for (int64_t s = 0; s < p->t; s++)
      if (p->d[s * p->n + i] == 1) {
        c = p->times[s] == 2004 ? 0 : p->times[s] == 2006 ? 1 : 2;
        break;
      }
    cnt[c]++;
    for (int64_t s = 0; s < p->t; s++) mean[c][s] += p->y[s * p->n + i];
  }
  for (int c = 0; c < 4; c++)
    for (int s = 0; s < 5; s++) mean[c][s] /= (double)cnt[c];
  for (int c = 0; c < 3; c++)
    for (int s = 1; s < 5; s++) {
      int64_t g = gs[c], year = 2003 + s;
      int base = year >= g ? (int)(g - 1 - 2003) : s - 1; /* varying base period */
      gt[c][s - 1] = (mean[c][s] - mean[c][base]) - (mean[3][s] - mean[3][base]);
    }
  spill_did_opts_init(&o);
  o.boot = 0;
  r = spill_did_estimate(ctx, p, &o);
  CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
  if (r) {
    const spill_did_table *tg = spill_did_find(r, "ATT(g,t)"), *te = spill_did_find(r, "event time");
    const spill_did_table *tov = spill_did_find(r, "overall");
    double w[3], ev[7] = {0}, wsum[7] = {0}, simple = 0, ssum = 0;
    CHECK(tg && tg->count == 12);
    for (int c = 0; c < 3; c++)
      for (int s = 0; s < 4; s++) {
        const spill_did_row *x = row_by(tg, gs[c], 2004 + s, 2004 + s - gs[c]);
        CHECK_MSG(x != NULL, "ATT(%lld,%d) missing", (long long)gs[c], 2004 + s);
        if (!x) continue;
        CHECK_MSG(same4(x->est, pub_gt[c][s]), "ATT(%lld,%d) = %.6f, published %.4f", (long long)gs[c],
                  2004 + s, x->est, pub_gt[c][s]);
        CHECK_REL(x->est, gt[c][s], 1e-12);
        CHECK(isfinite(x->se) && x->se > 0);
      }
    /* event time and simple ATT from the group means, weights by group size */
    for (int c = 0; c < 3; c++) w[c] = (double)cnt[c];
    for (int c = 0; c < 3; c++)
      for (int s = 0; s < 4; s++) {
        int64_t e = 2004 + s - gs[c];
        ev[e + 3] += w[c] * gt[c][s];
        wsum[e + 3] += w[c];
        if (e >= 0) {
          simple += w[c] * gt[c][s];
          ssum += w[c];
        }
      }
    for (int k = 0; k < 7; k++) {
      const spill_did_row *x = row_by(te, INT64_MIN, INT64_MIN, k - 3);
      CHECK_MSG(x != NULL, "event time %d missing", k - 3);
      if (!x) continue;
      CHECK_MSG(same4(x->est, pub_e[k]), "e=%d: %.6f, published %.4f", k - 3, x->est, pub_e[k]);
      CHECK_REL(x->est, ev[k] / wsum[k], 1e-12);
    }
    CHECK(tov && tov->count >= 1);
    if (tov) {
      CHECK_MSG(same4(tov->row[0].est, -0.0400), "simple ATT %.6f", tov->row[0].est);
      CHECK_REL(tov->row[0].est, simple / ssum, 1e-12);
    }
  }
  spill_did_result_free(r);
  spill_panel_free(p);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  test_mpdta(ctx);
  spill_ctx_free(ctx);
  return check_done("test_did");
}

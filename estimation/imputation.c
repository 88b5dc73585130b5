/* The imputation estimator (Borusyak, Jaravel and Spiess 2024, Rev. Econ.
 * Stud., sec. 4) and Gardner's two-stage DID (Gardner 2022, arXiv
 * 2207.05943; R did2s), with exposure categories for spillovers (Butts
 * 2021, arXiv 2105.03737). Both fit unit and period effects (and controls)
 * on the clean observations only, impute Y(0) elsewhere and average the
 * residuals; they share the first-stage fit below and differ only in the
 * variance: BJS Theorem 3 (residuals of treated observations taken from
 * cohort-by-period means) or did2s's GMM sandwich (second-stage residuals). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info);

struct spill__fe0 {
  int64_t n, t;
  size_t nx, q;      /* q = t + nx: the block left after eliminating units */
  const double *x;   /* nx blocks of n*t */
  unsigned char *mask;
  double *dn;        /* n: observations of each unit in the mask */
  double *c;         /* n x q, row-major: the unit-by-(period, control) block */
  double *evec, *eval; /* eigen-decomposition of the Schur complement S (q x q) */
  double tol;
};

void spill__fe0_free(spill__fe0 *f)
{
  if (!f) return;
  free(f->mask);
  free(f->dn);
  free(f->c);
  free(f->evec);
  free(f->eval);
  free(f);
}

size_t spill__fe0_dim(const spill__fe0 *f) { return (size_t)f->n + f->q; }
int spill__fe0_unit_ok(const spill__fe0 *f, int64_t i) { return f->dn[i] > 0; }
int spill__fe0_period_ok(const spill__fe0 *f, int64_t s)
{
  for (int64_t i = 0; i < f->n; i++)
    if (f->mask[s * f->n + i]) return 1;
  return 0;
}

/* Normal equations M a = c of the dummy regression, M = Z0'Z0 with Z = [unit
 * dummies, period dummies, controls]: the unit block is diagonal, so
 * S = E - C' Dn^-1 C (Schur complement, q x q) carries the rest exactly. */
spill__fe0 *spill__fe0_new(spill_ctx *ctx, int64_t n, int64_t t, const unsigned char *mask, size_t nx,
                           const double *x)
{
  spill__fe0 *f = spill__calloc(ctx, 1, sizeof *f);
  size_t q = (size_t)t + nx;
  double *s = NULL, *work = NULL;
  int *iwork = NULL, qi = (int)q, info = 0, lwork = -1, liwork = -1, iwq;
  double wq, emax = 0;
  if (!f) return NULL;
  f->n = n;
  f->t = t;
  f->nx = nx;
  f->q = q;
  f->x = x;
  f->mask = spill__malloc(ctx, (size_t)(n * t));
  f->dn = spill__calloc(ctx, (size_t)n, sizeof *f->dn);
  f->c = spill__calloc(ctx, (size_t)n * q, sizeof *f->c);
  f->evec = s = spill__calloc(ctx, q * q, sizeof *s);
  f->eval = spill__malloc(ctx, q * sizeof *f->eval);
  if (!f->mask || !f->dn || !f->c || !s || !f->eval) goto fail;
  memcpy(f->mask, mask, (size_t)(n * t));
  for (int64_t st = 0; st < t; st++)
    for (int64_t i = 0; i < n; i++) {
      size_t o = (size_t)(st * n + i);
      double *ci = f->c + (size_t)i * q;
      if (!mask[o]) continue;
      f->dn[i] += 1;
      ci[st] += 1;
      s[(size_t)st * q + (size_t)st] += 1;
      for (size_t k = 0; k < nx; k++) {
        double xk = x[k * (size_t)(n * t) + o];
        ci[t + k] += xk;
        s[(size_t)st * q + t + k] += xk; /* period-control block, both triangles */
        s[(t + k) * q + (size_t)st] += xk;
        for (size_t l = 0; l < nx; l++) s[(t + l) * q + t + k] += xk * x[l * (size_t)(n * t) + o];
      }
    }
  /* S = E - C' Dn^-1 C, both triangles */
  for (int64_t i = 0; i < n; i++) {
    const double *ci = f->c + (size_t)i * q;
    if (!(f->dn[i] > 0)) continue;
    for (size_t a = 0; a < q; a++) {
      if (ci[a] == 0) continue;
      for (size_t b = 0; b < q; b++) s[b * q + a] -= ci[a] * ci[b] / f->dn[i];
    }
  }
  dsyevd_("V", "U", &qi, s, &qi, f->eval, &wq, &lwork, &iwq, &liwork, &info);
  lwork = (int)wq;
  liwork = iwq;
  work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
  iwork = spill__malloc(ctx, (size_t)liwork * sizeof *iwork);
  if (!work || !iwork) goto fail;
  dsyevd_("V", "U", &qi, s, &qi, f->eval, work, &lwork, iwork, &liwork, &info);
  if (info) {
    spill__fail(ctx, SPILL_ENUM, "first-stage fixed effects: eigen-decomposition failed (info %d)", info);
    goto fail;
  }
  for (size_t a = 0; a < q; a++) emax = fmax(emax, fabs(f->eval[a]));
  f->tol = emax * 1e-11; /* the unit/period collinearity gives an exact zero */
  free(work);
  free(iwork);
  return f;
fail:
  free(work);
  free(iwork);
  spill__fe0_free(f);
  return NULL;
}

void spill__fe0_zt(const spill__fe0 *f, const double *v, double *c)
{
  int64_t n = f->n, t = f->t;
  memset(c, 0, spill__fe0_dim(f) * sizeof *c);
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      size_t o = (size_t)(s * n + i);
      double vv = v[o];
      if (vv == 0 || !isfinite(vv)) continue;
      c[i] += vv;
      c[n + s] += vv;
      for (size_t k = 0; k < f->nx; k++) c[n + t + k] += vv * f->x[k * (size_t)(n * t) + o];
    }
}

int spill__fe0_solve(spill_ctx *ctx, spill__fe0 *f, const double *c, double *fit)
{
  int64_t n = f->n, t = f->t;
  size_t q = f->q;
  double *r = spill__calloc(ctx, 2 * q, sizeof *r), *b;
  if (!r) return SPILL_ENOMEM;
  b = r + q;
  for (size_t a = 0; a < q; a++) r[a] = c[n + a];
  for (int64_t i = 0; i < n; i++) {
    const double *ci = f->c + (size_t)i * q;
    if (!(f->dn[i] > 0)) continue;
    for (size_t a = 0; a < q; a++) r[a] -= ci[a] * c[i] / f->dn[i];
  }
  /* b = S^+ r */
  for (size_t k = 0; k < q; k++) {
    const double *v = f->evec + k * q;
    double d = 0;
    if (!(fabs(f->eval[k]) > f->tol)) continue;
    for (size_t a = 0; a < q; a++) d += v[a] * r[a];
    d /= f->eval[k];
    for (size_t a = 0; a < q; a++) b[a] += d * v[a];
  }
  for (int64_t i = 0; i < n; i++) {
    const double *ci = f->c + (size_t)i * q;
    double au = 0;
    if (f->dn[i] > 0) {
      au = c[i];
      for (size_t a = 0; a < q; a++) au -= ci[a] * b[a];
      au /= f->dn[i];
    }
    for (int64_t s = 0; s < t; s++) {
      size_t o = (size_t)(s * n + i);
      double v = au + b[s];
      for (size_t k = 0; k < f->nx; k++) v += f->x[k * (size_t)(n * t) + o] * b[t + k];
      fit[o] = v;
    }
  }
  free(r);
  return 0;
}

/* ---- the estimator ---- */

typedef struct obs_key {
  int cat;
  int64_t cohort, s;
  size_t o;
} obs_key;

static int cmp_key(const void *a, const void *b)
{
  const obs_key *x = a, *y = b;
  if (x->cat != y->cat) return x->cat < y->cat ? -1 : 1;
  if (x->cohort != y->cohort) return x->cohort < y->cohort ? -1 : 1;
  if (x->s != y->s) return x->s < y->s ? -1 : 1;
  return 0;
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* One estimand: the observations of category cat (with event time e, or
 * any when all_e) averaged. Returns est, the BJS and two-stage SEs. */
typedef struct impute_ws {
  int64_t n, t;
  const int *cat;       /* n*t: -1 left out, 0 clean, 1 treated, 1+k ring k */
  const int64_t *ev;    /* n*t event times (INT64_MIN none) */
  const double *ytil;   /* n*t: y - fitted Y(0) */
  const double *tbar;   /* n*t: cohort-by-period mean of ytil (cat > 0) */
  spill__fe0 *fe;
  double *ind, *c, *h, *psi_b, *psi_g; /* work */
  const int64_t *clu;   /* n: cluster index of each unit */
  int64_t ncl;
  double *sb, *sg;      /* ncl: cluster sums */
} impute_ws;

static int estimand(spill_ctx *ctx, impute_ws *w, int cat, int lead, int64_t e, int all_e, double *est,
                    double *se_bjs, double *se_2s, int64_t *nobs)
{
  int64_t n = w->n, nt = w->n * w->t, cnt = 0;
  double sum = 0, vb = 0, vg = 0;
  int rc;
  for (int64_t o = 0; o < nt; o++) {
    int in = lead ? (w->cat[o] == 0 && w->ev[o] == e)
                  : (w->cat[o] == cat && (all_e || w->ev[o] == e));
    w->ind[o] = in;
    if (in) {
      cnt++;
      sum += w->ytil[o];
    }
  }
  *nobs = cnt;
  if (!cnt) {
    *est = *se_bjs = *se_2s = NAN;
    return 0;
  }
  *est = sum / (double)cnt;
  /* h = Z0 (Z0'Z0)^+ Z' 1_I: the first stage's response to the estimand */
  spill__fe0_zt(w->fe, w->ind, w->c);
  if ((rc = spill__fe0_solve(ctx, w->fe, w->c, w->h))) return rc;
  memset(w->psi_b, 0, (size_t)n * sizeof *w->psi_b);
  memset(w->psi_g, 0, (size_t)n * sizeof *w->psi_g);
  for (int64_t o = 0; o < nt; o++) {
    int64_t i = o % n;
    if (w->cat[o] == 0) { /* clean: v = -h/N, residual u1 */
      double a = -w->h[o] * w->ytil[o];
      w->psi_b[i] += a;
      w->psi_g[i] += a;
    }
    if (w->ind[o]) {
      w->psi_g[i] += w->ytil[o] - *est; /* did2s: second-stage residual */
      if (!lead) w->psi_b[i] += w->ytil[o] - w->tbar[o]; /* BJS: tau - cohort-period mean */
      else w->psi_b[i] += w->ytil[o] - *est;
    }
  }
  memset(w->sb, 0, (size_t)w->ncl * sizeof *w->sb);
  memset(w->sg, 0, (size_t)w->ncl * sizeof *w->sg);
  for (int64_t i = 0; i < n; i++) { /* cluster sums, then squares */
    w->sb[w->clu[i]] += w->psi_b[i];
    w->sg[w->clu[i]] += w->psi_g[i];
  }
  for (int64_t c = 0; c < w->ncl; c++) {
    vb += w->sb[c] * w->sb[c];
    vg += w->sg[c] * w->sg[c];
  }
  *se_bjs = sqrt(vb) / (double)cnt;
  *se_2s = sqrt(vg) / (double)cnt;
  return 0;
}

int spill__did_impute(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *o, spill_did_result *r)
{
  int64_t n = p->n, t = p->t, nt = n * t, *g = NULL, *ev = NULL, *cohort = NULL, *elist = NULL;
  int *cat = NULL, K = o->exposure ? o->exposure->rings : 0, rc = SPILL_ENOMEM, twostage = o->method == SPILL_DID_TWOSTAGE;
  unsigned char *mask = NULL;
  double *fit = NULL, *ytil = NULL, *tbar = NULL, *c = NULL, *work = NULL, *band = NULL;
  obs_key *keys = NULL;
  spill__fe0 *fe = NULL;
  int64_t nlost_unit = 0, nlost_period = 0, nnever = 0, *clu = NULL, ncl = 0;
  size_t nx = o->use_x ? p->nx : 0;
  impute_ws w;
  char label[256];

  g = spill__malloc(ctx, (size_t)n * sizeof *g);
  ev = spill__malloc(ctx, (size_t)nt * sizeof *ev);
  cohort = spill__malloc(ctx, (size_t)nt * sizeof *cohort);
  cat = spill__malloc(ctx, (size_t)nt * sizeof *cat);
  mask = spill__malloc(ctx, (size_t)nt);
  fit = spill__malloc(ctx, (size_t)nt * sizeof *fit);
  ytil = spill__malloc(ctx, (size_t)nt * sizeof *ytil);
  tbar = spill__malloc(ctx, (size_t)nt * sizeof *tbar);
  keys = spill__malloc(ctx, (size_t)nt * sizeof *keys);
  elist = spill__malloc(ctx, (size_t)nt * sizeof *elist);
  if (!g || !ev || !cohort || !cat || !mask || !fit || !ytil || !tbar || !keys || !elist) goto done;
  if ((rc = spill__did_cohorts(ctx, p, g)) || (rc = spill__did_clusters(ctx, o, n, NULL, &clu, &ncl))) goto done;
  rc = SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++) nnever += g[i] == 0;
  r->n = n;
  r->t = t;
  r->n_never = nnever;
  r->n_treated = n - nnever;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      int64_t k = s * n + i;
      int ring = o->exposure ? o->exposure->ring[k] : 0;
      if (p->d[k] == 1) {
        cat[k] = 1;
        ev[k] = p->times[s] - g[i];
        cohort[k] = g[i];
      } else if (ring > 0) {
        cat[k] = 1 + ring;
        ev[k] = p->times[s] - o->exposure->onset[i];
        cohort[k] = o->exposure->onset[i];
      } else {
        cat[k] = 0;
        ev[k] = g[i] ? p->times[s] - g[i] : INT64_MIN; /* leads of eventually treated units */
        cohort[k] = g[i];
      }
      mask[k] = cat[k] == 0;
    }
  for (size_t k = 0; k < nx; k++)
    for (int64_t j = 0; j < nt; j++)
      if (!isfinite(p->x[k * (size_t)nt + j])) {
        rc = spill__fail(ctx, SPILL_EDATA, "control %s of unit %s in period %lld is missing", p->x_names[k],
                         p->ids[j % n], (long long)p->times[j / n]);
        goto done;
      }
  if (!(fe = spill__fe0_new(ctx, n, t, mask, nx, nx ? p->x : NULL))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  /* Y(0) is imputable only where the unit and the period have clean observations */
  for (int64_t s = 0; s < t; s++) {
    int pok = spill__fe0_period_ok(fe, s);
    for (int64_t i = 0; i < n; i++) {
      int64_t k = s * n + i;
      if (cat[k] <= 0) continue;
      if (!spill__fe0_unit_ok(fe, i)) nlost_unit++, cat[k] = -1;
      else if (!pok) nlost_period++, cat[k] = -1;
    }
  }
  if (nlost_unit &&
      spill__did_note(ctx, r,
                      "%lld treated or exposed unit-periods belong to units with no clean period (a cohort treated "
                      "from the first period, or a unit exposed throughout): Y(0) cannot be imputed for them, so "
                      "their effects are not identified and are left out",
                      (long long)nlost_unit))
    goto done;
  if (nlost_period &&
      spill__did_note(ctx, r,
                      "%lld treated or exposed unit-periods fall in periods where no unit is clean (every unit "
                      "treated or exposed): the period effect, hence Y(0), is not identified there and they are "
                      "left out; effects are identified only for periods with untreated (unexposed) units",
                      (long long)nlost_period))
    goto done;
  if (nnever == 0 &&
      spill__did_note(ctx, r,
                      "every unit is eventually treated: Y(0) is imputed from not-yet-treated periods only, "
                      "so effects after the last cohort adopts are not identified"))
    goto done;
  {
    int64_t nclean = 0, ntr = 0;
    for (int64_t k = 0; k < nt; k++) {
      nclean += mask[k];
      ntr += cat[k] == 1;
    }
    if (!ntr) {
      rc = spill__fail(ctx, SPILL_EDATA, "no treated unit-period whose Y(0) can be imputed");
      goto done;
    }
    if (nclean <= (int64_t)spill__fe0_dim(fe) - 1) {
      rc = spill__fail(ctx, SPILL_EDATA,
                       "the first stage has %lld clean observations for %zu unit, period and control effects",
                       (long long)nclean, spill__fe0_dim(fe));
      goto done;
    }
  }
  /* first stage: fit on the clean observations, residualise everything */
  c = spill__malloc(ctx, spill__fe0_dim(fe) * sizeof *c);
  work = spill__malloc(ctx, ((size_t)2 * nt + 4 * (size_t)n) * sizeof *work);
  if (!c || !work) goto done;
  {
    double *ym = work;
    for (int64_t k = 0; k < nt; k++) ym[k] = mask[k] ? p->y[k] : 0.0;
    spill__fe0_zt(fe, ym, c);
    if ((rc = spill__fe0_solve(ctx, fe, c, fit))) goto done;
    rc = SPILL_ENOMEM;
  }
  for (int64_t k = 0; k < nt; k++) ytil[k] = p->y[k] - fit[k];
  /* BJS: cohort-by-period means of the imputed effects (did_imputation's
   * default avgeffectsby), within each category */
  {
    size_t m = 0;
    for (int64_t k = 0; k < nt; k++)
      if (cat[k] > 0) keys[m++] = (obs_key){cat[k], cohort[k], k / n, (size_t)k};
    qsort(keys, m, sizeof *keys, cmp_key);
    for (size_t a = 0; a < m;) {
      size_t b = a;
      double s = 0;
      while (b < m && !cmp_key(&keys[a], &keys[b])) s += ytil[keys[b++].o];
      for (size_t j = a; j < b; j++) tbar[keys[j].o] = s / (double)(b - a);
      a = b;
    }
  }
  w = (impute_ws){n,   t,        cat,          ev,           ytil, tbar, fe,
                  work, c, work + nt, work + 2 * nt, work + 2 * nt + n, clu, ncl, work + 2 * nt + 2 * n,
                  work + 2 * nt + 3 * n};
  for (int cc = 1; cc <= 1 + K; cc++) {
    spill_did_table *tov = NULL, *tev;
    size_t ne = 0, m = 0;
    double est, sb, sg;
    int64_t cnt;
    const char *clabel = cc == 1 ? "treated" : o->exposure->labels[cc - 2];
    if (cc == 1) tov = spill__did_table_add(ctx, r, "overall");
    else tov = (spill_did_table *)spill_did_find(r, "overall");
    if (!tov) goto done;
    if ((rc = estimand(ctx, &w, cc, 0, 0, 1, &est, &sb, &sg, &cnt))) goto done;
    rc = SPILL_ENOMEM;
    if (cc == 1) snprintf(label, sizeof label, "ATT (treated)");
    else snprintf(label, sizeof label, "spillover on exposed controls, %s", clabel);
    if (cnt > 0 && !spill__did_row_add(ctx, tov, label, INT64_MIN, INT64_MIN, INT64_MIN, est, twostage ? sg : sb,
                                       o->level, cnt))
      goto done;
    /* event times present in this category (and leads for the treated) */
    for (int64_t k = 0; k < nt; k++)
      if ((cat[k] == cc && ev[k] != INT64_MIN) || (cc == 1 && o->leads && cat[k] == 0 && ev[k] != INT64_MIN))
        elist[m++] = ev[k];
    qsort(elist, m, sizeof *elist, cmp_i64);
    for (size_t j = 0; j < m; j++)
      if (!ne || elist[ne - 1] != elist[j]) elist[ne++] = elist[j];
    if (cc == 1) snprintf(label, sizeof label, "event time");
    else snprintf(label, sizeof label, "spillover %s by event time", clabel);
    if (!(tev = spill__did_table_add(ctx, r, label))) goto done;
    free(band);
    if (!(band = spill__calloc(ctx, (size_t)ncl * (ne ? ne : 1), sizeof *band))) goto done;
    for (size_t j = 0; j < ne; j++) {
      int lead = elist[j] < 0 && cc == 1;
      if (elist[j] < 0 && cc != 1) continue;
      if ((rc = estimand(ctx, &w, cc, lead, elist[j], 0, &est, &sb, &sg, &cnt))) goto done;
      rc = SPILL_ENOMEM;
      if (!cnt) continue;
      snprintf(label, sizeof label, "e=%lld", (long long)elist[j]);
      if (!spill__did_row_add(ctx, tev, label, INT64_MIN, INT64_MIN, elist[j], est, twostage || lead ? sg : sb,
                              o->level, cnt))
        goto done;
      /* the row's influence function (cluster sums), for the uniform band */
      for (int64_t c2 = 0; c2 < ncl; c2++)
        band[(tev->count - 1) * (size_t)ncl + c2] = (twostage || lead ? w.sg[c2] : w.sb[c2]) / (double)cnt;
    }
    if (o->boot > 0 && tev->count > 1) { /* sup-t band by the multiplier bootstrap (as CS) */
      double *bres = spill__mem_request(ctx, (double)o->boot * (double)tev->count * sizeof(double),
                                        "the multiplier bootstrap (draws x event times)", "use fewer draws (--boot)")
                         ? NULL : spill__malloc(ctx, (size_t)o->boot * tev->count * sizeof *bres), crit, *sed;
      size_t *cols = spill__malloc(ctx, tev->count * sizeof *cols);
      sed = spill__malloc(ctx, tev->count * sizeof *sed);
      if (!bres || !cols || !sed || spill__mboot_draws(ctx, band, ncl, tev->count, o->boot, o->seed, bres)) {
        free(bres);
        free(cols);
        free(sed);
        goto done;
      }
      for (size_t j = 0; j < tev->count; j++) cols[j] = j;
      spill__mboot_summary(bres, o->boot, tev->count, cols, tev->count, 1.0, o->level, sed, &crit);
      spill__did_table_band(tev, crit);
      free(bres);
      free(cols);
      free(sed);
    }
  }
  {
    char buf[512];
    char cbuf[64];
    if (o->cluster) snprintf(cbuf, sizeof cbuf, "clustered (%lld clusters)", (long long)ncl);
    else snprintf(cbuf, sizeof cbuf, "clustered by unit");
    snprintf(buf, sizeof buf, "%s: unit and period effects%s fitted on %s observations; SEs: %s, %s",
             twostage ? "two-stage DID (Gardner 2022)" : "imputation (Borusyak, Jaravel and Spiess 2024)",
             nx ? " and controls" : "", K ? "clean (neither treated nor exposed)" : "untreated",
             twostage ? "GMM correction for the first stage (as did2s)" : "BJS Theorem 3 (conservative)", cbuf);
    free(r->description);
    if (!(r->description = spill__strdup(ctx, buf))) goto done;
    if (o->leads && spill__did_note(ctx, r,
                                    "rows with e < 0: mean first-stage residual of eventually treated units e "
                                    "periods before adoption (a pre-trend check, did2s-style; SE by the two-stage formula)"))
      goto done;
    if (o->boot > 0 && spill__did_note(ctx, r,
                                       "uniform bands of the event-time tables: sup-t critical value from %d "
                                       "multiplier-bootstrap draws (Rademacher, seed %llu) of the same influence "
                                       "functions as the SEs",
                                       o->boot, (unsigned long long)o->seed))
      goto done;
    if (K && spill__did_note(ctx, r,
                             "spillover-robust DID (Butts 2021): exposed controls are left out of the first stage; "
                             "the treated effect includes spillovers among treated units"))
      goto done;
  }
  rc = 0;
done:
  spill__fe0_free(fe);
  free(band);
  free(clu);
  free(g);
  free(ev);
  free(cohort);
  free(cat);
  free(mask);
  free(fit);
  free(ytil);
  free(tbar);
  free(keys);
  free(elist);
  free(c);
  free(work);
  return rc;
}

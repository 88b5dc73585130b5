/* Goodman-Bacon (2021, J. Econometrics 225) decomposition of the two-way FE
 * DID estimate into 2x2 comparisons between timing groups: each 2x2 is the
 * two-way FE estimate on the two groups over the window where exactly one
 * of them changes treatment; its weight is (share of the observations)^2
 * times the variance of the two-way demeaned treatment in that window over
 * the variance in the whole panel (the paper's eq. 10a-c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/did.h"
#include "shapes/chart.h"

static const char *TYPE_NAMES[SPILL_BACON_NTYPES] = {"Treated vs Never treated", "Earlier vs Later Treated",
                                                     "Later vs Earlier Treated", "Later vs Always Treated",
                                                     "Both Treated"};

const char *spill_bacon_type_name(spill_bacon_type t)
{
  return (unsigned)t < SPILL_BACON_NTYPES ? TYPE_NAMES[t] : "?";
}

void spill_bacon_free(spill_bacon *b)
{
  if (!b) return;
  free(b->c);
  free(b);
}

/* Two-way FE regression of y on d over the units of groups ga, gb (by
 * adoption) and periods [s0, s1): coefficient and var(demeaned d) * rows. */
typedef struct sub_ws {
  double *y, *d, *work;
} sub_ws;

static int twfe_2x2(const spill_panel *p, const int64_t *adopt, int64_t ga, int64_t gb, int64_t s0,
                    int64_t s1, sub_ws *ws, double *beta, double *vd, int64_t *rows, int64_t *na,
                    int64_t *nb)
{
  int64_t n = p->n, nsub = 0, tw = s1 - s0;
  double sdy = 0, sdd = 0;
  *na = *nb = 0;
  for (int64_t i = 0; i < n; i++) {
    if (adopt[i] != ga && adopt[i] != gb) continue;
    if (adopt[i] == ga) (*na)++;
    else (*nb)++;
    nsub++;
  }
  if (nsub == 0 || tw < 2) return -1;
  /* time-major subpanel */
  {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
      if (adopt[i] != ga && adopt[i] != gb) continue;
      for (int64_t s = s0; s < s1; s++) {
        ws->y[(s - s0) * nsub + k] = p->y[s * n + i];
        ws->d[(s - s0) * nsub + k] = p->d[s * n + i];
      }
      k++;
    }
  }
  spill__within(ws->y, nsub, tw, SPILL_FE_TWOWAYS, ws->work, ws->y);
  spill__within(ws->d, nsub, tw, SPILL_FE_TWOWAYS, ws->work, ws->d);
  for (int64_t r = 0; r < nsub * tw; r++) {
    sdy += ws->d[r] * ws->y[r];
    sdd += ws->d[r] * ws->d[r];
  }
  *rows = nsub * tw;
  *vd = sdd / (double)(nsub * tw);
  *beta = sdd > 0 ? sdy / sdd : NAN;
  return sdd > 1e-14 * (double)(nsub * tw) ? 0 : -1;
}

/* Comparisons by type, then treated group, then control group (never last). */
static int cmp_order(const void *x, const void *y)
{
  const spill_bacon_cmp *a = x, *b = y;
  int64_t ca = a->control ? a->control : INT64_MAX, cb = b->control ? b->control : INT64_MAX;
  if (a->type != b->type) return a->type < b->type ? -1 : 1;
  if (a->treated != b->treated) return a->treated < b->treated ? -1 : 1;
  return (ca > cb) - (ca < cb);
}

static int64_t period_index(const spill_panel *p, int64_t year)
{
  for (int64_t s = 0; s < p->t; s++)
    if (p->times[s] >= year) return s;
  return p->t;
}

/* With controls (the paper's sec. 5, as R bacondecomp): the treatment
 * residualised on the controls and both fixed effects, d, splits into the
 * part within timing groups (d less its group-by-period mean, unit-demeaned)
 * and the rest; omega = V(within) / V(d), and the within estimate is
 * Cov(y, within) / V(within). */
static int controls_split(spill_ctx *ctx, const spill_panel *p, const int64_t *adopt, spill_bacon *b)
{
  int64_t n = p->n, t = p->t, nt = n * t;
  size_t kq = 0;
  double *a = NULL, *q = NULL, *dr = NULL, *yy = NULL, *work = NULL, *gm = NULL, *ubar = NULL, *gbar = NULL;
  int64_t *gid = NULL, ng = 0, *gcount = NULL;
  double vd = 0, vw = 0, cyw = 0;
  int rc = SPILL_ENOMEM;
  a = spill__malloc(ctx, p->nx * (size_t)nt * sizeof *a);
  dr = spill__malloc(ctx, (size_t)nt * sizeof *dr);
  yy = spill__malloc(ctx, (size_t)nt * sizeof *yy);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  gid = spill__malloc(ctx, (size_t)n * sizeof *gid);
  if (!a || !dr || !yy || !work || !gid) goto done;
  for (size_t k = 0; k < p->nx; k++) spill__within(p->x + k * (size_t)nt, n, t, SPILL_FE_TWOWAYS, work, a + k * (size_t)nt);
  if (!(q = spill__orth_basis(ctx, a, nt, p->nx, &kq))) goto done;
  spill__within(p->d, n, t, SPILL_FE_TWOWAYS, work, dr);
  spill__orth_resid(q, kq, nt, dr); /* d: residual on FE and controls */
  spill__within(p->y, n, t, SPILL_FE_TWOWAYS, work, yy);
  /* timing groups */
  for (int64_t i = 0; i < n; i++) {
    int64_t g;
    for (g = 0; g < i; g++)
      if (adopt[g] == adopt[i]) break;
    gid[i] = g < i ? gid[g] : ng++;
  }
  gm = spill__calloc(ctx, (size_t)(ng * t), sizeof *gm);
  gbar = spill__calloc(ctx, (size_t)ng, sizeof *gbar);
  ubar = spill__calloc(ctx, (size_t)n, sizeof *ubar);
  gcount = spill__calloc(ctx, (size_t)ng, sizeof *gcount);
  if (!gm || !gbar || !ubar || !gcount) goto done;
  for (int64_t i = 0; i < n; i++) gcount[gid[i]]++;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      gm[gid[i] * t + s] += dr[s * n + i] / (double)gcount[gid[i]];
      ubar[i] += dr[s * n + i] / (double)t;
    }
  for (int64_t g = 0; g < ng; g++) {
    for (int64_t s = 0; s < t; s++) gbar[g] += gm[g * t + s] / (double)t;
  }
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      double dw = dr[s * n + i] - ubar[i] - (gm[gid[i] * t + s] - gbar[gid[i]]);
      vd += dr[s * n + i] * dr[s * n + i];
      vw += dw * dw;
      cyw += yy[s * n + i] * dw;
    }
  b->omega = vd > 0 ? vw / vd : NAN;
  b->within = vw > 0 ? cyw / vw : NAN;
  rc = SPILL_OK;
done:
  free(a);
  free(q);
  free(dr);
  free(yy);
  free(work);
  free(gid);
  free(gm);
  free(gbar);
  free(ubar);
  free(gcount);
  return rc;
}

/* Mean over the units of each timing group, period by period, of v
 * (time-major n*t), written back to every unit of the group. */
static void group_time_mean(const double *v, const int64_t *gid, int64_t ng, int64_t n, int64_t t, double *acc,
                            int64_t *cnt, double *out)
{
  for (int64_t g = 0; g < ng; g++) cnt[g] = 0;
  for (int64_t i = 0; i < n; i++) cnt[gid[i]]++;
  for (int64_t s = 0; s < t; s++) {
    for (int64_t g = 0; g < ng; g++) acc[g] = 0;
    for (int64_t i = 0; i < n; i++) acc[gid[i]] += v[s * n + i];
    for (int64_t i = 0; i < n; i++) out[s * n + i] = acc[gid[i]] / (double)cnt[gid[i]];
  }
}

/* Rows of v (time-major over all n units) for the units with keep[i], into
 * out (time-major over the kept units). */
static void take_rows(const double *v, const unsigned char *keep, int64_t n, int64_t t, double *out)
{
  int64_t m = 0, k;
  for (int64_t i = 0; i < n; i++) m += keep[i] != 0;
  for (int64_t s = 0; s < t; s++) {
    k = 0;
    for (int64_t i = 0; i < n; i++)
      if (keep[i]) out[s * m + k++] = v[s * n + i];
  }
}

/* The covariate-adjusted 2x2 terms (Goodman-Bacon 2021, sec. 5, as R
 * bacondecomp computes them): for each pair of timing groups over the whole
 * panel, beta = ((1 - R2) V_D B_D + V_dp B_b) / ((1 - R2) V_D + V_dp) and the
 * weight (rows)^2 ((1 - R2) V_D + V_dp), rescaled to sum to 1. B_D is the
 * pair's two-way FE coefficient with group-by-period means of the controls,
 * R2 that of the demeaned D on those means, dp the part of D predicted by the
 * controls between groups, B_b the coefficient on dp. */
static int controlled_pairs(spill_ctx *ctx, const spill_panel *p, const int64_t *adopt, const int64_t *groups,
                            int64_t ng, spill_bacon *b)
{
  int64_t n = p->n, t = p->t, nt = n * t, *gid = NULL, *cnt = NULL;
  size_t nx = p->nx, kq = 0, cap = (size_t)(ng * ng + 1);
  double *a = NULL, *q = NULL, *pp = NULL, *gx = NULL, *gp = NULL, *acc = NULL, *work = NULL;
  double *sd = NULL, *sy = NULL, *sg = NULL, *sp = NULL, *qs = NULL, *dpv = NULL, *tmp = NULL, wsum = 0;
  unsigned char *keep = NULL;
  int rc = SPILL_ENOMEM;
  a = spill__malloc(ctx, nx * (size_t)nt * sizeof *a);
  pp = spill__malloc(ctx, (size_t)nt * sizeof *pp);
  gx = spill__malloc(ctx, nx * (size_t)nt * sizeof *gx);
  gp = spill__malloc(ctx, (size_t)nt * sizeof *gp);
  acc = spill__malloc(ctx, (size_t)ng * sizeof *acc);
  cnt = spill__malloc(ctx, (size_t)ng * sizeof *cnt);
  gid = spill__malloc(ctx, (size_t)n * sizeof *gid);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  sd = spill__malloc(ctx, (size_t)nt * sizeof *sd);
  sy = spill__malloc(ctx, (size_t)nt * sizeof *sy);
  sp = spill__malloc(ctx, (size_t)nt * sizeof *sp);
  dpv = spill__malloc(ctx, (size_t)nt * sizeof *dpv);
  tmp = spill__malloc(ctx, (size_t)nt * sizeof *tmp);
  sg = spill__malloc(ctx, nx * (size_t)nt * sizeof *sg);
  keep = spill__malloc(ctx, (size_t)n);
  if (!a || !pp || !gx || !gp || !acc || !cnt || !gid || !work || !sd || !sy || !sp || !dpv || !tmp || !sg || !keep)
    goto done;
  for (int64_t i = 0; i < n; i++)
    for (int64_t g = 0; g < ng; g++)
      if (groups[g] == adopt[i]) gid[i] = g;
  /* first stage on the whole panel: D on the controls and both effects; p = D - residual */
  for (size_t k = 0; k < nx; k++) spill__within(p->x + k * (size_t)nt, n, t, SPILL_FE_TWOWAYS, work, a + k * (size_t)nt);
  if (!(q = spill__orth_basis(ctx, a, nt, nx, &kq))) goto done;
  spill__within(p->d, n, t, SPILL_FE_TWOWAYS, work, tmp);
  spill__orth_resid(q, kq, nt, tmp);
  for (int64_t r = 0; r < nt; r++) pp[r] = p->d[r] - tmp[r];
  for (size_t k = 0; k < nx; k++) group_time_mean(p->x + k * (size_t)nt, gid, ng, n, t, acc, cnt, gx + k * (size_t)nt);
  group_time_mean(pp, gid, ng, n, t, acc, cnt, gp);
  free(b->c);
  b->c = spill__calloc(ctx, cap, sizeof *b->c);
  b->count = 0;
  if (!b->c) goto done;
  for (int64_t g1 = 0; g1 < ng; g1++)
    for (int64_t g2 = 0; g2 < ng; g2++) {
      int64_t k1 = groups[g1], k2 = groups[g2], m = 0, rows;
      size_t kg = 0;
      double r2 = 0, ss = 0, vdp = 0, bd, bb, num = 0, den = 0, dd = 0, dy = 0;
      spill_bacon_cmp *c;
      /* each pair once: the earlier group as "treated", never last */
      if (k1 == 0 || (k2 != 0 && k2 <= k1)) continue;
      for (int64_t i = 0; i < n; i++) {
        keep[i] = adopt[i] == k1 || adopt[i] == k2;
        m += keep[i];
      }
      rows = m * t;
      take_rows(p->d, keep, n, t, sd);
      take_rows(p->y, keep, n, t, sy);
      take_rows(gp, keep, n, t, sp);
      for (size_t k = 0; k < nx; k++) take_rows(gx + k * (size_t)nt, keep, n, t, sg + k * (size_t)rows);
      spill__within(sd, m, t, SPILL_FE_TWOWAYS, work, sd);
      spill__within(sy, m, t, SPILL_FE_TWOWAYS, work, sy);
      spill__within(sp, m, t, SPILL_FE_TWOWAYS, work, sp);
      for (size_t k = 0; k < nx; k++) spill__within(sg + k * (size_t)rows, m, t, SPILL_FE_TWOWAYS, work, sg + k * (size_t)rows);
      free(qs);
      if (!(qs = spill__orth_basis(ctx, sg, rows, nx, &kg))) goto done;
      /* the fitted part of demeaned D on the demeaned group controls, and R2 */
      memcpy(tmp, sd, (size_t)rows * sizeof *tmp);
      spill__orth_resid(qs, kg, rows, tmp);
      for (int64_t r = 0; r < rows; r++) {
        dpv[r] = (sd[r] - tmp[r]) - sp[r];
        ss += tmp[r] * tmp[r];
        vdp += dpv[r] * dpv[r];
      }
      /* (1 - R2) V_D = the residual variance of demeaned D on the group
       * controls: kept in that form, so a pair whose D does not vary (always
       * vs never treated) still counts through V_dp */
      for (int64_t r = 0; r < rows; r++) {
        dd += tmp[r] * tmp[r];
        dy += tmp[r] * sy[r]; /* tmp = M D is orthogonal to the controls: M y not needed */
        num += dpv[r] * sy[r];
      }
      bd = dd > 0 ? dy / dd : 0;
      bb = vdp > 0 ? num / vdp : 0;
      r2 = ss / (double)rows; /* (1 - R2) V_D */
      vdp /= (double)rows;
      den = r2 + vdp;
      if (!(den > 1e-14)) continue;
      c = &b->c[b->count++];
      c->treated = k1;
      c->control = k2;
      c->n_treated = c->n_control = 0;
      for (int64_t i = 0; i < n; i++) {
        c->n_treated += adopt[i] == k1;
        c->n_control += adopt[i] == k2;
      }
      c->type = k2 == 0 ? SPILL_BACON_TREATED_NEVER
                : (k1 == p->times[0] || k2 == p->times[0]) ? SPILL_BACON_LATE_ALWAYS : SPILL_BACON_BOTH_TREATED;
      c->estimate = (r2 * bd + vdp * bb) / den;
      c->weight = (double)rows * (double)rows * den;
      wsum += c->weight;
    }
  for (size_t j = 0; j < b->count; j++) b->c[j].weight /= wsum;
  rc = SPILL_OK;
done:
  free(a);
  free(q);
  free(qs);
  free(pp);
  free(gx);
  free(gp);
  free(acc);
  free(cnt);
  free(gid);
  free(work);
  free(sd);
  free(sy);
  free(sp);
  free(dpv);
  free(tmp);
  free(sg);
  free(keep);
  return rc;
}

spill_bacon *spill_bacon_compute(spill_ctx *ctx, const spill_panel *p)
{
  spill_bacon *b = NULL;
  int64_t n, t, nt, *adopt = NULL, *groups = NULL, ng = 0, *gsize = NULL;
  size_t always = 0, cap;
  sub_ws ws = {0};
  double *dd = NULL, *yy = NULL, *work = NULL, vD = 0, sdy = 0;
  int ok = 0;
  if (!p) {
    spill__fail(ctx, SPILL_EINVAL, "Bacon decomposition: no panel");
    return NULL;
  }
  n = p->n;
  t = p->t;
  nt = n * t;
  for (int64_t r = 0; r < nt; r++)
    if (!isfinite(p->y[r]))
      return spill__fail(ctx, SPILL_EDATA, "Bacon decomposition: unit %s, period %lld: the outcome is missing; "
                         "the decomposition needs a balanced panel without gaps", p->ids[r % n],
                         (long long)p->times[r / n]), NULL;
  b = spill__calloc(ctx, 1, sizeof *b);
  adopt = spill__malloc(ctx, (size_t)n * sizeof *adopt);
  groups = spill__malloc(ctx, (size_t)n * sizeof *groups);
  gsize = spill__calloc(ctx, (size_t)n, sizeof *gsize);
  ws.y = spill__malloc(ctx, (size_t)nt * sizeof *ws.y);
  ws.d = spill__malloc(ctx, (size_t)nt * sizeof *ws.d);
  ws.work = spill__malloc(ctx, (size_t)(n + t) * sizeof *ws.work);
  dd = spill__malloc(ctx, (size_t)nt * sizeof *dd);
  yy = spill__malloc(ctx, (size_t)nt * sizeof *yy);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  if (!b || !adopt || !groups || !gsize || !ws.y || !ws.d || !ws.work || !dd || !yy || !work) goto done;
  if (spill__adoption(ctx, p, adopt, &always)) goto done;
  b->n = n;
  b->t = t;
  b->always = (int64_t)always;
  b->controls = (int)p->nx;
  b->omega = b->within = NAN;
  /* the TWFE estimate and the variance of the demeaned treatment */
  spill__within(p->d, n, t, SPILL_FE_TWOWAYS, work, dd);
  spill__within(p->y, n, t, SPILL_FE_TWOWAYS, work, yy);
  for (int64_t r = 0; r < nt; r++) {
    vD += dd[r] * dd[r];
    sdy += dd[r] * yy[r];
  }
  if (!(vD > 1e-14 * (double)nt)) {
    spill__fail(ctx, SPILL_EDATA, "Bacon decomposition: the treatment does not vary within units and periods "
                "(no unit changes treatment in the panel)");
    goto done;
  }
  vD /= (double)nt;
  /* timing groups (0: never) */
  for (int64_t i = 0; i < n; i++) {
    int64_t g;
    if (!adopt[i]) b->never++;
    for (g = 0; g < ng; g++)
      if (groups[g] == adopt[i]) break;
    if (g == ng) groups[ng++] = adopt[i];
    gsize[g]++;
  }
  cap = (size_t)(ng * ng + 1);
  b->c = spill__calloc(ctx, cap, sizeof *b->c);
  if (!b->c) goto done;
  for (int64_t a = 0; a < ng; a++)
    for (int64_t c = 0; c < ng; c++) {
      int64_t ka = groups[a], kc = groups[c], s0, s1, rows, na, nb;
      int type;
      double beta, vd;
      if (a == c || ka == 0 || ka == p->times[0]) continue; /* treated group: changes within the panel */
      if (kc == 0) { /* vs never treated: the whole panel */
        type = SPILL_BACON_TREATED_NEVER;
        s0 = 0;
        s1 = t;
      } else if (kc == p->times[0]) { /* vs always treated */
        type = SPILL_BACON_LATE_ALWAYS;
        s0 = 0;
        s1 = t;
      } else if (ka < kc) { /* earlier vs later: before the later group starts */
        type = SPILL_BACON_EARLY_LATE;
        s0 = 0;
        s1 = period_index(p, kc);
      } else { /* later vs earlier: once the earlier group is treated */
        type = SPILL_BACON_LATE_EARLY;
        s0 = period_index(p, kc);
        s1 = t;
      }
      if (twfe_2x2(p, adopt, ka, kc, s0, s1, &ws, &beta, &vd, &rows, &na, &nb)) continue;
      {
        spill_bacon_cmp *m = &b->c[b->count++];
        double share = (double)rows / (double)nt;
        m->type = (spill_bacon_type)type;
        m->treated = ka;
        m->control = kc;
        m->n_treated = na;
        m->n_control = nb;
        m->estimate = beta;
        m->weight = share * share * vd / vD; /* Goodman-Bacon (2021) eq. 10a-c */
      }
    }
  if (p->nx && controlled_pairs(ctx, p, adopt, groups, ng, b)) goto done;
  qsort(b->c, b->count, sizeof *b->c, cmp_order);
  /* summary by type */
  {
    double sw[SPILL_BACON_NTYPES] = {0}, swb[SPILL_BACON_NTYPES] = {0};
    b->weighted_sum = 0;
    for (size_t j = 0; j < b->count; j++) {
      sw[b->c[j].type] += b->c[j].weight;
      swb[b->c[j].type] += b->c[j].weight * b->c[j].estimate;
      b->weighted_sum += b->c[j].weight * b->c[j].estimate;
    }
    for (int k = 0; k < SPILL_BACON_NTYPES; k++) {
      b->type_weight[k] = sw[k];
      b->type_estimate[k] = sw[k] > 0 ? swb[k] / sw[k] : NAN;
    }
  }
  /* the TWFE fit (with the controls when there are some), cluster-robust */
  {
    spill_fit *f = spill__fit_did(ctx, p, NULL, SPILL_MODEL_OLS, SPILL_LOGDET_AUTO);
    if (!f) goto done;
    b->twfe = f->treat >= 0 ? f->coef[f->treat] : sdy / (vD * (double)nt);
    b->twfe_se = f->treat >= 0 ? f->se[f->treat] : NAN;
    spill_fit_free(f);
  }
  if (p->nx) {
    if (controls_split(ctx, p, adopt, b)) goto done;
    b->between = b->weighted_sum;
  }
  ok = 1;
done:
  free(adopt);
  free(groups);
  free(gsize);
  free(ws.y);
  free(ws.d);
  free(ws.work);
  free(dd);
  free(yy);
  free(work);
  if (!ok) {
    spill_bacon_free(b);
    return NULL;
  }
  return b;
}

/* ---- tables ---- */
static void group_label(int64_t g, char *buf, size_t size)
{
  if (g == 0) snprintf(buf, size, "never");
  else snprintf(buf, size, "%lld", (long long)g);
}

static int bacon_json(spill_ctx *ctx, const spill_bacon *b, FILE *out)
{
  json_t *root = json_object(), *sum = json_array(), *cmp = json_array();
  json_object_set_new(root, "n", json_integer(b->n));
  json_object_set_new(root, "t", json_integer(b->t));
  json_object_set_new(root, "never_treated", json_integer(b->never));
  json_object_set_new(root, "always_treated", json_integer(b->always));
  json_object_set_new(root, "twfe", spill__jnum(b->twfe));
  json_object_set_new(root, "twfe_se", spill__jnum(b->twfe_se));
  json_object_set_new(root, "weighted_sum", spill__jnum(b->weighted_sum));
  if (b->controls) {
    json_object_set_new(root, "omega", spill__jnum(b->omega));
    json_object_set_new(root, "within", spill__jnum(b->within));
    json_object_set_new(root, "between", spill__jnum(b->between));
  }
  for (int k = 0; k < SPILL_BACON_NTYPES; k++) {
    if (!(b->type_weight[k] > 0)) continue;
    json_array_append_new(sum, json_pack("{s:s,s:o,s:o}", "type", TYPE_NAMES[k], "weight",
                                         spill__jnum(b->type_weight[k]), "estimate",
                                         spill__jnum(b->type_estimate[k])));
  }
  json_object_set_new(root, "summary", sum);
  for (size_t j = 0; j < b->count; j++) {
    const spill_bacon_cmp *m = &b->c[j];
    json_array_append_new(cmp, json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "type", TYPE_NAMES[m->type], "treated",
                                         (json_int_t)m->treated, "control", (json_int_t)m->control, "n_treated",
                                         (json_int_t)m->n_treated, "n_control", (json_int_t)m->n_control,
                                         "weight", spill__jnum(m->weight), "estimate", spill__jnum(m->estimate)));
  }
  json_object_set_new(root, "comparisons", cmp);
  return spill__jdump(ctx, root, out);
}

static int bacon_write(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_bacon *b = obj;
  char ga[24], gc[24];
  if (fmt == SPILL_TABLE_JSON) return bacon_json(ctx, b, out);
  if (fmt == SPILL_TABLE_CSV) {
    fprintf(out, "type,treated,control,n_treated,n_control,weight,estimate\n");
    for (int k = 0; k < SPILL_BACON_NTYPES; k++)
      if (b->type_weight[k] > 0)
        fprintf(out, "%s,all,all,,,%.17g,%.17g\n", TYPE_NAMES[k], b->type_weight[k], b->type_estimate[k]);
    for (size_t j = 0; j < b->count; j++) {
      const spill_bacon_cmp *m = &b->c[j];
      group_label(m->treated, ga, sizeof ga);
      group_label(m->control, gc, sizeof gc);
      fprintf(out, "%s,%s,%s,%lld,%lld,%.17g,%.17g\n", TYPE_NAMES[m->type], ga, gc, (long long)m->n_treated,
              (long long)m->n_control, m->weight, m->estimate);
    }
    fprintf(out, "TWFE,,,,,,%.17g\n", b->twfe);
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fprintf(out, "\\begin{tabular}{lcc}\n\\toprule\nComparison & Weight & Estimate \\\\\n\\midrule\n");
    for (int k = 0; k < SPILL_BACON_NTYPES; k++)
      if (b->type_weight[k] > 0)
        fprintf(out, "%s & %.5f & %.5f \\\\\n", TYPE_NAMES[k], b->type_weight[k], b->type_estimate[k]);
    fprintf(out, "\\midrule\nTWFE estimate & & %.5f \\\\\n", b->twfe);
    if (b->controls)
      fprintf(out, "Within-group weight $\\Omega$ & %.5f & %.5f \\\\\n", b->omega, b->within);
    fprintf(out, "\\bottomrule\n\\end{tabular}\n");
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  fprintf(out, "Goodman-Bacon decomposition of the two-way FE DID\n");
  fprintf(out, "units %lld (never treated %lld, always treated %lld), periods %lld\n", (long long)b->n,
          (long long)b->never, (long long)b->always, (long long)b->t);
  fprintf(out, "TWFE estimate %.10f (cluster-robust SE %.6f)\n\n", b->twfe, b->twfe_se);
  fprintf(out, "%-26s %10s %12s\n", "comparison", "weight", "estimate");
  for (int k = 0; k < SPILL_BACON_NTYPES; k++)
    if (b->type_weight[k] > 0)
      fprintf(out, "%-26s %10.5f %12.5f\n", TYPE_NAMES[k], b->type_weight[k], b->type_estimate[k]);
  if (!b->controls) {
    double sw = 0;
    for (int k = 0; k < SPILL_BACON_NTYPES; k++) sw += b->type_weight[k];
    fprintf(out, "%-26s %10.5f %12.5f\n", "sum (weighted)", sw, b->weighted_sum);
  } else {
    fprintf(out, "\nwith %d controls (Frisch-Waugh form, as R bacondecomp): within-timing-group weight\n"
            "Omega %.5f and estimate %.5f; the 2x2 terms above are covariate-adjusted between-group\n"
            "comparisons (weights sum to 1) averaging %.5f; Omega * within + (1 - Omega) * between = %.10f\n",
            b->controls, b->omega, b->within, b->between, b->omega * b->within + (1 - b->omega) * b->between);
  }
  fprintf(out, "\n%-26s %8s %8s %6s %6s %10s %12s\n", "2x2 comparison", "treated", "control", "n_tr", "n_co",
          "weight", "estimate");
  for (size_t j = 0; j < b->count; j++) {
    const spill_bacon_cmp *m = &b->c[j];
    group_label(m->treated, ga, sizeof ga);
    group_label(m->control, gc, sizeof gc);
    fprintf(out, "%-26s %8s %8s %6lld %6lld %10.5f %12.5f\n", TYPE_NAMES[m->type], ga, gc, (long long)m->n_treated,
            (long long)m->n_control, m->weight, m->estimate);
  }
  if (b->always)
    fprintf(out, "\nUnits treated from the first period are always treated: as in the paper and R bacondecomp\n"
                 "they serve only as controls for later groups (\"Later vs Always Treated\").\n");
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
}

int spill_bacon_print(spill_ctx *ctx, const spill_bacon *b, FILE *out, spill_table_fmt fmt)
{
  return bacon_write(ctx, b, out, fmt);
}

int spill_bacon_save(spill_ctx *ctx, const spill_bacon *b, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, bacon_write, b, fmt, 1);
}

/* ---- figure ---- */
int spill_bacon_plot(spill_ctx *ctx, const spill_bacon *b, const char *path, const char *title)
{
  return spill__bacon_plot(ctx, b, path, title, NULL);
}

int spill__bacon_plot(spill_ctx *ctx, const spill_bacon *b, const char *path, const char *title,
                   spill__chart_stats *st)
{
  spill__chart c;
  size_t n = b->count;
  double *x = spill__malloc(ctx, (2 * n * SPILL_BACON_NTYPES + 1) * sizeof *x);
  static const int marks[SPILL_BACON_NTYPES] = {SPILL__MARK_CIRCLE, SPILL__MARK_TRIANGLE, SPILL__MARK_SQUARE,
                                                SPILL__MARK_DIAMOND, SPILL__MARK_X};
  static const int colors[SPILL_BACON_NTYPES] = {2, 3, 1, 5, 4};
  char label[SPILL_BACON_NTYPES][96], twlab[64];
  int rc;
  if (!x) return SPILL_ENOMEM;
  spill__chart_init(&c);
  c.title = title;
  c.panel[0].xlabel = "Weight";
  c.panel[0].ylabel = "2x2 DID estimate";
  c.panel[0].legend = SPILL__LEGEND_TOPRIGHT;
  {
    double wmax = 0;
    for (size_t j = 0; j < n; j++) wmax = fmax(wmax, b->c[j].weight);
    c.panel[0].xmin = -0.03 * wmax;
  }
  for (int k = 0; k < SPILL_BACON_NTYPES; k++) {
    double *wx = x + (size_t)k * 2 * n, *ey = wx + n;
    size_t m = 0;
    spill__series *s;
    for (size_t j = 0; j < n; j++)
      if ((int)b->c[j].type == k) {
        wx[m] = b->c[j].weight;
        ey[m] = b->c[j].estimate;
        m++;
      }
    if (!m) continue;
    snprintf(label[k], sizeof label[k], "%s", TYPE_NAMES[k]);
    s = spill__chart_add(&c.panel[0], SPILL__SERIES_POINTS, m, wx, ey, label[k]);
    s->marker = marks[k];
    s->color = colors[k];
    s->hollow = k == 0;
  }
  {
    spill__refline *r = spill__chart_ref(&c.panel[0], 0, b->twfe, 1);
    snprintf(twlab, sizeof twlab, "TWFE = %.4f", b->twfe);
    r->label = twlab;
    r->color = 0;
    spill__chart_ref(&c.panel[0], 0, 0, 0);
  }
  rc = spill__chart_draw(ctx, &c, path, st);
  free(x);
  return rc;
}

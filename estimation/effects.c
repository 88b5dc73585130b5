/* Direct, indirect and total effects (LeSage and Pace 2009, ch. 2, eqs.
 * 2.46-2.48) with delta-method and simulated standard errors, and the
 * effects table of one fit (text, CSV, LaTeX, JSON). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/effects.h"

void spill_effects_opts_init(spill_effects_opts *o)
{
  memset(o, 0, sizeof *o);
  o->method = SPILL_TRACE_AUTO;
  o->draws = 1000;
  o->seed = 1;
  o->vectors = 100;
  o->order = 0;
  o->max_order = 1000;
  o->tol = 1e-10;
  o->level = 0.95;
}

int spill__effects_opts_check(spill_ctx *ctx, const spill_effects_opts *o)
{
  if (o->method < SPILL_TRACE_AUTO || o->method > SPILL_TRACE_MC)
    return spill__fail(ctx, SPILL_EINVAL, "effects: unknown trace method %d", (int)o->method);
  if (o->draws < 0 || !(o->level > 0.0 && o->level < 1.0))
    return spill__fail(ctx, SPILL_EINVAL, "effects: draws must be >= 0 and the level in (0, 1) "
                       "(got %d, %g)", o->draws, o->level);
  if (o->vectors < 2 || o->order < 0 || o->max_order < 2 || !(o->tol > 0.0 && o->tol < 1.0))
    return spill__fail(ctx, SPILL_EINVAL, "effects: need vectors >= 2, order >= 0, max_order >= 2 "
                       "and tol in (0, 1) (got %d, %d, %d, %g); start from spill_effects_opts_init",
                       o->vectors, o->order, o->max_order, o->tol);
  return SPILL_OK;
}

static int is_wterm(const spill_fit *fit, size_t c)
{
  for (size_t k = 0; k < fit->k; k++)
    if (fit->wlag && fit->wlag[k] == (long)c) return 1;
  return 0;
}

size_t spill__effect_terms(const spill_fit *fit, long *idx, long *widx)
{
  size_t m = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t c = 0; c < fit->k; c++) {
      int treat = (long)c == fit->treat;
      if ((pass == 0) != treat) continue; /* the treatment first */
      if (fit->names && fit->names[c] && !strcmp(fit->names[c], "(constant)")) continue;
      if (is_wterm(fit, c)) continue;
      if (fit->fe_dummy && fit->fe_dummy[c]) continue; /* absorbed-effect dummies: no effects */
      idx[m] = (long)c;
      widx[m] = fit->wlag ? fit->wlag[c] : -1;
      m++;
    }
  return m;
}

double spill__rho_abs_max(const spill_fit *fit, double wnorm)
{
  double r, se, cap;
  if (!spill__fit_lag(fit)) return 0.0;
  se = isfinite(fit->rho_se) && fit->rho_se > 0.0 ? fit->rho_se : 0.0;
  r = fabs(fit->rho) + 6.0 * se;
  if (fit->rho_lo < fit->rho_hi) r = fmin(r, fmax(fabs(fit->rho_lo), fabs(fit->rho_hi)));
  cap = wnorm > 0.0 ? 0.999 / wnorm : r;
  return fmax(fabs(fit->rho), fmin(r, cap));
}

void spill_effects_free(spill_effects *e)
{
  if (!e) return;
  for (size_t k = 0; k < e->count; k++) free(e->e[k].name);
  free(e->e);
  free(e);
}

const spill_effect *spill_effects_find(const spill_effects *e, const char *name)
{
  for (size_t k = 0; k < e->count; k++)
    if (!strcmp(e->e[k].name, name)) return &e->e[k];
  return NULL;
}

/* b0, b1 and their rho-derivatives exactly by sparse LU (W not
 * row-stochastic): with A = I - rho W, h = A^-T 1, x0 = A^-1 1,
 * x1 = A^-1 W 1: b0 = h'1/n, b1 = h'W1/n, db0 = h'W x0/n, db1 = h'W x1/n. */
static int lu_totals(spill_ctx *ctx, const spill_weights *w, double rho, spill__tfun *f)
{
  int64_t n = w->n;
  double *one = NULL, *w1 = NULL, *h = NULL, *x0 = NULL, *x1 = NULL, *tmp = NULL;
  spill__lu *lu = NULL;
  int rc = SPILL_ENOMEM;
  one = spill__malloc(ctx, (size_t)n * sizeof *one);
  w1 = spill__malloc(ctx, (size_t)n * sizeof *w1);
  h = spill__malloc(ctx, (size_t)n * sizeof *h);
  x0 = spill__malloc(ctx, (size_t)n * sizeof *x0);
  x1 = spill__malloc(ctx, (size_t)n * sizeof *x1);
  tmp = spill__malloc(ctx, (size_t)n * sizeof *tmp);
  if (!one || !w1 || !h || !x0 || !x1 || !tmp) goto done;
  for (int64_t i = 0; i < n; i++) one[i] = 1.0;
  spill__wmul(w, one, w1);
  if (!(lu = spill__lu_new(ctx, w, rho))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  if ((rc = spill__lu_solve(ctx, lu, 1, one, h)) || (rc = spill__lu_solve(ctx, lu, 0, one, x0)) ||
      (rc = spill__lu_solve(ctx, lu, 0, w1, x1)))
    goto done;
  f->b0 = f->b1 = f->db0 = f->db1 = 0.0;
  for (int64_t i = 0; i < n; i++) {
    f->b0 += h[i];
    f->b1 += h[i] * w1[i];
  }
  spill__wmul(w, x0, tmp);
  for (int64_t i = 0; i < n; i++) f->db0 += h[i] * tmp[i];
  spill__wmul(w, x1, tmp);
  for (int64_t i = 0; i < n; i++) f->db1 += h[i] * tmp[i];
  f->b0 /= (double)n;
  f->b1 /= (double)n;
  f->db0 /= (double)n;
  f->db1 /= (double)n;
  f->trunc_total = 0.0;
  rc = SPILL_OK;
done:
  spill__lu_free(lu);
  free(one);
  free(w1);
  free(h);
  free(x0);
  free(x1);
  free(tmp);
  return rc;
}

/* g'V g over the coefficients sel[0..m-1] (rho is index fit->k). */
static double quad_form(const spill_fit *fit, const long *sel, const double *g, size_t m)
{
  double v = 0.0;
  if (!fit->vcov) return NAN;
  for (size_t a = 0; a < m; a++)
    for (size_t b = 0; b < m; b++) v += g[a] * g[b] * fit->vcov[(size_t)sel[a] * fit->nv + (size_t)sel[b]];
  return v >= 0.0 ? sqrt(v) : NAN;
}

static void set_no_sim(spill_effect_stat *s)
{
  s->mean = s->sd = s->z = s->p = s->lo = s->hi = NAN;
}

spill_effects *spill_effects_compute(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w,
                                     const spill_traces *tr_in, const spill_effects_opts *opts)
{
  spill_effects_opts def;
  spill_effects *out = NULL;
  spill_traces *own = NULL;
  const spill_traces *tr = tr_in;
  long *idx = NULL, *widx = NULL;
  double rho;
  spill__tfun f;
  size_t ne;
  if (!opts) {
    spill_effects_opts_init(&def);
    opts = &def;
  }
  if (!fit || !w || fit->n != w->n) {
    spill__fail(ctx, SPILL_EINVAL, "effects: the fit has %lld units but W has %lld; pass the W "
                "the model was fitted with", fit ? (long long)fit->n : 0LL, w ? (long long)w->n : 0LL);
    return NULL;
  }
  if (spill__effects_opts_check(ctx, opts)) return NULL;
  if (fit->has_rho && fit->vcov && fit->nv <= fit->k) {
    spill__fail(ctx, SPILL_EINVAL, "effects: the covariance matrix (%zu x %zu) has no row for rho",
                fit->nv, fit->nv);
    return NULL;
  }
  rho = spill__fit_lag(fit) ? fit->rho : 0.0;
  idx = spill__malloc(ctx, (fit->k + 1) * sizeof *idx);
  widx = spill__malloc(ctx, (fit->k + 1) * sizeof *widx);
  out = spill__calloc(ctx, 1, sizeof *out);
  if (!idx || !widx || !out) goto fail;
  if (!tr) {
    spill_effects_opts o = *opts;
    double wn = 0.0;
    for (int64_t i = 0; i < w->n; i++) {
      double s = 0.0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += fabs(w->x[k]);
      wn = fmax(wn, s);
    }
    if (!spill__fit_lag(fit)) { /* S = beta I + theta W: traces of order <= 1 are exact */
      o.method = SPILL_TRACE_MC;
      o.order = 2;
    }
    own = spill_traces_new(ctx, w, spill__rho_abs_max(fit, wn), &o);
    if (!own) goto fail;
    tr = own;
  }
  if (tr->n != w->n) {
    spill__fail(ctx, SPILL_EINVAL, "effects: the traces are of a %lld-unit W, the fit has %lld units",
                (long long)tr->n, (long long)w->n);
    goto fail;
  }
  if (spill__traces_eval(tr, rho, &f) != 0) {
    spill__fail(ctx, SPILL_ENUM, "effects: the power series in rho does not converge at rho = %g "
                "with max row sum %g; row-standardise W or use eigenvalues (n <= 20000)",
                rho, tr->wnorm);
    goto fail;
  }
  if (!tr->row_stochastic && lu_totals(ctx, w, rho, &f) != SPILL_OK) goto fail;
  if (fit->rho_at_bound && spill__fit_lag(fit))
    spill__notice(ctx, "effects: rho = %.8g is at a bound of its interval, where I - rho W is nearly singular "
                  "(mean total multiplier 1'(I - rho W)^-1 1/n = %.4g): the effects and their SEs are not "
                  "reliable", rho, f.b0);
  ne = spill__effect_terms(fit, idx, widx);
  out->e = spill__calloc(ctx, ne ? ne : 1, sizeof *out->e);
  if (!out->e) goto fail;
  out->n = w->n;
  out->count = ne;
  out->method = (spill_trace_method)tr->method;
  if (tr->method == SPILL_TRACE_EIGEN)
    snprintf(out->method_name, sizeof out->method_name, "eigenvalues (%s)",
             tr->real_spectrum ? "real" : "complex");
  else
    snprintf(out->method_name, sizeof out->method_name, "series J=%d, MC traces R=%d", tr->order,
             tr->vectors);
  snprintf(out->total_method, sizeof out->total_method, "%s",
           tr->row_stochastic ? "closed form" : "sparse LU");
  out->order = tr->method == SPILL_TRACE_MC || !tr->row_stochastic ? tr->order : 0;
  out->vectors = tr->method == SPILL_TRACE_MC ? tr->vectors : 0;
  out->rho = rho;
  out->draws = opts->draws;
  out->seed = opts->seed;
  out->level = opts->level;
  for (size_t e = 0; e < ne; e++) {
    spill_effect *ef = &out->e[e];
    double b = fit->coef[idx[e]], t = widx[e] >= 0 ? fit->coef[widx[e]] : 0.0;
    double gd[3], gt[3], gi[3];
    long sel[3];
    size_t m = 0;
    ef->name = spill__strdup(ctx, fit->names && fit->names[idx[e]] ? fit->names[idx[e]] : "x");
    if (!ef->name) goto fail;
    ef->coef = idx[e];
    ef->wcoef = widx[e];
    ef->direct.estimate = b * f.a0 + t * f.a1;
    ef->total.estimate = b * f.b0 + t * f.b1;
    ef->indirect.estimate = ef->total.estimate - ef->direct.estimate;
    /* gradient in (beta, theta, rho) */
    sel[m] = idx[e];
    gd[m] = f.a0;
    gt[m++] = f.b0;
    if (widx[e] >= 0) {
      sel[m] = widx[e];
      gd[m] = f.a1;
      gt[m++] = f.b1;
    }
    if (spill__fit_lag(fit)) {
      sel[m] = (long)fit->k;
      gd[m] = b * f.da0 + t * f.da1;
      gt[m++] = b * f.db0 + t * f.db1;
    }
    for (size_t a = 0; a < m; a++) gi[a] = gt[a] - gd[a];
    ef->direct.se_delta = quad_form(fit, sel, gd, m);
    ef->indirect.se_delta = quad_form(fit, sel, gi, m);
    ef->total.se_delta = quad_form(fit, sel, gt, m);
    ef->direct.mc_se = ef->indirect.mc_se = spill__traces_direct_mcse(tr, b, t, rho);
    ef->direct.trunc = (fabs(b) + fabs(t) * tr->wnorm) * f.trunc_direct;
    ef->total.trunc = (fabs(b) + fabs(t) * tr->wnorm) * f.trunc_total;
    ef->indirect.trunc = ef->direct.trunc + ef->total.trunc;
    set_no_sim(&ef->direct);
    set_no_sim(&ef->indirect);
    set_no_sim(&ef->total);
  }
  if (opts->draws > 0 && ne > 0 && spill__effects_simulate(ctx, fit, tr, opts, out) != SPILL_OK) goto fail;
  free(idx);
  free(widx);
  spill_traces_free(own);
  return out;
fail:
  free(idx);
  free(widx);
  spill_traces_free(own);
  spill_effects_free(out);
  return NULL;
}

/* ---- the table of one fit ---- */

/* The SE shown: simulated SD when there are draws, else delta method. */
double spill__stat_se(const spill_effect_stat *s) { return isfinite(s->sd) ? s->sd : s->se_delta; }
double spill__stat_p(const spill_effect_stat *s)
{
  if (isfinite(s->p)) return s->p;
  return s->se_delta > 0.0 ? spill__pnorm2(s->estimate / s->se_delta) : NAN;
}

void spill__latex_str(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("&%$#_{}", *s)) fprintf(out, "\\%c", *s);
    else if (*s == '\\') fputs("\\textbackslash{}", out);
    else if (*s == '~' || *s == '^') fprintf(out, "\\%c{}", *s);
    else fputc(*s, out);
  }
}

void spill__latex_num(FILE *out, double v, double p)
{
  const char *st = spill__stars(p);
  if (!isfinite(v)) fputs(" & ", out);
  else if (*st) fprintf(out, " & %.4f$^{%s}$", v, st);
  else fprintf(out, " & %.4f", v);
}

void spill__csv_str(FILE *out, const char *s)
{
  if (strpbrk(s, ",\"\r\n")) {
    fputc('"', out);
    for (; *s; s++) {
      if (*s == '"') fputc('"', out);
      fputc(*s, out);
    }
    fputc('"', out);
  } else {
    fputs(s, out);
  }
}

static void json_stat(FILE *out, const spill_effect_stat *s)
{
  fputs("{\"estimate\":", out);
  spill__json_number(out, s->estimate);
  fputs(",\"se\":", out);
  spill__json_number(out, spill__stat_se(s));
  fputs(",\"p\":", out);
  spill__json_number(out, spill__stat_p(s));
  fputs(",\"se_delta\":", out);
  spill__json_number(out, s->se_delta);
  fputs(",\"mean\":", out);
  spill__json_number(out, s->mean);
  fputs(",\"sd\":", out);
  spill__json_number(out, s->sd);
  fputs(",\"z\":", out);
  spill__json_number(out, s->z);
  fputs(",\"lo\":", out);
  spill__json_number(out, s->lo);
  fputs(",\"hi\":", out);
  spill__json_number(out, s->hi);
  fputs(",\"mc_se\":", out);
  spill__json_number(out, s->mc_se);
  fputs(",\"trunc\":", out);
  spill__json_number(out, s->trunc);
  fputc('}', out);
}

static const char *kind_name[3] = {"direct", "indirect", "total"};

static const spill_effect_stat *kind_stat(const spill_effect *e, int k)
{
  return k == 0 ? &e->direct : k == 1 ? &e->indirect : &e->total;
}

/* z with P(|Z| <= z) = level, by bisection on erfc (monotone). */
static double z_two_sided(double level)
{
  double lo = 0.0, hi = 40.0;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (erfc(mid / sqrt(2.0)) > 1.0 - level) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

static void print_text(const spill_effects *e, FILE *out)
{
  int w = 8;
  int pct = (int)lround(100.0 * e->level);
  for (size_t k = 0; k < e->count; k++)
    if ((int)strlen(e->e[k].name) > w) w = (int)strlen(e->e[k].name);
  fprintf(out, "Effects (LeSage-Pace), per period, averaged over the %lld units: traces by %s; totals by %s\n",
          (long long)e->n, e->method_name, e->total_method);
  if (e->accepted > 0) {
    fprintf(out, "Simulation: %d draws (seed %llu), %d rejected (rho out of bounds); %d%% percentile intervals\n",
            e->accepted, (unsigned long long)e->seed, e->rejected, pct);
    fprintf(out, "%-*s  %-8s %12s %11s %11s %11s %8s %7s %11s %11s\n", w, "", "effect", "estimate",
            "delta SE", "sim mean", "sim SD", "z", "P>|z|", "lo", "hi");
  } else {
    fprintf(out, "No simulation draws: delta-method SEs, normal %d%% intervals\n", pct);
    fprintf(out, "%-*s  %-8s %12s %11s %8s %7s %11s %11s\n", w, "", "effect", "estimate", "delta SE",
            "z", "P>|z|", "lo", "hi");
  }
  int undefined = 0;
  for (size_t k = 0; k < e->count; k++)
    for (int q = 0; q < 3; q++) {
      const spill_effect_stat *s = kind_stat(&e->e[k], q);
      const char *name = q == 0 ? e->e[k].name : "";
      char zs[24], ps[24];
      double z = e->accepted > 0 ? s->z : s->se_delta > 0.0 ? s->estimate / s->se_delta : NAN;
      double pv = e->accepted > 0 ? s->p : spill__stat_p(s);
      /* z and p are undefined where the SE is zero (the SEM's indirect effects): say so, never "nan" */
      if (isfinite(z)) snprintf(zs, sizeof zs, "%8.3f", z);
      else snprintf(zs, sizeof zs, "%8s", "-");
      if (isfinite(pv)) snprintf(ps, sizeof ps, "%7.4f", pv);
      else snprintf(ps, sizeof ps, "%7s", "-");
      undefined |= !isfinite(z) || !isfinite(pv);
      if (e->accepted > 0) {
        fprintf(out, "%-*s  %-8s %12.6g %11.5g %11.5g %11.5g %s %s %11.5g %11.5g %s\n", w, name,
                kind_name[q], s->estimate, s->se_delta, s->mean, s->sd, zs, ps, s->lo, s->hi,
                spill__stars(spill__stat_p(s)));
      } else {
        double zq = z_two_sided(e->level);
        fprintf(out, "%-*s  %-8s %12.6g %11.5g %s %s %11.5g %11.5g %s\n", w, name, kind_name[q],
                s->estimate, s->se_delta, zs, ps, s->estimate - zq * s->se_delta,
                s->estimate + zq * s->se_delta, spill__stars(spill__stat_p(s)));
      }
    }
  if (undefined)
    fputs("note: '-': z and P>|z| are undefined where the SE is zero (an effect that is zero by construction, "
          "as the error model's indirect effects)\n", out);
  if (e->method == SPILL_TRACE_MC) {
    double mc = 0.0, tb = 0.0;
    for (size_t k = 0; k < e->count; k++) {
      mc = fmax(mc, e->e[k].direct.mc_se);
      tb = fmax(tb, e->e[k].indirect.trunc);
    }
    fprintf(out, "Computation error of the estimates: Monte Carlo SE <= %.2g, series truncation <= %.2g\n",
            mc, tb);
  }
  if (e->accepted > 0 && e->max_trunc > 0.0)
    fprintf(out, "Draws evaluated by the power series (J = %d): truncation <= %.2g\n", e->order, e->max_trunc);
  fputs("*** p<0.01, ** p<0.05, * p<0.1\n", out);
}

static void print_csv(const spill_effects *e, FILE *out)
{
  fputs("name,effect,estimate,se_delta,mean,sd,z,p,lo,hi,mc_se,trunc\n", out);
  for (size_t k = 0; k < e->count; k++)
    for (int q = 0; q < 3; q++) {
      const spill_effect_stat *s = kind_stat(&e->e[k], q);
      double v[10] = {s->estimate, s->se_delta, s->mean, s->sd, s->z, s->p, s->lo, s->hi, s->mc_se, s->trunc};
      spill__csv_str(out, e->e[k].name);
      fprintf(out, ",%s", kind_name[q]);
      for (int i = 0; i < 10; i++) {
        if (isfinite(v[i])) fprintf(out, ",%.10g", v[i]);
        else fputs(",", out);
      }
      fputc('\n', out);
    }
}

static void print_latex(const spill_effects *e, FILE *out)
{
  fputs("\\begin{tabular}{lccc}\n\\toprule\n & Direct & Indirect & Total \\\\\n\\midrule\n", out);
  for (size_t k = 0; k < e->count; k++) {
    spill__latex_str(out, e->e[k].name);
    for (int q = 0; q < 3; q++) {
      const spill_effect_stat *s = kind_stat(&e->e[k], q);
      spill__latex_num(out, s->estimate, spill__stat_p(s));
    }
    fputs(" \\\\\n", out);
    for (int q = 0; q < 3; q++) fprintf(out, " & (%.4f)", spill__stat_se(kind_stat(&e->e[k], q)));
    fputs(" \\\\\n", out);
  }
  fputs("\\bottomrule\n\\end{tabular}\n", out);
  fprintf(out, "%% SE: %s; *** p<0.01, ** p<0.05, * p<0.1\n",
          e->accepted > 0 ? "SD of simulated effects" : "delta method");
}

static void print_json(const spill_effects *e, FILE *out)
{
  fputc('[', out);
  for (size_t k = 0; k < e->count; k++) {
    if (k) fputc(',', out);
    fputs("{\"name\":", out);
    spill__json_string(out, e->e[k].name);
    for (int q = 0; q < 3; q++) {
      fprintf(out, ",\"%s\":", kind_name[q]);
      json_stat(out, kind_stat(&e->e[k], q));
    }
    fputc('}', out);
  }
  fputc(']', out);
}

int spill_effects_print(spill_ctx *ctx, const spill_effects *e, FILE *out, spill_table_fmt fmt)
{
  switch (fmt) {
  case SPILL_TABLE_TEXT: print_text(e, out); break;
  case SPILL_TABLE_CSV: print_csv(e, out); break;
  case SPILL_TABLE_LATEX: print_latex(e, out); break;
  case SPILL_TABLE_JSON: print_json(e, out); break;
  default: return spill__fail(ctx, SPILL_EINVAL, "effects: unknown table format %d", (int)fmt);
  }
  if (ferror(out)) return spill__fail(ctx, SPILL_EIO, "effects: writing the table failed");
  return SPILL_OK;
}

static int write_effects(spill_ctx *ctx, const void *e, FILE *out, int fmt)
{
  return spill_effects_print(ctx, e, out, (spill_table_fmt)fmt);
}

int spill_effects_save(spill_ctx *ctx, const spill_effects *e, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_effects, e, (int)fmt, 1);
}

int spill_fit_write_json_effects(spill_ctx *ctx, const spill_fit *fit, const spill_effects *e,
                                 FILE *out)
{
  fputc('{', out);
  spill__json_fit_members(out, fit);
  if (e) {
    fputs(",\n  \"effects\": ", out);
    print_json(e, out);
  }
  fputs("\n}\n", out);
  if (ferror(out)) return spill__fail(ctx, SPILL_EIO, "fit: writing the JSON failed");
  return SPILL_OK;
}

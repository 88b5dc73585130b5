/* Regression tables: aligned text, CSV, LaTeX (booktabs) and JSON. */
#include <math.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/report.h"

const char *spill__stars(double p)
{
  return !(p == p) ? "" : p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.1 ? "*" : "";
}

void spill__json_number(FILE *out, double v)
{
  if (isfinite(v)) fprintf(out, "%.17g", v);
  else fputs("null", out);
}

void spill__json_string(FILE *out, const char *s)
{
  fputc('"', out);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c == '\n') fputs("\\n", out);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

static const char *model_title(spill_model m)
{
  switch (m) {
  case SPILL_MODEL_SDM: return "Spatial Durbin model (SDM), maximum likelihood";
  case SPILL_MODEL_SAR: return "Spatial lag model (SAR), maximum likelihood";
  case SPILL_MODEL_SEM: return "Spatial error model (SEM), maximum likelihood";
  case SPILL_MODEL_SAC: return "SAC/SARAR model (lag of y and spatial error), maximum likelihood";
  case SPILL_MODEL_SDEM: return "Spatial Durbin error model (SDEM), maximum likelihood";
  case SPILL_MODEL_SLX: return "SLX (W terms, no spatial lag of y), least squares";
  default: return "Fixed-effects DID, least squares";
  }
}

static const char *fe_title(spill_fe fe)
{
  switch (fe) {
  case SPILL_FE_TWOWAYS: return "unit and time fixed effects";
  case SPILL_FE_UNIT: return "unit fixed effects";
  case SPILL_FE_TIME: return "time fixed effects";
  case SPILL_FE_RANDOM: return "random unit effects (phi = s2_mu/s2_e)";
  default: return "no fixed effects";
  }
}

static int is_ml(const spill_fit *f)
{
  return f->model == SPILL_MODEL_SDM || f->model == SPILL_MODEL_SAR || f->model == SPILL_MODEL_SEM ||
         f->model == SPILL_MODEL_SAC || f->model == SPILL_MODEL_SDEM;
}

static const char *rho_name(const spill_fit *f)
{
  return f->model == SPILL_MODEL_SEM || f->model == SPILL_MODEL_SDEM ? "lambda" : "rho";
}

/* The spatial and variance parameters after the coefficients, in vcov order:
 * rho (or an error model's lambda), SAC's lambda, random effects' phi. */
static size_t extra_params(const spill_fit *f, const char **name, double *b, double *se)
{
  size_t m = 0;
  if (f->has_rho) {
    name[m] = rho_name(f);
    b[m] = f->rho;
    se[m++] = f->rho_se;
  }
  if (f->has_lambda) {
    name[m] = "lambda";
    b[m] = f->lambda;
    se[m++] = f->lambda_se;
  }
  if (f->has_phi) {
    name[m] = "phi";
    b[m] = f->phi;
    se[m++] = f->phi_se;
  }
  return m;
}

static const char *lee_yu_name(int v)
{
  return v == 1 ? "Lee-Yu transformation (exact ML)" : v == 2 ? "Elhorst's Lee-Yu bias correction" : "";
}

static double zval(double b, double se) { return se > 0 ? b / se : NAN; }

/* Observations used (fits built by hand may leave nobs 0: balanced). */
static int64_t nobs(const spill_fit *f) { return f->nobs > 0 ? f->nobs : f->n * f->t; }

void spill__json_fit_members(FILE *out, const spill_fit *f)
{
  fputs("\"model\": ", out);
  spill__json_string(out, spill__model_name(f->model));
  fputs(", \"fe\": ", out);
  spill__json_string(out, spill__fe_name(f->fe));
  fprintf(out, ", \"n\": %lld, \"t\": %lld, \"observations\": %lld, \"units\": %lld, \"lee_yu\": %s,\n",
          (long long)f->n, (long long)f->t, (long long)nobs(f), (long long)f->n, f->lee_yu ? "true" : "false");
  if (f->lee_yu) fprintf(out, "  \"lee_yu_method\": \"%s\",\n", f->lee_yu == 1 ? "transformation" : "bias correction");
  if (f->has_lambda || f->has_phi) {
    const char *nm[3];
    double b[3], se[3];
    size_t m = extra_params(f, nm, b, se);
    for (size_t j = f->has_rho ? 1 : 0; j < m; j++) {
      fprintf(out, "  \"%s\": {\"estimate\": ", nm[j]);
      spill__json_number(out, b[j]);
      fputs(", \"se\": ", out);
      spill__json_number(out, se[j]);
      fputs(", \"z\": ", out);
      spill__json_number(out, zval(b[j], se[j]));
      fputs("},\n", out);
    }
  }
  if (f->has_rho) {
    fputs("  \"rho\": {\"estimate\": ", out);
    spill__json_number(out, f->rho);
    fputs(", \"se\": ", out);
    spill__json_number(out, f->rho_se);
    fputs(", \"z\": ", out);
    spill__json_number(out, zval(f->rho, f->rho_se));
    fputs(", \"p\": ", out);
    spill__json_number(out, spill__normal_p2(zval(f->rho, f->rho_se)));
    fprintf(out, ", \"name\": \"%s\", \"interval\": [", rho_name(f));
    spill__json_number(out, f->rho_lo);
    fputs(", ", out);
    spill__json_number(out, f->rho_hi);
    fprintf(out, "], \"at_bound\": %s},\n", f->rho_at_bound < 0 ? "\"lower\"" : f->rho_at_bound > 0 ? "\"upper\"" : "false");
  } else {
    fputs("  \"rho\": null,\n", out);
  }
  fputs("  \"sigma2\": ", out);
  spill__json_number(out, f->sigma2);
  fputs(", \"loglik\": ", out);
  spill__json_number(out, f->loglik);
  fputs(", \"aic\": ", out);
  spill__json_number(out, f->aic);
  fputs(", \"r2\": ", out);
  spill__json_number(out, f->r2);
  fputs(", \"r2_within\": ", out);
  spill__json_number(out, f->r2_within);
  fputs(", \"logdet\": ", out);
  spill__json_string(out, f->logdet_method);
  if (is_ml(f)) { /* large n: Monte Carlo variance traces and approximate log-dets */
    fprintf(out, ", \"trace_probes\": %d, \"se_mc_error\": ", f->trace_probes);
    spill__json_number(out, f->se_mcerr);
    fputs(", \"logdet_error\": ", out);
    spill__json_number(out, f->logdet_err);
  }
  /* how the lag of y was within-transformed: "exact" Q(Wy) or "splm" W(Qy) */
  fputs(", \"wy\": ", out);
  spill__json_string(out, f->splm_wy ? "splm" : "exact");
  if (f->absorb[0]) {
    fputs(",\n  \"absorb\": [", out);
    for (const char *a = f->absorb; *a;) {
      size_t l = strcspn(a, ",");
      char term[256];
      snprintf(term, sizeof term, "%.*s", (int)l, a);
      if (a != f->absorb) fputs(", ", out);
      spill__json_string(out, term);
      a += l + (a[l] ? 1 : 0);
    }
    fprintf(out, "], \"absorbed_dof\": %.0f, \"singletons\": %lld", f->absorbed_dof, (long long)f->singletons);
  }
  if (f->vce[0]) {
    fputs(",\n  \"vce\": ", out);
    spill__json_string(out, f->vce);
  }
  fputs(",\n  \"se_type\": ", out);
  spill__json_string(out, f->vce[0] ? f->vce : is_ml(f) ? "asymptotic (information matrix)" : "cluster-robust by unit (xtreg, fe vce(cluster))");
  if (f->fe_dummy) { /* absorbed-effect dummies (ML models): counted, not listed */
    size_t nd = 0;
    for (size_t j = 0; j < f->k; j++) nd += f->fe_dummy[j];
    fprintf(out, ",\n  \"absorbed_columns\": %zu", nd);
  }
  fputs(",\n  \"coefficients\": [", out);
  for (size_t j = 0, first = 1; j < f->k; j++) {
    double z = zval(f->coef[j], f->se[j]);
    if (f->fe_dummy && f->fe_dummy[j]) continue;
    fputs(!first ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
    first = 0;
    spill__json_string(out, f->names[j]);
    fputs(", \"estimate\": ", out);
    spill__json_number(out, f->coef[j]);
    fputs(", \"se\": ", out);
    spill__json_number(out, f->se[j]);
    fputs(", \"z\": ", out);
    spill__json_number(out, z);
    fputs(", \"p\": ", out);
    spill__json_number(out, spill__normal_p2(z));
    if (f->se_conv) {
      fputs(", \"se_conventional\": ", out);
      spill__json_number(out, f->se_conv[j]);
    }
    fputc('}', out);
  }
  fputs("\n  ],\n  \"omitted\": [", out);
  for (size_t j = 0; j < f->n_omitted; j++) {
    if (j) fputs(", ", out);
    spill__json_string(out, f->omitted[j]);
  }
  fputs("]", out);
  if (f->model == SPILL_MODEL_SDM) {
    fputs(",\n  \"tests\": {\"lr_sar\": ", out);
    spill__json_number(out, f->lr_sar);
    fputs(", \"lr_sar_p\": ", out);
    spill__json_number(out, f->lr_sar_p);
    fputs(", \"wald_sar\": ", out);
    spill__json_number(out, f->wald_sar);
    fputs(", \"wald_sar_p\": ", out);
    spill__json_number(out, f->wald_sar_p);
    fputs(", \"lr_sem\": ", out);
    spill__json_number(out, f->lr_sem);
    fputs(", \"lr_sem_p\": ", out);
    spill__json_number(out, f->lr_sem_p);
    fputs(", \"wald_sem\": ", out);
    spill__json_number(out, f->wald_sem);
    fputs(", \"wald_sem_p\": ", out);
    spill__json_number(out, f->wald_sem_p);
    fputs("}", out);
  }
}

static void write_json(FILE *out, const spill_fit *f)
{
  fputs("{", out);
  spill__json_fit_members(out, f);
  fputs("\n}\n", out);
}

static void text_row(FILE *out, const char *name, double b, double se)
{
  double z = zval(b, se), p = spill__normal_p2(z);
  fprintf(out, "%-22s %13.6g %12.6g %9.3f %8.4f %s\n", name, b, se, z, p, spill__stars(p));
}

static void write_text(FILE *out, const spill_fit *f)
{
  int ml = is_ml(f);
  const char *nm[3];
  double xb[3], xse[3];
  size_t m = extra_params(f, nm, xb, xse);
  fprintf(out, "%s\n%s%s%s; %lld observations of %lld units over %lld periods%s\n", model_title(f->model),
          fe_title(f->fe), f->lee_yu ? ", " : "", lee_yu_name(f->lee_yu), (long long)nobs(f), (long long)f->n,
          (long long)f->t, nobs(f) < f->n * f->t ? " (unbalanced)" : "");
  fprintf(out, "\n%-22s %13s %12s %9s %8s\n", "", "Coef.", ml ? "Std. Err." : "Cl. S.E.", "z", "P>|z|");
  fprintf(out, "%.*s\n", 70, "----------------------------------------------------------------------");
  for (size_t j = 0; j < f->k; j++)
    if (!f->fe_dummy || !f->fe_dummy[j]) text_row(out, f->names[j], f->coef[j], f->se[j]);
  for (size_t j = 0; j < m; j++) {
    char lab[40];
    snprintf(lab, sizeof lab, "%s%s", nm[j], j == 0 && f->has_rho && f->rho_at_bound ? " (at bound)" : "");
    text_row(out, lab, xb[j], xse[j]);
  }
  fprintf(out, "%.*s\n", 70, "----------------------------------------------------------------------");
  fprintf(out, "sigma2 %.6g   log-likelihood %.4f   AIC %.4f\n", f->sigma2, f->loglik, f->aic);
  if (!ml && f->fe != SPILL_FE_NONE)
    if (isfinite(f->r2))
      fprintf(out, "R-squared: within %.4f, overall %.4f (Stata xtreg, fe: corr(y, xb)^2)\n", f->r2_within, f->r2);
    else /* absorbed extra fixed effects: reghdfe reports no overall R-squared either */
      fprintf(out, "R-squared: within %.4f (no overall R-squared with absorbed fixed effects)\n", f->r2_within);
  else if (!ml)
    fprintf(out, "R-squared %.4f\n", f->r2_within);
  else if (isfinite(f->r2_within))
    fprintf(out, "R-squared (corr^2 of y and the fit) %.4f   within R-squared %.4f\n", f->r2, f->r2_within);
  else
    fprintf(out, "R-squared (corr^2 of y and the fit) %.4f   within R-squared: not defined for this model\n",
            f->r2);
  if (ml && f->has_phi)
    fprintf(out, "log-det: %s; %s in (%.4g, %.4g); slope SEs s2 (X*'X*)^-1 (GLS), %s and phi from a "
                 "numerical Hessian (as R splm)\n",
            f->logdet_method, rho_name(f), f->rho_lo, f->rho_hi, rho_name(f));
  else if (ml)
    fprintf(out, "log-det: %s; %s in (%.4g, %.4g); SEs from the analytic information matrix\n",
            f->logdet_method, rho_name(f), f->rho_lo, f->rho_hi);
  else if (f->vce[0])
    fprintf(out, "SEs %s (reghdfe small-sample scaling); absorbed: unit, time%s%s; %.0f degrees of freedom, %lld singletons dropped\n",
            f->vce, f->absorb[0] ? ", " : "", f->absorb, f->absorbed_dof, (long long)f->singletons);
  else
    fprintf(out, "SEs cluster-robust by unit (Stata xtreg, fe vce(cluster id) scaling)\n");
  if (ml && f->trace_probes > 0)
    fprintf(out, "variance traces: Hutchinson, %d probes; Monte Carlo error of the SEs %.2g%% (1 sd)\n",
            f->trace_probes, 100.0 * f->se_mcerr);
  if (ml && f->logdet_err > 0)
    fprintf(out, "log-det at the estimate within %.2g of the exact Cholesky value\n", f->logdet_err);
  /* with time effects the two conventions for the lag of y differ: say which */
  if (f->has_rho && (f->fe == SPILL_FE_TWOWAYS || f->fe == SPILL_FE_TIME))
    fprintf(out, "%s\n", f->splm_wy ? "lag of y: W (Q y), R splm's convention (--wy splm)"
                                    : "lag of y: Q (W y), the within transform of W y (R splm: --wy splm)");
  if (f->model == SPILL_MODEL_SDM && isfinite(f->wald_sar)) {
    fprintf(out, "SDM vs SAR (theta = 0):         LR %9.3f (p %.4g)   Wald %9.3f (p %.4g)\n",
            f->lr_sar, f->lr_sar_p, f->wald_sar, f->wald_sar_p);
    fprintf(out, "SDM vs SEM (theta = -rho beta): LR %9.3f (p %.4g)   Wald %9.3f (p %.4g)\n",
            f->lr_sem, f->lr_sem_p, f->wald_sem, f->wald_sem_p);
  }
  if (f->rho_at_bound)
    fprintf(out, "note: %s is at the %s bound of its interval: its estimate and SE are not reliable\n", rho_name(f),
            f->rho_at_bound < 0 ? "lower" : "upper");
  for (size_t j = 0; j < f->n_omitted; j++) fprintf(out, "note: %s omitted (constant or collinear)\n", f->omitted[j]);
  if (f->fe_dummy) {
    size_t nd = 0;
    for (size_t j = 0; j < f->k; j++) nd += f->fe_dummy[j];
    fprintf(out, "absorbed as %zu dummy/trend columns (not shown; no W terms, no effects): %s\n", nd, f->absorb);
  }
  fprintf(out, "*** p<0.01, ** p<0.05, * p<0.1\n");
}

static void csv_num(FILE *out, double v)
{
  if (isfinite(v)) fprintf(out, "%.17g", v);
}

static void write_csv(FILE *out, const spill_fit *f)
{
  const char *nm[3];
  double xb[3], xse[3];
  size_t m = extra_params(f, nm, xb, xse);
  fputs("term,estimate,se,z,p,stars\n", out);
  for (size_t j = 0; j < f->k + m; j++) {
    const char *name = j < f->k ? f->names[j] : nm[j - f->k];
    double b = j < f->k ? f->coef[j] : xb[j - f->k], se = j < f->k ? f->se[j] : xse[j - f->k];
    double z = zval(b, se), p = spill__normal_p2(z);
    fprintf(out, "\"%s\",", name);
    csv_num(out, b);
    fputc(',', out);
    csv_num(out, se);
    fputc(',', out);
    csv_num(out, z);
    fputc(',', out);
    csv_num(out, p);
    fprintf(out, ",%s\n", spill__stars(p));
  }
  fprintf(out, "sigma2,");
  csv_num(out, f->sigma2);
  fprintf(out, ",,,,\nloglik,");
  csv_num(out, f->loglik);
  fprintf(out, ",,,,\naic,");
  csv_num(out, f->aic);
  fprintf(out, ",,,,\nr2,");
  csv_num(out, f->r2);
  fprintf(out, ",,,,\nr2_within,");
  csv_num(out, f->r2_within);
  fprintf(out, ",,,,\nobservations,%lld,,,,\nunits,%lld,,,,\nperiods,%lld,,,,\n", (long long)nobs(f),
          (long long)f->n, (long long)f->t);
}

static void latex_name(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("_&%$#{}", *s)) fprintf(out, "\\%c", *s);
    else if (*s == '*') fputs("$\\times$", out);
    else fputc(*s, out);
  }
}

static void write_latex(FILE *out, const spill_fit *f)
{
  fprintf(out, "%% %s; %s\n", model_title(f->model), fe_title(f->fe));
  const char *nm[3];
  double xb[3], xse[3];
  size_t m = extra_params(f, nm, xb, xse);
  fputs("\\begin{tabular}{lc}\n\\toprule\n & (1) \\\\\n\\midrule\n", out);
  for (size_t j = 0; j < f->k + m; j++) {
    double b, se, p;
    if (j < f->k && f->fe_dummy && f->fe_dummy[j]) continue; /* absorbed-effect dummies */
    b = j < f->k ? f->coef[j] : xb[j - f->k];
    se = j < f->k ? f->se[j] : xse[j - f->k];
    p = spill__normal_p2(zval(b, se));
    if (j < f->k) latex_name(out, f->names[j]);
    else fprintf(out, "$\\%s$", nm[j - f->k]);
    fprintf(out, " & %.4f%s%s%s \\\\\n & (%.4f) \\\\\n", b, *spill__stars(p) ? "$^{" : "",
            spill__stars(p), *spill__stars(p) ? "}$" : "", se);
  }
  fputs("\\midrule\n", out);
  fprintf(out, "Fixed effects & %s \\\\\n", spill__fe_name(f->fe));
  fprintf(out, "Observations & %lld \\\\\nUnits & %lld \\\\\nPeriods & %lld \\\\\n", (long long)nobs(f),
          (long long)f->n, (long long)f->t);
  fprintf(out, "$\\sigma^2$ & %.4g \\\\\nLog-likelihood & %.3f \\\\\n", f->sigma2, f->loglik);
  if (!is_ml(f) && f->fe != SPILL_FE_NONE) {
    fprintf(out, "Within $R^2$ & %.4f \\\\\n", f->r2_within);
    if (isfinite(f->r2)) fprintf(out, "Overall $R^2$ & %.4f \\\\\n", f->r2);
  } else
    fprintf(out, "$R^2$ & %.4f \\\\\n", is_ml(f) ? f->r2 : f->r2_within);
  fputs("\\bottomrule\n\\end{tabular}\n", out);
  fprintf(out, "%% Standard errors in parentheses (%s); *** p<0.01, ** p<0.05, * p<0.1\n",
          is_ml(f) ? "asymptotic" : "clustered by unit");
}

int spill_fit_write(spill_ctx *ctx, const spill_fit *f, FILE *out, spill_table_fmt fmt)
{
  switch (fmt) {
  case SPILL_TABLE_TEXT: write_text(out, f); break;
  case SPILL_TABLE_CSV: write_csv(out, f); break;
  case SPILL_TABLE_LATEX: write_latex(out, f); break;
  case SPILL_TABLE_JSON: write_json(out, f); break;
  default: return spill__fail(ctx, SPILL_EINVAL, "unknown table format %d", fmt);
  }
  if (ferror(out)) return spill__fail(ctx, SPILL_EIO, "writing the regression table failed");
  return SPILL_OK;
}

static int write_fit(spill_ctx *ctx, const void *f, FILE *out, int fmt)
{
  return spill_fit_write(ctx, f, out, (spill_table_fmt)fmt);
}

int spill_fit_write_file(spill_ctx *ctx, const spill_fit *f, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_fit, f, (int)fmt, 0);
}

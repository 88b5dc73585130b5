/* IV-2SLS tables: aligned text, CSV, LaTeX (booktabs) and JSON (jansson),
 * the JSON mirroring the fit layout of report.c with a "first_stage" block. */
#include <jansson.h>
#include <math.h>
#include <string.h>
#include "estimation/estimation.h"

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static double zv(double b, double se) { return se > 0 ? b / se : NAN; }

static const char *stars(double p) { return !(p == p) ? "" : p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.1 ? "*" : ""; }

static json_t *iv_json(const spill_iv_result *r)
{
  json_t *o = json_object(), *co = json_array(), *fs = json_object(), *regs = json_array();
  json_object_set_new(o, "model", json_string("iv2sls"));
  json_object_set_new(o, "fe", json_string(spill__fe_name(r->fe)));
  json_object_set_new(o, "depvar", json_string(r->y_name));
  json_object_set_new(o, "n", json_integer(r->n));
  json_object_set_new(o, "t", json_integer(r->t));
  json_object_set_new(o, "observations", json_integer(r->nobs));
  json_object_set_new(o, "units", json_integer(r->units));
  json_object_set_new(o, "clusters", json_integer(r->clusters));
  json_object_set_new(o, "cluster", json_string(r->cluster_name));
  json_object_set_new(o, "sigma2", num(r->sigma2));
  json_object_set_new(o, "r2_within", num(r->r2_within));
  json_object_set_new(o, "se_type", json_string(r->robust ? "robust (ivreg2/ivreghdfe small: N/(N-K))"
                                                : r->clusters2 ? "two-way cluster-robust (ivreg2 cluster(A B), small: "
                                                                 "G/(G-1) (N-1)/(N-K), G = min(G_A, G_B))"
                                                               : "cluster-robust (ivreg2/ivreghdfe small: G/(G-1) (N-1)/(N-K))"));
  {
    char v[300];
    if (r->robust) snprintf(v, sizeof v, "robust");
    else snprintf(v, sizeof v, "cluster %s%s", r->cluster_name, r->clusters2 ? " (two-way)" : "");
    json_object_set_new(o, "vce", json_string(v));
  }
  if (r->clusters2) {
    json_object_set_new(o, "clusters1", json_integer(r->clusters1));
    json_object_set_new(o, "clusters2", json_integer(r->clusters2));
  }
  json_object_set_new(o, "df_k", num(r->df_k));
  json_object_set_new(o, "absorbed_dof", num(r->absorbed));
  json_object_set_new(o, "singletons", json_integer(r->singletons));
  {
    json_t *ab = json_array();
    const char *s = r->absorb ? r->absorb : "";
    while (*s) {
      const char *c = strchr(s, ',');
      size_t len = c ? (size_t)(c - s) : strlen(s);
      json_array_append_new(ab, json_stringn(s, len));
      s += len + (c ? 1 : 0);
    }
    json_object_set_new(o, "absorb", ab);
  }
  for (size_t j = 0; j < r->k; j++) {
    double z = zv(r->coef[j], r->se[j]);
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(r->names[j]));
    json_object_set_new(c, "estimate", num(r->coef[j]));
    json_object_set_new(c, "se", num(r->se[j]));
    json_object_set_new(c, "z", num(z));
    json_object_set_new(c, "p", num(spill__normal_p2(z)));
    json_object_set_new(c, "endogenous", json_boolean(j < r->n_endog));
    json_array_append_new(co, c);
  }
  json_object_set_new(o, "coefficients", co);
  json_object_set_new(fs, "kp_rk_lm", num(r->kp_rk_lm));
  json_object_set_new(fs, "kp_rk_lm_p", num(r->kp_rk_lm_p));
  json_object_set_new(fs, "kp_rk_lm_df", json_integer(r->kp_df));
  json_object_set_new(fs, "kp_rk_wald", num(r->kp_rk_wald));
  json_object_set_new(fs, "kp_rk_wald_f", num(r->kp_rk_wald_f));
  json_object_set_new(fs, "cragg_donald_f", num(r->cragg_donald_f));
  json_object_set_new(fs, "hansen_j", num(r->hansen_j));
  json_object_set_new(fs, "hansen_j_p", num(r->hansen_j_p));
  json_object_set_new(fs, "hansen_j_df", json_integer(r->j_df));
  for (size_t j = 0; j < r->n_endog; j++) {
    const spill_iv_first *f = &r->first[j];
    json_t *reg = json_object(), *cs = json_array();
    json_object_set_new(reg, "endogenous", json_string(f->endog));
    for (size_t a = 0; a < r->n_instr + r->k - r->n_endog; a++) {
      json_t *c = json_object();
      double z = zv(f->coef[a], f->se[a]);
      json_object_set_new(c, "name", json_string(a < r->n_instr ? r->instr_names[a] : r->names[r->n_endog + a - r->n_instr]));
      json_object_set_new(c, "estimate", num(f->coef[a]));
      json_object_set_new(c, "se", num(f->se[a]));
      json_object_set_new(c, "z", num(z));
      json_object_set_new(c, "p", num(spill__normal_p2(z)));
      json_object_set_new(c, "excluded", json_boolean(a < r->n_instr));
      json_array_append_new(cs, c);
    }
    json_object_set_new(reg, "coefficients", cs);
    json_object_set_new(reg, "f_excluded", num(f->f));
    json_object_set_new(reg, "partial_r2", num(f->partial_r2));
    json_array_append_new(regs, reg);
  }
  json_object_set_new(fs, "regressions", regs);
  json_object_set_new(o, "first_stage", fs);
  return o;
}

static const char *fe_text(spill_fe fe)
{
  switch (fe) {
  case SPILL_FE_TWOWAYS: return "unit and time fixed effects";
  case SPILL_FE_UNIT: return "unit fixed effects";
  case SPILL_FE_TIME: return "time fixed effects";
  default: return "no fixed effects";
  }
}

static void tex(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("_&%$#{}", *s)) fputc('\\', out);
    fputc(*s, out);
  }
}

static int write_iv(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_iv_result *r = obj;
  size_t nfs = r->n_instr + r->k - r->n_endog;
  (void)ctx;
  if (fmt == SPILL_TABLE_JSON) {
    json_t *o = iv_json(r);
    int rc = o ? json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER) : -1;
    json_decref(o);
    return rc ? spill__fail(ctx, SPILL_EIO, "could not write the IV JSON") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_CSV) {
    fputs("stage,term,estimate,se,z,p,stars\n", out);
    for (size_t j = 0; j < r->k; j++) {
      double z = zv(r->coef[j], r->se[j]), p = spill__normal_p2(z);
      fprintf(out, "second,%s,%.17g,%.17g,%.17g,%.17g,%s\n", r->names[j], r->coef[j], r->se[j], z, p, stars(p));
    }
    for (size_t j = 0; j < r->n_endog; j++)
      for (size_t a = 0; a < nfs; a++) {
        const spill_iv_first *f = &r->first[j];
        double z = zv(f->coef[a], f->se[a]), p = spill__normal_p2(z);
        fprintf(out, "first:%s,%s,%.17g,%.17g,%.17g,%.17g,%s\n", f->endog,
                a < r->n_instr ? r->instr_names[a] : r->names[r->n_endog + a - r->n_instr], f->coef[a], f->se[a], z,
                p, stars(p));
      }
    fprintf(out, "statistic,kp_rk_lm,%.17g,,,%.17g,\n", r->kp_rk_lm, r->kp_rk_lm_p);
    fprintf(out, "statistic,kp_rk_wald_f,%.17g,,,,\n", r->kp_rk_wald_f);
    fprintf(out, "statistic,cragg_donald_f,%.17g,,,,\n", r->cragg_donald_f);
    if (r->j_df) fprintf(out, "statistic,hansen_j,%.17g,,,%.17g,\n", r->hansen_j, r->hansen_j_p);
    fprintf(out, "statistic,observations,%lld,,,,\nstatistic,clusters,%lld,,,,\n", (long long)r->nobs,
            (long long)r->clusters);
    return SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fputs("\\begin{tabular}{lcc}\n\\toprule\n & First stage & 2SLS \\\\\n\\midrule\n", out);
    for (size_t j = 0; j < r->k; j++) {
      double p = spill__normal_p2(zv(r->coef[j], r->se[j]));
      tex(out, r->names[j]);
      fprintf(out, " & & %.4f%s \\\\\n & & (%.4f) \\\\\n", r->coef[j], stars(p), r->se[j]);
    }
    for (size_t a = 0; a < r->n_instr; a++) {
      const spill_iv_first *f = &r->first[0];
      double p = spill__normal_p2(zv(f->coef[a], f->se[a]));
      tex(out, r->instr_names[a]);
      fprintf(out, " & %.4f%s & \\\\\n & (%.4f) & \\\\\n", f->coef[a], stars(p), f->se[a]);
    }
    fprintf(out, "\\midrule\nKleibergen-Paap rk LM & \\multicolumn{2}{c}{%.3f [p = %.3f]} \\\\\n", r->kp_rk_lm,
            r->kp_rk_lm_p);
    fprintf(out, "Kleibergen-Paap rk Wald F & \\multicolumn{2}{c}{%.3f} \\\\\n", r->kp_rk_wald_f);
    fprintf(out, "Cragg-Donald Wald F & \\multicolumn{2}{c}{%.3f} \\\\\n", r->cragg_donald_f);
    if (r->j_df) fprintf(out, "Hansen J & \\multicolumn{2}{c}{%.3f [p = %.3f]} \\\\\n", r->hansen_j, r->hansen_j_p);
    fprintf(out, "Observations & \\multicolumn{2}{c}{%lld} \\\\\n\\bottomrule\n\\end{tabular}\n", (long long)r->nobs);
    return SPILL_OK;
  }
  fprintf(out, "IV-2SLS, %s", fe_text(r->fe));
  if (r->absorb && *r->absorb) fprintf(out, ", absorbed: %s", r->absorb);
  if (r->robust) fputs("; robust SEs\n", out);
  else if (r->clusters2)
    fprintf(out, "; SEs clustered two-way by %s (%lld and %lld clusters)\n", r->cluster_name,
            (long long)r->clusters1, (long long)r->clusters2);
  else fprintf(out, "; SEs clustered by %s (%lld clusters)\n", r->cluster_name, (long long)r->clusters);
  if (r->singletons) fprintf(out, "Singletons dropped: %lld\n", (long long)r->singletons);
  fprintf(out, "Observations %lld, units %lld, periods %lld; within R-squared %.4f\n\n", (long long)r->nobs,
          (long long)r->units, (long long)r->t, r->r2_within);
  for (size_t j = 0; j < r->n_endog; j++) {
    const spill_iv_first *f = &r->first[j];
    fprintf(out, "First stage: %s\n%-24s %12s %12s %8s %8s\n", f->endog, "", "estimate", "se", "z", "p");
    for (size_t a = 0; a < nfs; a++) {
      double z = zv(f->coef[a], f->se[a]), p = spill__normal_p2(z);
      fprintf(out, "%-24s %12.6f %12.6f %8.3f %8.4f %s\n",
              a < r->n_instr ? r->instr_names[a] : r->names[r->n_endog + a - r->n_instr], f->coef[a], f->se[a], z,
              p, stars(p));
    }
    fprintf(out, "F(excluded instruments) %.3f, partial R-squared %.4f\n\n", f->f, f->partial_r2);
  }
  fprintf(out, "Second stage: %s\n%-24s %12s %12s %8s %8s\n", r->y_name, "", "estimate", "se", "z", "p");
  for (size_t j = 0; j < r->k; j++) {
    double z = zv(r->coef[j], r->se[j]), p = spill__normal_p2(z);
    fprintf(out, "%-24s %12.6f %12.6f %8.3f %8.4f %s\n", r->names[j], r->coef[j], r->se[j], z, p, stars(p));
  }
  fprintf(out, "\nUnderidentification: Kleibergen-Paap rk LM %.4f, chi2(%d) p = %.4f\n", r->kp_rk_lm, r->kp_df,
          r->kp_rk_lm_p);
  fprintf(out, "Weak identification: Kleibergen-Paap rk Wald F %.4f; Cragg-Donald Wald F %.4f\n", r->kp_rk_wald_f,
          r->cragg_donald_f);
  if (r->j_df)
    fprintf(out, "Overidentification: Hansen J %.4f, chi2(%d) p = %.4f\n", r->hansen_j, r->j_df, r->hansen_j_p);
  else fputs("Overidentification: exactly identified (no Hansen J)\n", out);
  return SPILL_OK;
}

int spill_iv_print(spill_ctx *ctx, const spill_iv_result *r, FILE *out, spill_table_fmt fmt)
{
  int rc = write_iv(ctx, r, out, (int)fmt);
  if (!rc && fmt == SPILL_TABLE_JSON) fputc('\n', out);
  return rc;
}

int spill_iv_save(spill_ctx *ctx, const spill_iv_result *r, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_iv, r, (int)fmt, 1);
}

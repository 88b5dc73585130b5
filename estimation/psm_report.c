/* PSM-DID tables: the logit, the balance table as pstest prints it, the
 * matching counts and the DID on the matched sample (text, CSV, LaTeX,
 * JSON via jansson), and the matched units as CSV. */
#include <jansson.h>
#include <math.h>
#include <string.h>
#include "estimation/estimation.h"

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static double zv(double b, double se) { return se > 0 ? b / se : NAN; }
static const char *stars(double p) { return !(p == p) ? "" : p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.1 ? "*" : ""; }

static json_t *psm_json(const spill_psm_result *r)
{
  json_t *o = json_object(), *co = json_array(), *lg = json_array(), *bal = json_array(), *m = json_object();
  json_object_set_new(o, "model", json_string("psm-did"));
  json_object_set_new(o, "fe", json_string("twoways"));
  json_object_set_new(o, "n", json_integer(r->n));
  json_object_set_new(o, "t", json_integer(r->t));
  json_object_set_new(o, "observations", json_integer(r->did_nobs));
  json_object_set_new(o, "units", json_integer(r->did_units));
  json_object_set_new(o, "weight_sum", num(r->did_weight_sum));
  json_object_set_new(o, "se_type", json_string("cluster-robust by unit, frequency weights (G/(G-1) (N-1)/(N-K))"));
  for (size_t j = 0; j < r->did_k; j++) {
    json_t *c = json_object();
    double z = zv(r->did_coef[j], r->did_se[j]);
    json_object_set_new(c, "name", json_string(r->did_names[j]));
    json_object_set_new(c, "estimate", num(r->did_coef[j]));
    json_object_set_new(c, "se", num(r->did_se[j]));
    json_object_set_new(c, "z", num(z));
    json_object_set_new(c, "p", num(spill__normal_p2(z)));
    json_array_append_new(co, c);
  }
  json_object_set_new(o, "coefficients", co);
  for (size_t j = 0; j <= r->n_cov; j++) {
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(j ? r->cov_names[j - 1] : "(constant)"));
    json_object_set_new(c, "estimate", num(r->logit_coef[j]));
    json_object_set_new(c, "se", num(r->logit_se[j]));
    json_array_append_new(lg, c);
  }
  json_object_set_new(m, "treated", json_integer(r->n_treated));
  json_object_set_new(m, "controls", json_integer(r->n_control));
  json_object_set_new(m, "matched_treated", json_integer(r->n_matched_treated));
  json_object_set_new(m, "matched_controls", json_integer(r->n_matched_control));
  json_object_set_new(m, "off_support", json_integer(r->n_off_support));
  json_object_set_new(m, "logit", lg);
  json_object_set_new(m, "logit_loglik", num(r->logit_ll));
  for (size_t j = 0; j < r->n_cov; j++) {
    const spill_psm_balance *b = &r->balance[j];
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(b->name));
    json_object_set_new(c, "mean_treated_unmatched", num(b->mean_t_u));
    json_object_set_new(c, "mean_control_unmatched", num(b->mean_c_u));
    json_object_set_new(c, "bias_unmatched", num(b->bias_u));
    json_object_set_new(c, "t_unmatched", num(b->t_u));
    json_object_set_new(c, "mean_treated_matched", num(b->mean_t_m));
    json_object_set_new(c, "mean_control_matched", num(b->mean_c_m));
    json_object_set_new(c, "bias_matched", num(b->bias_m));
    json_object_set_new(c, "t_matched", num(b->t_m));
    json_object_set_new(c, "bias_reduction", num(b->reduction));
    json_array_append_new(bal, c);
  }
  json_object_set_new(m, "balance", bal);
  json_object_set_new(o, "matching", m);
  return o;
}

static void tex(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("_&%$#{}", *s)) fputc('\\', out);
    fputc(*s, out);
  }
}

static int write_psm(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_psm_result *r = obj;
  if (fmt == SPILL_TABLE_JSON) {
    json_t *o = psm_json(r);
    int rc = o ? json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER) : -1;
    json_decref(o);
    return rc ? spill__fail(ctx, SPILL_EIO, "could not write the PSM JSON") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_CSV) {
    fputs("section,term,a,b,c,d,e\n", out);
    for (size_t j = 0; j < r->did_k; j++) {
      double z = zv(r->did_coef[j], r->did_se[j]);
      fprintf(out, "did,%s,%.17g,%.17g,%.17g,%.17g,%s\n", r->did_names[j], r->did_coef[j], r->did_se[j], z,
              spill__normal_p2(z), stars(spill__normal_p2(z)));
    }
    for (size_t j = 0; j < r->n_cov; j++) {
      const spill_psm_balance *b = &r->balance[j];
      fprintf(out, "balance_unmatched,%s,%.17g,%.17g,%.17g,%.17g,%.17g\n", b->name, b->mean_t_u, b->mean_c_u,
              b->bias_u, b->t_u, b->p_u);
      fprintf(out, "balance_matched,%s,%.17g,%.17g,%.17g,%.17g,%.17g\n", b->name, b->mean_t_m, b->mean_c_m,
              b->bias_m, b->t_m, b->p_m);
    }
    return SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fputs("\\begin{tabular}{llrrrrr}\n\\toprule\nVariable & Sample & Treated & Control & \\%bias & "
          "\\%reduct & t \\\\\n\\midrule\n",
          out);
    for (size_t j = 0; j < r->n_cov; j++) {
      const spill_psm_balance *b = &r->balance[j];
      tex(out, b->name);
      fprintf(out, " & Unmatched & %.4f & %.4f & %.1f & & %.2f \\\\\n", b->mean_t_u, b->mean_c_u, b->bias_u, b->t_u);
      fprintf(out, " & Matched & %.4f & %.4f & %.1f & %.1f & %.2f \\\\\n", b->mean_t_m, b->mean_c_m, b->bias_m,
              b->reduction, b->t_m);
    }
    fputs("\\midrule\n", out);
    for (size_t j = 0; j < r->did_k; j++) {
      double p = spill__normal_p2(zv(r->did_coef[j], r->did_se[j]));
      tex(out, r->did_names[j]);
      fprintf(out, " & DID & \\multicolumn{5}{r}{%.4f%s (%.4f)} \\\\\n", r->did_coef[j], stars(p), r->did_se[j]);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    return SPILL_OK;
  }
  fprintf(out, "Propensity-score logit (Newton-Raphson, %d iterations, log-likelihood %.4f)\n", r->logit_iter,
          r->logit_ll);
  for (size_t j = 0; j <= r->n_cov; j++)
    fprintf(out, "  %-22s %12.6f %12.6f\n", j ? r->cov_names[j - 1] : "(constant)", r->logit_coef[j], r->logit_se[j]);
  fprintf(out, "\nMatching: %lld treated, %lld controls; matched %lld treated, %lld controls; %lld treated off support\n",
          (long long)r->n_treated, (long long)r->n_control, (long long)r->n_matched_treated,
          (long long)r->n_matched_control, (long long)r->n_off_support);
  fprintf(out, "\n%-20s %-9s %10s %10s %8s %8s %8s %7s\n", "Variable", "Sample", "Treated", "Control", "%bias",
          "%reduct", "t", "p>|t|");
  for (size_t j = 0; j < r->n_cov; j++) {
    const spill_psm_balance *b = &r->balance[j];
    fprintf(out, "%-20s %-9s %10.4f %10.4f %8.1f %8s %8.2f %7.3f\n", b->name, "Unmatched", b->mean_t_u, b->mean_c_u,
            b->bias_u, "", b->t_u, b->p_u);
    fprintf(out, "%-20s %-9s %10.4f %10.4f %8.1f %8.1f %8.2f %7.3f\n", "", "Matched", b->mean_t_m, b->mean_c_m,
            b->bias_m, b->reduction, b->t_m, b->p_m);
  }
  fprintf(out, "\nTwo-way FE DID on the matched sample (%lld units, %lld observations, weights sum %.2f per period)\n",
          (long long)r->did_units, (long long)r->did_nobs, r->did_weight_sum);
  fprintf(out, "%-22s %12s %12s %8s %8s\n", "", "estimate", "se", "z", "p");
  for (size_t j = 0; j < r->did_k; j++) {
    double z = zv(r->did_coef[j], r->did_se[j]), p = spill__normal_p2(z);
    fprintf(out, "%-22s %12.6f %12.6f %8.3f %8.4f %s\n", r->did_names[j], r->did_coef[j], r->did_se[j], z, p, stars(p));
  }
  return SPILL_OK;
}

int spill_psm_print(spill_ctx *ctx, const spill_psm_result *r, FILE *out, spill_table_fmt fmt)
{
  int rc = write_psm(ctx, r, out, (int)fmt);
  if (!rc && fmt == SPILL_TABLE_JSON) fputc('\n', out);
  return rc;
}

int spill_psm_save(spill_ctx *ctx, const spill_psm_result *r, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_psm, r, (int)fmt, 1);
}

static int write_matches(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_psm_result *r = obj;
  (void)ctx;
  (void)fmt;
  fputs("id,treated,pscore,support,weight,matches\n", out);
  for (int64_t i = 0; i < r->n; i++) {
    fprintf(out, "%s,%d,%.17g,%d,%.17g,", r->ids[i], r->treated[i], r->pscore[i], r->on_support[i], r->weight[i]);
    if (r->treated[i] && r->match)
      for (int m = 0, first = 1; m < r->k; m++) {
        int64_t j = r->match[(size_t)i * (size_t)r->k + (size_t)m];
        if (j < 0) continue;
        fprintf(out, "%s%s", first ? "" : " ", r->ids[j]);
        first = 0;
      }
    fputc('\n', out);
  }
  return SPILL_OK;
}

int spill_psm_write_matches(spill_ctx *ctx, const spill_psm_result *r, const char *path)
{
  return spill__save_table(ctx, path, write_matches, r, SPILL_TABLE_CSV, 0);
}

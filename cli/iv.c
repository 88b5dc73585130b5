/* spill iv: IV-2SLS with unit and year fixed effects and cluster-robust SEs,
 * first and second stages and the ivreg2 identification statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char iv_help[] =
    "usage: spill iv --data PANEL.csv --id COL --time COL --y COL --endog A[,B] --instr Z1[,Z2..]\n"
    "                [--x C1,C2] [--absorb TERM]... [--vce V | --cluster COL] [--years FROM-TO]\n"
    "                [--fe twoways|unit|time|none] [options]\n"
    "\n"
    "Two-stage least squares with fixed effects partialled out of y, the regressors and the\n"
    "instruments alike, as Stata ivreghdfe (ivreg2 with absorb()): the first stages, the second\n"
    "stage, the Kleibergen-Paap rk LM (underidentification) and rk Wald F (weak identification)\n"
    "statistics, the Cragg-Donald Wald F and, when overidentified, Hansen J. An unbalanced panel\n"
    "is used as it is.\n"
    "\n"
    "  --data FILE       long-format panel (.csv, .dta), one row per unit and period\n"
    "  --id, --time, --y the unit, period and outcome columns\n"
    "  --endog A,B       endogenous regressors (e.g. the treatment; a product as did:lnhc)\n"
    "  --instr Z1,Z2     excluded instruments (at least as many as --endog; none of them a regressor;\n"
    "                    a product as z:lnhc)\n"
    "  --x C1,C2         exogenous controls (instrument themselves); a*b gives a, b, a:b\n"
    "  --fe F            twoways (default), unit, time, none (then a constant unless --absorb)\n"
    "  --absorb TERM     further absorbed effects beside --fe (repeat): COL (a factor fixed within\n"
    "                    units), COL#year (e.g. province-by-year), COL#c.year (province linear\n"
    "                    trends); by alternating projections, singletons dropped (as ivreghdfe)\n"
    "  --vce V           cluster COL (default: cluster by the unit), cluster COL1#COL2 (two-way,\n"
    "                    Cameron-Gelbach-Miller), robust. COL: the id or time column, or a column\n"
    "                    fixed within units (text or numbers), as in spill fit --vce\n"
    "  --cluster COL     one-way clusters from a numeric column that may vary within units\n"
    "  --years FROM-TO   keep the periods FROM to TO (inclusive), e.g. --years 2005-2015\n"
    "  --format F        text (default), csv, latex, json on stdout\n"
    "  --json FILE, --csv FILE, --latex FILE   tables written atomically (the JSON is what\n"
    "                    `spill table` reads: \"coefficients\" and \"first_stage\")\n"
    "\n"
    "Standard errors (ivreg2/ivreghdfe with small):\n"
    "  V = c (Xh'Xh)^-1 M (Xh'Xh)^-1, Xh the first-stage fitted regressors,\n"
    "  one-way cluster: M = sum_g Xh_g'e_g e_g'Xh_g, c = G/(G-1) (N-1)/(N-K);\n"
    "  two-way: M = M_A + M_B - M_AB (unscaled), c with G = min(G_A, G_B), as ivreg2\n"
    "  cluster(A B); robust: c = N/(N-K) (each observation a cluster). K = the regressors +\n"
    "  the absorbed degrees of freedom counted as reghdfe: a fixed effect nested in a\n"
    "  clustering (the units in provinces) counts 0, the constant then 1. The rk Wald F is\n"
    "  rk/L1 (N-K1)/(N-1) (G-1)/G, K1 the first-stage K (robust: rk/L1 (N-K1)/N); Hansen J\n"
    "  and the rk statistics use the same (two-way) meat, without small-sample factors.\n"
    "\n"
    "examples:\n"
    "  spill iv --data cities.csv --id city --time year --y lngdp --endog pilot \\\n"
    "           --instr slope,dist_port --x lnpop,fdi --json iv.json\n"
    "  spill iv --data cities.csv --id city --time year --y lngdp --endog pilot \\\n"
    "           --instr slope --absorb prov#year --vce cluster prov#year --format latex > iv.tex\n";

int cmd_iv(int argc, char **argv)
{
  const char *data = NULL, *id = NULL, *time = NULL, *y = NULL, *endog = NULL, *instr = NULL, *x = NULL;
  const char *cluster = NULL, *json = NULL, *csv = NULL, *latex = NULL, *vce = NULL;
  const char *absorb[16];
  char vce_buf[200];
  size_t n_absorb = 0;
  int format = 0, rc = CLI_FAIL, has_years = 0;
  long year_from = 0, year_to = 0;
  spill_fe fe = SPILL_FE_TWOWAYS;
  char **le = NULL, **li = NULL, **lx = NULL, **cols = NULL;
  size_t ne = 0, ni = 0, nx = 0, nc = 0, ccol = 0, *ie = NULL, *ii = NULL, *ix = NULL;
  int64_t *cl = NULL;
  spill_ctx *ctx = NULL;
  spill_panel *p = NULL;
  spill_iv_result *r = NULL;
  spill_iv_opts o;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL, **slot = NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(iv_help, stdout);
      return CLI_OK;
    }
    if (!strcmp(a, "--absorb")) {
      if (!v) return cli_usage_error("iv", "--absorb needs a term (prov, prov#year, prov#c.year)");
      if (n_absorb >= 16) return cli_usage_error("iv", "at most 16 --absorb");
      absorb[n_absorb++] = v;
      i++;
      continue;
    }
    if (!strcmp(a, "--vce")) {
      if (!v) return cli_usage_error("iv", "--vce needs robust or cluster COL[#COL2]");
      if (!strcmp(v, "cluster")) {
        if (i + 2 >= argc) return cli_usage_error("iv", "--vce cluster needs a column (COL or COL1#COL2)");
        snprintf(vce_buf, sizeof vce_buf, "cluster %s", argv[i + 2]);
        i += 2;
      } else if (!strcmp(v, "robust") || !strncmp(v, "cluster ", 8)) {
        snprintf(vce_buf, sizeof vce_buf, "%s", v);
        i++;
      } else {
        return cli_usage_error("iv", "--vce '%s': expected robust or cluster COL[#COL2]", v);
      }
      vce = vce_buf;
      continue;
    }
    if (!strcmp(a, "--years")) {
      char *end = NULL;
      if (!v) return cli_usage_error("iv", "--years needs FROM-TO (e.g. 2005-2015)");
      year_from = strtol(v, &end, 10);
      if (end == v || *end != '-' || (year_to = strtol(end + 1, &end, 10), *end) || year_from > year_to)
        return cli_usage_error("iv", "--years '%s': expected FROM-TO with FROM <= TO (e.g. 2005-2015)", v);
      has_years = 1;
      i++;
      continue;
    }
    if (!strcmp(a, "--data")) slot = &data;
    else if (!strcmp(a, "--id")) slot = &id;
    else if (!strcmp(a, "--time")) slot = &time;
    else if (!strcmp(a, "--y")) slot = &y;
    else if (!strcmp(a, "--endog")) slot = &endog;
    else if (!strcmp(a, "--instr")) slot = &instr;
    else if (!strcmp(a, "--x")) slot = &x;
    else if (!strcmp(a, "--cluster")) slot = &cluster;
    else if (!strcmp(a, "--json")) slot = &json;
    else if (!strcmp(a, "--csv")) slot = &csv;
    else if (!strcmp(a, "--latex")) slot = &latex;
    else if (strcmp(a, "--fe") && strcmp(a, "--format")) return cli_usage_error("iv", "unknown option '%s'", a);
    if (!v) return cli_usage_error("iv", "%s needs a value", a);
    i++;
    if (slot) *slot = v;
    else if (!strcmp(a, "--fe")) {
      if (!strcmp(v, "twoways")) fe = SPILL_FE_TWOWAYS;
      else if (!strcmp(v, "unit")) fe = SPILL_FE_UNIT;
      else if (!strcmp(v, "time")) fe = SPILL_FE_TIME;
      else if (!strcmp(v, "none")) fe = SPILL_FE_NONE;
      else return cli_usage_error("iv", "unknown --fe '%s' (twoways, unit, time, none)", v);
    } else {
      if (!strcmp(v, "text")) format = SPILL_TABLE_TEXT;
      else if (!strcmp(v, "csv")) format = SPILL_TABLE_CSV;
      else if (!strcmp(v, "latex")) format = SPILL_TABLE_LATEX;
      else if (!strcmp(v, "json")) format = SPILL_TABLE_JSON;
      else return cli_usage_error("iv", "unknown --format '%s' (text, csv, latex, json)", v);
    }
  }
  if (!data || !id || !time || !y) return cli_usage_error("iv", "--data, --id, --time and --y are required");
  if (!endog) return cli_usage_error("iv", "--endog is required (the endogenous regressor, e.g. the treatment)");
  if (!instr) return cli_usage_error("iv", "no instrument: give the excluded instruments with --instr Z1,Z2");
  if (cluster && vce)
    return cli_usage_error("iv", "give --vce or --cluster, not both (--vce cluster COL1#COL2 for two-way)");
  if (!(le = cli_split_list(endog, &ne)) || !(li = cli_split_list(instr, &ni)) || (x && !(lx = cli_split_list(x, &nx))))
    goto oom;
  if (ni < ne)
    return cli_free_list(le), cli_free_list(li), cli_free_list(lx),
           cli_usage_error("iv", "%zu instrument(s) for %zu endogenous regressor(s): the equation is not identified",
                           ni, ne);
  for (size_t j = 0; j < ni; j++) {
    const char *hit = NULL;
    for (size_t a = 0; a < ne && !hit; a++)
      if (!strcmp(li[j], le[a])) hit = "--endog";
    for (size_t a = 0; a < nx && !hit; a++)
      if (!strcmp(li[j], lx[a])) hit = "--x";
    if (hit) {
      rc = cli_usage_error("iv", "'%s' is both an excluded instrument (--instr) and a regressor (%s): an excluded "
                                 "instrument must not enter the equation",
                           li[j], hit);
      goto done;
    }
  }
  nc = ne + ni + nx + (cluster ? 1 : 0);
  cols = calloc(nc + 1, sizeof *cols);
  ie = malloc((ne + 1) * sizeof *ie);
  ii = malloc((ni + 1) * sizeof *ii);
  ix = malloc((nx + 1) * sizeof *ix);
  if (!cols || !ie || !ii || !ix) goto oom;
  {
    size_t c = 0;
    for (size_t j = 0; j < ne; j++) ie[j] = c, cols[c++] = le[j];
    for (size_t j = 0; j < ni; j++) ii[j] = c, cols[c++] = li[j];
    for (size_t j = 0; j < nx; j++) ix[j] = c, cols[c++] = lx[j];
    if (cluster) cols[c++] = (char *)cluster;
    for (size_t a = 0; a < c; a++)
      for (size_t b = a + 1; b < c; b++)
        if (!strcmp(cols[a], cols[b]) && !(cluster && b == c - 1)) {
          rc = cli_usage_error("iv", "column '%s' is listed twice among --endog, --instr and --x", cols[a]);
          goto done;
        }
  }
  for (size_t j = 0; j < ne + ni; j++)
    if (strchr(j < ne ? le[j] : li[j - ne], '*')) {
      rc = cli_usage_error("iv", "%s %s: a product in --endog or --instr is written a:b (the product alone); "
                                 "put its main effects where they belong (--x a,b or --endog/--instr)",
                           j < ne ? "--endog" : "--instr", j < ne ? le[j] : li[j - ne]);
      goto done;
    }
  ctx = cli_ctx_new();
  spill_ctx_set_x_terms(ctx, "--x"); /* a*b and a:b: the columns are found by name below */
  {
    spill_panel_spec spec = {id, time, y, NULL, NULL, (const char *const *)cols, nc, 0};
    if (!(p = spill_panel_read_csv_unbalanced(ctx, data, &spec)) ||
        (has_years && spill_panel_keep_years(ctx, p, year_from, year_to))) {
      rc = cli_fail(ctx);
      goto done;
    }
  }
  /* Roles by name in the columns read (terms expanded): the endogenous
   * regressors, the instruments, the cluster column; every other column is
   * an exogenous control, in the order read. */
  {
    size_t kc = (size_t)-1, got = 0;
    unsigned char *role = calloc(p->nx + 1, 1);
    free(ix);
    ix = malloc((p->nx + 1) * sizeof *ix);
    if (!role || !ix) {
      free(role);
      goto oom;
    }
    for (size_t j = 0; j < ne + ni + (cluster ? 1 : 0); j++) {
      const char *name = j < ne ? le[j] : j < ne + ni ? li[j - ne] : cluster;
      size_t k = 0;
      while (k < p->nx && strcmp(p->x_names[k], name)) k++;
      if (k == p->nx) { /* not expected: every name was asked for */
        fprintf(stderr, "spill: iv: column '%s' was not read from %s\n", name, data);
        free(role);
        goto done;
      }
      if (role[k] && j < ne + ni) {
        free(role);
        rc = cli_usage_error("iv", "column '%s' is listed twice among --endog, --instr and --x", name);
        goto done;
      }
      if (j < ne + ni) role[k] = (unsigned char)(j < ne ? 1 : 2);
      else { /* the cluster column stays a control when --x lists it too */
        int in_x = 0;
        for (size_t a = 0; a < nx; a++) in_x |= !strcmp(lx[a], name);
        if (!in_x && !role[k]) role[k] = 3;
      }
      if (j < ne) ie[j] = k;
      else if (j < ne + ni) ii[j - ne] = k;
      else kc = k;
    }
    for (size_t k = 0; k < p->nx; k++)
      if (!role[k]) ix[got++] = k;
    nx = got;
    free(role);
    if (cluster) ccol = kc;
  }
  if (cluster) {
    size_t nt = (size_t)(p->n * p->t);
    const double *cv = p->x + ccol * nt;
    if (!(cl = malloc(nt * sizeof *cl))) goto oom;
    for (size_t q = 0; q < nt; q++) {
      if (cv[q] != (double)(int64_t)cv[q] && !(p->obs && !p->obs[q])) {
        fprintf(stderr, "spill: --cluster %s must hold integer codes (found %g); --vce cluster %s takes text\n",
                cluster, cv[q], cluster);
        goto done;
      }
      cl[q] = (int64_t)cv[q];
    }
  }
  spill_iv_opts_init(&o);
  o.fe = fe;
  o.endog = ie;
  o.n_endog = ne;
  o.instr = ii;
  o.n_instr = ni;
  o.exog = ix;
  o.n_exog = nx;
  o.cluster = cl;
  o.cluster_name = cluster;
  o.path = data;
  o.id_col = id;
  o.time_col = time;
  o.absorb = absorb;
  o.n_absorb = n_absorb;
  o.vce = vce;
  if (!(r = spill_iv_fit(ctx, p, &o)) || spill_iv_print(ctx, r, stdout, (spill_table_fmt)format) ||
      (json && spill_iv_save(ctx, r, json, SPILL_TABLE_JSON)) || (csv && spill_iv_save(ctx, r, csv, SPILL_TABLE_CSV)) ||
      (latex && spill_iv_save(ctx, r, latex, SPILL_TABLE_LATEX))) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
  goto done;
oom:
  fputs("spill: out of memory\n", stderr);
done:
  spill_iv_result_free(r);
  spill_panel_free(p);
  if (ctx) cli_ctx_free(ctx);
  cli_free_list(le);
  cli_free_list(li);
  cli_free_list(lx);
  free(cols);
  free(ie);
  free(ii);
  free(ix);
  free(cl);
  return rc;
}

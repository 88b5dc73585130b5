/* spill moran: global Moran's I and Geary's C of a variable by period (and
 * pooled), or of least-squares residuals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dep_input.h"

static const char help[] =
    "usage: spill moran (--data PANEL.csv --id COL --time COL | --map MAP.shp) --var COL\n"
    "                   (--w W.gal | --contiguity queen|rook) [options]\n"
    "\n"
    "Global Moran's I and Geary's C of a variable, period by period and pooled\n"
    "over all periods (I_T x W), with the expectation, variance and z under\n"
    "normality and under randomisation (Cliff and Ord 1981; spdep moran.test,\n"
    "geary.test) and a permutation pseudo p-value. p-values are one-sided for\n"
    "positive spatial autocorrelation, as spdep's default.\n"
    "\n";

static const char help2[] =
    "options:\n"
    "  --perm R            permutations for the pseudo p-value (e.g. 999; default 0: none)\n"
    "  --seed S            seed of the permutations (default 1): the same seed, the same p\n"
    "  --resid             test the least-squares residuals of --var on --x instead:\n"
    "                      a cross-section (a map, or one period) gets the exact moments\n"
    "                      of Moran's I for residuals (spdep lm.morantest); a panel gets\n"
    "                      the residuals of the --fe within fit, tested period by period\n"
    "                      (use --perm there: the variable moments are approximate)\n"
    "  --x A,B             regressors for --resid (CSV columns or DBF fields); a*b adds a, b\n"
    "                      and their product a:b, a:b the product alone\n"
    "  --fe F              with --resid on a panel: twoways (default), unit, time, none\n"
    "  --format F          text (default), csv, latex, json\n"
    "  --out FILE          also write the table to FILE (format from --format, or from\n"
    "                      the extension .csv .tex .json)\n"
    "  -h, --help          this text\n"
    "\n"
    "examples:\n"
    "  spill moran --map columbus.shp --var CRIME --contiguity queen --perm 999\n"
    "  spill moran --data panel.csv --id city --time year --var lngdp --w queen.gal \\\n"
    "              --perm 999 --seed 42 --format latex --out moran.tex\n"
    "  spill moran --data panel.csv --id city --time year --var lngdp --w queen.gal \\\n"
    "              --years 2010-2015 --resid --x lnpop*fdi\n";

static int fmt_of(const char *s)
{
  static const char *names[] = {"text", "csv", "latex", "json"};
  for (int k = 0; k < 4; k++)
    if (!strcmp(s, names[k])) return k;
  return -1;
}

static int fmt_of_path(const char *path, int dflt)
{
  const char *dot = strrchr(path, '.');
  if (!dot) return dflt;
  if (!strcmp(dot, ".csv")) return SPILL_TABLE_CSV;
  if (!strcmp(dot, ".tex")) return SPILL_TABLE_LATEX;
  if (!strcmp(dot, ".json")) return SPILL_TABLE_JSON;
  if (!strcmp(dot, ".txt")) return SPILL_TABLE_TEXT;
  return dflt;
}

int cmd_moran(int argc, char **argv)
{
  dep_input in = {0};
  dep_loaded L = {0};
  spill_ctx *ctx;
  spill_moran_table *tab = NULL;
  double *e = NULL;
  long perm = 0, seed = 1;
  int fmt = SPILL_TABLE_TEXT, resid = 0, rc = CLI_FAIL, fmt_set = 0;
  spill_fe fe = SPILL_FE_TWOWAYS;
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r;
    if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      fputs(help, stdout);
      fputs(dep_input_help, stdout);
      fputs(help2, stdout);
      return CLI_OK;
    }
    if ((r = dep_input_option("moran", argc, argv, &i, &in)) < 0) return CLI_USAGE;
    if (r) continue;
    if (!strcmp(o, "--resid")) {
      resid = 1;
      continue;
    }
    if (!v) return cli_usage_error("moran", "unknown option or missing value: '%s'", o);
    if (!strcmp(o, "--perm")) {
      if (cli_parse_long("moran", o, v, &perm)) return CLI_USAGE;
      if (perm < 0 || perm > 1000000) return cli_usage_error("moran", "--perm is 0 to 1000000");
    } else if (!strcmp(o, "--seed")) {
      if (cli_parse_long("moran", o, v, &seed)) return CLI_USAGE;
    } else if (!strcmp(o, "--format")) {
      if ((fmt = fmt_of(v)) < 0) return cli_usage_error("moran", "unknown --format '%s' (text, csv, latex, json)", v);
      fmt_set = 1;
    } else if (!strcmp(o, "--out")) {
      out = v;
    } else if (!strcmp(o, "--fe")) {
      if (!strcmp(v, "twoways")) fe = SPILL_FE_TWOWAYS;
      else if (!strcmp(v, "unit")) fe = SPILL_FE_UNIT;
      else if (!strcmp(v, "time")) fe = SPILL_FE_TIME;
      else if (!strcmp(v, "none")) fe = SPILL_FE_NONE;
      else return cli_usage_error("moran", "unknown --fe '%s' (twoways, unit, time, none)", v);
    } else {
      return cli_usage_error("moran", "unknown option '%s'", o);
    }
    i++;
  }
  if (dep_input_check("moran", &in, 0)) return CLI_USAGE;
  if (resid && !in.x) return cli_usage_error("moran", "--resid needs --x (the regressors)");
  ctx = cli_ctx_new();
  if ((rc = dep_load(ctx, &in, &L))) goto done;
  rc = CLI_FAIL;
  {
    const double *v = L.p->y;
    char name[160];
    snprintf(name, sizeof name, "%s", in.var);
    if (resid) {
      if (L.p->t == 1) { /* exact moments for residuals */
        spill_moran_resid mr;
        if (spill_moran_residuals(ctx, L.p, L.w, &mr)) {
          rc = cli_fail(ctx);
          goto done;
        }
        if (fmt == SPILL_TABLE_TEXT)
          printf("Moran's I of OLS residuals (%s on %s; spdep lm.morantest moments, normality):\n"
                 "  I = %.6f  E(I) = %.6f  Var = %.6f  z = %.4f  p (one-sided) = %.4g\n\n",
                 in.var, in.x, mr.moran_i, mr.e, mr.var, mr.z, mr.p);
      }
      if (!(e = malloc((size_t)(L.p->n * L.p->t) * sizeof *e))) goto done;
      if (spill_ls_residuals(ctx, L.p, L.w, L.p->t == 1 ? SPILL_FE_NONE : fe, e)) {
        rc = cli_fail(ctx);
        goto done;
      }
      v = e;
      snprintf(name, sizeof name, "residuals of %s", in.var);
    }
    tab = spill_moran_by_period(ctx, L.w, v, L.p->t, in.map ? NULL : L.p->times, name, (int)perm, (uint64_t)seed);
    if (!tab) {
      rc = cli_fail(ctx);
      goto done;
    }
    if (resid && fmt == SPILL_TABLE_TEXT)
      puts("(the moments below treat the residuals as a variable: rely on the permutation p or the LM tests)");
  }
  if (spill_moran_table_print(ctx, tab, stdout, fmt)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (out && spill_moran_table_save(ctx, tab, out, fmt_set ? fmt : fmt_of_path(out, fmt))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (out && fmt == SPILL_TABLE_TEXT) printf("Written: %s\n", out);
  rc = CLI_OK;
done:
  free(e);
  spill_moran_table_free(tab);
  dep_loaded_free(&L);
  cli_ctx_free(ctx);
  return rc;
}

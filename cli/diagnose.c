/* spill diagnose: the model-choice section in one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dep_input.h"

static const char help[] =
    "usage: spill diagnose --data PANEL.csv --id COL --time COL --y COL --x A,B\n"
    "                      --w W.gal [options]\n"
    "\n"
    "The model-choice section of a spatial panel study in one table, each row\n"
    "with a one-line reading:\n"
    "  Moran's I of y, period by period and pooled (randomisation, or --perm);\n"
    "  LM-lag, LM-error, their robust forms and SARMA after least squares with\n"
    "    no, unit, time and two-way fixed effects (Anselin et al. 1996; Elhorst\n"
    "    2014, sec. 3.5; the same statistics as R splm slmtest(model = \"within\"));\n"
    "  LR tests of the joint significance of unit and time effects (Elhorst);\n"
    "  Hausman (FE vs RE) (filled when the random-effects models are built in);\n"
    "  Wald and LR tests of the SDM against the SAR (theta = 0) and the SEM\n"
    "    (theta = -rho beta), from the ML fit of the SDM.\n"
    "\n"
    "options:\n"
    "  --data FILE --id COL --time COL --y COL   the panel (long CSV)\n"
    "  --x A,B             regressors (controls); a*b adds a, b and their product a:b,\n"
    "                      a:b the product alone; --treat COL or --adopt COL adds\n"
    "                      a treatment as one more regressor (did*m: its product with m)\n"
    "  --w FILE            weights; --style S (default W: row-standardise)\n"
    "  --drop-incomplete   drop units with missing periods\n"
    "  --years FROM-TO     keep the periods FROM to TO (inclusive; rows outside are ignored)\n"
    "  --perm R            permutation p-values for Moran's I (default 0: none)\n"
    "  --seed S            seed of the permutations (default 1)\n"
    "  --wy M              with time effects: exact (default: Q W y, the within\n"
    "                      transform of the lag) or splm (W Q y, as splm and Elhorst's\n"
    "                      code); see README, \"Spatial dependence tests\"\n"
    "  --sdm-fe F          fixed effects of the SDM fit: twoways (default), unit, time, none\n"
    "  --no-sdm            leave the SDM fit and its tests out\n"
    "  --alpha A           level of the readings (default 0.05)\n"
    "  --format F          text (default), csv, latex, json\n"
    "  --out FILE          also write the table (format from --format or the extension)\n"
    "  -h, --help          this text\n"
    "\n"
    "examples:\n"
    "  spill diagnose --data produc.csv --id state --time year --y lgsp \\\n"
    "                 --x lpcap,lpc,lemp,unemp --w usaww.csv --perm 999\n"
    "  spill diagnose --data produc.csv --id state --time year --y lgsp \\\n"
    "                 --x lpcap*lpc,lemp --w usaww.csv --years 1975-1986\n";

static int fmt_of(const char *s)
{
  static const char *names[] = {"text", "csv", "latex", "json"};
  for (int k = 0; k < 4; k++)
    if (!strcmp(s, names[k])) return k;
  return -1;
}

int cmd_diagnose(int argc, char **argv)
{
  dep_input in = {0};
  dep_loaded L = {0};
  spill_ctx *ctx;
  spill_diagnose_opts o;
  spill_diagnose *d = NULL;
  int fmt = SPILL_TABLE_TEXT, fmt_set = 0, rc = CLI_FAIL;
  const char *out = NULL;
  spill_diagnose_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (!strcmp(a, "--map") || !strcmp(a, "--contiguity"))
      return cli_usage_error("diagnose", "diagnose reads a panel (--data); use spill moran / lisa for a map");
    if ((r = dep_input_option("diagnose", argc, argv, &i, &in)) < 0) return CLI_USAGE;
    if (r) continue;
    if (!strcmp(a, "--no-sdm")) {
      o.no_sdm = 1;
      continue;
    }
    if (!v) return cli_usage_error("diagnose", "unknown option or missing value: '%s'", a);
    if (!strcmp(a, "--perm")) {
      long p;
      if (cli_parse_long("diagnose", a, v, &p)) return CLI_USAGE;
      if (p < 0 || p > 100000) return cli_usage_error("diagnose", "--perm is 0 to 100000");
      o.perm = (int)p;
    } else if (!strcmp(a, "--seed")) {
      long s;
      if (cli_parse_long("diagnose", a, v, &s)) return CLI_USAGE;
      o.seed = (uint64_t)s;
    } else if (!strcmp(a, "--alpha")) {
      if (cli_parse_double("diagnose", a, v, &o.alpha)) return CLI_USAGE;
      if (!(o.alpha > 0 && o.alpha < 1)) return cli_usage_error("diagnose", "--alpha is in (0, 1)");
    } else if (!strcmp(a, "--wy")) {
      if (!strcmp(v, "exact")) o.splm_wy = 0;
      else if (!strcmp(v, "splm")) o.splm_wy = 1;
      else return cli_usage_error("diagnose", "--wy is exact or splm");
    } else if (!strcmp(a, "--sdm-fe")) {
      if (!strcmp(v, "twoways")) o.sdm_fe = SPILL_FE_TWOWAYS;
      else if (!strcmp(v, "unit")) o.sdm_fe = SPILL_FE_UNIT;
      else if (!strcmp(v, "time")) o.sdm_fe = SPILL_FE_TIME;
      else if (!strcmp(v, "none")) o.sdm_fe = SPILL_FE_NONE;
      else return cli_usage_error("diagnose", "unknown --sdm-fe '%s' (twoways, unit, time, none)", v);
    } else if (!strcmp(a, "--format")) {
      if ((fmt = fmt_of(v)) < 0) return cli_usage_error("diagnose", "unknown --format '%s' (text, csv, latex, json)", v);
      fmt_set = 1;
    } else if (!strcmp(a, "--out")) {
      out = v;
    } else {
      return cli_usage_error("diagnose", "unknown option '%s'", a);
    }
    i++;
  }
  if (!in.data) return cli_usage_error("diagnose", "--data PANEL.csv is required");
  if (!in.x && !in.treat && !in.adopt) return cli_usage_error("diagnose", "--x (regressors) is required");
  if (dep_input_check("diagnose", &in, 0)) return CLI_USAGE;
  ctx = cli_ctx_new();
  if ((rc = dep_load(ctx, &in, &L))) goto done;
  rc = CLI_FAIL;
  if (!(d = spill_diagnose_run(ctx, L.p, L.w, &o)) || spill_diagnose_print(ctx, d, stdout, fmt)) {
    rc = cli_fail(ctx);
    goto done;
  }
  if (out) {
    int f = fmt;
    if (!fmt_set) {
      const char *dot = strrchr(out, '.');
      f = !dot ? fmt : !strcmp(dot, ".csv") ? SPILL_TABLE_CSV : !strcmp(dot, ".tex") ? SPILL_TABLE_LATEX
                     : !strcmp(dot, ".json") ? SPILL_TABLE_JSON : fmt;
    }
    if (spill_diagnose_save(ctx, d, out, f)) {
      rc = cli_fail(ctx);
      goto done;
    }
    if (fmt == SPILL_TABLE_TEXT) printf("Written: %s\n", out);
  }
  rc = CLI_OK;
done:
  spill_diagnose_free(d);
  dep_loaded_free(&L);
  cli_ctx_free(ctx);
  return rc;
}

/* spill psm: propensity-score matching (nearest neighbour or kernel), the
 * balance table, and the two-way FE DID on the matched sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char psm_help[] =
    "usage: spill psm --data PANEL.csv --id COL --time COL --y COL (--treat COL | --adopt COL)\n"
    "                 --cov A,B [--method nearest|kernel] [options]\n"
    "\n"
    "PSM-DID: a logit propensity score of ever being treated (Newton-Raphson) on the covariates\n"
    "at the first period (or unit means), matching of treated units to never-treated ones on the\n"
    "score, the balance table (standardised %bias before/after, t-tests, as psmatch2/pstest), then\n"
    "the two-way FE DID on the matched sample with the matching weights as frequency weights and\n"
    "SEs clustered by unit. The panel must be balanced (--drop-incomplete drops short units).\n"
    "\n"
    "  --cov A,B          propensity-score covariates (also DID controls unless --no-controls);\n"
    "                     a*b adds a, b and their product a:b, a:b the product alone\n"
    "  --years FROM-TO    keep the periods FROM to TO (inclusive; rows outside are ignored)\n"
    "  --unit-means       covariates as unit means (default: first-period values)\n"
    "  --method M         nearest (default) or kernel (Epanechnikov)\n"
    "  --k K              nearest: neighbours per treated unit (default 1)\n"
    "  --no-replace       nearest: without replacement (greedy, highest score first, in rounds)\n"
    "  --caliper C        nearest: maximum |score difference| (absolute; default none)\n"
    "  --bandwidth H      kernel: bandwidth (default 0.06, as psmatch2)\n"
    "  --common           drop treated units outside the controls' score range\n"
    "  --no-controls      DID without the covariates as controls\n"
    "  --drop-incomplete  drop units with missing periods\n"
    "  --format F         text (default), csv, latex, json on stdout\n"
    "  --json FILE, --csv FILE, --latex FILE   tables written atomically\n"
    "  --matches FILE     matched units: id,treated,pscore,support,weight,matches\n"
    "\n"
    "Nearest-neighbour matching follows MatchIt (method = \"nearest\", m.order = \"largest\",\n"
    "std.caliper = FALSE): ties in distance go to the control first in the data.\n"
    "\n"
    "examples:\n"
    "  spill psm --data cities.csv --id city --time year --y lngdp --adopt pilot_year \\\n"
    "            --cov lnpop,fdi,ind2 --caliper 0.01 --json psm.json --matches m.csv\n"
    "  spill psm --data cities.csv --id city --time year --y lngdp --treat did \\\n"
    "            --cov lnpop,fdi --method kernel --bandwidth 0.06 --common --format latex\n"
    "  spill psm --data cities.csv --id city --time year --y lngdp --adopt pilot_year \\\n"
    "            --cov lnpop,fdi*ind2 --years 2008-2019\n";

int cmd_psm(int argc, char **argv)
{
  const char *data = NULL, *id = NULL, *time = NULL, *y = NULL, *treat = NULL, *adopt = NULL, *cov = NULL;
  const char *json = NULL, *csv = NULL, *latex = NULL, *matches = NULL, *years = NULL;
  long year_from = 0, year_to = 0;
  int format = 0, rc = CLI_FAIL, drop = 0;
  char **lc = NULL;
  size_t nc = 0, *ic = NULL;
  spill_ctx *ctx = NULL;
  spill_panel *p = NULL;
  spill_psm_result *r = NULL;
  spill_psm_opts o;
  spill_psm_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL, **slot = NULL;
    double d;
    long l;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(psm_help, stdout);
      return CLI_OK;
    }
    if (!strcmp(a, "--unit-means")) {
      o.unit_means = 1;
      continue;
    }
    if (!strcmp(a, "--no-replace")) {
      o.replace = 0;
      continue;
    }
    if (!strcmp(a, "--common")) {
      o.common = 1;
      continue;
    }
    if (!strcmp(a, "--no-controls")) {
      o.did_controls = 0;
      continue;
    }
    if (!strcmp(a, "--drop-incomplete")) {
      drop = 1;
      continue;
    }
    if (!strcmp(a, "--data")) slot = &data;
    else if (!strcmp(a, "--id")) slot = &id;
    else if (!strcmp(a, "--time")) slot = &time;
    else if (!strcmp(a, "--y")) slot = &y;
    else if (!strcmp(a, "--treat")) slot = &treat;
    else if (!strcmp(a, "--adopt")) slot = &adopt;
    else if (!strcmp(a, "--cov")) slot = &cov;
    else if (!strcmp(a, "--json")) slot = &json;
    else if (!strcmp(a, "--csv")) slot = &csv;
    else if (!strcmp(a, "--latex")) slot = &latex;
    else if (!strcmp(a, "--matches")) slot = &matches;
    else if (!strcmp(a, "--years")) slot = &years;
    else if (strcmp(a, "--method") && strcmp(a, "--k") && strcmp(a, "--caliper") && strcmp(a, "--bandwidth") &&
             strcmp(a, "--format"))
      return cli_usage_error("psm", "unknown option '%s'", a);
    if (!v) return cli_usage_error("psm", "%s needs a value", a);
    i++;
    if (slot) *slot = v;
    else if (!strcmp(a, "--method")) {
      if (!strcmp(v, "nearest")) o.method = SPILL_PSM_NEAREST;
      else if (!strcmp(v, "kernel")) o.method = SPILL_PSM_KERNEL;
      else return cli_usage_error("psm", "unknown --method '%s' (nearest, kernel)", v);
    } else if (!strcmp(a, "--k")) {
      if (cli_parse_long("psm", a, v, &l)) return CLI_USAGE;
      if (l < 1 || l > 100) return cli_usage_error("psm", "--k must be 1..100");
      o.k = (int)l;
    } else if (!strcmp(a, "--caliper")) {
      if (cli_parse_double("psm", a, v, &d)) return CLI_USAGE;
      if (!(d > 0)) return cli_usage_error("psm", "--caliper must be positive");
      o.caliper = d;
    } else if (!strcmp(a, "--bandwidth")) {
      if (cli_parse_double("psm", a, v, &d)) return CLI_USAGE;
      if (!(d > 0)) return cli_usage_error("psm", "--bandwidth must be positive");
      o.bandwidth = d;
    } else {
      if (!strcmp(v, "text")) format = SPILL_TABLE_TEXT;
      else if (!strcmp(v, "csv")) format = SPILL_TABLE_CSV;
      else if (!strcmp(v, "latex")) format = SPILL_TABLE_LATEX;
      else if (!strcmp(v, "json")) format = SPILL_TABLE_JSON;
      else return cli_usage_error("psm", "unknown --format '%s' (text, csv, latex, json)", v);
    }
  }
  if (!data || !id || !time || !y) return cli_usage_error("psm", "--data, --id, --time and --y are required");
  if (!treat == !adopt) return cli_usage_error("psm", "give one of --treat or --adopt");
  if (!cov) return cli_usage_error("psm", "--cov is required (the propensity-score covariates)");
  if (years && cli_parse_years("psm", years, &year_from, &year_to)) return CLI_USAGE;
  if (!(lc = cli_split_list(cov, &nc))) {
    fputs("spill: out of memory\n", stderr);
    return CLI_FAIL;
  }
  ctx = cli_ctx_new();
  {
    spill_panel_spec spec = {id, time, y, treat, adopt, (const char *const *)lc, nc, drop};
    if (!(p = cli_read_panel(ctx, data, &spec, NULL, "--cov", years, year_from, year_to))) {
      rc = cli_fail(ctx);
      goto done;
    }
  }
  /* the covariates after expansion of a*b terms: every column of the panel */
  if (!(ic = malloc((p->nx + 1) * sizeof *ic))) {
    fputs("spill: out of memory\n", stderr);
    goto done;
  }
  for (size_t j = 0; j < p->nx; j++) ic[j] = j;
  o.cov = ic;
  o.n_cov = p->nx;
  if (!(r = spill_psm_run(ctx, p, &o)) || spill_psm_print(ctx, r, stdout, (spill_table_fmt)format) ||
      (json && spill_psm_save(ctx, r, json, SPILL_TABLE_JSON)) ||
      (csv && spill_psm_save(ctx, r, csv, SPILL_TABLE_CSV)) ||
      (latex && spill_psm_save(ctx, r, latex, SPILL_TABLE_LATEX)) ||
      (matches && spill_psm_write_matches(ctx, r, matches))) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
done:
  spill_psm_result_free(r);
  spill_panel_free(p);
  cli_ctx_free(ctx);
  cli_free_list(lc);
  free(ic);
  return rc;
}

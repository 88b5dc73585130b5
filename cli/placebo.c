/* spill placebo: randomisation inference for the TWFE DID and the SDM-DID. */
#include <stdlib.h>
#include <string.h>
#include "did_cli.h"

static const char help[] =
    "usage: spill placebo --data PANEL.csv --id COL --time COL --y COL\n"
    "                     (--treat COL | --adopt COL) [--model twfe|sdm --w W.gal] [options]\n"
    "\n"
    "Placebo test: pilot status reassigned at random --reps times (the number of\n"
    "pilots and each adoption cohort kept), the model refitted each time; the real\n"
    "estimate against the placebo distribution with its permutation p-value, and\n"
    "the figure (kernel density of the placebo estimates, their p-values, the real\n"
    "estimate marked). The same --seed gives the same draws on any number of threads.\n"
    "\n"
    "placebo:\n"
    "  --reps R            replications (default 500)\n"
    "  --seed S            random seed (default 1)\n"
    "  --random-time       random pilots with random adoption years instead\n"
    "  --shift K           instead: move every adoption back K periods, on the periods\n"
    "                      before the first real adoption (one estimate)\n"
    "  --threads N         threads (default: all processors)\n"
    "  --draws-csv FILE    every placebo estimate and its p-value\n";

int cmd_placebo(int argc, char **argv)
{
  cli_did_args a;
  spill_placebo_opts o;
  spill_ctx *ctx;
  spill_panel *p = NULL;
  spill_weights *w = NULL;
  spill_placebo *pl = NULL;
  const char *draws = NULL;
  long threads = 0;
  int rc = CLI_FAIL;
  memset(&a, 0, sizeof a);
  a.cmd = "placebo";
  spill_placebo_opts_init(&o);
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long val;
    int c;
    if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
      fputs(help, stdout);
      fputs(cli_did_help, stdout);
      fputs("\nexample:\n"
            "  spill placebo --data castle.csv --id state --time year --y l_homicide --adopt adopt \\\n"
            "      --reps 500 --seed 7 --plot placebo.png\n"
            "  spill placebo --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --model sdm --w cities.gal --reps 500 --plot placebo_sdm.png --json placebo.json\n"
            "  spill placebo --data panel.csv --id city --time year --y lngdp --adopt pilot \\\n"
            "      --x lnpop,fdi*hc --years 2008-2019 --reps 500\n",
            stdout);
      return CLI_OK;
    }
    c = cli_did_parse(&a, argc, argv, &i);
    if (c < 0) return CLI_USAGE;
    if (c) continue;
    if (!strcmp(op, "--random-time")) {
      o.mode = SPILL_PLACEBO_RANDOM_TIME;
      continue;
    }
    if (!strcmp(op, "--draws-csv")) {
      if (!v) return cli_usage_error(a.cmd, "%s needs a value", op);
      draws = v;
      i++;
      continue;
    }
    if (strcmp(op, "--reps") && strcmp(op, "--seed") && strcmp(op, "--shift") && strcmp(op, "--threads"))
      return cli_usage_error(a.cmd, "unknown option '%s'", op);
    if (!v) return cli_usage_error(a.cmd, "%s needs a value", op);
    if (cli_parse_long(a.cmd, op, v, &val)) return CLI_USAGE;
    i++;
    if (!strcmp(op, "--reps")) {
      if (val < 1 || val > 10000000) return cli_usage_error(a.cmd, "--reps must be 1 to 10000000");
      o.reps = (int)val;
    } else if (!strcmp(op, "--seed")) o.seed = (uint64_t)val;
    else if (!strcmp(op, "--threads")) {
      if (val < 1 || val > 256) return cli_usage_error(a.cmd, "--threads must be 1 to 256");
      threads = val;
    } else {
      if (val < 1) return cli_usage_error(a.cmd, "--shift must be at least 1");
      o.mode = SPILL_PLACEBO_SHIFT;
      o.shift = (int)val;
    }
  }
  if (cli_did_check(&a, 1)) return CLI_USAGE;
  if (o.mode == SPILL_PLACEBO_SHIFT && (a.plot || draws))
    return cli_usage_error(a.cmd, "--shift gives one estimate: no --plot or --draws-csv");
  o.model = a.sdm ? SPILL_MODEL_SDM : SPILL_MODEL_OLS;
  o.logdet = (spill_logdet)a.logdet;
  ctx = cli_ctx_new();
  if (threads) spill_ctx_set_threads(ctx, (int)threads);
  if ((rc = cli_did_load(ctx, &a, NULL, &p, &w))) goto done;
  if (!(pl = spill_placebo_run(ctx, p, a.sdm ? w : NULL, &o))) {
    rc = cli_fail(ctx);
    goto done;
  }
  if ((rc = cli_did_outputs(ctx, &a, pl, (cli_did_printer)spill_placebo_print, (cli_did_saver)spill_placebo_save)))
    goto done;
  if ((draws && spill_placebo_write_draws(ctx, pl, draws)) || (a.plot && spill_placebo_plot(ctx, pl, a.plot, a.title))) {
    rc = cli_fail(ctx);
    goto done;
  }
  rc = CLI_OK;
done:
  spill_placebo_free(pl);
  spill_panel_free(p);
  spill_weights_free(w);
  cli_did_free(&a);
  cli_ctx_free(ctx);
  return rc;
}

/* spill weights subset IN OUT: W cut to the units of a list or a panel,
 * with its style re-applied to the cut matrix (for users who take W to
 * other tools: Stata spmatrix, R spdep, MATLAB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char help[] =
    "usage: spill weights subset IN OUT (--keep FILE | --drop FILE | --ids-from PANEL.csv --id COL)\n"
    "                              [--style S] [--format F]\n"
    "\n"
    "Cut a weight matrix to a sample: keep the units listed (--keep), all but\n"
    "the units listed (--drop), or the units of a panel (--ids-from, its id\n"
    "column --id; each unit counted once). Links to dropped units go; then the\n"
    "style is applied again to the cut matrix, so a row-standardised W is\n"
    "row-standardised over the kept neighbours only. Kept units whose\n"
    "neighbours were all dropped become islands (reported). This is the cut\n"
    "`spill fit` makes when the panel has fewer units than W.\n"
    "\n"
    "options:\n"
    "  --keep FILE      ids to keep: one per line, or a CSV column with --id COL\n"
    "  --drop FILE      ids to drop (same forms)\n"
    "  --ids-from FILE  a panel CSV; --id COL names its unit id column\n"
    "  --id COL         the id column of the --keep/--drop/--ids-from CSV\n"
    "  --style S        style after the cut: W (row-standardise), B, C, U, S, M,\n"
    "                   or G (keep the values); default: W's style as read\n"
    "  --format F       format of OUT (gal, gwt, mtx, csv, dense); default: extension\n"
    "  -h, --help       this text\n"
    "\n"
    "examples:\n"
    "  spill weights subset prefectures_queen.gal sample_queen.gal --ids-from panel.csv --id city --style W\n"
    "  spill weights subset queen.gwt no_municipalities.gwt --drop municipalities.txt\n";

int cmd_weights_subset(int argc, char **argv)
{
  const char *in = NULL, *out = NULL, *keep = NULL, *drop = NULL, *from = NULL, *id = NULL, *style = NULL,
             *fmt = NULL;
  spill_ctx *ctx;
  spill_weights *w = NULL, *cut = NULL;
  spill_wmatch_report rep;
  char **ids = NULL, label[512];
  int64_t nids = 0;
  int rc = CLI_FAIL;
  for (int a = 1; a < argc; a++) {
    const char *o = argv[a];
    const char **slot = NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      fputs(help, stdout);
      return CLI_OK;
    }
    if (!strcmp(o, "--keep")) slot = &keep;
    else if (!strcmp(o, "--drop")) slot = &drop;
    else if (!strcmp(o, "--ids-from")) slot = &from;
    else if (!strcmp(o, "--id")) slot = &id;
    else if (!strcmp(o, "--style")) slot = &style;
    else if (!strcmp(o, "--format")) slot = &fmt;
    else if (o[0] == '-' && o[1]) return cli_usage_error("weights subset", "unknown option '%s'", o);
    if (slot) {
      if (a + 1 >= argc) return cli_usage_error("weights subset", "%s needs a value", o);
      *slot = argv[++a];
    } else if (!in) {
      in = o;
    } else if (!out) {
      out = o;
    } else {
      return cli_usage_error("weights subset", "too many files: '%s'", o);
    }
  }
  if (!in || !out) return cli_usage_error("weights subset", "give an input and an output weight file");
  if (!!keep + !!drop + !!from != 1)
    return cli_usage_error("weights subset", "give exactly one of --keep FILE, --drop FILE, --ids-from PANEL.csv");
  if (from && !id) return cli_usage_error("weights subset", "--ids-from needs --id COL (the panel's unit id column)");
  if (style && (strlen(style) != 1 || !strchr("WBCUSMG", style[0])))
    return cli_usage_error("weights subset", "--style expects one letter: W, B, C, U, S, M or G");
  if (fmt && cli_wformat(fmt) < 0)
    return cli_usage_error("weights subset", "unknown --format '%s' (gal, gwt, mtx, csv, dense)", fmt);
  if (!fmt && spill_wformat_from_path(out) == SPILL_WFMT_AUTO)
    return cli_usage_error("weights subset", "cannot tell the format of '%s': use .gal, .gwt, .mtx or .csv, or --format", out);
  ctx = cli_ctx_new();
  if (!(w = spill_weights_read(ctx, in, SPILL_WFMT_AUTO)) ||
      spill_ids_read(ctx, keep ? keep : drop ? drop : from, id, &ids, &nids) ||
      !(cut = spill_weights_subset_ids(ctx, w, (const char *const *)ids, nids, drop != NULL,
                                       style ? style[0] : (char)w->style, &rep))) {
    rc = cli_fail(ctx);
    goto done;
  }
  printf("Cut: %lld of %lld units kept, %lld dropped%s%s%s\n", (long long)rep.kept, (long long)rep.w_units,
         (long long)rep.w_dropped, rep.w_dropped ? " (" : "", rep.w_dropped_ids, rep.w_dropped ? ")" : "");
  if (rep.new_islands)
    printf("%lld kept unit%s lost all neighbours and %s now island%s: %s\n", (long long)rep.new_islands,
           rep.new_islands == 1 ? "" : "s", rep.new_islands == 1 ? "is" : "are", rep.new_islands == 1 ? "" : "s",
           rep.new_island_ids);
  else
    printf("No kept unit lost all its neighbours\n");
  printf("Style %c applied to the cut matrix\n", rep.style);
  snprintf(label, sizeof label, "%s, cut to %lld units", in, (long long)rep.kept);
  rc = cli_finish_weights(ctx, cut, NULL, out, fmt, label);
done:
  spill_free_ids(ids, nids);
  spill_weights_free(w);
  spill_weights_free(cut);
  cli_ctx_free(ctx);
  return rc;
}

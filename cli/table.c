/* spill table: saved fits (spill fit --json) side by side, esttab-style. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char table_help[] =
    "usage: spill table FIT.json... [-o OUT.txt|csv|tex|html|rtf] [options]\n"
    "\n"
    "Regression table of fits saved with spill fit --json: one column per fit,\n"
    "coefficients with standard errors in parentheses and stars (* p<0.1,\n"
    "** p<0.05, *** p<0.01), rows for unit, time and absorbed fixed effects,\n"
    "controls, observations, units, R-squared, log-likelihood and further\n"
    "statistics the fits carry (first-stage F, matching counts).\n"
    "\n"
    "  -o, --out FILE      write there (format by extension: .txt .csv .tex .html\n"
    "                      .htm .rtf; written atomically); default: text on stdout\n"
    "  --format F          text, csv, latex, html, rtf (overrides the extension)\n"
    "  --t                 t (z) statistics in parentheses instead of standard errors\n"
    "  --nostar            no significance stars\n"
    "  --digits N          decimals (default 3)\n"
    "  --keep A,B          only these coefficients (a trailing * matches a prefix)\n"
    "  --drop A,B          leave these out\n"
    "  --order A,B         these rows first, in this order\n"
    "  --rename A=a,B=b    row labels\n"
    "  --controls A,B      hide these controls (and their W* terms); print a\n"
    "                      \"Controls YES/NO\" row instead\n"
    "  --title TEXT        table title (caption)\n"
    "  --mtitles A,B       column titles, one per fit\n"
    "\n"
    "example:\n"
    "  spill fit --data panel.csv --id city --time year --y y --treat d --model ols --json ols.json\n"
    "  spill fit --data panel.csv --w w.gal --id city --time year --y y --treat d --x x1 --json sdm.json\n"
    "  spill table ols.json sdm.json --mtitles OLS,SDM --controls x1 -o table.tex\n";

static int format_of(const char *name)
{
  static const struct {
    const char *n;
    int f;
  } m[] = {{"text", SPILL_TABLES_TEXT}, {"txt", SPILL_TABLES_TEXT}, {"csv", SPILL_TABLES_CSV},
           {"latex", SPILL_TABLES_TEX}, {"tex", SPILL_TABLES_TEX},  {"html", SPILL_TABLES_HTML},
           {"htm", SPILL_TABLES_HTML},  {"rtf", SPILL_TABLES_RTF}};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (!strcmp(name, m[i].n)) return m[i].f;
  return -1;
}

int cmd_table(int argc, char **argv)
{
  spill_table_opts o;
  spill_table_opts_init(&o);
  const char *out = NULL, *fmtname = NULL;
  const char **paths = calloc((size_t)argc + 1, sizeof *paths);
  char **renames = NULL;
  size_t np = 0, nren = 0;
  int rc = CLI_USAGE;
  if (!paths) return CLI_FAIL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(table_help, stdout);
      rc = CLI_OK;
      goto done;
    }
    if (!strcmp(a, "--t")) {
      o.tstat = 1;
      continue;
    }
    if (!strcmp(a, "--nostar")) {
      o.stars = 0;
      continue;
    }
    if (a[0] == '-' && a[1]) {
      if (!v) {
        cli_usage_error("table", "%s needs a value", a);
        goto done;
      }
      i++;
      if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = v;
      else if (!strcmp(a, "--format")) fmtname = v;
      else if (!strcmp(a, "--title")) o.title = v;
      else if (!strcmp(a, "--digits")) {
        long d;
        if (cli_parse_long("table", a, v, &d)) goto done;
        if (d < 0 || d > 12) {
          cli_usage_error("table", "--digits must be 0 to 12");
          goto done;
        }
        o.digits = (int)d;
      } else if (!strcmp(a, "--keep")) o.keep = cli_split_list(v, &o.n_keep);
      else if (!strcmp(a, "--drop")) o.drop = cli_split_list(v, &o.n_drop);
      else if (!strcmp(a, "--order")) o.order = cli_split_list(v, &o.n_order);
      else if (!strcmp(a, "--controls")) o.controls = cli_split_list(v, &o.n_controls);
      else if (!strcmp(a, "--mtitles")) o.mtitles = cli_split_list(v, &o.n_mtitles);
      else if (!strcmp(a, "--rename")) {
        renames = cli_split_list(v, &nren);
        o.rename_from = calloc(nren + 1, sizeof *o.rename_from);
        o.rename_to = calloc(nren + 1, sizeof *o.rename_to);
        for (size_t j = 0; j < nren; j++) {
          char *eq = strchr(renames[j], '=');
          if (!eq || eq == renames[j]) {
            cli_usage_error("table", "--rename '%s': expected OLD=NEW", renames[j]);
            goto done;
          }
          *eq = 0;
          o.rename_from[j] = renames[j];
          o.rename_to[j] = eq + 1;
        }
        o.n_rename = nren;
      } else {
        cli_usage_error("table", "unknown option '%s'", a);
        goto done;
      }
      continue;
    }
    paths[np++] = a;
  }
  if (!np) {
    cli_usage_error("table", "give one or more fit JSON files (spill fit --json FILE)");
    goto done;
  }
  int format = SPILL_TABLES_TEXT;
  if (fmtname) {
    format = format_of(fmtname);
    if (format < 0) {
      cli_usage_error("table", "unknown --format '%s' (text, csv, latex, html, rtf)", fmtname);
      goto done;
    }
  } else if (out) {
    const char *dot = strrchr(out, '.');
    format = dot ? format_of(dot + 1) : -1;
    if (format < 0) {
      cli_usage_error("table", "%s: unknown extension (use .txt .csv .tex .html .rtf or --format)", out);
      goto done;
    }
  }
  if (o.n_mtitles && o.n_mtitles != np) {
    cli_usage_error("table", "--mtitles has %zu titles for %zu fits", o.n_mtitles, np);
    goto done;
  }
  spill_ctx *ctx = cli_ctx_new();
  char *tmp = NULL;
  FILE *f = out ? cli_out_open(out, &tmp) : stdout;
  if (!f) {
    rc = CLI_FAIL;
  } else {
    int st = spill_table_write(ctx, f, paths, np, &o, (spill_tables_format)format);
    if (st != SPILL_OK) rc = cli_fail(ctx);
    else rc = CLI_OK;
    if (out) {
      int c = cli_out_close(f, tmp, out, st == SPILL_OK);
      if (rc == CLI_OK) rc = c;
    }
  }
  cli_ctx_free(ctx);
done:
  free(paths);
  cli_free_list(o.keep);
  cli_free_list(o.drop);
  cli_free_list(o.order);
  cli_free_list(o.controls);
  cli_free_list(o.mtitles);
  cli_free_list(renames);
  free(o.rename_from);
  free(o.rename_to);
  return rc;
}

/* The effects part of `spill fit`: options, the effects table after a fit,
 * per-city effects, and several W side by side (the seeds' Table 8).
 * cli/fit.c parses its own options and hands the rest to cli_effects_parse. */
#ifndef SPILL_CLI_FIT_EFFECTS_H
#define SPILL_CLI_FIT_EFFECTS_H

#include <stdio.h>
#include "spill.h"

#define CLI_MAX_W 32

typedef struct cli_effects_args {
  int no_effects;              /* --no-effects */
  spill_effects_opts opts;     /* --draws N, --seed S, --effects-method auto|eigen|mc */
  const char *city_csv;        /* --city-effects FILE.csv or FILE.dta */
  int has_at;                  /* --at YEAR given */
  long at;
  const char *effects_out;     /* --effects-out FILE (.txt .csv .tex .json) */
  const char *table_out;       /* --table-out FILE: the several-W table (.txt .csv .tex .json) */
  const char *regressor;       /* --effects-of NAME: the row of the several-W table */
  size_t n_w, n_names;
  const char *w_paths[CLI_MAX_W];  /* every --w, in order (cli_effects_add_w) */
  const char *w_names[CLI_MAX_W];  /* every --w-name, in order */
  const struct cli_files *files;   /* how W files are read (cli/files.h), or NULL */
} cli_effects_args;

/* Lines for `spill fit --help` (options and an example). */
extern const char cli_effects_help[];

void cli_effects_args_init(cli_effects_args *a);
/* Consume argv[*i] (and its value, advancing *i) when it is an effects
 * option. Returns 1 consumed, 0 not an effects option, -1 usage error
 * (printed). */
int cli_effects_parse(const char *cmd, int argc, char **argv, int *i, cli_effects_args *a);
/* Record one --w path (cli/fit.c calls this for every --w). -1 (printed)
 * when there are more than CLI_MAX_W. */
int cli_effects_add_w(const char *cmd, cli_effects_args *a, const char *path);
/* Check the combination after parsing (--w-name count, --city-effects with
 * several W, ...). Returns 0 or CLI_USAGE (printed). */
int cli_effects_check(const char *cmd, const cli_effects_args *a);

/* Table format from a file's extension (.txt .csv .tex .json); -1 unknown. */
int cli_table_fmt_from_path(const char *path);

/* After a single fit: compute the effects (unless --no-effects) and print
 * their table to out in fmt (text, CSV, LaTeX; for JSON use
 * cli_fit_write_json instead), write --effects-out and --city-effects.
 * *keep (may be NULL) receives the effects, owned by the caller. Returns an
 * exit status (CLI_OK, CLI_FAIL with the message printed). */
int cli_fit_effects(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w,
                    const spill_panel *panel, const cli_effects_args *a, spill_table_fmt fmt,
                    FILE *out, spill_effects **keep);

/* The fit as JSON (spill_fit_write) with "effects":[...] added as the last
 * member of the object when e is not NULL. Returns an exit status. */
int cli_fit_write_json(spill_ctx *ctx, const spill_fit *fit, const spill_effects *e, FILE *out);

/* Several W: for each --w (named by --w-name, else the file name), read it,
 * match a copy of the panel to it (spill_panel_match_weights with mopts: W
 * cut to the sample, its style re-applied), fit with fopts, compute the effects, and print one column per W in
 * fmt to out (and to --table-out). Returns an exit status. */
int cli_fit_multi(spill_ctx *ctx, spill_panel *panel, const spill_wmatch_opts *mopts,
                  const spill_fit_opts *fopts, const cli_effects_args *a, spill_table_fmt fmt,
                  FILE *out);

#endif

/* The spill command: shared helpers and the subcommand entry points.
 * Each cmd_* takes argc/argv starting at its own name and returns the exit
 * status: 0 ok, 1 bad input or data (message printed), 2 usage error,
 * 3 numerical failure, 4 a dependency failed (GEOS, PROJ, CHOLMOD, cairo);
 * 128 + signal when interrupted. */
#ifndef SPILL_CLI_H
#define SPILL_CLI_H

#include <stdio.h>
#include "spill.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_NUMERIC = 3, CLI_DEPENDENCY = 4 };

/* A context with progress (on a terminal only) and notices printed to
 * stderr. Exits with a message if it cannot be created. */
spill_ctx *cli_ctx_new(void);
/* Free a context made by cli_ctx_new (use it, not spill_ctx_free: the first
 * context also serves the SIGINT/SIGTERM handler, which removes temporary
 * outputs and exits 128 + signal). */
void cli_ctx_free(spill_ctx *ctx);
/* Install the SIGINT/SIGTERM handler (first thing in main). */
void cli_signals_init(void);

/* Print "spill: <message of ctx>" to stderr; returns the exit status of the
 * context's status: CLI_NUMERIC for SPILL_ENUM, CLI_DEPENDENCY for
 * SPILL_EDEP, else CLI_FAIL. */
int cli_fail(spill_ctx *ctx);
/* Print "spill <cmd>: <formatted>" and a hint to use --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse helpers: return 0 on success, print a usage error and return -1. */
int cli_parse_double(const char *cmd, const char *opt, const char *s, double *out);
int cli_parse_long(const char *cmd, const char *opt, const char *s, long *out);
/* Split "a,b,c" into a NULL-terminated malloc'ed array of malloc'ed strings;
 * *count receives the number. Free with cli_free_list. */
char **cli_split_list(const char *s, size_t *count);
void cli_free_list(char **list);

/* Print a neighbour-list summary like spdep's print.nb / summary.listw.
 * label names the source ("china_prefectures.shp, queen"). */
int cli_print_weights_summary(spill_ctx *ctx, FILE *out, const spill_weights *w, const char *label);

/* Common tail of every `spill weights TYPE`: --style transform, write -o OUT
 * in the format chosen by extension or fmt_name ("gal", "gwt", "mtx", "csv",
 * "dense"; NULL: by extension), print the summary. Returns an exit status. */
int cli_finish_weights(spill_ctx *ctx, spill_weights *w, const char *style, const char *out,
                       const char *fmt_name, const char *label);
/* Atomic output for writers that take a FILE*: cli_out_open opens a
 * temporary file beside path (NULL and a printed error on failure);
 * cli_out_close closes it and renames it over path when ok is nonzero and
 * the writes succeeded, else removes it. Returns CLI_OK or CLI_FAIL. */
FILE *cli_out_open(const char *path, char **tmp);
int cli_out_close(FILE *f, char *tmp, const char *path, int ok);

/* --years FROM-TO (cli/panel_read.c): parse v into *from, *to; 0 or -1
 * (usage error printed for cmd). */
int cli_parse_years(const char *cmd, const char *v, long *from, long *to);
/* Read a panel with interaction terms in spec->x_cols expanded (opt quoted
 * in messages, e.g. "--x") and, when years is not NULL, only the periods
 * from..to (spill_panel_read_years). NULL on failure (ctx holds the error). */
spill_panel *cli_read_panel(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                            const spill_text_opts *text, const char *opt, const char *years, long from,
                            long to);

/* A format name to its enum; -1 if unknown. */
int cli_wformat(const char *name);

/* Subcommands (cli/<topic>.c). Weak: a build without one says so. */
int cmd_weights(int argc, char **argv);
int cmd_weights_contig(int argc, char **argv);   /* queen, rook */
int cmd_weights_distance(int argc, char **argv); /* knn, band, idw, kernel, econ */
int cmd_weights_info(int argc, char **argv);
int cmd_weights_convert(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_shapes(int argc, char **argv); /* spill info MAP.shp: layer summary */
int cmd_weights_subset(int argc, char **argv); /* cli/weights_subset.c */
int cmd_moran(int argc, char **argv);      /* cli/moran.c: global Moran's I, Geary's C */
int cmd_lisa(int argc, char **argv);       /* cli/lisa.c: local Moran, cluster map */
int cmd_diagnose(int argc, char **argv);   /* cli/diagnose.c: model-choice section */
int cmd_eventstudy(int argc, char **argv); /* cli/eventstudy.c */
int cmd_placebo(int argc, char **argv);    /* cli/placebo.c */
int cmd_bacon(int argc, char **argv);      /* cli/bacon.c */
int cmd_did(int argc, char **argv);        /* cli/did.c: cs | imputation | twostage | twfe */
int cmd_table(int argc, char **argv);      /* cli/table.c: fits side by side */
int cmd_iv(int argc, char **argv);         /* cli/iv.c: IV-2SLS with FE */
int cmd_psm(int argc, char **argv);        /* cli/psm.c: PSM-DID */

#endif

/* Options for files as they come (cli/files.c): --sep, --decimal and
 * --encoding for a text panel; --ids / --ids-from MAP --ids-field FIELD for
 * a header-less weight matrix. */
#ifndef SPILL_CLI_FILES_H
#define SPILL_CLI_FILES_H

#include "spill.h"

enum { CLI_FILES_PANEL = 1, CLI_FILES_W = 2 };

typedef struct cli_files {
  spill_text_opts text;  /* --sep, --decimal, --encoding */
  const char *ids;       /* --ids FILE */
  const char *ids_from;  /* --ids-from MAP */
  const char *ids_field; /* --ids-field FIELD */
} cli_files;

/* Help lines for the panel options and the W options. */
extern const char cli_files_help_panel[], cli_files_help_w[];

void cli_files_init(cli_files *f);
/* Consume argv[*i] (and its value) when it is one of the options selected by
 * what (CLI_FILES_PANEL | CLI_FILES_W). Returns 1 consumed, 0 not ours, -1
 * usage error (printed; an unknown --encoding is one). */
int cli_files_parse(const char *cmd, int argc, char **argv, int *i, cli_files *f, int what);
/* Check the combination; 0 or CLI_USAGE (printed). */
int cli_files_check(const char *cmd, const cli_files *f);
/* The text options to hand to the library, NULL when none was given. */
const spill_text_opts *cli_files_text(const cli_files *f);
/* Read weights: a header-less matrix when --ids/--ids-from was given, else
 * spill_weights_read(path, fmt). f may be NULL. */
spill_weights *cli_files_read_w(spill_ctx *ctx, const char *path, spill_wformat fmt, const cli_files *f);

#endif

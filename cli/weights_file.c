/* spill weights info FILE, spill weights convert IN OUT: any weight file's
 * summary, and conversion between GAL, GWT, Matrix Market, CSV triplets,
 * dense CSV, Stata spmatrix text and .dta; header-less matrices with --ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "files.h"

static const char *help_info =
    "usage: spill weights info FILE [--format F]\n"
    "\n"
    "Read a weight file and print its summary: units, links, neighbour counts,\n"
    "islands (units without neighbours, listed), connected components, symmetry,\n"
    "row sums and the style it looks like (B binary, W row-standardised, G other).\n"
    "\n"
    "Formats, from the extension: .gal (GeoDa, spdep, libpysal), .gwt (GeoDa),\n"
    ".mtx (Matrix Market), .csv (id_i,id_j,w triplets, or a dense n x n matrix\n"
    "with an id header row and column, told apart by the header), .txt (Stata\n"
    "spmatrix export: n, then \"id w_i1 .. w_in\" per unit), .dta (an id variable\n"
    "and one variable per unit). A header-less n x n matrix (MATLAB, Excel) is\n"
    "read with its ids given by --ids or --ids-from.\n"
    "\n"
    "options:\n"
    "  --format F   gal, gwt, mtx, csv (triplets), dense, stata or dta, overriding\n"
    "               the extension\n"
    "  --ids FILE   FILE is a header-less matrix; its units are the ids in FILE, one\n"
    "               per line, in row order\n"
    "  --ids-from MAP --id FIELD\n"
    "               ... or the features of MAP, in order, with ids from FIELD\n"
    "  -h, --help   this text\n"
    "\n"
    "example:\n"
    "  spill weights info usaww.csv\n"
    "  spill weights info w_matlab.txt --ids-from cities.shp --id adcode\n";

static const char *help_convert =
    "usage: spill weights convert IN OUT [--from F] [--format F] [--symmetrize H] [--zero-diagonal] [--style S]\n"
    "\n"
    "Convert a weight file to another format; formats follow the extensions\n"
    "(.gal .gwt .mtx .csv) unless given. Ids are kept exactly and weights with\n"
    "17 significant digits. GAL keeps only the neighbour pattern (a note says\n"
    "when weights other than 1 are dropped). Units without neighbours are kept\n"
    "in every format: GAL writes \"id 0\", GWT and CSV triplets a zero self-link\n"
    "\"id id 0\", MTX lists every id in '% id' comment lines, dense CSV has a row.\n"
    "\n"
    "options:\n"
    "  --from F     format of IN: gal, gwt, mtx, csv, dense, stata or dta\n"
    "  --format F   format of OUT: gal, gwt, mtx, csv, dense (an n x n CSV for\n"
    "               xsmle and MATLAB), stata (.txt for spmatrix import: integer\n"
    "               ids) or dta (id, w1..wn: spmatrix fromdata)\n"
    "  --ids FILE, --ids-from MAP --id FIELD\n"
    "               IN is a header-less n x n matrix with these ids (see info)\n"
    "  --symmetrize H  first make W symmetric: average ((W+W')/2), max (the 'or'\n"
    "               pattern) or min (links present both ways)\n"
    "  --zero-diagonal  drop self-links\n"
    "  --style S    then transform: B, W (row-standardised), C, U, S or M\n"
    "  -h, --help   this text\n"
    "\n"
    "example:\n"
    "  spill weights convert queen.gal queen_dense.csv --format dense --style W\n"
    "  spill weights convert queen.gal queen.txt       (Stata: spmatrix import W using queen.txt)\n"
    "  spill weights convert w_excel.csv w.gal --ids city_codes.txt\n";

static int read_args(int argc, char **argv, const char *cmd, const char **files, int nfiles, const char **from,
                     const char **to, const char **style, const char **sym, int *zero_diag, cli_files *io)
{
  int got = 0;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    int e;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
    if (!strcmp(arg, "--id")) { /* the map field of --ids-from */
      if (a + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", arg), -1;
      io->ids_field = argv[++a];
      continue;
    }
    e = cli_files_parse(cmd, argc, argv, &a, io, CLI_FILES_W);
    if (e < 0) return -1;
    if (e > 0) continue;
    if (zero_diag && !strcmp(arg, "--zero-diagonal")) {
      *zero_diag = 1;
    } else if (sym && !strcmp(arg, "--symmetrize")) {
      if (a + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", arg), -1;
      *sym = argv[++a];
      if (strcmp(*sym, "average") && strcmp(*sym, "max") && strcmp(*sym, "min"))
        return cli_usage_error(cmd, "--symmetrize expects average, max or min; got '%s'", *sym), -1;
    } else if (!strcmp(arg, "--format") || !strcmp(arg, "--from") || !strcmp(arg, "--style")) {
      const char **slot = !strcmp(arg, "--style") ? style : !strcmp(arg, "--from") ? from : to;
      if (!slot) return cli_usage_error(cmd, "unknown option '%s'", arg), -1;
      if (a + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", arg), -1;
      *slot = argv[++a];
      if (slot != style && cli_wformat(*slot) < 0)
        return cli_usage_error(cmd, "unknown format '%s' (gal, gwt, mtx, csv, dense, stata, dta)", *slot), -1;
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(cmd, "unknown option '%s'", arg), -1;
    } else if (got < nfiles) {
      files[got++] = arg;
    } else {
      return cli_usage_error(cmd, "too many files: '%s'", arg), -1;
    }
  }
  if (got < nfiles)
    return cli_usage_error(cmd, nfiles == 1 ? "no weight file given" : "give an input and an output file"), -1;
  if (io->ids_field && !io->ids_from) return cli_usage_error(cmd, "--id names a field of --ids-from MAP"), -1;
  if (cli_files_check(cmd, io)) return -1;
  return 0;
}

int cmd_weights_info(int argc, char **argv)
{
  const char *file = NULL, *fmt = NULL;
  spill_ctx *ctx;
  spill_weights *w;
  char label[1100];
  cli_files io;
  int r, status;
  cli_files_init(&io);
  r = read_args(argc, argv, "weights info", &file, 1, NULL, &fmt, NULL, NULL, NULL, &io);
  spill_wformat f;
  if (r == 1) return fputs(help_info, stdout), CLI_OK;
  if (r) return CLI_USAGE;
  f = fmt ? (spill_wformat)cli_wformat(fmt) : SPILL_WFMT_AUTO;
  ctx = cli_ctx_new();
  w = cli_files_read_w(ctx, file, f, &io);
  if (!w) {
    status = cli_fail(ctx);
  } else {
    spill_wformat shown = f != SPILL_WFMT_AUTO ? f : spill_wformat_from_path(file);
    snprintf(label, sizeof label, "%s, %s", file,
             io.ids || io.ids_from ? "header-less matrix" : shown == SPILL_WFMT_CSV ? "CSV" : spill_wformat_name(shown));
    status = cli_print_weights_summary(ctx, stdout, w, label) ? cli_fail(ctx) : CLI_OK;
    if (!status) {
      spill_weights_summary sm;
      if (!spill_weights_summarize(ctx, w, &sm)) {
        printf("Looks like: %s\n", sm.style_guess == 'B' ? "B (binary)"
                                   : sm.style_guess == 'W' ? "W (row-standardised)"
                                                           : "G (general weights)");
        spill_weights_summary_clear(&sm);
      }
      printf("First ids:");
      for (int64_t i = 0; i < w->n && i < 8; i++) printf(" %s", w->ids[i]);
      printf("%s\n", w->n > 8 ? " ..." : "");
    }
  }
  spill_weights_free(w);
  cli_ctx_free(ctx);
  return status;
}

int cmd_weights_convert(int argc, char **argv)
{
  const char *files[2] = {NULL, NULL}, *from = NULL, *to = NULL, *style = NULL, *sym = NULL;
  spill_ctx *ctx;
  spill_weights *w;
  char label[1100];
  int zero_diag = 0, r, status;
  cli_files io;
  cli_files_init(&io);
  r = read_args(argc, argv, "weights convert", files, 2, &from, &to, &style, &sym, &zero_diag, &io);
  if (r == 1) return fputs(help_convert, stdout), CLI_OK;
  if (r) return CLI_USAGE;
  if (style && (strlen(style) != 1 || !strchr("BWCUSM", style[0])))
    return cli_usage_error("weights convert", "--style expects one of B, W, C, U, S, M; got '%s'", style);
  if (!to && spill_wformat_from_path(files[1]) == SPILL_WFMT_AUTO)
    return cli_usage_error("weights convert",
                           "cannot tell the format of '%s': use .gal, .gwt, .mtx, .csv, .txt (Stata) or .dta, or --format",
                           files[1]);
  if (!strcmp(files[0], files[1]))
    return cli_usage_error("weights convert", "the output would overwrite the input '%s'", files[0]);
  ctx = cli_ctx_new();
  w = cli_files_read_w(ctx, files[0], from ? (spill_wformat)cli_wformat(from) : SPILL_WFMT_AUTO, &io);
  if (w && sym) {
    spill_weights *s = spill_weights_symmetrize(ctx, w, !strcmp(sym, "average") ? SPILL_SYM_AVERAGE
                                                        : !strcmp(sym, "max")   ? SPILL_SYM_MAX
                                                                                : SPILL_SYM_MIN);
    spill_weights_free(w);
    w = s;
  }
  if (w && zero_diag && spill_weights_zero_diagonal(ctx, w)) {
    spill_weights_free(w);
    w = NULL;
  }
  if (!w) {
    status = cli_fail(ctx);
  } else {
    snprintf(label, sizeof label, "%s%s%s%s", files[0], sym ? ", symmetrised " : "", sym ? sym : "",
             zero_diag ? ", zero diagonal" : "");
    status = cli_finish_weights(ctx, w, style, files[1], to, label);
  }
  spill_weights_free(w);
  cli_ctx_free(ctx);
  return status;
}

/* Options for reading files as they come: the separator, decimal mark and
 * encoding of a panel CSV (--sep, --decimal, --encoding) and the ids of a
 * header-less weight matrix (--ids FILE, --ids-from MAP --ids-field FIELD).
 * Shared by spill fit, spill weights info|convert and spill weights econ. */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "files.h"

const char cli_files_help_panel[] =
    "  --sep S             separator of a text panel: , ; tab (or '\\t') or any one\n"
    "                      character (default: detected from the first lines)\n"
    "  --decimal D         decimal mark . or , (default: ',' when the separator is ';'\n"
    "                      and numbers hold commas, else '.')\n"
    "  --encoding NAME     text encoding (default: UTF-8, else GB18030/GBK with a note;\n"
    "                      any iconv name: GBK, BIG5, LATIN1, CP1252, UTF-16)\n";

const char cli_files_help_w[] =
    "  --ids FILE          read W as a header-less n x n matrix (MATLAB, Excel: numbers\n"
    "                      separated by , ; tabs or blanks) whose units are the ids in\n"
    "                      FILE, one per line, in row order\n"
    "  --ids-from MAP      ... or whose units are the map's features, in order, with ids\n"
    "                      from --ids-field FIELD\n";

void cli_files_init(cli_files *f)
{
  memset(f, 0, sizeof *f);
}

static int parse_sep(const char *cmd, const char *v, char *out)
{
  if (!strcmp(v, "tab") || !strcmp(v, "\\t") || !strcmp(v, "\t")) *out = '\t';
  else if (!strcmp(v, "comma")) *out = ',';
  else if (!strcmp(v, "semicolon")) *out = ';';
  else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r') *out = v[0];
  else return cli_usage_error(cmd, "--sep expects one character (',' ';' '|') or 'tab'; got '%s'", v), -1;
  return 0;
}

int cli_files_parse(const char *cmd, int argc, char **argv, int *i, cli_files *f, int what)
{
  const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  int panel = what & CLI_FILES_PANEL, w = what & CLI_FILES_W;
  if (!((panel && (!strcmp(o, "--sep") || !strcmp(o, "--decimal") || !strcmp(o, "--encoding"))) ||
        (w && (!strcmp(o, "--ids") || !strcmp(o, "--ids-from") || !strcmp(o, "--ids-field")))))
    return 0;
  if (!v) return cli_usage_error(cmd, "%s needs a value", o), -1;
  (*i)++;
  if (!strcmp(o, "--sep")) return parse_sep(cmd, v, &f->text.sep) ? -1 : 1;
  if (!strcmp(o, "--decimal")) {
    if (strcmp(v, ".") && strcmp(v, ","))
      return cli_usage_error(cmd, "--decimal expects '.' or ','; got '%s'", v), -1;
    f->text.decimal = v[0];
    return 1;
  }
  if (!strcmp(o, "--encoding")) {
    iconv_t cd = iconv_open("UTF-8", v);
    if (cd == (iconv_t)-1)
      return cli_usage_error(cmd, "unknown encoding '%s' for --encoding (e.g. GB18030, GBK, BIG5, LATIN1; "
                             "`iconv -l` lists them)", v), -1;
    iconv_close(cd);
    f->text.encoding = v;
    return 1;
  }
  if (!strcmp(o, "--ids")) f->ids = v;
  else if (!strcmp(o, "--ids-from")) f->ids_from = v;
  else f->ids_field = v;
  return 1;
}

int cli_files_check(const char *cmd, const cli_files *f)
{
  if (f->text.sep && f->text.sep == f->text.decimal)
    return cli_usage_error(cmd, "--sep and --decimal cannot both be '%c'", f->text.sep);
  if (f->ids && f->ids_from) return cli_usage_error(cmd, "give --ids FILE or --ids-from MAP, not both");
  if (f->ids_field && !f->ids_from) return cli_usage_error(cmd, "--ids-field names a field of --ids-from MAP");
  if (f->ids_from && !f->ids_field) return cli_usage_error(cmd, "--ids-from MAP needs --ids-field FIELD");
  return 0;
}

const spill_text_opts *cli_files_text(const cli_files *f)
{
  return f && (f->text.sep || f->text.decimal || f->text.encoding) ? &f->text : NULL;
}

/* The ids of a header-less matrix: from the list file or the map's field. */
static int matrix_ids(spill_ctx *ctx, const cli_files *f, char ***ids, int64_t *n)
{
  spill_read_opts ro = {0};
  spill_layer *layer;
  const char *const *lids;
  if (f->ids) return spill_read_ids(ctx, f->ids, f->text.encoding, ids, n);
  ro.id_field = f->ids_field;
  if (!(layer = spill_layer_read(ctx, f->ids_from, &ro))) return spill_ctx_status(ctx);
  *n = (int64_t)spill_layer_count(layer);
  lids = spill_layer_ids(layer);
  *ids = calloc((size_t)*n + 1, sizeof **ids);
  for (int64_t i = 0; *ids && i < *n; i++)
    if (!((*ids)[i] = strdup(lids[i]))) {
      spill_free_ids(*ids, i);
      *ids = NULL;
    }
  spill_layer_free(layer);
  if (!*ids) {
    fputs("spill: out of memory\n", stderr);
    return SPILL_ENOMEM;
  }
  return SPILL_OK;
}

spill_weights *cli_files_read_w(spill_ctx *ctx, const char *path, spill_wformat fmt, const cli_files *f)
{
  char **ids = NULL;
  int64_t n = 0;
  spill_weights *w;
  if (!f || (!f->ids && !f->ids_from)) return spill_weights_read(ctx, path, fmt);
  if (matrix_ids(ctx, f, &ids, &n)) return NULL;
  w = spill_weights_read_matrix(ctx, path, (const char *const *)ids, n);
  spill_free_ids(ids, n);
  return w;
}

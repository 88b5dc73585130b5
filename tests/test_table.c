/* spill_table_write: fits saved as JSON side by side. Every cell of the CSV
 * output is checked against the JSON values written here (formatted by the
 * test), the star thresholds at both sides of 0.01, 0.05 and 0.1, --keep,
 * --order, --rename, --controls, fixed-effect and statistic rows; the other
 * formats must hold the same numbers. */
#include "check.h"
#include "spill.h"

#define NF 3
/* coefficient names, values per fit (NAN: absent), se, p */
static const char *cn[] = {"did", "W*did", "x1", "W*x1", "x2"};
static const double cb[NF][5] = {{0.5, NAN, 1.25, NAN, -0.75},
                                 {0.123456, -0.2, 2.0, 0.3, NAN},
                                 {-1.5, 0.01, NAN, NAN, NAN}};
static const double cse[NF][5] = {{0.1, 0, 0.2, 0, 0.3}, {0.05, 0.09, 0.4, 0.12, 0}, {0.7, 0.02, 0, 0, 0}};
static const double cp[NF][5] = {{0.0099, 0, 0.0101, 0, 0.049}, {0.051, 0.099, 0.101, 0.5, 0}, {0.0, 0.2, 0, 0, 0}};

static void write_fit(const char *path, int c)
{
  FILE *f = fopen(path, "w");
  static const char *fe[NF] = {"twoways", "unit", "none"};
  fprintf(f, "{\"model\": \"%s\", \"fe\": \"%s\", \"observations\": %d, \"units\": %d, ", c == 1 ? "sdm" : "ols",
          fe[c], 700 + c, 50 + c);
  fprintf(f, "\"r2\": %.17g, \"loglik\": %s, ", 0.25 + c * 0.1, c == 1 ? "-123.4567" : "null");
  if (c == 1)
    fputs("\"rho\": {\"estimate\": 0.4, \"se\": 0.1, \"z\": 4, \"p\": 0.00006, \"name\": \"rho\"}, ", f);
  else fputs("\"rho\": null, ", f);
  if (c == 0) fputs("\"absorb\": [\"prov#year\"], \"vce\": \"cluster prov\", ", f);
  if (c == 2)
    fputs("\"absorb\": [\"prov#c.year\", \"prov#year\"], \"first_stage_f\": 31.25, "
          "\"table_stats\": {\"Matched treated\": 120, \"Bandwidth\": 0.0625}, ",
          f);
  fputs("\"coefficients\": [", f);
  int first = 1;
  for (int j = 0; j < 5; j++) {
    if (isnan(cb[c][j])) continue;
    fprintf(f, "%s{\"name\": \"%s\", \"estimate\": %.17g, \"se\": %.17g, \"z\": %.17g, \"p\": %.17g}",
            first ? "" : ", ", cn[j], cb[c][j], cse[c][j], cb[c][j] / cse[c][j], cp[c][j]);
    first = 0;
  }
  fputs("]}\n", f);
  fclose(f);
}

static const char *stars(double p) { return p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.1 ? "*" : ""; }

/* The CSV as lines of cells (simple: no quoted commas in these cells). */
typedef struct { char cell[64][NF + 1][64]; int n; } csv_t;

static void read_csv(const char *path, csv_t *t)
{
  FILE *f = fopen(path, "r");
  char line[1024];
  t->n = 0;
  while (f && fgets(line, sizeof line, f) && t->n < 64) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] == '"') continue; /* the note */
    char *s = line;
    for (int c = 0; c <= NF; c++) {
      size_t l = strcspn(s, ",");
      snprintf(t->cell[t->n][c], 64, "%.*s", (int)l, s);
      s += l + (s[l] ? 1 : 0);
    }
    t->n++;
  }
  if (f) fclose(f);
}

static int find_row(const csv_t *t, const char *label)
{
  for (int r = 0; r < t->n; r++)
    if (!strcmp(t->cell[r][0], label)) return r;
  return -1;
}

static int file_has(const char *path, const char *needle)
{
  FILE *f = fopen(path, "rb");
  static char buf[1 << 16];
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  return strstr(buf, needle) != NULL;
}

static int run(spill_ctx *ctx, const char *out, char **paths, const spill_table_opts *o, spill_tables_format fm)
{
  FILE *f = fopen(out, "w");
  int rc = spill_table_write(ctx, f, (const char *const *)paths, NF, o, fm);
  fclose(f);
  return rc;
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  const char *dir = check_tmpdir();
  char p[NF][512], *paths[NF], out[512];
  for (int c = 0; c < NF; c++) {
    snprintf(p[c], sizeof p[c], "%s/fit%d.json", dir, c);
    write_fit(p[c], c);
    paths[c] = p[c];
  }
  snprintf(out, sizeof out, "%s/t.csv", dir);
  spill_table_opts o;
  spill_table_opts_init(&o);
  CHECK(run(ctx, out, paths, &o, SPILL_TABLES_CSV) == SPILL_OK);
  csv_t t;
  read_csv(out, &t);
  CHECK_STR(t.cell[0][1], "(1)");
  CHECK_STR(t.cell[0][3], "(3)");
  /* every coefficient and standard error */
  for (int j = 0; j < 5; j++) {
    int r = find_row(&t, cn[j]);
    CHECK_MSG(r > 0, "row %s", cn[j]);
    if (r <= 0) continue;
    for (int c = 0; c < NF; c++) {
      char want[64] = "", wse[64] = "";
      if (!isnan(cb[c][j])) {
        snprintf(want, sizeof want, "%.3f%s", cb[c][j], stars(cp[c][j]));
        snprintf(wse, sizeof wse, "(%.3f)", cse[c][j]);
      }
      CHECK_MSG(!strcmp(t.cell[r][c + 1], want), "%s col %d: '%s' want '%s'", cn[j], c + 1, t.cell[r][c + 1], want);
      CHECK_MSG(!strcmp(t.cell[r + 1][c + 1], wse), "se %s col %d: '%s' want '%s'", cn[j], c + 1, t.cell[r + 1][c + 1],
                wse);
    }
  }
  int r = find_row(&t, "rho");
  CHECK(r > 0 && !strcmp(t.cell[r][2], "0.400***") && !strcmp(t.cell[r + 1][2], "(0.100)") && !t.cell[r][1][0]);
  /* fixed effects, absorbed terms, statistics */
  static const char *rows[][NF + 1] = {{"Unit FE", "YES", "YES", "NO"},
                                       {"Time FE", "YES", "NO", "NO"},
                                       {"prov#year FE", "YES", "NO", "YES"},
                                       {"prov trends", "NO", "NO", "YES"},
                                       {"SE", "cluster prov", "", ""},
                                       {"Observations", "700", "701", "702"},
                                       {"Units", "50", "51", "52"},
                                       {"R-squared", "0.250", "0.350", "0.450"},
                                       {"Log-likelihood", "", "-123.457", ""},
                                       {"First-stage F", "", "", "31.250"},
                                       {"Matched treated", "", "", "120"},
                                       {"Bandwidth", "", "", "0.062"}};
  for (size_t q = 0; q < sizeof rows / sizeof rows[0]; q++) {
    r = find_row(&t, rows[q][0]);
    CHECK_MSG(r > 0, "row %s", rows[q][0]);
    for (int c = 0; r > 0 && c < NF; c++)
      CHECK_MSG(!strcmp(t.cell[r][c + 1], rows[q][c + 1]), "%s col %d: '%s' want '%s'", rows[q][0], c + 1,
                t.cell[r][c + 1], rows[q][c + 1]);
  }
  CHECK(find_row(&t, "Controls") < 0);
  CHECK_EQ_INT(find_row(&t, "did"), 1);

  /* --keep with a prefix, --order, --rename, --controls, --t, --mtitles */
  char *keep[] = {"did", "W*did", "x*"}, *order[] = {"x1", "did"}, *rf[] = {"did"}, *rt[] = {"Treated x Post"};
  char *ctl[] = {"x1"}, *mt[] = {"A", "B", "C"};
  o.keep = keep;
  o.n_keep = 3;
  o.order = order;
  o.n_order = 2;
  o.rename_from = rf;
  o.rename_to = rt;
  o.n_rename = 1;
  o.controls = ctl;
  o.n_controls = 1;
  o.mtitles = mt;
  o.n_mtitles = 3;
  o.tstat = 1;
  CHECK(run(ctx, out, paths, &o, SPILL_TABLES_CSV) == SPILL_OK);
  read_csv(out, &t);
  CHECK_STR(t.cell[1][2], "B");
  CHECK(find_row(&t, "x1") < 0 && find_row(&t, "W*x1") < 0 && find_row(&t, "rho") < 0);
  CHECK(find_row(&t, "did") < 0);
  r = find_row(&t, "Treated x Post");
  CHECK_EQ_INT(r, 2);                  /* after (1) and the titles: x1 is hidden, so did is first */
  CHECK_EQ_INT(find_row(&t, "x2"), 4); /* then the rest by first appearance: x2 (fit 1), W*did (fit 2) */
  CHECK_EQ_INT(find_row(&t, "W*did"), 6);
  CHECK_STR(t.cell[r + 1][1], "(5.00)"); /* 0.5 / 0.1 */
  CHECK_STR(t.cell[r + 1][3], "(-2.14)");
  r = find_row(&t, "Controls");
  CHECK(r > 0 && !strcmp(t.cell[r][1], "YES") && !strcmp(t.cell[r][2], "YES") && !strcmp(t.cell[r][3], "NO"));

  /* the other formats carry the same cells */
  static const struct { spill_tables_format f; const char *ext, *mark; } fm[] = {
      {SPILL_TABLES_TEXT, "txt", "Treated x Post"},
      {SPILL_TABLES_TEX, "tex", "\\toprule"},
      {SPILL_TABLES_HTML, "html", "<table"},
      {SPILL_TABLES_RTF, "rtf", "{\\rtf1"}};
  for (size_t q = 0; q < 4; q++) {
    snprintf(out, sizeof out, "%s/t.%s", dir, fm[q].ext);
    CHECK(run(ctx, out, paths, &o, fm[q].f) == SPILL_OK);
    CHECK_MSG(file_has(out, fm[q].mark), "%s", fm[q].ext);
    CHECK_MSG(file_has(out, "(5.00)") && file_has(out, "0.500") && file_has(out, "31.250"), "%s", fm[q].ext);
  }
  snprintf(out, sizeof out, "%s/t.tex", dir);
  CHECK(file_has(out, "0.500\\sym{***}") && file_has(out, "prov\\#year FE"));

  /* bad input: a missing file, a file that is not a fit */
  snprintf(out, sizeof out, "%s/t.csv", dir);
  char bad[512], *bp[NF] = {p[0], bad, p[2]};
  snprintf(bad, sizeof bad, "%s/nothere.json", dir);
  CHECK(run(ctx, out, bp, &o, SPILL_TABLES_CSV) == SPILL_EIO);
  CHECK(strstr(spill_ctx_error(ctx), "nothere.json") != NULL);
  FILE *f = fopen(bad, "w");
  fputs("{\"model\": \"ols\"}", f);
  fclose(f);
  CHECK(run(ctx, out, bp, &o, SPILL_TABLES_CSV) == SPILL_EFORMAT);
  spill_ctx_free(ctx);
  return check_done("test_table");
}

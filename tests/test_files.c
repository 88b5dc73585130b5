/* Files as they come: one simulated panel written in every form (clean CSV,
 * tab, semicolon with decimal comma, GBK with Chinese headers and ids, Stata
 * .dta with a labelled id, a header-less W with an id list) gives the clean
 * fit to 1e-10; encodings, separators, the Stata spmatrix text format and
 * the .dta outputs against explicit expected values. The variants are
 * written here (printf, iconv, ReadStat's writer), not by spill. */
#include <iconv.h>
#include <readstat.h>
#include "check.h"
#include "spill.h"
#include "core/internal.h"
#include "core/table.h"

static const char *dir;
static char notices[4096];

static void on_notice(void *user, const char *msg)
{
  (void)user;
  strncat(notices, msg, sizeof notices - strlen(notices) - 2);
  strcat(notices, "\n");
}

static char *path_of(const char *name)
{
  static char buf[8][1024];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void write_bytes(const char *path, const char *s, size_t len)
{
  FILE *f = fopen(path, "wb");
  fwrite(s, 1, len, f);
  fclose(f);
}

static void write_str(const char *path, const char *s)
{
  write_bytes(path, s, strlen(s));
}

/* The panel as text: sep between fields, decimal mark dec, header names. */
static char *panel_text(const spill_panel *p, char sep, char dec, const char *idname, const char *timename)
{
  size_t cap = 1 << 20, used = 0;
  char *s = malloc(cap);
  used += (size_t)snprintf(s + used, cap - used, "%s%c%s%cy%cd", idname, sep, timename, sep, sep);
  for (size_t k = 0; k < p->nx; k++) used += (size_t)snprintf(s + used, cap - used, "%cx%zu", sep, k + 1);
  used += (size_t)snprintf(s + used, cap - used, "\n");
  for (int64_t i = 0; i < p->n; i++)
    for (int64_t t = 0; t < p->t; t++) {
      size_t at = (size_t)(t * p->n + i);
      double v[2 + 8];
      int nv = 2;
      v[0] = p->y[at];
      v[1] = p->d[at];
      for (size_t k = 0; k < p->nx; k++) v[nv++] = p->x[k * (size_t)(p->n * p->t) + at];
      if (used + 4096 > cap) s = realloc(s, cap *= 2);
      used += (size_t)snprintf(s + used, cap - used, "%s%c%lld", p->ids[i], sep, (long long)p->times[t]);
      for (int q = 0; q < nv; q++) {
        char num[40];
        snprintf(num, sizeof num, "%.17g", v[q]);
        if (dec == ',')
          for (char *c = num; *c; c++)
            if (*c == '.') *c = ',';
        used += (size_t)snprintf(s + used, cap - used, "%c%s", sep, num);
      }
      used += (size_t)snprintf(s + used, cap - used, "\n");
    }
  return s;
}

/* UTF-8 to GBK with glibc iconv. */
static char *to_gbk(const char *in, size_t *out_len)
{
  iconv_t cd = iconv_open("GBK", "UTF-8");
  size_t left = strlen(in), room = 2 * left + 16;
  char *out = malloc(room), *op = out, *ip = (char *)in;
  size_t r = iconv(cd, &ip, &left, &op, &room);
  iconv_close(cd);
  CHECK(r != (size_t)-1);
  *out_len = (size_t)(op - out);
  return out;
}

static spill_fit *fit_file(spill_ctx *ctx, const char *path, const char *idc, const char *timec,
                           const spill_text_opts *text, const spill_weights *w)
{
  static const char *xs[] = {"x1", "x2", "x3"};
  spill_panel_spec spec = {idc, timec, "y", "d", NULL, xs, 3, 0};
  spill_fit_opts o;
  spill_fit *f = NULL;
  spill_panel *p = spill_panel_read(ctx, path, &spec, text);
  CHECK_MSG(p != NULL, "%s: %s", path, spill_ctx_error(ctx));
  if (!p) return NULL;
  spill_fit_opts_init(&o);
  if (spill_panel_align(ctx, p, w) == 0) f = spill_fit_model(ctx, p, w, &o);
  CHECK_MSG(f != NULL, "%s: %s", path, spill_ctx_error(ctx));
  spill_panel_free(p);
  return f;
}

static int fit_file_fails(spill_ctx *ctx, const char *path, const spill_text_opts *text, const char *want)
{
  static const char *xs[] = {"x1"};
  spill_panel_spec spec = {"城市", "年份", "y", "d", NULL, xs, 1, 0};
  spill_panel *p = spill_panel_read(ctx, path, &spec, text);
  int ok = p == NULL && strstr(spill_ctx_error(ctx), want) != NULL;
  if (!ok) fprintf(stderr, "expected '%s', got '%s'\n", want, spill_ctx_error(ctx));
  spill_panel_free(p);
  return ok;
}

static void same_fit(const spill_fit *a, const spill_fit *b, const char *what)
{
  if (!a || !b) return;
  CHECK_MSG(a->k == b->k, "%s: %zu vs %zu coefficients", what, a->k, b->k);
  if (a->k != b->k) return;
  for (size_t k = 0; k < a->k; k++) {
    CHECK_MSG(!strcmp(a->names[k], b->names[k]), "%s: %s vs %s", what, a->names[k], b->names[k]);
    CHECK_REL(b->coef[k], a->coef[k], 1e-10);
    CHECK_REL(b->se[k], a->se[k], 1e-10);
  }
  CHECK_REL(b->rho, a->rho, 1e-10);
  CHECK_REL(b->rho_se, a->rho_se, 1e-10);
  CHECK_REL(b->loglik, a->loglik, 1e-10);
}

/* The panel as a Stata .dta written with ReadStat: the id is a numeric code
 * (1..n) with a value label giving the unit's name. */
static ssize_t dta_out(const void *data, size_t len, void *f)
{
  return (ssize_t)fwrite(data, 1, len, f);
}

static void write_dta_panel(const spill_panel *p, const char *path)
{
  readstat_writer_t *w = readstat_writer_init();
  readstat_label_set_t *ls;
  readstat_variable_t *v[12];
  FILE *f = fopen(path, "wb");
  char name[32];
  int nv = 0;
  readstat_set_data_writer(w, dta_out);
  readstat_writer_set_file_format_version(w, 118);
  ls = readstat_add_label_set(w, READSTAT_TYPE_INT32, "cityname");
  for (int64_t i = 0; i < p->n; i++) readstat_label_int32_value(ls, (int32_t)(i + 1), p->ids[i]);
  v[nv++] = readstat_add_variable(w, "code", READSTAT_TYPE_INT32, 0);
  readstat_variable_set_label_set(v[0], ls);
  v[nv++] = readstat_add_variable(w, "year", READSTAT_TYPE_INT16, 0);
  v[nv++] = readstat_add_variable(w, "y", READSTAT_TYPE_DOUBLE, 0);
  v[nv++] = readstat_add_variable(w, "d", READSTAT_TYPE_INT8, 0);
  for (size_t k = 0; k < p->nx; k++) {
    snprintf(name, sizeof name, "x%zu", k + 1);
    v[nv++] = readstat_add_variable(w, name, READSTAT_TYPE_DOUBLE, 0);
  }
  CHECK(readstat_begin_writing_dta(w, f, (long)(p->n * p->t)) == READSTAT_OK);
  for (int64_t i = 0; i < p->n; i++)
    for (int64_t t = 0; t < p->t; t++) {
      size_t at = (size_t)(t * p->n + i);
      readstat_begin_row(w);
      readstat_insert_int32_value(w, v[0], (int32_t)(i + 1));
      readstat_insert_int16_value(w, v[1], (int16_t)p->times[t]);
      readstat_insert_double_value(w, v[2], p->y[at]);
      readstat_insert_int8_value(w, v[3], (int8_t)p->d[at]);
      for (size_t k = 0; k < p->nx; k++)
        readstat_insert_double_value(w, v[4 + k], p->x[k * (size_t)(p->n * p->t) + at]);
      readstat_end_row(w);
    }
  CHECK(readstat_end_writing(w) == READSTAT_OK);
  readstat_writer_free(w);
  fclose(f);
}

static void panels(spill_ctx *ctx)
{
  spill_weights *lat = spill_weights_lattice(ctx, 6, 6, 1), *w;
  int64_t n = lat->n, nnz = lat->p[n], *ti = malloc((size_t)nnz * sizeof *ti);
  char *ids[36], buf[64];
  spill_sim_opts so;
  spill_panel *p;
  spill_fit *clean, *f;
  char *text;
  size_t len;
  for (int64_t i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "城市%lld", (long long)i + 1);
    ids[i] = strdup(buf);
    for (int64_t k = lat->p[i]; k < lat->p[i + 1]; k++) ti[k] = i;
  }
  w = spill_weights_from_triplets(ctx, n, (const char *const *)ids, nnz, ti, lat->j, lat->x);
  spill_weights_transform(ctx, w, 'W');
  spill_sim_opts_init(&so);
  so.t = 8;
  so.seed = 7;
  p = spill_simulate_did(ctx, w, &so, NULL);
  CHECK(p != NULL && p->nx == 3);

  /* the clean CSV */
  text = panel_text(p, ',', '.', "city", "year");
  write_bytes(path_of("clean.csv"), text, strlen(text));
  free(text);
  clean = fit_file(ctx, path_of("clean.csv"), "city", "year", NULL, w);
  CHECK(clean != NULL);

  /* tab-separated, detected and given */
  text = panel_text(p, '\t', '.', "city", "year");
  write_bytes(path_of("tab.txt"), text, strlen(text));
  free(text);
  f = fit_file(ctx, path_of("tab.txt"), "city", "year", NULL, w);
  same_fit(clean, f, "tab, detected");
  spill_fit_free(f);
  {
    spill_text_opts o = {'\t', 0, NULL};
    f = fit_file(ctx, path_of("tab.txt"), "city", "year", &o, w);
    same_fit(clean, f, "tab, given");
    spill_fit_free(f);
  }

  /* semicolons and decimal commas, detected (with a notice) and given */
  text = panel_text(p, ';', ',', "city", "year");
  write_bytes(path_of("semi.csv"), text, strlen(text));
  free(text);
  notices[0] = '\0';
  f = fit_file(ctx, path_of("semi.csv"), "city", "year", NULL, w);
  same_fit(clean, f, "semicolon, decimal comma detected");
  CHECK_MSG(strstr(notices, "read ',' as the decimal mark") != NULL, "%s", notices);
  spill_fit_free(f);
  {
    spill_text_opts o = {';', ',', NULL};
    f = fit_file(ctx, path_of("semi.csv"), "city", "year", &o, w);
    same_fit(clean, f, "semicolon, decimal comma given");
    spill_fit_free(f);
  }

  /* GBK: Chinese headers and Chinese ids, detected (notice) and given */
  text = panel_text(p, ',', '.', "城市", "年份");
  {
    char *gbk = to_gbk(text, &len);
    write_bytes(path_of("gbk.csv"), gbk, len);
    free(gbk);
  }
  free(text);
  notices[0] = '\0';
  f = fit_file(ctx, path_of("gbk.csv"), "城市", "年份", NULL, w);
  same_fit(clean, f, "GBK detected");
  CHECK_MSG(strstr(notices, "read as GB18030") != NULL, "%s", notices);
  spill_fit_free(f);
  {
    spill_text_opts o = {0, 0, "GBK"};
    f = fit_file(ctx, path_of("gbk.csv"), "城市", "年份", &o, w);
    same_fit(clean, f, "GBK given");
    spill_fit_free(f);
    /* read as UTF-8 on request, the same file fails naming line 1 */
    o.encoding = "UTF-8";
    CHECK(fit_file_fails(ctx, path_of("gbk.csv"), &o, "line 1, column 1: byte 0xB3 is not valid UTF-8"));
  }

  /* Stata .dta: numeric codes labelled with the names; the names are the ids */
  write_dta_panel(p, path_of("panel.dta"));
  f = fit_file(ctx, path_of("panel.dta"), "code", "year", NULL, w);
  same_fit(clean, f, ".dta with a labelled id");
  spill_fit_free(f);

  /* a header-less W with an id list: blanks, commas, and semicolons */
  {
    static const char *seps[] = {" ", ",", "; "};
    FILE *fl = fopen(path_of("ids.txt"), "w");
    for (int64_t i = 0; i < n; i++) fprintf(fl, "%s\n", w->ids[i]);
    fclose(fl);
    for (int s = 0; s < 3; s++) {
      spill_weights *wm;
      char **lid = NULL;
      int64_t ln = 0;
      char name[32];
      snprintf(name, sizeof name, "w%d.txt", s);
      fl = fopen(path_of(name), "w");
      for (int64_t i = 0; i < n; i++) {
        double *row = calloc((size_t)n, sizeof *row);
        for (int64_t k = lat->p[i]; k < lat->p[i + 1]; k++) row[lat->j[k]] = lat->x[k];
        for (int64_t j = 0; j < n; j++) fprintf(fl, "%s%g", j ? seps[s] : "", row[j]);
        fprintf(fl, "\n");
        free(row);
      }
      fclose(fl);
      CHECK(spill_read_ids(ctx, path_of("ids.txt"), NULL, &lid, &ln) == 0 && ln == n);
      wm = spill_weights_read_matrix(ctx, path_of(name), (const char *const *)lid, ln);
      CHECK_MSG(wm != NULL, "%s", spill_ctx_error(ctx));
      if (wm) {
        spill_weights_transform(ctx, wm, 'W');
        f = fit_file(ctx, path_of("clean.csv"), "city", "year", NULL, wm);
        same_fit(clean, f, "header-less W");
        spill_fit_free(f);
      }
      spill_weights_free(wm);
      spill_free_ids(lid, ln);
    }
  }

  /* missing values: a "." outcome leaves its row out; with --drop-incomplete
   * that unit goes, as if its rows were never there */
  {
    static const char *xs[] = {"x1"};
    spill_panel_spec spec = {"id", "t", "y", NULL, NULL, xs, 1, 1};
    const char *s = "id,t,y,x1\nA,1,1,2\nA,2,.,3\nB,1,2,1\nB,2,NA,2\nC,1,3,4\nC,2,4,\nD,1,1,1\nD,2,2,2\n";
    spill_panel *q;
    write_bytes(path_of("missing.csv"), s, strlen(s));
    notices[0] = '\0';
    q = spill_panel_read(ctx, path_of("missing.csv"), &spec, NULL);
    CHECK(q && q->n == 1 && !strcmp(q->ids[0], "D"));
    CHECK_MSG(strstr(notices, "3 rows with a missing value left out (the first: line 3, column 'y')") != NULL, "%s",
              notices);
    spill_panel_free(q);
  }

  spill_fit_free(clean);
  spill_panel_free(p);
  for (int64_t i = 0; i < n; i++) free(ids[i]);
  free(ti);
  spill_weights_free(w);
  spill_weights_free(lat);
}

/* A Stata 13 (format 117) file keeps text in the writer's code page: GBK
 * ids and a GBK variable name read as UTF-8, with a notice. */
static void old_dta(spill_ctx *ctx)
{
  readstat_writer_t *w = readstat_writer_init();
  readstat_variable_t *v[2];
  FILE *f = fopen(path_of("old.dta"), "wb");
  spill__table *t;
  readstat_set_data_writer(w, dta_out);
  readstat_writer_set_file_format_version(w, 117);
  v[0] = readstat_add_variable(w, "city", READSTAT_TYPE_STRING, 8);
  v[1] = readstat_add_variable(w, "y", READSTAT_TYPE_DOUBLE, 0);
  readstat_variable_set_label(v[1], "\xC9\xFA\xB2\xFA"); /* GBK for a label, unused */
  CHECK(readstat_begin_writing_dta(w, f, 2) == READSTAT_OK);
  readstat_begin_row(w);
  readstat_insert_string_value(w, v[0], "\xB1\xB1\xBE\xA9"); /* 北京 */
  readstat_insert_double_value(w, v[1], 1.5);
  readstat_end_row(w);
  readstat_begin_row(w);
  readstat_insert_string_value(w, v[0], "\xC9\xCF\xBA\xA3"); /* 上海 */
  readstat_insert_missing_value(w, v[1]);
  readstat_end_row(w);
  CHECK(readstat_end_writing(w) == READSTAT_OK);
  readstat_writer_free(w);
  fclose(f);
  notices[0] = '\0';
  t = spill__dta_read_table(ctx, path_of("old.dta"), NULL);
  CHECK_MSG(t != NULL, "%s", spill_ctx_error(ctx));
  if (!t) return;
  CHECK(t->nrows == 2 && t->ncols == 2);
  CHECK_MSG(!strcmp(spill__table_cell(t, 0, 0), "北京") && !strcmp(spill__table_cell(t, 1, 0), "上海"), "%s",
            spill__table_cell(t, 0, 0));
  CHECK(!strcmp(spill__table_cell(t, 0, 1), "1.5") && spill__table_is_missing(t, 1, 1));
  CHECK_MSG(strstr(notices, "old.dta: text is not UTF-8: read as GB18030") != NULL, "%s", notices);
  spill__table_free(t);
  /* the encoding given */
  t = spill__dta_read_table(ctx, path_of("old.dta"), "GBK");
  CHECK(t && !strcmp(spill__table_cell(t, 1, 0), "上海"));
  spill__table_free(t);
}

/* Decoding: positions of bad bytes, explicit encodings, unknown names. */
static void encodings(spill_ctx *ctx)
{
  char *out = NULL;
  size_t len = 0;
  /* 0xFF is neither UTF-8 nor GB18030: line 3, column 5 (after "B,2," and
   * with a two-byte character counted once on line 2) */
  const char bad[] = "id,y\n\xC3\xA9" "A,1\nB,2,\xFF\n";
  CHECK(spill__to_utf8(ctx, bad, strlen(bad), NULL, &out, &len, "bad.csv") == SPILL_EDATA);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "bad.csv, line 3, column 5: byte 0xFF is not valid UTF-8, and the text is "
                                         "not GB18030 either") != NULL, "%s", spill_ctx_error(ctx));
  CHECK(strstr(spill_ctx_error(ctx), "--encoding") != NULL);
  /* the same through the table reader names the file */
  write_bytes(path_of("bad.csv"), bad, strlen(bad));
  CHECK(spill__table_read(ctx, path_of("bad.csv")) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "bad.csv, line 3, column 5: byte 0xFF") != NULL, "%s", spill_ctx_error(ctx));
  /* GBK bytes decoded explicitly; Latin-1 explicitly; unknown names */
  CHECK(spill__to_utf8(ctx, "\xB1\xB1\xBE\xA9", 4, "GBK", &out, &len, NULL) == 0);
  CHECK(out && !strcmp(out, "北京") && len == 6);
  free(out);
  CHECK(spill__to_utf8(ctx, "caf\xE9", 4, "LATIN1", &out, &len, NULL) == 0);
  CHECK(out && !strcmp(out, "café"));
  free(out);
  CHECK(spill__to_utf8(ctx, "abc", 3, "KLINGON-8", &out, &len, NULL) == SPILL_EINVAL);
  CHECK(strstr(spill_ctx_error(ctx), "unknown encoding 'KLINGON-8'") != NULL);
  /* valid UTF-8 is kept as it is; a UTF-16 file (Excel "Unicode text") is decoded */
  CHECK(spill__to_utf8(ctx, "北京", strlen("北京"), NULL, &out, &len, NULL) == 0 && !strcmp(out, "北京"));
  free(out);
  CHECK(spill__to_utf8(ctx, "\xFF\xFEi\0d\0", 6, NULL, &out, &len, NULL) == 0 && !strcmp(out, "id"));
  free(out);
}

/* Separators: detection, the message when the guess is wrong, given ones. */
static void separators(spill_ctx *ctx)
{
  spill__table *t;
  spill_text_opts pipe = {'|', 0, NULL};
  const char *semi = "a;\"b;c\";d\n1;\"x;y\";2,5\n";
  write_bytes(path_of("s.csv"), semi, strlen(semi));
  t = spill__table_read(ctx, path_of("s.csv"));
  CHECK(t && t->ncols == 3 && t->sep == ';' && t->decimal == ',');
  if (t) {
    CHECK(!strcmp(t->names[1], "b;c") && !strcmp(spill__table_cell(t, 0, 1), "x;y"));
    CHECK(!strcmp(spill__table_cell(t, 0, 2), "2.5"));
  }
  spill__table_free(t);
  /* one column: no separator at all */
  write_str(path_of("one.csv"), "id\n1\n2\n");
  t = spill__table_read(ctx, path_of("one.csv"));
  CHECK(t && t->ncols == 1 && t->nrows == 2);
  spill__table_free(t);
  /* a header in semicolons over comma rows: the guess is named in the error */
  write_bytes(path_of("mixed.csv"), "a;b;c\n1,2,3\n", 12);
  CHECK(spill__table_read(ctx, path_of("mixed.csv")) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "line 2: 1 fields where the header has 3") &&
                strstr(spill_ctx_error(ctx), "the separator (semicolon) was detected from the first lines: give --sep"),
            "%s", spill_ctx_error(ctx));
  /* a given separator, and a decimal comma with commas as separator refused */
  write_str(path_of("pipe.txt"), "a|b\n1|2.5\n");
  {
    const spill_text_opts *saved = ctx->text;
    spill_text_opts bad = {',', ',', NULL};
    ctx->text = &pipe;
    t = spill__table_read(ctx, path_of("pipe.txt"));
    CHECK(t && t->ncols == 2 && !strcmp(spill__table_cell(t, 0, 1), "2.5"));
    spill__table_free(t);
    ctx->text = &bad;
    CHECK(spill__table_read(ctx, path_of("pipe.txt")) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "cannot both be ','") != NULL);
    ctx->text = saved;
  }
}

/* Stata spmatrix export text against an explicit matrix, both ways. */
static void stata_text(spill_ctx *ctx)
{
  const char *in = "3\n1 0 .5 .5\n2 1 0 0\n7 .25 .75 0\n";
  const char *want = "3\n1 0 0.5 0.5\n2 1 0 0\n7 0.25 0.75 0\n";
  double dense[3][3] = {{0, .5, .5}, {1, 0, 0}, {.25, .75, 0}};
  spill_weights *w, *back;
  char got[256] = "";
  FILE *f;
  write_bytes(path_of("w.txt"), in, strlen(in));
  w = spill_weights_read(ctx, path_of("w.txt"), SPILL_WFMT_AUTO);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (!w) return;
  CHECK(w->n == 3 && !strcmp(w->ids[0], "1") && !strcmp(w->ids[1], "2") && !strcmp(w->ids[2], "7"));
  for (int i = 0; i < 3; i++) {
    double row[3] = {0, 0, 0};
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) row[w->j[k]] = w->x[k];
    for (int j = 0; j < 3; j++) CHECK(row[j] == dense[i][j]);
  }
  CHECK(spill_weights_write(ctx, w, path_of("w_out.txt"), SPILL_WFMT_AUTO) == 0);
  f = fopen(path_of("w_out.txt"), "rb");
  if (f) {
    got[fread(got, 1, sizeof got - 1, f)] = '\0';
    fclose(f);
  }
  CHECK_MSG(!strcmp(got, want), "wrote:\n%s", got);
  back = spill_weights_read(ctx, path_of("w_out.txt"), SPILL_WFMT_STATA);
  CHECK(back && back->p[3] == w->p[3] && !memcmp(back->x, w->x, (size_t)w->p[3] * sizeof *w->x));
  spill_weights_free(back);
  /* the dense .dta: read back through ReadStat's reader */
  CHECK(spill_weights_write(ctx, w, path_of("w.dta"), SPILL_WFMT_AUTO) == 0);
  {
    spill__table *t = spill__dta_read_table(ctx, path_of("w.dta"), NULL);
    CHECK(t && t->ncols == 4 && t->nrows == 3);
    if (t) {
      CHECK(!strcmp(t->names[0], "id") && !strcmp(t->names[1], "w1") && !strcmp(t->names[3], "w3"));
      CHECK(!strcmp(spill__table_cell(t, 2, 0), "7"));
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
          double v = -1;
          CHECK(spill__table_number(ctx, t, (size_t)i, (size_t)j + 1, &v) == 0 && v == dense[i][j]);
        }
    }
    spill__table_free(t);
  }
  back = spill_weights_read(ctx, path_of("w.dta"), SPILL_WFMT_AUTO);
  CHECK(back && back->n == 3 && !strcmp(back->ids[2], "7") && back->p[3] == w->p[3] &&
        !memcmp(back->x, w->x, (size_t)w->p[3] * sizeof *w->x));
  spill_weights_free(back);
  /* non-integer ids cannot go to Stata's text format */
  free(w->ids[1]);
  w->ids[1] = strdup("Paris");
  CHECK(spill_weights_write(ctx, w, path_of("w_bad.txt"), SPILL_WFMT_AUTO) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "needs integer ids") != NULL);
  /* malformed files */
  write_str(path_of("short.txt"), "3\n1 0 1 1\n2 1 0\n");
  back = spill_weights_read(ctx, path_of("short.txt"), SPILL_WFMT_AUTO);
  CHECK(back == NULL && strstr(spill_ctx_error(ctx), "line 3: 3 fields where an id and 3 weights are needed"));
  spill_weights_free(w);
}

/* Header-less matrices: counts that do not fit. */
static void matrices(spill_ctx *ctx)
{
  const char *ids3[] = {"a", "b", "c"}, *ids2[] = {"a", "b"};
  spill_weights *w;
  write_str(path_of("m.csv"), "0,1,0\n1,0,1\n0,1,0\n");
  w = spill_weights_read_matrix(ctx, path_of("m.csv"), ids3, 3);
  CHECK(w && w->p[3] == 4);
  spill_weights_free(w);
  CHECK(spill_weights_read_matrix(ctx, path_of("m.csv"), ids2, 2) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "the matrix is 3 x 3 but 2 ids were given"), "%s", spill_ctx_error(ctx));
  write_str(path_of("rect.csv"), "0,1,0,4\n1,0,1,4\n0,1,0,4\n");
  CHECK(spill_weights_read_matrix(ctx, path_of("rect.csv"), ids3, 3) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "not a square matrix: 3 rows, but 4 numbers in the first row"), "%s",
            spill_ctx_error(ctx));
  write_str(path_of("ragged.csv"), "0,1,0\n1,0\n0,1,0\n");
  CHECK(spill_weights_read_matrix(ctx, path_of("ragged.csv"), ids3, 3) == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "line 2: 2 numbers where the 3 x 3 matrix needs 3"), "%s",
            spill_ctx_error(ctx));
  write_str(path_of("hdr.csv"), "a,b,c\n0,1,0\n1,0,1\n");
  CHECK(spill_weights_read_matrix(ctx, path_of("hdr.csv"), ids3, 3) == NULL);
  CHECK(strstr(spill_ctx_error(ctx), "not a square matrix") || strstr(spill_ctx_error(ctx), "is not a number"));
}

/* Per-city effects as .dta carry the struct's numbers. */
static void city_dta(spill_ctx *ctx)
{
  double v[14][2];
  char *ids[2] = {"110000", "120000"};
  spill_city_effects c;
  spill__table *t;
  memset(&c, 0, sizeof c);
  c.n = 2;
  c.ids = ids;
  for (int k = 0; k < 14; k++)
    for (int i = 0; i < 2; i++) v[k][i] = k + 0.125 * i + 1e-3 * k;
  c.pilot = v[1];
  c.own = v[2], c.own_lo = v[3], c.own_hi = v[4];
  c.received = v[5], c.received_lo = v[6], c.received_hi = v[7];
  c.sent = v[8], c.sent_lo = v[9], c.sent_hi = v[10];
  c.total = v[11], c.total_lo = v[12], c.total_hi = v[13];
  v[13][1] = NAN; /* an interval without draws is missing */
  CHECK(spill_city_effects_write_dta(ctx, &c, path_of("city.dta")) == 0);
  t = spill__dta_read_table(ctx, path_of("city.dta"), NULL);
  CHECK(t && t->ncols == 14 && t->nrows == 2);
  if (!t) return;
  CHECK(!strcmp(t->names[0], "id") && !strcmp(t->names[13], "total_hi"));
  CHECK(!strcmp(spill__table_cell(t, 1, 0), "120000"));
  for (int k = 1; k < 14; k++)
    for (int i = 0; i < 2; i++) {
      double got = -1;
      if (k == 13 && i == 1) {
        CHECK(spill__table_is_missing(t, 1, 13));
        continue;
      }
      CHECK(spill__table_number(ctx, t, (size_t)i, (size_t)k, &got) == 0 && got == v[k][i]);
    }
  spill__table_free(t);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  dir = check_tmpdir();
  spill_ctx_set_notice(ctx, on_notice, NULL);
  panels(ctx);
  encodings(ctx);
  old_dta(ctx);
  separators(ctx);
  stata_text(ctx);
  matrices(ctx);
  city_dta(ctx);
  spill_ctx_free(ctx);
  return check_done("test_files");
}

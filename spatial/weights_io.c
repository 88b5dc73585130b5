/* Weight files in and out: format dispatch and the helpers the readers and
 * writers share (whole-file text, quoted tokens, strict numbers).
 *
 * Conventions, per format (the same in the README):
 *  - ids are kept exactly as text; in the whitespace formats (GAL, GWT) an id
 *    that is empty or holds blanks or '"' is written in double quotes with
 *    '"' doubled, CSV-style; readers accept that quoting.
 *  - weights are written with 17 significant digits (%.17g), which strtod
 *    reads back bit for bit.
 *  - islands (units with no neighbour): GAL writes "id 0" and an empty line;
 *    MTX and dense CSV keep every id in their id list; GWT and CSV triplets
 *    write a zero self-link "id id 0" for a unit whose row is empty, and the
 *    readers take such a line, when the unit has no other link in its row, as
 *    "this unit exists", storing no entry (so an explicit zero diagonal in an
 *    otherwise empty row is not kept; it changes nothing numerically). Units
 *    are listed in row order, so a file written by spill keeps the order;
 *    a GWT reader also checks the unit count against the header's n. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "spatial/wio.h"

spill_wformat spill_wformat_from_path(const char *path)
{
  char ext[16];
  spill__extension(path, ext);
  if (!strcmp(ext, "gal")) return SPILL_WFMT_GAL;
  if (!strcmp(ext, "gwt")) return SPILL_WFMT_GWT;
  if (!strcmp(ext, "mtx")) return SPILL_WFMT_MTX;
  if (!strcmp(ext, "csv")) return SPILL_WFMT_CSV;
  if (!strcmp(ext, "txt")) return SPILL_WFMT_STATA;
  if (!strcmp(ext, "dta")) return SPILL_WFMT_DTA;
  return SPILL_WFMT_AUTO;
}

const char *spill_wformat_name(spill_wformat fmt)
{
  switch (fmt) {
  case SPILL_WFMT_GAL: return "GAL";
  case SPILL_WFMT_GWT: return "GWT";
  case SPILL_WFMT_MTX: return "Matrix Market";
  case SPILL_WFMT_CSV: return "CSV triplets";
  case SPILL_WFMT_DENSE: return "dense CSV";
  case SPILL_WFMT_STATA: return "Stata spmatrix text";
  case SPILL_WFMT_DTA: return "Stata .dta";
  case SPILL_WFMT_AUTO: break;
  }
  return "auto";
}

spill_weights *spill_weights_read(spill_ctx *ctx, const char *path, spill_wformat fmt)
{
  spill_wformat f = fmt;
  if (f == SPILL_WFMT_AUTO) {
    f = spill_wformat_from_path(path);
    if (f == SPILL_WFMT_CSV) return spill__csv_read(ctx, path, SPILL_WFMT_AUTO);
  }
  switch (f) {
  case SPILL_WFMT_GAL: return spill__gal_read(ctx, path);
  case SPILL_WFMT_GWT: return spill__gwt_read(ctx, path);
  case SPILL_WFMT_MTX: return spill__mtx_read(ctx, path);
  case SPILL_WFMT_CSV:
  case SPILL_WFMT_DENSE: return spill__csv_read(ctx, path, f);
  case SPILL_WFMT_STATA: return spill__stata_read(ctx, path);
  case SPILL_WFMT_DTA: return spill__dta_wread(ctx, path);
  case SPILL_WFMT_AUTO: break;
  }
  spill__fail(ctx, SPILL_EINVAL,
              "%s: cannot tell the weight file format from the name (use .gal, .gwt, .mtx, .csv, .txt (Stata "
              "spmatrix) or .dta, or give the format; a header-less matrix needs --ids or --ids-from)",
              path);
  return NULL;
}

int spill_weights_write(spill_ctx *ctx, const spill_weights *w, const char *path, spill_wformat fmt)
{
  char *tmp = NULL;
  FILE *f;
  int rc;
  if (fmt == SPILL_WFMT_AUTO) fmt = spill_wformat_from_path(path);
  if (fmt == SPILL_WFMT_AUTO)
    return spill__fail(ctx, SPILL_EINVAL,
                       "%s: cannot tell the weight file format from the name (use .gal, .gwt, .mtx, .csv, .txt or "
                       ".dta, or give the format)",
                       path);
  if (fmt == SPILL_WFMT_DTA) return spill__dta_wwrite(ctx, w, path);
  if (fmt != SPILL_WFMT_CSV && fmt != SPILL_WFMT_DENSE &&
      spill__ids_have_newline(ctx, w, path, spill_wformat_name(fmt)))
    return SPILL_EDATA;
  f = spill__atomic_open(ctx, path, &tmp);
  if (!f) return spill_ctx_status(ctx);
  switch (fmt) {
  case SPILL_WFMT_GAL: rc = spill__gal_write(ctx, w, f, path); break;
  case SPILL_WFMT_GWT: rc = spill__gwt_write(ctx, w, f, path); break;
  case SPILL_WFMT_MTX: rc = spill__mtx_write(ctx, w, f, path); break;
  case SPILL_WFMT_CSV: rc = spill__csv_write(ctx, w, f, path); break;
  case SPILL_WFMT_STATA: rc = spill__stata_write(ctx, w, f, path); break;
  default: rc = spill__dense_write(ctx, w, f, path); break;
  }
  if (rc) {
    spill__atomic_abort(f, tmp);
    return rc;
  }
  return spill__atomic_commit(ctx, f, tmp, path);
}

/* ---- shared helpers ---- */

int spill__text_read(spill_ctx *ctx, const char *path, spill__text *t)
{
  FILE *f = fopen(path, "rb");
  size_t len = 0, cap = 1 << 16, got, nl = 0;
  memset(t, 0, sizeof *t);
  if (!f) return spill__fail(ctx, SPILL_EIO, "cannot open %s: %s", path, strerror(errno));
  t->buf = spill__malloc(ctx, cap + 1);
  if (!t->buf) goto fail;
  while ((got = fread(t->buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      char *b = realloc(t->buf, 2 * cap + 1);
      if (!b) {
        spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
        goto fail;
      }
      t->buf = b;
      cap *= 2;
    }
  }
  if (ferror(f)) {
    spill__fail(ctx, SPILL_EIO, "%s: read error", path);
    goto fail;
  }
  fclose(f);
  f = NULL;
  t->buf[len] = '\0';
  if (memchr(t->buf, '\0', len)) {
    spill__fail(ctx, SPILL_EFORMAT, "%s: holds NUL bytes; not a text weight file", path);
    goto fail;
  }
  if (!spill__utf8_valid(t->buf, len, NULL)) { /* ids in GBK and the like: UTF-8 inside */
    char *u = NULL;
    if (spill__to_utf8(ctx, t->buf, len, NULL, &u, &len, path)) goto fail;
    free(t->buf);
    t->buf = u;
  }
  for (size_t k = 0; k < len; k++) nl += t->buf[k] == '\n';
  t->lines = spill__malloc(ctx, (nl + 1) * sizeof *t->lines);
  if (!t->lines) goto fail;
  {
    char *s = t->buf;
    /* a UTF-8 byte-order mark is not part of the first line */
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3;
    while (*s) {
      char *e = strchr(s, '\n');
      t->lines[t->nlines++] = s;
      if (e) *e = '\0';
      {
        size_t l = strlen(s);
        if (l && s[l - 1] == '\r') s[l - 1] = '\0';
      }
      if (!e) break;
      s = e + 1;
    }
  }
  return SPILL_OK;
fail:
  if (f) fclose(f);
  spill__text_free(t);
  return spill_ctx_status(ctx) ? spill_ctx_status(ctx) : SPILL_ENOMEM;
}

void spill__text_free(spill__text *t)
{
  free(t->buf);
  free(t->lines);
  memset(t, 0, sizeof *t);
}

int spill__blank(const char *line)
{
  for (; *line; line++)
    if (*line != ' ' && *line != '\t') return 0;
  return 1;
}

long spill__tokens(char *s, char **tok, long max)
{
  long n = 0;
  for (;;) {
    char *out;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    if (*s == '"') {
      char *r = ++s;
      out = s;
      if (n < max) tok[n] = out;
      for (;;) {
        if (!*r) return -1;
        if (*r == '"') {
          if (r[1] == '"') {
            *out++ = '"';
            r += 2;
            continue;
          }
          r++;
          break;
        }
        *out++ = *r++;
      }
      /* the closing quote must end the token */
      if (*r && *r != ' ' && *r != '\t') return -1;
      s = *r ? r + 1 : r;
      *out = '\0';
    } else {
      if (n < max) tok[n] = s;
      while (*s && *s != ' ' && *s != '\t') s++;
      if (*s) *s++ = '\0';
    }
    n++;
  }
  return n;
}

int spill__put_token(FILE *f, const char *id)
{
  int quote = !*id;
  for (const char *c = id; *c; c++) {
    if (*c == '\n' || *c == '\r') return -1;
    if (*c == ' ' || *c == '\t' || *c == '"') quote = 1;
  }
  if (!quote) {
    fputs(id, f);
    return 0;
  }
  fputc('"', f);
  for (const char *c = id; *c; c++) {
    if (*c == '"') fputc('"', f);
    fputc(*c, f);
  }
  fputc('"', f);
  return 0;
}

void spill__put_csv(FILE *f, const char *s)
{
  size_t len = strlen(s);
  int quote = len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t' ||
              strpbrk(s, ",\"\r\n") != NULL;
  if (!quote) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

int spill__ids_have_newline(spill_ctx *ctx, const spill_weights *w, const char *path, const char *fmt)
{
  for (int64_t i = 0; i < w->n; i++)
    if (strpbrk(w->ids[i], "\r\n")) {
      spill__fail(ctx, SPILL_EDATA,
                  "%s: unit %lld's id holds a line break, which a %s file cannot carry; write CSV instead",
                  path, (long long)i + 1, fmt);
      return 1;
    }
  return 0;
}

int spill__parse_double(const char *s, double *out)
{
  char *end;
  if (!*s) return -1;
  *out = strtod(s, &end); /* underflow to a subnormal is fine; inf and NaN are not */
  if (*end || end == s || !isfinite(*out)) return -1;
  return 0;
}

int spill__parse_int64(const char *s, int64_t *out)
{
  char *end;
  long long v;
  if (!*s) return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (*end || end == s || errno) return -1;
  *out = (int64_t)v;
  return 0;
}

spill_weights *spill__weights_from_unique(spill_ctx *ctx, const char *path, int64_t n,
                                          const char *const *ids, int64_t nt, const int64_t *ti,
                                          const int64_t *tj, const double *tx, const size_t *line)
{
  spill_weights *w = spill_weights_from_triplets(ctx, n, ids, nt, ti, tj, tx);
  unsigned char *seen = NULL;
  if (!w || w->p[n] == nt) return w;
  /* some pair occurs twice: find the first repeat to name its line */
  seen = spill__calloc(ctx, (size_t)w->p[n], 1);
  if (!seen) goto fail;
  for (int64_t k = 0; k < nt; k++) {
    int64_t lo = w->p[ti[k]], hi = w->p[ti[k] + 1] - 1;
    while (lo <= hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (w->j[mid] == tj[k]) {
        lo = mid;
        break;
      }
      if (w->j[mid] < tj[k]) lo = mid + 1;
      else hi = mid - 1;
    }
    if (seen[lo]) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: the pair '%s' -> '%s' is listed a second time; each link must appear once",
                  path, line[k], w->ids[ti[k]], w->ids[tj[k]]);
      goto fail;
    }
    seen[lo] = 1;
  }
  spill__fail(ctx, SPILL_EFORMAT, "%s: a link is listed twice", path);
fail:
  free(seen);
  spill_weights_free(w);
  return NULL;
}

/* GeoDa's text formats: GAL (neighbour lists) and GWT (id_i id_j w links).
 *
 * GAL: a header "n" (what spdep's write.nb.gal and libpysal write) or
 * "0 n shapefile id_field" (GeoDa), then per unit a line "id k" and a line of
 * k neighbour ids; an island is "id 0" followed by an empty line. We write
 * the plain "n" header, which GeoDa, libpysal and spdep all read.
 * GWT: a header "0 n shapefile id_field", then "id_i id_j w" lines. A unit
 * with an empty row is written as "id id 0" so its id (and its place in the
 * order) survives; the reader stores no entry for such a line when the unit
 * has no other link. Fewer ids than the header's n is an error (the missing
 * islands' ids cannot be recovered). */
#include <stdlib.h>
#include <string.h>
#include "spatial/idmap.h"
#include "spatial/wio.h"

/* Parse the header line; *n receives the unit count. */
static int read_header(spill_ctx *ctx, const char *path, spill__text *t, size_t *ln, int64_t *n,
                       const char *fmt)
{
  char *tok[8];
  long nt;
  while (*ln < t->nlines && spill__blank(t->lines[*ln])) (*ln)++;
  if (*ln >= t->nlines)
    return spill__fail(ctx, SPILL_EFORMAT, "%s is empty: expected a %s header line", path, fmt);
  nt = spill__tokens(t->lines[*ln], tok, 8);
  if (nt == 1 && !spill__parse_int64(tok[0], n) && *n >= 0) {
    (*ln)++;
    return SPILL_OK;
  }
  if (nt >= 2 && !strcmp(tok[0], "0") && !spill__parse_int64(tok[1], n) && *n >= 0) {
    (*ln)++;
    return SPILL_OK;
  }
  return spill__fail(ctx, SPILL_EFORMAT,
                     "%s, line %zu: not a %s header (expected \"n\" or \"0 n shapefile id_field\")", path,
                     *ln + 1, fmt);
}

spill_weights *spill__gal_read(spill_ctx *ctx, const char *path)
{
  spill__text t;
  spill_weights *w = NULL;
  spill__idmap *map = NULL;
  char **ids = NULL, **nb = NULL, *tok[2];
  int64_t n = 0, nt = 0, cap = 0, *ti = NULL, *tj = NULL, *mark = NULL;
  size_t ln = 0, *nbline = NULL, *idline = NULL;
  if (spill__text_read(ctx, path, &t)) return NULL;
  if (read_header(ctx, path, &t, &ln, &n, "GAL")) goto done;
  /* Every unit takes at least a line, so the units read before the file
   * ends fit in min(n, lines left): a header announcing more must not size
   * the allocations (the loop below reports where the file ends). */
  cap = (uint64_t)n < t.nlines - ln ? n : (int64_t)(t.nlines - ln);
  ids = spill__calloc(ctx, (size_t)cap + 1, sizeof *ids);
  idline = spill__calloc(ctx, (size_t)cap + 1, sizeof *idline);
  cap = 0;
  ti = spill__malloc(ctx, sizeof *ti);
  if (!ids || !idline || !ti) goto done;
  for (int64_t u = 0; u < n; u++) {
    int64_t k;
    long got;
    while (ln < t.nlines && spill__blank(t.lines[ln])) ln++;
    if (ln >= t.nlines) {
      spill__fail(ctx, SPILL_EFORMAT,
                  "%s, line %zu: the file ends after %lld of the %lld units its header announces (truncated?)",
                  path, t.nlines, (long long)u, (long long)n);
      goto done;
    }
    got = spill__tokens(t.lines[ln], tok, 2);
    if (got != 2 || spill__parse_int64(tok[1], &k) || k < 0) {
      spill__fail(ctx, SPILL_EFORMAT,
                  "%s, line %zu: expected \"id count\" for unit %lld (an id, then its number of neighbours)",
                  path, ln + 1, (long long)u + 1);
      goto done;
    }
    ids[u] = tok[0];
    idline[u] = ln + 1;
    ln++;
    /* the k neighbour ids, on the following line(s): fewer ids than bytes
     * are left in the file, so a count announcing more than that is refused
     * before it sizes an allocation (a smaller shortfall is reported where
     * the file ends, below) */
    {
      const char *last = t.nlines ? t.lines[t.nlines - 1] : NULL;
      size_t rest = ln < t.nlines ? (size_t)(last + strlen(last) - t.lines[ln]) + 1 : 1;
      if ((uint64_t)k > rest) {
        spill__fail(ctx, SPILL_EFORMAT,
                    "%s, line %zu: unit '%s' declares %lld neighbours, more than the rest of the file can hold "
                    "(truncated, or a wrong count?)", path, ln, ids[u], (long long)k);
        goto done;
      }
    }
    if (nt + k > cap) {
      int64_t nc = cap ? 2 * cap : 1024;
      while (nc < nt + k) nc *= 2;
      char **b = realloc(nb, (size_t)nc * sizeof *nb);
      size_t *bl = b ? realloc(nbline, (size_t)nc * sizeof *nbline) : NULL;
      int64_t *bi = bl ? realloc(ti, (size_t)nc * sizeof *ti) : NULL;
      if (b) nb = b;
      if (bl) nbline = bl;
      if (bi) ti = bi;
      if (!b || !bl || !bi) {
        spill__fail(ctx, SPILL_ENOMEM, "out of memory reading %s", path);
        goto done;
      }
      cap = nc;
    }
    for (int64_t have = 0; have < k;) {
      char *line;
      long cnt;
      if (ln >= t.nlines) {
        spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: the file ends inside the neighbour list of unit '%s' (truncated?)",
                    path, t.nlines, ids[u]);
        goto done;
      }
      line = t.lines[ln];
      cnt = spill__tokens(line, nb + nt + have, k - have);
      if (cnt < 0 || (cnt == 0 && have == 0)) {
        spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: expected the %lld neighbour ids of unit '%s'%s", path,
                    ln + 1, (long long)k, ids[u], cnt < 0 ? " (an unclosed quote)" : "");
        goto done;
      }
      if (cnt == 0) break;
      if (have + cnt > k) {
        spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: unit '%s' declares %lld neighbours but more are listed",
                    path, ln + 1, ids[u], (long long)k);
        goto done;
      }
      for (long c = 0; c < cnt; c++) {
        nbline[nt + have + c] = ln + 1;
        ti[nt + have + c] = u;
      }
      have += cnt;
      ln++;
    }
    if (k == 0 && ln < t.nlines && spill__blank(t.lines[ln])) ln++; /* the island's empty line */
    nt += k;
  }
  while (ln < t.nlines && spill__blank(t.lines[ln])) ln++;
  if (ln < t.nlines) {
    spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: more units than the %lld the header announces", path, ln + 1,
                (long long)n);
    goto done;
  }
  map = spill__idmap_new(ctx, (size_t)n);
  if (!map) goto done;
  for (int64_t u = 0; u < n; u++) {
    int64_t got = spill__idmap_put(ctx, map, ids[u], u);
    if (got == -2) goto done;
    if (got != u) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: unit id '%s' appears a second time (first on line %zu)", path,
                  idline[u], ids[u], idline[got]);
      goto done;
    }
  }
  tj = spill__malloc(ctx, (size_t)(nt ? nt : 1) * sizeof *tj);
  mark = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *mark);
  if (!tj || !mark) goto done;
  for (int64_t i = 0; i < n; i++) mark[i] = -1;
  for (int64_t k = 0; k < nt; k++) {
    tj[k] = spill__idmap_find(map, nb[k]);
    if (tj[k] < 0) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: neighbour id '%s' of unit '%s' is not a unit of this file",
                  path, nbline[k], nb[k], ids[ti[k]]);
      goto done;
    }
    if (mark[tj[k]] == ti[k]) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: neighbour '%s' is listed twice for unit '%s'", path,
                  nbline[k], nb[k], ids[ti[k]]);
      goto done;
    }
    mark[tj[k]] = ti[k];
  }
  w = spill_weights_from_triplets(ctx, n, (const char *const *)ids, nt, ti, tj, NULL);
  if (w) w->style = SPILL_STYLE_B;
done:
  spill__idmap_free(map);
  free(ids);
  free(idline);
  free(nb);
  free(nbline);
  free(ti);
  free(tj);
  free(mark);
  spill__text_free(&t);
  return w;
}

/* Every id as spill__put_token writes it (quoted when it is empty or holds a
 * blank or a quote), in one buffer: id i is tok[off[i] .. off[i+1]). A
 * million-unit GAL names 6 million neighbours; copying them from one
 * compact buffer instead of a million separate strings is what keeps the
 * writer fast. */
static int id_tokens(const spill_weights *w, char **tok, size_t **off)
{
  size_t len = 0, *o = malloc(((size_t)w->n + 1) * sizeof *o);
  char *t;
  *tok = NULL;
  *off = o;
  if (!o) return -1;
  for (int64_t i = 0; i < w->n; i++) {
    const char *id = w->ids[i];
    size_t k = 0, extra = 0;
    int quote = !*id;
    for (; id[k]; k++) {
      if (id[k] == ' ' || id[k] == '\t' || id[k] == '"') quote = 1;
      extra += id[k] == '"';
    }
    o[i] = len;
    len += k + (quote ? 2 + extra : 0);
  }
  o[w->n] = len;
  t = malloc(len + 1);
  if (!t) return -1;
  for (int64_t i = 0; i < w->n; i++) {
    const char *id = w->ids[i];
    char *d = t + o[i];
    if (o[i + 1] - o[i] == strlen(id)) {
      memcpy(d, id, o[i + 1] - o[i]);
      continue;
    }
    *d++ = '"';
    for (; *id; id++) {
      if (*id == '"') *d++ = '"';
      *d++ = *id;
    }
    *d = '"';
  }
  *tok = t;
  return 0;
}

int spill__gal_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  enum { BUF = 1 << 16 };
  int64_t valued = 0;
  char *tok = NULL, *buf = malloc(BUF);
  size_t *off = NULL, used = 0;
  int rc = SPILL_OK;
  if (!buf || id_tokens(w, &tok, &off)) {
    rc = spill__fail(ctx, SPILL_ENOMEM, "%s: out of memory writing %lld ids", path, (long long)w->n);
    goto done;
  }
  used = (size_t)snprintf(buf, BUF, "%lld\n", (long long)w->n);
#define PUT(src, len)                                      \
  do {                                                     \
    size_t l_ = (len);                                     \
    if (used + l_ > BUF) {                                 \
      if (used) fwrite(buf, 1, used, f);                   \
      used = 0;                                            \
      if (l_ > BUF) {                                      \
        fwrite((src), 1, l_, f);                           \
        l_ = 0;                                            \
      }                                                    \
    }                                                      \
    memcpy(buf + used, (src), l_);                         \
    used += l_;                                            \
  } while (0)
  for (int64_t i = 0; i < w->n; i++) {
    char num[32];
    PUT(tok + off[i], off[i + 1] - off[i]);
    PUT(num, (size_t)snprintf(num, sizeof num, " %lld\n", (long long)(w->p[i + 1] - w->p[i])));
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      int64_t j = w->j[k];
      if (k > w->p[i]) PUT(" ", 1);
      PUT(tok + off[j], off[j + 1] - off[j]);
      valued += w->x[k] != 1.0;
    }
    PUT("\n", 1);
  }
#undef PUT
  if (used) fwrite(buf, 1, used, f);
  if (valued)
    spill__notice(ctx, "%s: GAL keeps only the neighbour pattern; %lld weights other than 1 were not written (use GWT, MTX or CSV to keep them)",
                  path, (long long)valued);
done:
  free(buf);
  free(tok);
  free(off);
  return rc;
}

spill_weights *spill__gwt_read(spill_ctx *ctx, const char *path)
{
  spill__text t;
  spill_weights *w = NULL;
  spill__idmap *map = NULL;
  char **ids = NULL, **a = NULL, **b = NULL;
  double *x = NULL;
  int64_t n = 0, m = 0, nt = 0, nl = 0, *ti = NULL, *tj = NULL;
  size_t ln = 0, *line = NULL, nlines;
  unsigned char *other = NULL;
  if (spill__text_read(ctx, path, &t)) return NULL;
  if (read_header(ctx, path, &t, &ln, &n, "GWT")) goto done;
  nlines = t.nlines - ln;
  a = spill__malloc(ctx, (nlines + 1) * sizeof *a);
  b = spill__malloc(ctx, (nlines + 1) * sizeof *b);
  x = spill__malloc(ctx, (nlines + 1) * sizeof *x);
  line = spill__malloc(ctx, (nlines + 1) * sizeof *line);
  /* at most two new ids a line; the header's n is checked against them below */
  map = spill__idmap_new(ctx, (uint64_t)n < 2 * nlines ? (size_t)n : 2 * nlines);
  if (!a || !b || !x || !line || !map) goto done;
  for (; ln < t.nlines; ln++) {
    char *tok[3];
    long got;
    if (spill__blank(t.lines[ln])) continue;
    got = spill__tokens(t.lines[ln], tok, 3);
    if (got != 3 || spill__parse_double(tok[2], &x[nl])) {
      spill__fail(ctx, SPILL_EFORMAT, "%s, line %zu: expected \"id_i id_j weight\" with a numeric weight", path,
                  ln + 1);
      goto done;
    }
    a[nl] = tok[0];
    b[nl] = tok[1];
    line[nl++] = ln + 1;
  }
  /* unit order: first appearance as id_i, then ids seen only as id_j */
  ids = spill__malloc(ctx, (size_t)(2 * nl + 1) * sizeof *ids);
  if (!ids) goto done;
  for (int pass = 0; pass < 2; pass++)
    for (int64_t k = 0; k < nl; k++) {
      char *id = pass ? b[k] : a[k];
      int64_t got = spill__idmap_put(ctx, map, id, m);
      if (got == -2) goto done;
      if (got == m) ids[m++] = id;
    }
  if (m != n) {
    spill__fail(ctx, SPILL_EFORMAT,
                "%s: the header announces %lld units but %lld ids appear in the links%s", path, (long long)n,
                (long long)m,
                m < n ? " (a GWT file keeps a unit without links only as an \"id id 0\" line; the missing ids cannot be recovered)"
                      : "");
    goto done;
  }
  ti = spill__malloc(ctx, (size_t)(nl + 1) * sizeof *ti);
  tj = spill__malloc(ctx, (size_t)(nl + 1) * sizeof *tj);
  if (!ti || !tj) goto done;
  other = spill__calloc(ctx, (size_t)m + 1, 1);
  if (!other) goto done;
  for (int64_t k = 0; k < nl; k++) {
    ti[k] = spill__idmap_find(map, a[k]);
    tj[k] = spill__idmap_find(map, b[k]);
    if (ti[k] != tj[k] || x[k] != 0.0) other[ti[k]] = 1;
  }
  for (int64_t k = 0; k < nl; k++) {
    if (ti[k] == tj[k] && x[k] == 0.0 && !other[ti[k]]) continue; /* marker of a unit without links */
    ti[nt] = ti[k];
    tj[nt] = tj[k];
    x[nt] = x[k];
    line[nt++] = line[k];
  }
  w = spill__weights_from_unique(ctx, path, n, (const char *const *)ids, nt, ti, tj, x, line);
done:
  spill__idmap_free(map);
  free(ids);
  free(a);
  free(b);
  free(x);
  free(line);
  free(ti);
  free(tj);
  free(other);
  spill__text_free(&t);
  return w;
}

int spill__gwt_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path)
{
  (void)ctx;
  (void)path;
  fprintf(f, "0 %lld spill id\n", (long long)w->n);
  for (int64_t i = 0; i < w->n; i++) {
    if (w->p[i] == w->p[i + 1]) {
      spill__put_token(f, w->ids[i]);
      fputc(' ', f);
      spill__put_token(f, w->ids[i]);
      fputs(" 0\n", f);
      continue;
    }
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      spill__put_token(f, w->ids[i]);
      fputc(' ', f);
      spill__put_token(f, w->ids[w->j[k]]);
      fprintf(f, " %.17g\n", w->x[k]);
    }
  }
  return SPILL_OK;
}

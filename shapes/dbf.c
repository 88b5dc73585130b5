/* DBF attributes of a layer: field table, cells as UTF-8 text (converted
 * from the encoding the .cpg names, with iconv), and the unit ids. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/read.h"

/* 1 if s is well-formed UTF-8 (RFC 3629). */
static int valid_utf8(const unsigned char *s)
{
  while (*s) {
    int n = *s < 0x80 ? 0 : (*s >> 5) == 6 ? 1 : (*s >> 4) == 14 ? 2 : (*s >> 3) == 30 ? 3 : -1;
    if (n < 0) return 0;
    s++;
    for (int k = 0; k < n; k++, s++)
      if ((*s & 0xC0) != 0x80) return 0;
  }
  return 1;
}

/* The iconv name of a .cpg's code page: "UTF-8" for UTF-8 (no conversion),
 * "CP1252" for "1252" or "ANSI 1252", "GBK" for "936", others as written. */
static void iconv_name(const char *cpg, char out[64])
{
  char t[32];
  size_t n = 0;
  while (isspace((unsigned char)*cpg)) cpg++;
  while (cpg[n] && !isspace((unsigned char)cpg[n]) && n < sizeof t - 1) n++;
  memcpy(t, cpg, n);
  t[n] = '\0';
  if (!spill__strcasecmp(t, "ANSI") || !spill__strcasecmp(t, "OEM")) { /* "ANSI 1252" */
    const char *rest = cpg + n;
    while (isspace((unsigned char)*rest)) rest++;
    if (isdigit((unsigned char)*rest)) {
      iconv_name(rest, out);
      return;
    }
  }
  if (!spill__strcasecmp(t, "UTF-8") || !spill__strcasecmp(t, "UTF8") || !strcmp(t, "65001"))
    snprintf(out, 64, "UTF-8");
  else if (!strcmp(t, "936") || !spill__strcasecmp(t, "CP936") || !spill__strcasecmp(t, "GB2312"))
    snprintf(out, 64, "GBK");
  else if (!strcmp(t, "88591"))
    snprintf(out, 64, "ISO-8859-1");
  else if (n > 0 && strspn(t, "0123456789") == n)
    snprintf(out, 64, "CP%s", t);
  else
    snprintf(out, 64, "%s", t);
}

static char *read_small_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n;
  if (!f) return NULL;
  buf = malloc(4096);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  n = fread(buf, 1, 4095, f);
  buf[n] = '\0';
  fclose(f);
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
  return buf;
}

/* Convert s (trimmed copy) from the encoding of cd to a new UTF-8 string. */
static char *to_utf8(iconv_t cd, const char *s, size_t len)
{
  size_t cap = 4 * len + 4, inleft = len, outleft = cap - 1;
  char *out = malloc(cap), *in = (char *)s, *o = out;
  if (!out) return NULL;
  iconv(cd, NULL, NULL, NULL, NULL);
  if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
    free(out);
    errno = EILSEQ;
    return NULL;
  }
  *o = '\0';
  return out;
}

int spill__layer_read_dbf(spill_ctx *ctx, spill_layer *L, DBFHandle dbf, const char *dbf_path,
                          const char *cpg_path)
{
  char enc[64] = "UTF-8";
  iconv_t cd = (iconv_t)-1, fallback = (iconv_t)-1;
  int nf = DBFGetFieldCount(dbf), rc = SPILL_ENOMEM;
  L->cpg = read_small_file(cpg_path);
  if (L->cpg) iconv_name(L->cpg, enc);
  if (strcmp(enc, "UTF-8") != 0) {
    cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
      return spill__fail(ctx, SPILL_EFORMAT, "%s names the encoding '%s', which iconv does not know; "
                         "write a known code page there (UTF-8, GBK, 1252, ...)", cpg_path, L->cpg);
  }
  L->nfields = nf > 0 ? (size_t)nf : 0;
  L->field_names = spill__calloc(ctx, L->nfields + 1, sizeof *L->field_names);
  L->field_types = spill__calloc(ctx, L->nfields + 1, 1);
  L->field_widths = spill__calloc(ctx, L->nfields + 1, sizeof *L->field_widths);
  L->field_decimals = spill__calloc(ctx, L->nfields + 1, sizeof *L->field_decimals);
  L->cells = spill__calloc(ctx, L->n * L->nfields + 1, sizeof *L->cells);
  if (!L->field_names || !L->field_types || !L->field_widths || !L->field_decimals || !L->cells) goto done;
  for (int f = 0; f < nf; f++) {
    char name[XBASE_FLDNAME_LEN_READ + 1] = "";
    char t;
    DBFGetFieldInfo(dbf, f, name, &L->field_widths[f], &L->field_decimals[f]);
    t = DBFGetNativeFieldType(dbf, f);
    L->field_types[f] = (t == 'N' || t == 'F') ? 'N' : (t == 'L' || t == 'D') ? t : 'C';
    L->field_names[f] = cd != (iconv_t)-1 ? to_utf8(cd, name, strlen(name)) : strdup(name);
    if (!L->field_names[f]) {
      spill__fail(ctx, SPILL_EFORMAT, "%s: field %d: its name is not valid %s text", dbf_path, f + 1, enc);
      rc = SPILL_EFORMAT;
      goto done;
    }
  }
  for (size_t i = 0; i < L->n; i++) {
    int rec = (int)L->records[i] - 1;
    for (int f = 0; f < nf; f++) {
      const char *raw = DBFReadStringAttribute(dbf, rec, f);
      size_t len;
      char *cell;
      if (!raw) {
        spill__fail(ctx, SPILL_EFORMAT, "%s: record %d, field %s cannot be read (corrupt or truncated)", dbf_path,
                    rec + 1, L->field_names[f]);
        rc = SPILL_EFORMAT;
        goto done;
      }
      while (*raw == ' ') raw++;
      len = strlen(raw);
      while (len > 0 && raw[len - 1] == ' ') len--;
      if (cd != (iconv_t)-1) {
        cell = to_utf8(cd, raw, len);
      } else {
        cell = strndup(raw, len);
        if (cell && !valid_utf8((unsigned char *)cell)) {
          /* No .cpg (or one saying UTF-8) and bytes that are not UTF-8: the
           * ESRI default is the Windows code page; read it as CP1252. */
          char *conv = NULL;
          if (fallback == (iconv_t)-1) fallback = iconv_open("UTF-8", "CP1252");
          if (fallback != (iconv_t)-1) conv = to_utf8(fallback, raw, len);
          if (conv) {
            if (L->cpg) {
              spill__notice(ctx, "%s: record %d, field %s: text is not UTF-8 as %s says; read as CP1252", dbf_path,
                            rec + 1, L->field_names[f], cpg_path);
            }
            free(cell);
            cell = conv;
          }
        }
      }
      if (!cell) {
        spill__fail(ctx, SPILL_EFORMAT, "%s: record %d, field %s: text is not valid %s (the encoding %s); fix the .cpg",
                    dbf_path, rec + 1, L->field_names[f], enc, L->cpg ? cpg_path : "assumed");
        rc = SPILL_EFORMAT;
        goto done;
      }
      L->cells[i * (size_t)nf + (size_t)f] = cell;
    }
  }
  rc = 0;
done:
  if (cd != (iconv_t)-1) iconv_close(cd);
  if (fallback != (iconv_t)-1) iconv_close(fallback);
  if (rc == SPILL_ENOMEM) spill__fail(ctx, SPILL_ENOMEM, "%s: out of memory reading attributes", dbf_path);
  return rc;
}

static int cmp_index_by_id(const void *a, const void *b, void *arg)
{
  char **ids = arg;
  int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
  int c = strcmp(ids[i], ids[j]);
  return c ? c : (i > j) - (i < j);
}

/* qsort_r is a GNU extension; a small merge sort keeps the file portable C11. */
static void sort_index(int64_t *idx, int64_t *tmp, int64_t n, char **ids)
{
  if (n < 2) return;
  int64_t h = n / 2;
  sort_index(idx, tmp, h, ids);
  sort_index(idx + h, tmp, n - h, ids);
  int64_t a = 0, b = h, k = 0;
  while (a < h && b < n) tmp[k++] = cmp_index_by_id(&idx[a], &idx[b], ids) <= 0 ? idx[a++] : idx[b++];
  while (a < h) tmp[k++] = idx[a++];
  while (b < n) tmp[k++] = idx[b++];
  memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

int spill__layer_set_ids(spill_ctx *ctx, spill_layer *L, const char *id_field, const char *dbf_path)
{
  long f = -1;
  int64_t *idx = NULL, *tmp = NULL;
  int rc = SPILL_ENOMEM;
  L->ids = spill__calloc(ctx, L->n + 1, sizeof *L->ids);
  if (!L->ids) return SPILL_ENOMEM;
  if (id_field) {
    f = spill_layer_field_index(L, id_field);
    if (f < 0) {
      char list[768] = "";
      size_t used = 0;
      for (size_t k = 0; k < L->nfields && used + 2 < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", L->field_names[k]);
      return spill__fail(ctx, SPILL_EINVAL, "%s has no field '%s'; its fields are: %s", dbf_path, id_field,
                         L->nfields ? list : "(none)");
    }
  }
  for (size_t i = 0; i < L->n; i++) {
    char buf[32];
    const char *s;
    if (f < 0) {
      snprintf(buf, sizeof buf, "%lld", (long long)L->records[i]);
      s = buf;
    } else {
      s = L->cells[i * L->nfields + (size_t)f];
      if (!*s)
        return spill__fail(ctx, SPILL_EDATA, "%s: record %lld has no id (field %s is empty)", dbf_path,
                           (long long)L->records[i], L->field_names[f]);
      if (L->field_types[f] == 'N') {
        if (!spill__canonical_id(s, buf))
          return spill__fail(ctx, SPILL_EDATA, "%s: record %lld: id '%s' in numeric field %s is not a number", dbf_path,
                             (long long)L->records[i], s, L->field_names[f]);
        s = buf;
      }
    }
    L->ids[i] = spill__strdup(ctx, s);
    if (!L->ids[i]) return SPILL_ENOMEM;
  }
  if (f < 0) return 0;
  idx = spill__malloc(ctx, (L->n + 1) * sizeof *idx);
  tmp = spill__malloc(ctx, (L->n + 1) * sizeof *tmp);
  if (!idx || !tmp) goto done;
  for (size_t i = 0; i < L->n; i++) idx[i] = (int64_t)i;
  sort_index(idx, tmp, (int64_t)L->n, L->ids);
  rc = 0;
  for (size_t k = 1; k < L->n; k++)
    if (!strcmp(L->ids[idx[k - 1]], L->ids[idx[k]])) {
      rc = spill__fail(ctx, SPILL_EDATA, "%s: records %lld and %lld both have id '%s' in field %s; ids must be unique",
                       dbf_path, (long long)L->records[idx[k - 1]], (long long)L->records[idx[k]], L->ids[idx[k]],
                       L->field_names[f]);
      break;
    }
done:
  free(idx);
  free(tmp);
  return rc;
}

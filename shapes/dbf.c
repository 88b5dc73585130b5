/* DBF attributes of a layer: field table, cells as UTF-8 text (converted
 * from the encoding the .cpg names, with iconv), and the unit ids. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/read.h"

/* 1 if s is well-formed UTF-8 (RFC 3629). */
int spill__attr_valid_utf8(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str, *e = s + len;
  while (s < e) {
    int n = *s < 0x80 ? 0 : (*s >> 5) == 6 ? 1 : (*s >> 4) == 14 ? 2 : (*s >> 3) == 30 ? 3 : -1;
    if (n < 0 || e - s <= n) return n == 0;
    s++;
    for (int k = 0; k < n; k++, s++)
      if ((*s & 0xC0) != 0x80) return 0;
  }
  return 1;
}

static int valid_utf8(const char *s) { return spill__attr_valid_utf8(s, strlen(s)); }

/* Convert s from the encoding of cd to a new UTF-8 string. */
static char *to_utf8(iconv_t cd, const char *s, size_t len)
{
  size_t cap = 4 * len + 4, inleft = len, outleft = cap - 1;
  char *out = malloc(cap), *in = (char *)s, *o = out;
  if (!out) return NULL;
  iconv(cd, NULL, NULL, NULL, NULL);
  if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
      iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) { /* a truncated multi-byte tail is invalid too */
    free(out);
    errno = EILSEQ;
    return NULL;
  }
  *o = '\0';
  return out;
}

char *spill__attr_to_utf8(const char *enc, const char *s, size_t len)
{
  iconv_t cd = iconv_open("UTF-8", enc);
  char *out;
  if (cd == (iconv_t)-1) return NULL;
  out = to_utf8(cd, s, len);
  iconv_close(cd);
  return out;
}

int spill__attr_looks_gb18030(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t two = 0, gb2312 = 0;
  char *out;
  for (size_t k = 0; k < len; k++) {
    if (s[k] < 0x80) continue;
    if (k + 1 < len && s[k + 1] >= 0x30 && s[k + 1] <= 0x39) { /* four-byte form */
      k += 3;
      continue;
    }
    two++;
    gb2312 += s[k] >= 0xA1 && k + 1 < len && s[k + 1] >= 0xA1;
    k++;
  }
  if (two > 0 && 2 * gb2312 < two) return 0; /* mostly outside GB2312: not Chinese text */
  out = spill__attr_to_utf8("GB18030", str, len);
  free(out);
  return out != NULL;
}

int spill__attr_check_encoding(spill_ctx *ctx, const char *enc, const char *what)
{
  iconv_t cd = iconv_open("UTF-8", enc);
  if (cd == (iconv_t)-1)
    return spill__fail(ctx, SPILL_EINVAL, "%s '%s': iconv does not know this encoding (try UTF-8, GBK, GB18030, "
                       "BIG5, CP1252; `iconv -l` lists them all)", what, enc);
  iconv_close(cd);
  return 0;
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

/* The code page of a DBF language-driver byte (header byte 29), after the
 * ESRI ArcPad reference table "Language driver IDs and code pages"; NULL
 * for 0 (none) and 0x57 ("ANSI": the writer's system code page, unknown). */
static const char *ldid_encoding(int id)
{
  switch (id) {
  case 0x01: case 0x09: case 0x0B: case 0x0D: case 0x0F: case 0x11: case 0x15: case 0x18: case 0x19: case 0x1B:
    return "CP437";
  case 0x02: case 0x0A: case 0x0E: case 0x10: case 0x12: case 0x14: case 0x16: case 0x1A: case 0x1D: case 0x25:
  case 0x37:
    return "CP850";
  case 0x03: case 0x58: case 0x59: return "CP1252";
  case 0x04: return "MACINTOSH";
  case 0x08: case 0x17: case 0x66: return "CP865";
  case 0x13: case 0x7B: return "CP932";
  case 0x1C: case 0x6C: return "CP863";
  case 0x1F: case 0x22: case 0x23: case 0x40: case 0x64: case 0x87: return "CP852";
  case 0x24: return "CP860";
  case 0x26: case 0x65: return "CP866";
  case 0x4D: case 0x7A: return "GBK"; /* CP936, simplified Chinese */
  case 0x4E: case 0x79: return "CP949";
  case 0x4F: case 0x78: return "BIG5"; /* CP950 */
  case 0x50: case 0x7C: return "CP874";
  case 0x67: return "CP861";
  case 0x6A: case 0x86: return "CP737";
  case 0x6B: case 0x88: return "CP857";
  case 0x96: return "MAC-CYRILLIC";
  case 0x97: return "MAC-CENTRALEUROPE";
  case 0xC8: return "CP1250";
  case 0xC9: return "CP1251";
  case 0xCA: return "CP1254";
  case 0xCB: return "CP1253";
  case 0xCC: return "CP1257";
  default: return NULL;
  }
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

/* No .cpg, no language byte: UTF-8 when every text is, else GB18030 when
 * all the non-UTF-8 text reads as Chinese in it, else CP1252. */
static const char *detect(spill_ctx *ctx, spill_layer *L, DBFHandle dbf, const char *dbf_path)
{
  int nf = DBFGetFieldCount(dbf), utf8 = 1;
  char *all = NULL;
  size_t len = 0, cap = 0;
  const char *enc;
  for (size_t i = 0; i < L->n; i++)
    for (int f = 0; f < nf; f++) {
      const char *raw = DBFReadStringAttribute(dbf, (int)L->records[i] - 1, f);
      size_t k;
      if (!raw || valid_utf8(raw)) continue;
      utf8 = 0;
      k = strlen(raw);
      if (len + k + 2 > cap) {
        size_t c = 2 * (len + k + 2);
        char *p = realloc(all, c);
        if (!p) {
          free(all);
          return "CP1252";
        }
        all = p;
        cap = c;
      }
      memcpy(all + len, raw, k);
      len += k;
      all[len++] = '\n';
    }
  if (utf8) return "UTF-8";
  enc = spill__attr_looks_gb18030(all, len) ? "GB18030" : "CP1252";
  free(all);
  spill__notice(ctx, "%s has no .cpg and its text is not UTF-8; read as %s%s; name the encoding with --encoding "
                "or a .cpg if that is wrong", dbf_path, enc, !strcmp(enc, "GB18030") ? " (GBK), as it reads as Chinese" : "");
  return enc;
}

int spill__layer_read_dbf(spill_ctx *ctx, spill_layer *L, DBFHandle dbf, const char *dbf_path,
                          const char *cpg_path, const char *encoding, const char *only)
{
  char enc[64] = "UTF-8";
  const char *from = "assumed";
  iconv_t cd = (iconv_t)-1, fallback = (iconv_t)-1;
  int nf = DBFGetFieldCount(dbf), rc = SPILL_ENOMEM, *src = NULL; /* src[f]: the DBF field of field f */
  L->cpg = read_small_file(cpg_path);
  if (encoding) {
    if (spill__attr_check_encoding(ctx, encoding, "--encoding")) return SPILL_EINVAL;
    iconv_name(encoding, enc);
    from = "given with --encoding";
  } else if (L->cpg) {
    iconv_name(L->cpg, enc);
    from = cpg_path;
  } else {
    const char *cp = DBFGetCodePage(dbf), *ld = cp && !strncmp(cp, "LDID/", 5) ? ldid_encoding(atoi(cp + 5)) : NULL;
    if (ld) {
      snprintf(enc, sizeof enc, "%s", ld);
      from = "named by the .dbf's language byte";
    } else {
      snprintf(enc, sizeof enc, "%s", detect(ctx, L, dbf, dbf_path));
      from = "detected";
    }
  }
  snprintf(L->encoding, sizeof L->encoding, "%s", enc);
  if (strcmp(enc, "UTF-8") != 0) {
    cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
      return spill__fail(ctx, SPILL_EFORMAT, "%s names the encoding '%s', which iconv does not know; "
                         "write a known code page there (UTF-8, GBK, 1252, ...)", cpg_path, L->cpg ? L->cpg : enc);
  }
  src = spill__malloc(ctx, ((size_t)(nf > 0 ? nf : 0) + 1) * sizeof *src);
  if (!src) return SPILL_ENOMEM;
  {
    int kept = 0;
    for (int f = 0; f < nf; f++) {
      char name[XBASE_FLDNAME_LEN_READ + 1] = "";
      if (only) {
        DBFGetFieldInfo(dbf, f, name, NULL, NULL);
        if (!*only || spill__strcasecmp(name, only)) continue; /* names compared as stored (ASCII in practice) */
      }
      src[kept++] = f;
    }
    if (only && *only && !kept) { /* the id field is missing: name the fields there are */
      char list[768] = "";
      size_t used = 0;
      for (int f = 0; f < nf && used + 2 < sizeof list; f++) {
        char name[XBASE_FLDNAME_LEN_READ + 1] = "";
        DBFGetFieldInfo(dbf, f, name, NULL, NULL);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", f ? ", " : "", name);
      }
      free(src);
      if (cd != (iconv_t)-1) iconv_close(cd);
      return spill__fail(ctx, SPILL_EINVAL, "%s has no field '%s'; its fields are: %s", dbf_path, only,
                         nf > 0 ? list : "(none)");
    }
    nf = kept;
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
    DBFGetFieldInfo(dbf, src[f], name, &L->field_widths[f], &L->field_decimals[f]);
    t = DBFGetNativeFieldType(dbf, src[f]);
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
      const char *raw = DBFReadStringAttribute(dbf, rec, src[f]);
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
        if (cell && !valid_utf8(cell)) {
          /* A .cpg saying UTF-8 (or --encoding UTF-8) and bytes that are
           * not UTF-8: read the cell as CP1252, the ESRI default. */
          char *conv = NULL;
          if (fallback == (iconv_t)-1) fallback = iconv_open("UTF-8", "CP1252");
          if (fallback != (iconv_t)-1) conv = to_utf8(fallback, raw, len);
          if (conv)
            spill__notice(ctx, "%s: record %d, field %s: text is not UTF-8 as %s says; read as CP1252", dbf_path,
                          rec + 1, L->field_names[f], L->cpg && !encoding ? cpg_path : "--encoding");
          /* Not CP1252 either (bytes it leaves undefined): refused below,
           * never passed on as text that is not UTF-8. */
          free(cell);
          cell = conv;
        }
      }
      if (!cell) {
        spill__fail(ctx, SPILL_EFORMAT,
                    "%s: record %d, field %s: text is not valid %s (the encoding %s); name the right one with "
                    "--encoding or a .cpg",
                    dbf_path, rec + 1, L->field_names[f], enc, from);
        rc = SPILL_EFORMAT;
        goto done;
      }
      L->cells[i * (size_t)nf + (size_t)f] = cell;
    }
  }
  rc = 0;
done:
  free(src);
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

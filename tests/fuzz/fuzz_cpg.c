/* Fuzz the .cpg code page and the attribute text it decodes
 * (spill__layer_read_dbf): the input is split into the .cpg, up to four text
 * cells and a field name (see fuzz_split); a .dbf holding them is written
 * with shapelib, then read back as the shapefile reader does. The first byte
 * chooses: no .cpg (language byte and detection), the language byte, or a
 * given --encoding. */
#include <shapefil.h>
#include "fuzz.h"
#include "shapes/read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *encs[] = {"GB18030", "CP1252", "UTF-8", "ISO-8859-1"};
  const uint8_t *part[6];
  size_t len[6];
  char text[6][256];
  if (size < 1) return 0;
  int flags = data[0];
  fuzz_split(data + 1, size - 1, 6, part, len);
  for (int k = 0; k < 6; k++) {
    size_t m = len[k] < sizeof text[k] - 1 ? len[k] : sizeof text[k] - 1;
    memcpy(text[k], part[k], m);
    text[k][m] = 0;
  }
  const char *cpg = fuzz_file(0, "m.cpg", part[0], len[0]);
  if (flags & 1) remove(cpg);
  char dbfpath[160];
  snprintf(dbfpath, sizeof dbfpath, "%s/m.dbf", fuzz_dir());
  /* The language byte (LDID/n) when the .cpg is absent: 0 none, 77 GBK,
   * 87 ANSI, or a byte from the input. */
  static const char *ldids[] = {NULL, "LDID/77", "LDID/87", NULL};
  char ld[16];
  const char *cp = ldids[flags >> 1 & 3];
  if ((flags >> 1 & 3) == 3) snprintf(ld, sizeof ld, "LDID/%d", flags >> 3), cp = ld;
  DBFHandle out = DBFCreateEx(dbfpath, cp);
  if (!out) abort();
  char fname[12];
  snprintf(fname, sizeof fname, "%.10s", text[5][0] ? text[5] : "name");
  if (DBFAddField(out, fname, FTString, 200, 0) < 0 && DBFAddField(out, "name", FTString, 200, 0) < 0) abort();
  int nrec = 1 + (flags >> 5 & 3);
  for (int r = 0; r < nrec; r++) DBFWriteStringAttribute(out, r, 0, text[1 + r]);
  DBFClose(out);

  spill_ctx *ctx = fuzz_ctx();
  DBFHandle dbf = DBFOpen(dbfpath, "rb");
  if (!dbf) return 0;
  spill_layer *L = calloc(1, sizeof *L);
  if (!L) abort();
  L->n = (size_t)DBFGetRecordCount(dbf);
  L->records = calloc(L->n + 1, sizeof *L->records);
  if (!L->records) abort();
  for (size_t i = 0; i < L->n; i++) L->records[i] = (int64_t)i + 1;
  const char *enc = flags & 0x80 ? encs[flags >> 3 & 3] : NULL;
  if (spill__layer_read_dbf(ctx, L, dbf, dbfpath, cpg, enc, NULL) == 0) {
    /* Every cell read is valid UTF-8, as the reader promises. */
    for (size_t k = 0; k < L->n * L->nfields; k++)
      if (!L->cells[k] || !spill__attr_valid_utf8(L->cells[k], strlen(L->cells[k]))) abort();
  }
  DBFClose(dbf);
  spill_layer_free(L);
  return 0;
}

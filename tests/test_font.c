/* Chinese text in drawn maps: the font chosen (shapes/font.c) has glyphs for
 * Chinese characters, and a map's title drawn in Chinese shows them: the
 * title area holds ink, and two titles of different characters give
 * different pixels (missing glyphs all draw the same empty box, so a font
 * without Chinese fails this, as the check with the DejaVu font shows). */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include "check.h"
#include "shp_fixture.h"
#include "shapes/font.h"
#include "spill.h"

/* dark pixels of the title band (rows above the map frame) of a PNG, into
 * mask (w*h bytes, 1 = ink); returns the ink count. */
static long title_ink(const char *png, int top, unsigned char *mask, int *w_out)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png(png);
  long ink = 0;
  int w, stride;
  unsigned char *d;
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return -1;
  }
  w = cairo_image_surface_get_width(s);
  stride = cairo_image_surface_get_stride(s);
  d = cairo_image_surface_get_data(s);
  for (int y = 0; y < top; y++)
    for (int x = 0; x < w; x++) {
      const unsigned char *p = d + (size_t)y * (size_t)stride + 4 * (size_t)x; /* BGRA */
      int dark = p[0] + p[1] + p[2] < 3 * 128;
      mask[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)dark;
      ink += dark;
    }
  *w_out = w;
  cairo_surface_destroy(s);
  return ink;
}

/* ink pattern of s drawn in the toy font family at 40 px */
static long glyph_ink(const char *family, const char *s, unsigned char *mask)
{
  cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_A8, 120, 60);
  cairo_t *cr = cairo_create(surf);
  unsigned char *d;
  long ink = 0;
  spill__font_select(cr, family, 40, 0);
  cairo_move_to(cr, 10, 45);
  cairo_show_text(cr, s);
  cairo_surface_flush(surf);
  d = cairo_image_surface_get_data(surf);
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 120; x++) {
      mask[y * 120 + x] = d[y * cairo_image_surface_get_stride(surf) + x] > 128;
      ink += mask[y * 120 + x];
    }
  cairo_destroy(cr);
  cairo_surface_destroy(surf);
  return ink;
}

int main(void)
{
  const char *dir = check_tmpdir();
  char family[128], base[1024], shp[1100], png[2][1100];
  unsigned char m1[120 * 60], m2[120 * 60];
  spill_ctx *ctx = spill_ctx_new();
  spill_layer *L;
  spill_map_stats st[2];
  double v[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const char *titles[2] = {"中国城市 中国城市", "国家省份 国家省份"};

  /* the family: covers Chinese when one installed font does */
  spill__font_family(family);
  {
    FcPattern *p = FcNameParse((const FcChar8 *)":lang=zh-cn");
    FcObjectSet *os = FcObjectSetBuild(FC_FAMILY, NULL);
    FcFontSet *fs = FcFontList(NULL, p, os);
    int any = fs && fs->nfont > 0;
    if (fs) FcFontSetDestroy(fs);
    FcObjectSetDestroy(os);
    FcPatternDestroy(p);
    if (!any) {
      printf("SKIP: no font with Chinese glyphs is installed (Debian: fonts-noto-cjk)\n");
      spill_ctx_free(ctx);
      return 77;
    }
  }
  printf("font family: %s\n", family);
  CHECK(strcmp(family, "sans-serif") != 0);
  {
    long a = glyph_ink(family, "中", m1), b = glyph_ink(family, "国", m2);
    CHECK(a > 100 && b > 100);
    CHECK(memcmp(m1, m2, sizeof m1) != 0);
    /* the test's method tells a font without Chinese: two characters, one box */
    a = glyph_ink("DejaVu Sans", "中", m1);
    b = glyph_ink("DejaVu Sans", "国", m2);
    printf("DejaVu Sans: '中' and '国' draw %s\n", memcmp(m1, m2, sizeof m1) ? "differently" : "the same empty box");
  }

  /* a map with a Chinese title */
  snprintf(base, sizeof base, "%s/grid", dir);
  snprintf(shp, sizeof shp, "%s.shp", base);
  fx_grid(base);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK(L != NULL);
  for (int k = 0; k < 2 && L; k++) {
    spill_map_opts o;
    spill_map_opts_init(&o);
    o.width = 700;
    o.title = titles[k];
    o.legend_title = "增长率（%）";
    snprintf(png[k], sizeof png[k], "%s/title%d.png", dir, k);
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, png[k], &st[k]), 0);
  }
  if (L) {
    int top = (int)st[0].map_box[1], w0 = 0, w1 = 0;
    unsigned char *a = calloc((size_t)top * 700 + 1, 1), *b = calloc((size_t)top * 700 + 1, 1);
    long i0 = title_ink(png[0], top, a, &w0), i1 = title_ink(png[1], top, b, &w1);
    CHECK_EQ_INT(w0, 700);
    CHECK_EQ_INT(st[1].map_box[1], st[0].map_box[1]);
    CHECK_MSG(i0 > 300 && i1 > 300, "title ink %ld and %ld pixels", i0, i1);
    CHECK_MSG(memcmp(a, b, (size_t)top * 700) != 0, "two different Chinese titles drew the same pixels");
    printf("title band: %d rows, ink %ld and %ld pixels\n", top, i0, i1);
    free(a);
    free(b);
  }
  if (L) { /* city names on the units */
    const char *names[9] = {"石家庄市", "唐山市", "秦皇岛市", "邯郸市", "邢台市", "保定市", "张家口市", "承德市", "沧州市"};
    const char *longer[9];
    spill_map_opts o;
    spill_map_stats s3;
    for (int k = 0; k < 9; k++) longer[k] = "克孜勒苏柯尔克孜自治州克孜勒苏柯尔克孜自治州";
    char p3[1100];
    spill_map_opts_init(&o);
    o.width = 700;
    o.labels = names;
    snprintf(p3, sizeof p3, "%s/labels.png", dir);
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, p3, &s3), 0);
    CHECK_EQ_INT(s3.labels_drawn, 9);
    CHECK_EQ_INT(s3.labels_skipped, 0);
    o.labels = longer; /* too long for all nine: some are left out, none drawn over another */
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, p3, &s3), 0);
    CHECK_MSG(s3.labels_skipped > 0 && s3.labels_drawn + s3.labels_skipped == 9, "%zu drawn, %zu skipped", s3.labels_drawn, s3.labels_skipped);
  }
  spill_layer_free(L);
  spill_ctx_free(ctx);
  return check_done("test_font");
}

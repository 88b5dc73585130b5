/* Colour-blind-safe palettes for choropleths: sequential ramps for levels,
 * diverging ramps centred on zero for effects.
 * Anchors: viridis and cividis (matplotlib; Nunez et al. 2018, PLoS ONE
 * 13(7)), ColorBrewer 9-class sequential and 11-class diverging schemes
 * (Harrower and Brewer 2003, Cartographic J. 40(1)); colours between anchors
 * are interpolated linearly in sRGB. */
#include <math.h>
#include <string.h>
#include "core/internal.h"

typedef struct palette {
  const char *name;
  int diverging;
  double t0;            /* where sequential classes start: ColorBrewer's
                           lightest anchor is near white, kept off the map */
  int n;
  unsigned int hex[11];
} palette;

static const palette palettes[] = {
    {"viridis", 0, 0.0, 10,
     {0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C,
      0xFDE725}},
    {"cividis", 0, 0.0, 10,
     {0x00204D, 0x00336F, 0x39486B, 0x575C6D, 0x707173, 0x8A8779, 0xA69D75, 0xC4B56C, 0xE4CF5B,
      0xFFEA46}},
    {"blues", 0, 0.12, 9,
     {0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B}},
    {"ylorrd", 0, 0.0, 9,
     {0xFFFFCC, 0xFFEDA0, 0xFED976, 0xFEB24C, 0xFD8D3C, 0xFC4E2A, 0xE31A1C, 0xBD0026, 0x800026}},
    {"greens", 0, 0.12, 9,
     {0xF7FCF5, 0xE5F5E0, 0xC7E9C0, 0xA1D99B, 0x74C476, 0x41AB5D, 0x238B45, 0x006D2C, 0x00441B}},
    {"rdbu", 1, 0.0, 11,
     {0x67001F, 0xB2182B, 0xD6604D, 0xF4A582, 0xFDDBC7, 0xF7F7F7, 0xD1E5F0, 0x92C5DE, 0x4393C3,
      0x2166AC, 0x053061}},
    {"puor", 1, 0.0, 11,
     {0x7F3B08, 0xB35806, 0xE08214, 0xFDB863, 0xFEE0B6, 0xF7F7F7, 0xD8DAEB, 0xB2ABD2, 0x8073AC,
      0x542788, 0x2D004B}},
    {"brbg", 1, 0.0, 11,
     {0x543005, 0x8C510A, 0xBF812D, 0xDFC27D, 0xF6E8C3, 0xF5F5F5, 0xC7EAE5, 0x80CDC1, 0x35978F,
      0x01665E, 0x003C30}},
};

/* The palette named name or name-r; *reversed set accordingly. */
static const palette *find(const char *name, int *reversed)
{
  size_t len = strlen(name);
  *reversed = 0;
  if (len > 2 && !spill__strcasecmp(name + len - 2, "-r")) {
    *reversed = 1;
    len -= 2;
  }
  for (size_t i = 0; i < sizeof palettes / sizeof palettes[0]; i++)
    if (strlen(palettes[i].name) == len) {
      size_t j = 0;
      while (j < len && (name[j] | 32) == palettes[i].name[j]) j++;
      if (j == len) return &palettes[i];
    }
  return NULL;
}

int spill_palette_diverging(const char *name)
{
  int rev;
  const palette *p = find(name, &rev);
  return p ? p->diverging : -1;
}

/* Colour at t in [0,1] along the anchors. */
static void at(const palette *p, int reversed, double t, double *rgb)
{
  double pos;
  int i;
  if (reversed) t = 1 - t;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  pos = t * (p->n - 1);
  i = (int)floor(pos);
  if (i >= p->n - 1) i = p->n - 2;
  pos -= i;
  for (int c = 0; c < 3; c++) {
    double a = ((p->hex[i] >> (16 - 8 * c)) & 0xFF) / 255.0;
    double b = ((p->hex[i + 1] >> (16 - 8 * c)) & 0xFF) / 255.0;
    rgb[c] = a + pos * (b - a);
  }
}

int spill_palette_colors(spill_ctx *ctx, const char *name, const double *bounds, int k, double *rgb)
{
  int rev;
  const palette *p = find(name, &rev);
  if (!p) {
    char names[256];
    size_t used = 0;
    for (size_t i = 0; i < sizeof palettes / sizeof palettes[0]; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                               palettes[i].name);
    return spill__fail(ctx, SPILL_EINVAL, "unknown palette '%s' (palettes: %s; add -r to reverse)",
                       name, names);
  }
  if (k < 1) return SPILL_OK;
  if (!p->diverging) {
    for (int c = 0; c < k; c++) {
      double t = k == 1 ? 0.6 : p->t0 + (1 - p->t0) * c / (k - 1);
      at(p, rev, t, rgb + 3 * c);
    }
    return SPILL_OK;
  }
  {
    /* classes entirely below zero, entirely above, and one spanning it */
    int nneg = 0, npos = 0, span = -1, m;
    for (int c = 0; c < k; c++) {
      if (bounds[c + 1] < 0 || (bounds[c + 1] == 0 && bounds[c] < 0)) nneg++;
      else if (bounds[c] > 0 || (c > 0 && bounds[c] >= 0)) npos++;
      else span = c;
    }
    m = nneg > npos ? nneg : npos;
    for (int c = 0; c < k; c++) {
      double t;
      if (c == span) t = 0.5;
      else if (c < nneg) t = 0.5 - 0.5 * (double)(nneg - c) / m;      /* rank nneg-c from zero */
      else t = 0.5 + 0.5 * (double)(c - (k - npos) + 1) / m;          /* rank from zero */
      at(p, rev, t, rgb + 3 * c);
    }
  }
  return SPILL_OK;
}

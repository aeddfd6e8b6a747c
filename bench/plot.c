/* plot.c: a small SVG writer for the benchmark's latency figure (see
 * plot.h). Plain text output, no dependency; it must never draw a point
 * that is not one of its samples' quantiles. */
#include "plot.h"

#include <math.h>
#include <stdio.h>

#define W 720
#define H 420
#define ML 70   /* margins: left, right, top, bottom */
#define MR 20
#define MT 40
#define MB 55
#define POINTS 1000

static double px_x(double us, double lo, double hi)
{
	return ML + (log10(us) - lo) / (hi - lo) * (W - ML - MR);
}

static double px_y(double frac)
{
	return MT + (1.0 - frac) * (H - MT - MB);
}

uint64_t plot_quantile(const uint64_t *sorted, size_t count, double q)
{
	if (!count)
		return 0;
	size_t i = (size_t)ceil(q * (double)count);
	if (i > 0)
		i--;
	if (i >= count)
		i = count - 1;
	return sorted[i];
}

/* A tick label in microseconds: 500, 2k, 50k, 1M. */
static void tick_label(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%gM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%gk", v / 1e3);
	else
		snprintf(buf, len, "%g", v);
}

static double quantile_us(const plot_series *s, double q)
{
	return (double)plot_quantile(s->ns, s->count, q) / 1000.0;
}

int plot_latency_cdf(const char *path, const char *title,
		     const plot_series *series, size_t n)
{
	double mn = INFINITY, mx = 0;
	for (size_t k = 0; k < n; k++) {
		const plot_series *s = &series[k];
		if (!s->count)
			return -1;
		double a = (double)s->ns[0] / 1000.0;
		double b = (double)s->ns[s->count - 1] / 1000.0;
		if (a < mn)
			mn = a;
		if (b > mx)
			mx = b;
	}
	if (mn <= 0)
		mn = 0.001;
	double lo = floor(log10(mn)), hi = ceil(log10(mx));
	if (hi <= lo)
		hi = lo + 1;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H + 8 + 18 * (int)n, W, H + 8 + 18 * (int)n);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"14\" "
		   "text-anchor=\"middle\">%s</text>\n",
		W / 2, title);
	/* Grid and ticks: 1, 2, 5 per decade on x; tenths on y. */
	for (double d = lo; d < hi + 0.5; d += 1) {
		static const int m[] = {1, 2, 5};
		for (int j = 0; j < 3; j++) {
			double v = m[j] * pow(10, d);
			if (log10(v) > hi + 1e-9)
				break;
			double x = px_x(v, lo, hi);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				   "y2=\"%d\" stroke=\"#ddd\"/>\n",
				x, MT, x, H - MB);
			char label[16];
			tick_label(label, sizeof(label), v);
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" "
				   "text-anchor=\"middle\">%s</text>\n",
				x, H - MB + 16, label);
		}
	}
	for (int t = 0; t <= 10; t++) {
		double y = px_y(t / 10.0);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			   "stroke=\"#ddd\"/>\n",
			ML, y, W - MR, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" "
			   "text-anchor=\"end\">%.1f</text>\n",
			ML - 6, y + 4, t / 10.0);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		   "fill=\"none\" stroke=\"#333\"/>\n",
		ML, MT, W - ML - MR, H - MT - MB);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency "
		   "of one call A -&gt; B -&gt; C (microseconds, log "
		   "scale)</text>\n",
		(ML + W - MR) / 2, H - 14);
	fprintf(f, "<text transform=\"translate(18 %d) rotate(-90)\" "
		   "text-anchor=\"middle\">fraction of calls at or "
		   "below</text>\n",
		(MT + H - MB) / 2);
	/* The legend, one row a series, below the axis title: outside the
	 * plot, so it never hides a curve. */
	int lx = ML;
	for (size_t k = 0; k < n; k++) {
		const plot_series *s = &series[k];
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
			   "stroke-width=\"2\" points=\"",
			s->color);
		for (int i = 1; i <= POINTS; i++) {
			double q = (double)i / POINTS;
			fprintf(f, "%.1f,%.1f ",
				px_x(quantile_us(s, q), lo, hi), px_y(q));
		}
		fprintf(f, "\"/>\n");
		double ly = H + 16 + 18.0 * (double)k;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			   "stroke=\"%s\" stroke-width=\"3\"/>\n",
			lx, ly - 4, lx + 24, ly - 4, s->color);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\">%s: p50 %.0f us, p99 "
			   "%.0f us, p99.9 %.0f us (%zu calls)</text>\n",
			lx + 30, ly, s->label, quantile_us(s, 0.5),
			quantile_us(s, 0.99), quantile_us(s, 0.999), s->count);
	}
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? 0 : -1;
}

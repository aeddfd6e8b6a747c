/* plot.h: the benchmark's SVG figure: cumulative latency distributions of
 * several series on one log-scaled axis. Writes a file, nothing else; it
 * never computes a figure of its own beyond the curve of its samples. */
#ifndef CLOAKROOM_PLOT_H
#define CLOAKROOM_PLOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct plot_series {
	const char *label;     /* legend text */
	const char *color;     /* an SVG colour, e.g. "#1f77b4" */
	const uint64_t *ns;    /* samples, sorted ascending */
	size_t count;
} plot_series;

/* The sample at quantile q (0 < q <= 1) of count sorted samples, by
 * nearest rank; 0 when count is 0. */
uint64_t plot_quantile(const uint64_t *sorted, size_t count, double q);

/* Write an SVG of the distribution (fraction of calls at or below a
 * latency, latency in microseconds on a log axis) of each series to
 * path. Returns 0, or -1 when the file cannot be written or a series is
 * empty. */
int plot_latency_cdf(const char *path, const char *title,
		     const plot_series *series, size_t n);

#endif

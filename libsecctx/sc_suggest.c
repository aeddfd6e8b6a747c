/* sc_suggest.c: edit distance and the nearest candidate, for "did you
 * mean" hints in scenario errors. Never allocates and never reads files. */
#include "sc_suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define SUGGEST_MAX_LEN 64

static bool same(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* Optimal string alignment: insertions, deletions, substitutions and
 * transpositions of two neighbours ("levle" -> "level") cost one. */
unsigned sc_suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return 255;
	unsigned d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] +
					(same(a[i - 1], b[j - 1]) ? 0 : 1);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
			    same(a[i - 2], b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *sc_suggest_nearest(const char *word, const char *const *cands,
			       size_t n)
{
	if (!word || !*word)
		return NULL;
	size_t len = strlen(word);
	unsigned limit = (unsigned)(len / 3);
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	unsigned best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		if (!cands[i] || strcmp(cands[i], word) == 0)
			continue;
		unsigned d = sc_suggest_distance(word, cands[i]);
		if (d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	/* A word cut short ("cloak" for "cloaking"). */
	for (size_t i = 0; !best && len >= 4 && i < n; i++)
		if (cands[i] && strlen(cands[i]) > len &&
		    strncasecmp(cands[i], word, len) == 0)
			best = cands[i];
	return best;
}

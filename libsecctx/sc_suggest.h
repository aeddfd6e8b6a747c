/* sc_suggest.h: "did you mean X?" for a misspelled key or value: the
 * nearest candidate by edit distance, when it is near enough. Pure
 * function: no I/O, no allocation. */
#ifndef SC_SUGGEST_H
#define SC_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance of a and b, case-insensitive; capped at 255 (longer
 * words count as far apart). */
unsigned sc_suggest_distance(const char *a, const char *b);

/* The candidate nearest to word, or NULL when none is within a distance
 * of max(1, strlen(word) / 3) (at most 3) and none starts with word (of
 * four letters or more). Candidates may hold NULLs. */
const char *sc_suggest_nearest(const char *word, const char *const *cands,
			       size_t n);

#endif

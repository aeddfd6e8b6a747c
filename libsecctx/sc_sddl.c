/* sc_sddl.c: SDDL text and self-relative binary security descriptors into
 * the model's sc_sd (see sc_sddl.h). Model only: no I/O. Every byte read
 * from a blob is checked against its length first; the text parser names
 * the column of the token it could not read. */
#include "sc_sddl.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the tables -------------------------------------------------------- */

/* SID aliases. rid != 0: domain-relative, "<domain>-<rid>". */
static const struct {
	const char *alias;
	const char *sid;
	unsigned rid;
} aliases[] = {
	{"AN", "S-1-5-7", 0},       {"AO", "S-1-5-32-548", 0},
	{"AU", "S-1-5-11", 0},      {"BA", "S-1-5-32-544", 0},
	{"BG", "S-1-5-32-546", 0},  {"BO", "S-1-5-32-551", 0},
	{"BU", "S-1-5-32-545", 0},  {"CG", "S-1-3-1", 0},
	{"CO", "S-1-3-0", 0},       {"ED", "S-1-5-9", 0},
	{"IU", "S-1-5-4", 0},       {"LS", "S-1-5-19", 0},
	{"NO", "S-1-5-32-556", 0},  {"NS", "S-1-5-20", 0},
	{"NU", "S-1-5-2", 0},       {"OW", "S-1-3-4", 0},
	{"PS", "S-1-5-10", 0},      {"PU", "S-1-5-32-547", 0},
	{"RC", "S-1-5-12", 0},      {"RD", "S-1-5-32-555", 0},
	{"RE", "S-1-5-32-552", 0},  {"RU", "S-1-5-32-554", 0},
	{"SO", "S-1-5-32-549", 0},  {"SU", "S-1-5-6", 0},
	{"SY", "S-1-5-18", 0},      {"WD", "S-1-1-0", 0},
	{"WR", "S-1-5-33", 0},      {"BT", "S-1-5-3", 0},
	{"LA", NULL, 500},          {"LG", NULL, 501},
	{"DA", NULL, 512},          {"DU", NULL, 513},
	{"DG", NULL, 514},          {"DC", NULL, 515},
	{"DD", NULL, 516},          {"CA", NULL, 517},
	{"SA", NULL, 518},          {"EA", NULL, 519},
	{"PA", NULL, 520},          {"RO", NULL, 498},
	{"CN", NULL, 522},          {"AP", NULL, 525},
};

/* Access rights by their two-letter codes. */
static const struct {
	const char *code;
	uint32_t mask;
} rights[] = {
	{"GA", SC_GENERIC_ALL},     {"GR", SC_GENERIC_READ},
	{"GW", SC_GENERIC_WRITE},   {"GX", SC_GENERIC_EXECUTE},
	{"RC", SC_READ_CONTROL},    {"SD", SC_DELETE},
	{"WD", SC_WRITE_DAC},       {"WO", SC_WRITE_OWNER},
	{"FA", SC_FILE_ALL_ACCESS}, {"FR", 0x00120089u},
	{"FW", 0x00120116u},        {"FX", 0x001200A0u},
	{"KA", 0x000F003Fu},        {"KR", 0x00020019u},
	{"KW", 0x00020006u},        {"KX", 0x00020019u},
	{"CC", 0x00000001u},        {"DC", 0x00000002u},
	{"LC", 0x00000004u},        {"SW", 0x00000008u},
	{"RP", 0x00000010u},        {"WP", 0x00000020u},
	{"DT", 0x00000040u},        {"LO", 0x00000080u},
	{"CR", 0x00000100u},
};

/* ACE flags: accepted; only IO (inherit-only) changes what the check
 * sees. */
static const char *const ace_flags[] = {"OI", "CI", "NP", "IO", "ID",
					"SA", "FA", "TP", "CR"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *sc_sddl_alias_sid(const char *alias, const char *domain_sid,
			      char *out, size_t outlen)
{
	for (size_t i = 0; i < N(aliases); i++) {
		if (strcmp(aliases[i].alias, alias) != 0)
			continue;
		if (aliases[i].sid) {
			snprintf(out, outlen, "%s", aliases[i].sid);
			return out;
		}
		if (!domain_sid)
			return NULL;
		int n = snprintf(out, outlen, "%s-%u", domain_sid,
				 aliases[i].rid);
		return n > 0 && (size_t)n < outlen ? out : NULL;
	}
	return NULL;
}

/* ---- SIDs ------------------------------------------------------------- */

/* "S-1-<authority>(-<sub>){0,15}" with decimal numbers in range. The
 * length of the SID at s, or 0 when s does not start with one. */
static size_t sid_text_len(const char *s)
{
	if ((s[0] != 'S' && s[0] != 's') || s[1] != '-' || s[2] != '1' ||
	    s[3] != '-')
		return 0;
	size_t i = 4;
	unsigned parts = 0;
	for (;;) {
		size_t start = i;
		uint64_t v = 0;
		while (isdigit((unsigned char)s[i])) {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > (parts == 0 ? 0xFFFFFFFFFFFFull : 0xFFFFFFFFull))
				return 0;
			i++;
		}
		if (i == start)
			return 0;
		parts++;
		if (s[i] != '-' || !isdigit((unsigned char)s[i + 1]))
			break;
		i++;
	}
	return parts >= 1 && parts <= 16 ? i : 0;
}

int sc_sid_from_binary(const uint8_t *buf, size_t len, size_t *used,
		       char *out, size_t outlen)
{
	if (len < 8 || buf[0] != 1 || buf[1] > 15)
		return SC_ERR_INVAL;
	size_t need = 8 + 4 * (size_t)buf[1];
	if (len < need)
		return SC_ERR_INVAL;
	uint64_t auth = 0;
	for (int i = 2; i < 8; i++)
		auth = auth << 8 | buf[i];
	int n = snprintf(out, outlen, "S-1-%" PRIu64, auth);
	size_t w = n > 0 ? (size_t)n : 0;
	for (unsigned k = 0; k < buf[1] && w < outlen; k++) {
		const uint8_t *p = buf + 8 + 4 * k;
		uint32_t sub = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		n = snprintf(out + w, outlen - w, "-%" PRIu32, sub);
		w += n > 0 ? (size_t)n : 0;
	}
	if (w >= outlen)
		return SC_ERR_RANGE;
	*used = need;
	return 0;
}

int sc_sid_to_binary(const char *sid, uint8_t *buf, size_t buflen,
		     size_t *used)
{
	size_t l = sid_text_len(sid);
	if (l == 0 || sid[l] != '\0')
		return SC_ERR_INVAL;
	const char *p = sid + 4;
	char *end;
	uint64_t auth = strtoull(p, &end, 10);
	unsigned subs = 0;
	uint32_t sub[15];
	while (*end == '-') {
		if (subs == 15)
			return SC_ERR_INVAL;
		sub[subs++] = (uint32_t)strtoul(end + 1, &end, 10);
	}
	size_t need = 8 + 4 * (size_t)subs;
	if (buflen < need)
		return SC_ERR_RANGE;
	buf[0] = 1;
	buf[1] = (uint8_t)subs;
	for (int i = 0; i < 6; i++)
		buf[2 + i] = (uint8_t)(auth >> (8 * (5 - i)));
	for (unsigned k = 0; k < subs; k++)
		for (int b = 0; b < 4; b++)
			buf[8 + 4 * k + (unsigned)b] =
				(uint8_t)(sub[k] >> (8 * b));
	*used = need;
	return 0;
}

/* ---- building the sd -------------------------------------------------- */

static int add_ace(sc_sd *sd, sc_ace_type type, const char *sid,
		   uint32_t mask)
{
	sc_ace *a = realloc(sd->aces, (sd->ace_count + 1) * sizeof(*a));
	if (!a)
		return SC_ERR_NOMEM;
	sd->aces = a;
	char *s = strdup(sid);
	if (!s)
		return SC_ERR_NOMEM;
	a[sd->ace_count].type = type;
	a[sd->ace_count].sid = s;
	a[sd->ace_count].mask = mask;
	sd->ace_count++;
	return 0;
}

static void start(sc_sd *sd, sc_sddl_extra *extra)
{
	memset(sd, 0, sizeof(*sd));
	sd->type = SC_OBJ_FILE;
	memset(extra, 0, sizeof(*extra));
}

/* ---- SDDL text -------------------------------------------------------- */

struct text {
	const char *s; /* the whole text */
	size_t i;      /* where we are */
	const char *domain_sid;
	sc_sd *sd;
	sc_sddl_extra *extra;
	sc_sddl_error *err;
};

static int bad(struct text *t, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct text *t, size_t at, const char *fmt, ...)
{
	t->err->col = at + 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err->msg, sizeof(t->err->msg), fmt, ap);
	va_end(ap);
	return SC_ERR_INVAL;
}

/* A SID or an alias at t->i, ending at one of stop. */
static int read_sid(struct text *t, const char *stop, char *out,
		    size_t outlen)
{
	size_t at = t->i;
	size_t l = sid_text_len(t->s + at);
	if (l) {
		if (l >= outlen)
			return bad(t, at, "the SID is too long");
		memcpy(out, t->s + at, l);
		out[l] = '\0';
		out[0] = 'S';
		t->i += l;
	} else {
		/* An alias is two capital letters. */
		char alias[3] = {t->s[at], t->s[at] ? t->s[at + 1] : '\0', '\0'};
		bool two = isupper((unsigned char)alias[0]) &&
			   isupper((unsigned char)alias[1]);
		if (!two || !sc_sddl_alias_sid(alias, t->domain_sid, out,
					       outlen)) {
			bool rel = false;
			for (size_t i = 0; two && i < N(aliases); i++)
				rel = rel || (strcmp(aliases[i].alias,
						     alias) == 0);
			if (rel)
				return bad(t, at,
					   "'%s' is relative to a domain, and "
					   "there is none to complete it",
					   alias);
			size_t n = strcspn(t->s + at, ";)(:");
			return bad(t, at,
				   "'%.*s' is not a SID (S-1-...) or a SID "
				   "alias (BA, SY, WD, DA, ...)",
				   (int)(n > 40 ? 40 : n), t->s + at);
		}
		t->i += 2;
	}
	if (!strchr(stop, t->s[t->i])) {
		size_t n = strcspn(t->s + at, ";)(");
		return bad(t, at, "'%.*s' is not a well-formed SID",
			   (int)(n > 60 ? 60 : n), t->s + at);
	}
	return 0;
}

static int read_rights(struct text *t, size_t end, uint32_t *mask)
{
	size_t at = t->i;
	*mask = 0;
	if (at == end)
		return bad(t, at, "an ACE needs its access rights");
	if (t->s[at] == '0' && (t->s[at + 1] == 'x' || t->s[at + 1] == 'X')) {
		uint64_t v = 0;
		size_t i = at + 2;
		if (i == end)
			return bad(t, at, "a 0x mask needs hex digits");
		for (; i < end; i++) {
			int c = tolower((unsigned char)t->s[i]);
			if (!isxdigit(c))
				return bad(t, i, "'%c' is not a hex digit", c);
			v = v * 16 + (uint64_t)(isdigit(c) ? c - '0'
							 : c - 'a' + 10);
			if (v > 0xFFFFFFFFull)
				return bad(t, at, "the mask is over 32 bits");
		}
		*mask = (uint32_t)v;
		t->i = end;
		return 0;
	}
	if (isdigit((unsigned char)t->s[at])) {
		uint64_t v = 0;
		for (size_t i = at; i < end; i++) {
			if (!isdigit((unsigned char)t->s[i]))
				return bad(t, i, "'%c' is not a digit",
					   t->s[i]);
			v = v * 10 + (uint64_t)(t->s[i] - '0');
			if (v > 0xFFFFFFFFull)
				return bad(t, at, "the mask is over 32 bits");
		}
		*mask = (uint32_t)v;
		t->i = end;
		return 0;
	}
	for (size_t i = at; i < end; i += 2) {
		size_t k = 0;
		while (k < N(rights) &&
		       !(i + 1 < end && t->s[i] == rights[k].code[0] &&
			 t->s[i + 1] == rights[k].code[1]))
			k++;
		if (k == N(rights))
			return bad(t, i,
				   "'%.2s' is not an access right (GA, GR, "
				   "GW, GX, FA, FR, FW, FX, RC, SD, WD, WO, "
				   "KA, KR, KW, KX, CC, DC, LC, SW, RP, WP, "
				   "DT, LO, CR, or a 0x mask)",
				   t->s + i);
		*mask |= rights[k].mask;
	}
	t->i = end;
	return 0;
}

/* The end of the ACE field at t->i (the next ';' or ')'). */
static size_t field_end(const struct text *t)
{
	return t->i + strcspn(t->s + t->i, ";)");
}

static int expect(struct text *t, char c, const char *what)
{
	if (t->s[t->i] != c)
		return t->s[t->i]
			       ? bad(t, t->i, "expected '%c' %s, found '%c'",
				     c, what, t->s[t->i])
			       : bad(t, t->i, "expected '%c' %s, found the end",
				     c, what);
	t->i++;
	return 0;
}

/* One "(type;flags;rights;object;inherited object;sid)". in_dacl: the
 * ACE is kept; else (a SACL's) it is read and dropped. */
static int read_ace(struct text *t, bool in_dacl)
{
	int rc = expect(t, '(', "to open an ACE");
	if (rc)
		return rc;
	size_t at = t->i, end = field_end(t);
	size_t n = end - at;
	sc_ace_type type = SC_ACE_ALLOW;
	bool object = false;
	if (n == 1 && t->s[at] == 'A')
		type = SC_ACE_ALLOW;
	else if (n == 1 && t->s[at] == 'D')
		type = SC_ACE_DENY;
	else if (n == 2 && strncmp(t->s + at, "OA", 2) == 0)
		type = SC_ACE_ALLOW, object = true;
	else if (n == 2 && strncmp(t->s + at, "OD", 2) == 0)
		type = SC_ACE_DENY, object = true;
	else if (!in_dacl && n == 2 &&
		 (strncmp(t->s + at, "AU", 2) == 0 ||
		  strncmp(t->s + at, "AL", 2) == 0 ||
		  strncmp(t->s + at, "ML", 2) == 0 ||
		  strncmp(t->s + at, "OU", 2) == 0))
		object = t->s[at] == 'O'; /* audit: read, then dropped */
	else if (in_dacl && n == 2 &&
		 (strncmp(t->s + at, "XA", 2) == 0 ||
		  strncmp(t->s + at, "XD", 2) == 0))
		return bad(t, at,
			   "conditional ACEs (XA, XD) are not modelled");
	else
		return bad(t, at,
			   "'%.*s' is not an ACE type (A, D, OA, OD%s)",
			   (int)(n > 20 ? 20 : n), t->s + at,
			   in_dacl ? "" : "; in a SACL AU, AL, ML, OU");
	t->i = end;
	if ((rc = expect(t, ';', "after the ACE type")))
		return rc;
	/* flags */
	bool inherit_only = false;
	end = field_end(t);
	for (size_t i = t->i; i < end; i += 2) {
		size_t k = 0;
		while (k < N(ace_flags) &&
		       !(i + 1 < end && t->s[i] == ace_flags[k][0] &&
			 t->s[i + 1] == ace_flags[k][1]))
			k++;
		if (k == N(ace_flags))
			return bad(t, i,
				   "'%.2s' is not an ACE flag (OI, CI, NP, "
				   "IO, ID, SA, FA)",
				   t->s + i);
		inherit_only = inherit_only || strcmp(ace_flags[k], "IO") == 0;
	}
	t->i = end;
	if ((rc = expect(t, ';', "after the ACE flags")))
		return rc;
	uint32_t mask = 0;
	if ((rc = read_rights(t, field_end(t), &mask)))
		return rc;
	if ((rc = expect(t, ';', "after the access rights")))
		return rc;
	/* object type, inherited object type: GUIDs only on OA/OD. */
	for (int g = 0; g < 2; g++) {
		end = field_end(t);
		if (end != t->i && (!object || g == 0)) {
			if (!object)
				return bad(t, t->i,
					   "an object type belongs to an OA "
					   "or OD ACE only");
			return bad(t, t->i,
				   "an ACE for one object type (a property "
				   "or an extended right) is not modelled: "
				   "leave the object type empty");
		}
		t->i = end;
		if ((rc = expect(t, ';', g == 0 ? "after the object type"
						: "after the inherited "
						  "object type")))
			return rc;
	}
	char sid[96];
	if ((rc = read_sid(t, ";)", sid, sizeof(sid))))
		return rc;
	if (t->s[t->i] == ';')
		return bad(t, t->i,
			   "resource attributes in an ACE are not modelled");
	if ((rc = expect(t, ')', "to close the ACE")))
		return rc;
	if (!in_dacl)
		return 0;
	if (inherit_only) { /* T6: applies to children, not this object */
		t->extra->skipped++;
		return 0;
	}
	return add_ace(t->sd, type, sid, mask);
}

/* "D:" or "S:" then flags then ACEs. */
static int read_acl(struct text *t, bool dacl)
{
	if (dacl && strncmp(t->s + t->i, "NO_ACCESS_CONTROL", 17) == 0) {
		t->i += 17;
		t->sd->dacl_present = false;
		return 0;
	}
	if (dacl)
		t->sd->dacl_present = true;
	while (t->s[t->i] && t->s[t->i] != '(' &&
	       !(t->s[t->i + 1] == ':' && strchr("OGDS", t->s[t->i]))) {
		size_t at = t->i;
		if (t->s[at] == 'P')
			t->i++;
		else if (strncmp(t->s + at, "AI", 2) == 0 ||
			 strncmp(t->s + at, "AR", 2) == 0)
			t->i += 2;
		else
			return bad(t, at,
				   "'%c' is not an ACL flag (P, AI, AR) or "
				   "the start of an ACE",
				   t->s[at]);
	}
	while (t->s[t->i] == '(') {
		int rc = read_ace(t, dacl);
		if (rc)
			return rc;
	}
	return 0;
}

int sc_sddl_parse(const char *text, const char *domain_sid, sc_sd *sd,
		  sc_sddl_extra *extra, sc_sddl_error *err)
{
	sc_sddl_extra ex;
	extra = extra ? extra : &ex;
	start(sd, extra);
	memset(err, 0, sizeof(*err));
	sd->dacl_present = true; /* an empty "D:" is an empty DACL */
	struct text t = {.s = text, .domain_sid = domain_sid, .sd = sd,
			 .extra = extra, .err = err};
	int rc = 0;
	bool seen[4] = {false, false, false, false};
	while (rc == 0 && text[t.i]) {
		while (text[t.i] == ' ' || text[t.i] == '\t')
			t.i++;
		if (!text[t.i])
			break;
		const char *parts = "OGDS";
		const char *p = strchr(parts, text[t.i]);
		if (!p || text[t.i + 1] != ':') {
			rc = bad(&t, t.i,
				 "expected O:, G:, D: or S: (owner, group, "
				 "DACL, SACL), found '%c'",
				 text[t.i]);
			break;
		}
		size_t k = (size_t)(p - parts);
		if (seen[k]) {
			rc = bad(&t, t.i, "%c: is given twice", text[t.i]);
			break;
		}
		seen[k] = true;
		t.i += 2;
		char sid[96];
		switch (k) {
		case 0:
			rc = read_sid(&t, "OGDS", sid, sizeof(sid));
			if (rc == 0 && !(sd->owner_sid = strdup(sid)))
				rc = SC_ERR_NOMEM;
			extra->has_owner = true;
			break;
		case 1:
			rc = read_sid(&t, "OGDS", sid, sizeof(sid));
			extra->has_group = true;
			break;
		case 2:
			rc = read_acl(&t, true);
			extra->has_dacl = true;
			break;
		default:
			rc = read_acl(&t, false);
			extra->has_sacl = true;
			break;
		}
	}
	if (rc == 0 && !extra->has_dacl)
		sd->dacl_present = false;
	return rc;
}

/* ---- binary ----------------------------------------------------------- */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int bin_bad(sc_sddl_error *err, size_t off, const char *what)
{
	err->col = 0;
	snprintf(err->msg, sizeof(err->msg), "byte %zu: %s", off, what);
	return SC_ERR_INVAL;
}

enum {
	SE_DACL_PRESENT = 0x0004,
	SE_SELF_RELATIVE = 0x8000,
	ACE_ALLOWED = 0,
	ACE_DENIED = 1,
	ACE_ALLOWED_OBJECT = 5,
	ACE_DENIED_OBJECT = 6,
	ACE_INHERIT_ONLY = 0x08,
	ACE_OBJECT_TYPE_PRESENT = 0x1,
	ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2,
};

/* The ACE at buf[off] (its header read): appended to sd. */
static int bin_ace(const uint8_t *buf, size_t off, size_t size, sc_sd *sd,
		   sc_sddl_extra *extra, sc_sddl_error *err)
{
	uint8_t type = buf[off], flags = buf[off + 1];
	bool object = type == ACE_ALLOWED_OBJECT || type == ACE_DENIED_OBJECT;
	if (type != ACE_ALLOWED && type != ACE_DENIED && !object)
		return bin_bad(err, off,
			       "an ACE type other than allow or deny (a "
			       "callback or audit ACE in the DACL) is not "
			       "modelled");
	size_t p = off + 4;
	if (p + 4 > off + size)
		return bin_bad(err, off, "the ACE is shorter than its mask");
	uint32_t mask = le32(buf + p);
	p += 4;
	if (object) {
		if (p + 4 > off + size)
			return bin_bad(err, off,
				       "the object ACE is shorter than its "
				       "flags");
		uint32_t of = le32(buf + p);
		p += 4;
		if (of & ACE_OBJECT_TYPE_PRESENT)
			return bin_bad(err, off,
				       "an ACE for one object type (a "
				       "property or an extended right) is "
				       "not modelled");
		if (of & ACE_INHERITED_OBJECT_TYPE_PRESENT)
			p += 16;
		if (p > off + size)
			return bin_bad(err, off,
				       "the object ACE is shorter than its "
				       "GUID");
	}
	char sid[96];
	size_t used = 0;
	if (sc_sid_from_binary(buf + p, off + size - p, &used, sid,
			       sizeof(sid)) != 0)
		return bin_bad(err, p, "the ACE's SID is malformed");
	if (flags & ACE_INHERIT_ONLY) {
		extra->skipped++;
		return 0;
	}
	return add_ace(sd,
		       type == ACE_ALLOWED || type == ACE_ALLOWED_OBJECT
			       ? SC_ACE_ALLOW
			       : SC_ACE_DENY,
		       sid, mask);
}

static int bin_acl(const uint8_t *buf, size_t len, size_t off, sc_sd *sd,
		   sc_sddl_extra *extra, sc_sddl_error *err)
{
	if (off < 20 || off > len || len - off < 8)
		return bin_bad(err, off, "the DACL lies outside the descriptor");
	if (buf[off] != 2 && buf[off] != 4)
		return bin_bad(err, off, "the DACL's revision is not 2 or 4");
	size_t size = le16(buf + off + 2), count = le16(buf + off + 4);
	if (size < 8 || size > len - off)
		return bin_bad(err, off + 2,
			       "the DACL's size runs past the descriptor");
	size_t p = off + 8;
	for (size_t i = 0; i < count; i++) {
		if (p + 4 > off + size)
			return bin_bad(err, p,
				       "the DACL holds fewer ACEs than it "
				       "counts");
		size_t ace = le16(buf + p + 2);
		if (ace < 8 || ace > off + size - p)
			return bin_bad(err, p + 2,
				       "the ACE's size runs past its DACL");
		int rc = bin_ace(buf, p, ace, sd, extra, err);
		if (rc)
			return rc;
		p += ace;
	}
	return 0;
}

int sc_sd_from_binary(const uint8_t *buf, size_t len, sc_sd *sd,
		      sc_sddl_extra *extra, sc_sddl_error *err)
{
	sc_sddl_extra ex;
	extra = extra ? extra : &ex;
	start(sd, extra);
	memset(err, 0, sizeof(*err));
	if (len < 20)
		return bin_bad(err, 0, "shorter than a descriptor's header");
	if (buf[0] != 1)
		return bin_bad(err, 0, "the revision is not 1");
	uint16_t control = le16(buf + 2);
	if (!(control & SE_SELF_RELATIVE))
		return bin_bad(err, 2, "not a self-relative descriptor");
	uint32_t owner = le32(buf + 4), group = le32(buf + 8),
		 sacl = le32(buf + 12), dacl = le32(buf + 16);
	char sid[96];
	size_t used;
	if (owner) {
		if (owner < 20 || owner >= len ||
		    sc_sid_from_binary(buf + owner, len - owner, &used, sid,
				       sizeof(sid)) != 0)
			return bin_bad(err, 4, "the owner SID is malformed");
		if (!(sd->owner_sid = strdup(sid)))
			return SC_ERR_NOMEM;
		extra->has_owner = true;
	}
	if (group) {
		if (group < 20 || group >= len ||
		    sc_sid_from_binary(buf + group, len - group, &used, sid,
				       sizeof(sid)) != 0)
			return bin_bad(err, 8, "the group SID is malformed");
		extra->has_group = true;
	}
	extra->has_sacl = sacl != 0;
	extra->has_dacl = (control & SE_DACL_PRESENT) != 0;
	/* A present DACL at offset 0 is a NULL DACL. */
	sd->dacl_present = extra->has_dacl && dacl != 0;
	if (!sd->dacl_present)
		return 0;
	return bin_acl(buf, len, dacl, sd, extra, err);
}

/* ---- back to text ----------------------------------------------------- */

int sc_sddl_format(const sc_sd *sd, char *buf, size_t len)
{
	size_t w = 0;
	int n;
#define PUT(...)                                                        \
	do {                                                            \
		n = snprintf(buf + w, w < len ? len - w : 0, __VA_ARGS__); \
		w += n > 0 ? (size_t)n : 0;                             \
	} while (0)
	if (len)
		buf[0] = '\0';
	if (sd->owner_sid)
		PUT("O:%s", sd->owner_sid);
	if (!sd->dacl_present) {
		PUT("D:NO_ACCESS_CONTROL");
	} else {
		PUT("D:");
		for (size_t i = 0; i < sd->ace_count; i++)
			PUT("(%s;;0x%" PRIx32 ";;;%s)",
			    sd->aces[i].type == SC_ACE_ALLOW ? "A" : "D",
			    sd->aces[i].mask, sd->aces[i].sid);
	}
#undef PUT
	return w < len ? 0 : SC_ERR_RANGE;
}

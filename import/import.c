/* import.c: an Active Directory export (LDIF through libldap's own reader,
 * SharpHound JSON through jansson) into a scenario's domain (import.h).
 * Reads buffers and writes a string: no files, no terminal. Every name
 * and DN from the export reaches a note only through sc_escape. */
#include "import.h"

#include "sc_common.h"
#include "sc_scenario.h"
#include "sc_sddl.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>
#include <ldif.h>

/* The most entries of one list the scenario format takes (SC_MAX_LIST). */
#define IMP_MAX_LIST 256

/* ---- small helpers ------------------------------------------------------ */

static int list_addn(imp_list *l, const char *s, size_t n)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		char **items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return SC_ERR_NOMEM;
		l->items = items;
		l->cap = cap;
	}
	char *c = malloc(n + 1);
	if (!c)
		return SC_ERR_NOMEM;
	memcpy(c, s, n);
	c[n] = '\0';
	l->items[l->count++] = c;
	return 0;
}

static int list_add(imp_list *l, const char *s)
{
	return list_addn(l, s, strlen(s));
}

static bool list_has(const imp_list *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcasecmp(l->items[i], s) == 0)
			return true;
	return false;
}

static void list_free(imp_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

__attribute__((format(printf, 2, 3))) static int list_addf(imp_list *l,
							  const char *f, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return list_add(l, buf);
}

static void set_err(imp_error *err, unsigned line, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(imp_error *err, unsigned line, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), f, ap);
	va_end(ap);
}

/* A name from the export, for a note: escaped, cut at 200 bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
	char tmp[200];
	snprintf(tmp, sizeof(tmp), "%.199s", s ? s : "");
	return sc_escape(tmp, buf, len);
}

/* Where an object is, for notes: "FILE:LINE: DN" or "FILE: NAME". */
static const char *where(const imp_object *o, char *buf, size_t len)
{
	char f[200], who[600];
	shown(o->dn ? o->dn : o->name, who, sizeof(who));
	if (o->line)
		snprintf(buf, len, "%s:%u: %s", shown(o->file, f, sizeof(f)),
			 o->line, who);
	else
		snprintf(buf, len, "%s: %s", shown(o->file, f, sizeof(f)),
			 who);
	return buf;
}

/* A name an account or group can have in a scenario: not empty, valid
 * UTF-8 without control characters (what sc_escape leaves as it is), no
 * backslash (DOMAIN\name) and no line break. */
static bool usable_name(const char *s)
{
	if (!s || !*s || strlen(s) > 256 || strchr(s, '\\'))
		return false;
	char buf[1100];
	sc_escape(s, buf, sizeof(buf));
	return strcmp(buf, s) == 0;
}

static bool sid_text(const char *s)
{
	if (strncmp(s, "S-1-", 4) != 0 || !s[4])
		return false;
	for (const char *p = s + 4; *p; p++)
		if (!isdigit((unsigned char)*p) &&
		    !(*p == '-' && isdigit((unsigned char)p[1])))
			return false;
	return true;
}

static unsigned long sid_rid(const char *sid)
{
	const char *dash = strrchr(sid, '-');
	return dash ? strtoul(dash + 1, NULL, 10) : 0;
}

int imp_domain_init(imp_domain *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	if (name && !(d->name = strdup(name)))
		return SC_ERR_NOMEM;
	return 0;
}

static void object_free(imp_object *o)
{
	free(o->dn);
	free(o->name);
	free(o->sid);
	list_free(&o->spns);
	list_free(&o->delegate_spns);
	list_free(&o->delegate_sids);
	list_free(&o->act_sids);
	list_free(&o->act_deny_sids);
	list_free(&o->member_of);
	list_free(&o->members);
}

void imp_domain_free(imp_domain *d)
{
	for (size_t i = 0; i < d->count; i++)
		object_free(&d->objs[i]);
	free(d->objs);
	free(d->name);
	list_free(&d->skipped);
	list_free(&d->notes);
	list_free(&d->files);
	memset(d, 0, sizeof(*d));
}

static const char *keep_file(imp_domain *d, const char *file)
{
	if (d->files.count && strcmp(d->files.items[d->files.count - 1],
				      file) == 0)
		return d->files.items[d->files.count - 1];
	return list_add(&d->files, file) == 0
		       ? d->files.items[d->files.count - 1]
		       : NULL;
}

static imp_object *new_object(imp_domain *d)
{
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		imp_object *o = realloc(d->objs, cap * sizeof(*o));
		if (!o)
			return NULL;
		d->objs = o;
		d->cap = cap;
	}
	imp_object *o = &d->objs[d->count];
	memset(o, 0, sizeof(*o));
	return o;
}

/* The first DC= of a DN, in capitals ("CN=a,DC=corp,DC=example" ->
 * "CORP"), as the domain's name when none was given. */
static void name_from_dn(imp_domain *d, const char *dn)
{
	if (d->name || !dn)
		return;
	for (const char *p = dn; *p; p++) {
		if ((p == dn || p[-1] == ',') && strncasecmp(p, "DC=", 3) == 0) {
			size_t n = strcspn(p + 3, ",");
			if (n == 0 || n > 15)
				return;
			char *name = strndup(p + 3, n);
			if (!name)
				return;
			for (char *c = name; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			if (usable_name(name))
				d->name = name;
			else
				free(name);
			return;
		}
	}
}

/* ---- LDIF --------------------------------------------------------------- */

/* libldap reports what it refused through liblber's log function: the
 * first message of a record is kept for its error. */
static char ldap_said[256];

static void ldap_log(const char *msg)
{
	if (ldap_said[0])
		return;
	snprintf(ldap_said, sizeof(ldap_said), "%s", msg);
	size_t n = strlen(ldap_said);
	while (n && (ldap_said[n - 1] == '\n' || ldap_said[n - 1] == '\r'))
		ldap_said[--n] = '\0';
}

/* ldap_parse_ldif_record writes its complaints to stderr itself
 * (fprintf): stderr points at a buffer while it runs, and what it said
 * joins the error. The import runs on one thread. */
static FILE *stderr_to(char *buf, size_t len)
{
	memset(buf, 0, len);
	FILE *m = fmemopen(buf, len - 1, "w");
	if (!m)
		return NULL;
	FILE *old = stderr;
	stderr = m;
	return old;
}

static void stderr_back(FILE *old)
{
	if (!old)
		return;
	FILE *m = stderr;
	stderr = old;
	fclose(m);
}

/* Lines libldap would act on beyond the file: `include: URL` reads
 * another file, `attr:< URL` a value from one. An export is one file, so
 * both are refused before libldap sees the text; so are a NUL byte and a
 * line that libldap cannot take (below). */
static int ldif_prescan(const char *data, size_t len, imp_error *err)
{
	unsigned line = 1;
	for (size_t i = 0; i < len; line++) {
		size_t end = i;
		while (end < len && data[end] != '\n')
			end++;
		const char *l = data + i;
		size_t n = end - i;
		if (memchr(l, '\0', n)) {
			set_err(err, line, "a NUL byte: an LDIF export is text");
			return SC_ERR_INVAL;
		}
		if (n >= 8 && strncasecmp(l, "include:", 8) == 0) {
			set_err(err, line, "'include:' is not read: an export "
					   "is one file");
			return SC_ERR_INVAL;
		}
		/* An attribute without a name: libldap 2.5 reads a NULL
		 * for it (and crashes), so it never gets there. */
		if (n && l[0] == ':') {
			set_err(err, line, "an attribute without a name");
			return SC_ERR_INVAL;
		}
		if (n && l[0] != ' ' && l[0] != '#') {
			const char *colon = memchr(l, ':', n);
			if (colon && (size_t)(colon - l) + 1 < n &&
			    colon[1] == '<') {
				set_err(err, line, "a value taken from a URL "
						   "(ATTRIBUTE:<) is not "
						   "read: an export is one "
						   "file");
				return SC_ERR_INVAL;
			}
		}
		i = end + 1;
	}
	return 0;
}

/* A position in the file: the start of a line, and its number. */
typedef struct cursor {
	size_t off;
	unsigned line;
} cursor;

/* The line where rec (a copy of whole lines of data) starts: the first
 * line after `after` whose text begins with it. c moves forward only, so
 * that the whole file is walked once. */
static unsigned record_line(const char *data, size_t len, cursor *c,
			    unsigned after, const char *rec)
{
	if (!rec) /* libldap gave no text for the record */
		return after + 1;
	size_t first = strcspn(rec, "\n") + 1;
	while (c->off < len) {
		if (c->line > after && len - c->off >= first &&
		    memcmp(data + c->off, rec, first) == 0)
			return c->line;
		const char *nl = memchr(data + c->off, '\n', len - c->off);
		c->off = nl ? (size_t)(nl - data) + 1 : len;
		c->line++;
	}
	return after + 1;
}

/* Each line of rec as libldap's own line reader (ldif_getline,
 * ldif_parse_line2) takes it, with an attribute name: a line it refuses,
 * an empty name or a lone "-" (which ldap_parse_ldif_record reads as a
 * NULL name in an entry, and crashes on) is where the record is wrong.
 * Checked before the record goes to ldap_parse_ldif_record. Returns false
 * with err at that line. */
static bool ldif_lines_ok(const char *rec, unsigned start, imp_error *err)
{
	size_t off = 0;
	unsigned phys = 0;
	while (rec[off]) {
		/* One logical line: this physical line and its continuations. */
		size_t end = off;
		unsigned lines = 0;
		do {
			end += strcspn(rec + end, "\n");
			if (rec[end] == '\n')
				end++;
			lines++;
		} while (rec[end] == ' ');
		bool bad = false;
		if (rec[off] != '#') {
			char *one = strndup(rec + off, end - off);
			char *next = one, *l;
			ldap_said[0] = '\0';
			if (one && (l = ldif_getline(&next)) != NULL) {
				struct berval type, value;
				int freeval = 0;
				bad = strcmp(l, "-") == 0 ||
				      ldif_parse_line2(l, &type, &value,
						       &freeval) != 0 ||
				      type.bv_len == 0;
				if (freeval)
					ber_memfree(value.bv_val);
			}
			free(one);
		}
		if (bad) {
			char text[80], esc[200], why[200];
			snprintf(text, sizeof(text), "%.*s",
				 (int)strcspn(rec + off, "\n"), rec + off);
			shown(ldap_said, why, sizeof(why));
			set_err(err, start + phys,
				"not an LDIF line (ATTRIBUTE: VALUE or "
				"ATTRIBUTE:: BASE64): '%s'%s%s",
				shown(text, esc, sizeof(esc)),
				why[0] ? ": " : "", why);
			return false;
		}
		phys += lines;
		off = end;
	}
	return true;
}

/* A record libldap refused whose every line reads: the record as a whole
 * is wrong, at its first line. */
static void ldif_bad_record(const char *rec, unsigned start, imp_error *err)
{
	char whole[256], esc[200];
	snprintf(whole, sizeof(whole), "%s", ldap_said);
	if (!ldif_lines_ok(rec, start, err))
		return;
	set_err(err, start, "not an LDIF entry (%s)",
		whole[0] ? shown(whole, esc, sizeof(esc))
			 : "libldap refused it");
}

/* The attribute name without options ("member;range=0-1499" -> member). */
static bool attr_is(const char *type, const char *name)
{
	size_t n = strcspn(type, ";");
	return strlen(name) == n && strncasecmp(type, name, n) == 0;
}

static int add_values(imp_list *l, struct berval **v)
{
	for (; v && *v; v++) {
		if (memchr((*v)->bv_val, '\0', (*v)->bv_len))
			continue; /* text attributes: a NUL cannot be one */
		int rc = list_addn(l, (*v)->bv_val, (*v)->bv_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* msDS-AllowedToActOnBehalfOfOtherIdentity: a self-relative security
 * descriptor; its allow and deny ACEs name who may act (D5). */
static int read_rbcd(imp_domain *d, imp_object *o, const struct berval *v)
{
	sc_sd sd;
	sc_sddl_extra ex;
	sc_sddl_error e;
	char at[900];
	int rc = sc_sd_from_binary((const uint8_t *)v->bv_val, v->bv_len, &sd,
				   &ex, &e);
	if (rc != 0) /* what it read before the error is freed too */
		sc_sd_free_contents(&sd);
	if (rc == SC_ERR_NOMEM)
		return rc;
	if (rc != 0)
		return list_addf(&d->notes, "%s: msDS-AllowedToActOnBehalf"
					    "OfOtherIdentity not read: %s",
				 where(o, at, sizeof(at)), e.msg);
	if (!sd.dacl_present) {
		sc_sd_free_contents(&sd);
		return list_addf(&d->notes, "%s: msDS-AllowedToActOnBehalf"
					    "OfOtherIdentity has no DACL "
					    "(any account could act): not "
					    "read", where(o, at, sizeof(at)));
	}
	for (size_t i = 0; i < sd.ace_count && rc == 0; i++)
		rc = list_add(sd.aces[i].type == SC_ACE_DENY ? &o->act_deny_sids
							   : &o->act_sids,
			      sd.aces[i].sid);
	sc_sd_free_contents(&sd);
	return rc;
}

static const char *last_class(LDAPMod *m)
{
	struct berval **v = m ? m->mod_bvalues : NULL;
	const char *last = "none";
	for (; v && *v; v++)
		last = (*v)->bv_val;
	return last;
}

/* objectSid, as text or binary, into o->sid. NULL, or why the entry is
 * skipped. */
static const char *read_sid(imp_object *o, struct berval **v)
{
	char sid[200];
	size_t used;
	if (v[0]->bv_len > 4 && !memchr(v[0]->bv_val, 0, v[0]->bv_len) &&
	    strncmp(v[0]->bv_val, "S-1-", 4) == 0)
		snprintf(sid, sizeof(sid), "%s", v[0]->bv_val);
	else if (sc_sid_from_binary((const uint8_t *)v[0]->bv_val,
				    v[0]->bv_len, &used, sid,
				    sizeof(sid)) != 0 ||
		 used != v[0]->bv_len)
		sid[0] = '\0';
	free(o->sid);
	o->sid = sid_text(sid) ? strdup(sid) : NULL;
	return o->sid ? NULL : "its objectSid is not a SID";
}

/* userAccountControl into o's flags. NULL, or why (in whybuf) the entry
 * is skipped. */
static const char *read_uac(imp_object *o, struct berval **v, char *whybuf,
			    size_t whylen)
{
	char num[24];
	char *end;
	snprintf(num, sizeof(num), "%.*s",
		 (int)(v[0]->bv_len < 23 ? v[0]->bv_len : 23), v[0]->bv_val);
	/* AD writes it as a signed 32-bit decimal. */
	long long u = strtoll(num, &end, 10);
	if (!num[0] || *end || u < INT32_MIN || u > UINT32_MAX) {
		snprintf(whybuf, whylen,
			 "userAccountControl '%.30s' is not a number", num);
		return whybuf;
	}
	uint32_t uac = (uint32_t)u;
	o->disabled = uac & IMP_UAC_ACCOUNTDISABLE;
	o->trusted_for_delegation = uac & IMP_UAC_TRUSTED_FOR_DELEGATION;
	o->not_delegated = uac & IMP_UAC_NOT_DELEGATED;
	o->trusted_to_auth = uac & IMP_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION;
	return NULL;
}

/* One entry, as libldap parsed it, into an object (or a skipped note). */
static int ldif_entry(imp_domain *d, const char *file, unsigned line,
		      const LDIFRecord *lr)
{
	imp_object *o = new_object(d);
	if (!o)
		return SC_ERR_NOMEM;
	o->file = file;
	o->line = line;
	if (!(o->dn = strndup(lr->lr_dn.bv_val, lr->lr_dn.bv_len)))
		return SC_ERR_NOMEM;
	LDAPMod *classes = NULL;
	int rc = 0;
	bool cut = false;
	const char *why = NULL;
	char whybuf[300];
	for (LDAPMod **mp = lr->lrop_mods; mp && *mp && rc == 0; mp++) {
		LDAPMod *m = *mp;
		struct berval **v = m->mod_bvalues;
		if (!v || !*v)
			continue;
		if (attr_is(m->mod_type, "objectClass")) {
			classes = m;
		} else if (attr_is(m->mod_type, "sAMAccountName")) {
			free(o->name);
			o->name = strndup(v[0]->bv_val, v[0]->bv_len);
			if (!o->name)
				rc = SC_ERR_NOMEM;
		} else if (attr_is(m->mod_type, "objectSid")) {
			const char *w = read_sid(o, v);
			if (w)
				why = w;
		} else if (attr_is(m->mod_type, "userAccountControl")) {
			const char *w = read_uac(o, v, whybuf, sizeof(whybuf));
			if (w)
				why = w;
		} else if (attr_is(m->mod_type, "servicePrincipalName")) {
			rc = add_values(&o->spns, v);
		} else if (attr_is(m->mod_type, "msDS-AllowedToDelegateTo")) {
			rc = add_values(&o->delegate_spns, v);
		} else if (attr_is(m->mod_type, "memberOf")) {
			rc = add_values(&o->member_of, v);
		} else if (attr_is(m->mod_type, "member")) {
			rc = add_values(&o->members, v);
			cut |= strchr(m->mod_type, ';') != NULL;
		} else if (attr_is(m->mod_type,
				   "msDS-AllowedToActOnBehalfOfOtherIdentity")) {
			for (; *v && rc == 0; v++)
				rc = read_rbcd(d, o, *v);
		}
	}
	if (rc)
		goto fail;
	bool user = false, computer = false, group = false;
	for (struct berval **v = classes ? classes->mod_bvalues : NULL;
	     v && *v; v++) {
		user |= strcasecmp((*v)->bv_val, "user") == 0;
		computer |= strcasecmp((*v)->bv_val, "computer") == 0;
		group |= strcasecmp((*v)->bv_val, "group") == 0;
	}
	o->cls = computer ? IMP_COMPUTER : group ? IMP_GROUP : IMP_USER;
	if (!user && !computer && !group) {
		snprintf(whybuf, sizeof(whybuf),
			 "not a user, computer or group (objectClass %.100s)",
			 last_class(classes));
		why = whybuf;
	} else if (!why && !o->name) {
		why = "no sAMAccountName";
	} else if (!why && !usable_name(o->name)) {
		why = "its sAMAccountName cannot name an account";
	} else if (!why && !o->sid) {
		why = "no objectSid";
	}
	if (why) {
		char at[900];
		rc = list_addf(&d->skipped, "%s: %s", where(o, at, sizeof(at)),
			       why);
		goto fail;
	}
	if (cut) {
		char at[900];
		rc = list_addf(&d->notes, "%s: member given by range "
					  "retrieval: only the range in the "
					  "file is read",
			       where(o, at, sizeof(at)));
		if (rc)
			goto fail;
	}
	name_from_dn(d, o->dn);
	d->count++;
	return 0;
fail:
	object_free(o);
	return rc;
}

/* The first attribute of a record without a dn: ldapsearch's trailer
 * ("search: 2", "result: 0 Success") and its referrals ("ref: ldap://"). */
static bool ldapsearch_trailer(const char *rec)
{
	for (const char *l = rec; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
		if (*l == '#' || *l == ' ' || *l == '\n')
			continue;
		return strncasecmp(l, "search:", 7) == 0 ||
		       strncasecmp(l, "result:", 7) == 0 ||
		       strncasecmp(l, "ref:", 4) == 0 ||
		       strncasecmp(l, "version:", 8) == 0;
	}
	return true; /* comments only */
}

int imp_read_ldif(imp_domain *d, const char *file, const char *data,
		  size_t len, imp_error *err)
{
	memset(err, 0, sizeof(*err));
	int rc = ldif_prescan(data, len, err);
	if (rc)
		return rc;
	const char *fname = keep_file(d, file);
	if (!fname)
		return SC_ERR_NOMEM;
	d->ldif_files++;
	if (len == 0)
		return 0;
	char *copy = malloc(len);
	if (!copy)
		return SC_ERR_NOMEM;
	memcpy(copy, data, len);
	LDIFFP *lf = ldif_open_mem(copy, len, "r");
	if (!lf) {
		free(copy);
		return SC_ERR_NOMEM;
	}
	BER_LOG_PRINT_FN old = NULL;
	ber_get_option(NULL, LBER_OPT_LOG_PRINT_FN, &old);
	/* liblber takes the function itself as the option's value: a union
	 * carries it there without an ISO-forbidden cast. */
	union {
		BER_LOG_PRINT_FN fn;
		void *p;
	} log_fn = {.fn = ldap_log}, old_fn = {.fn = old};
	ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, log_fn.p);
	unsigned long lno = 0;
	cursor cur = {0, 1};
	char *buf = NULL;
	int buflen = 0;
	for (;;) {
		unsigned long before = lno;
		ldap_said[0] = '\0';
		/* libldap reuses buf and writes nothing into it for a record
		 * it skips whole (an index line): emptied first, such a
		 * record is seen as the empty text it is, not as the last
		 * record again. */
		if (buf)
			buf[0] = '\0';
		int r = ldif_read_record(lf, &lno, &buf, &buflen);
		if (r == 0)
			break;
		if (r < 0 || !buf || !buf[0]) {
			/* (A record libldap counted but gave no text for is
			 * as unreadable as one it refused.) */
			set_err(err, (unsigned)lno, "libldap could not read "
						    "the record");
			rc = SC_ERR_INVAL;
			break;
		}
		unsigned start = record_line(data, len, &cur, (unsigned)before,
					     buf);
		/* An entry is where its dn: is, past ldapsearch's comment. */
		unsigned dn_line = start;
		for (const char *l = buf; *l == '#'; dn_line++)
			l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0);
		if (ldapsearch_trailer(buf)) {
			d->trailers++;
			continue;
		}
		if (!ldif_lines_ok(buf, start, err)) {
			rc = SC_ERR_INVAL;
			break;
		}
		LDIFRecord lr;
		memset(&lr, 0, sizeof(lr));
		char *rec = strdup(buf);
		if (!rec) {
			rc = SC_ERR_NOMEM;
			break;
		}
		struct berval bv = {strlen(rec), rec};
		ldap_said[0] = '\0';
		char said[256];
		FILE *saved = stderr_to(said, sizeof(said));
		int prc = ldap_parse_ldif_record(
			&bv, start - 1, &lr, "libldap",
			LDIF_DEFAULT_ADD | LDIF_ENTRIES_ONLY |
				LDIF_NO_CONTROLS);
		stderr_back(saved);
		if (!ldap_said[0] && said[0])
			ldap_log(said);
		if (prc != LDAP_SUCCESS || !lr.lr_dn.bv_val) {
			ldap_ldif_record_done(&lr);
			free(rec);
			if (prc != LDAP_SUCCESS)
				ldif_bad_record(buf, start, err);
			else
				set_err(err, dn_line, "a record without dn:");
			rc = SC_ERR_INVAL;
			break;
		}
		d->records++;
		if (lr.lr_op != LDAP_REQ_ADD) {
			char dn[300], f[200];
			rc = list_addf(&d->skipped,
				       "%s:%u: %s: a change record, not an "
				       "entry", shown(fname, f, sizeof(f)),
				       dn_line,
				       shown(lr.lr_dn.bv_val, dn, sizeof(dn)));
		} else {
			rc = ldif_entry(d, fname, dn_line, &lr);
		}
		ldap_ldif_record_done(&lr);
		free(rec);
		if (rc)
			break;
	}
	ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, old_fn.p);
	ber_memfree(buf);
	ldif_close(lf);
	free(copy);
	return rc;
}

/* ---- SharpHound JSON ---------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool jtrue(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static int jstrings(imp_list *l, json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (s) {
			int rc = list_add(l, s);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* [{"ObjectIdentifier": "S-1-...", "ObjectType": "User"}, ...] */
static int jsids(imp_list *l, json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v)
						  : jstr(v, "ObjectIdentifier");
		if (!s)
			s = jstr(v, "MemberId"); /* BloodHound 3 */
		if (s) {
			int rc = list_add(l, s);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* One entry of a collection's data. */
static int json_entry(imp_domain *d, const char *file, size_t pos,
		      imp_class cls, json_t *e)
{
	imp_object *o = new_object(d);
	if (!o)
		return SC_ERR_NOMEM;
	o->file = file;
	o->cls = cls;
	json_t *p = json_object_get(e, "Properties");
	const char *dn = jstr(p, "distinguishedname");
	const char *sid = jstr(e, "ObjectIdentifier");
	if (!sid)
		sid = jstr(p, "objectid");
	/* Built-in groups: "CORP.LOCAL-S-1-5-32-544". */
	if (sid && strstr(sid, "-S-1-"))
		sid = strstr(sid, "-S-1-") + 1;
	const char *sam = jstr(p, "samaccountname");
	const char *name = jstr(p, "name");
	const char *why = NULL;
	int rc = 0;
	char tmp[300];
	if (dn && !(o->dn = strdup(dn)))
		return SC_ERR_NOMEM;
	if (sam) {
		snprintf(tmp, sizeof(tmp), "%s", sam);
	} else if (name) {
		/* "ALICE@CORP.LOCAL", "WEB01.CORP.LOCAL" */
		size_t n = strcspn(name, cls == IMP_COMPUTER ? "." : "@");
		snprintf(tmp, sizeof(tmp), "%.*s%s", (int)(n < 250 ? n : 250),
			 name, cls == IMP_COMPUTER ? "$" : "");
	} else {
		tmp[0] = '\0';
	}
	if (tmp[0] && !(o->name = strdup(tmp)))
		return SC_ERR_NOMEM;
	if (!o->dn && !o->name) {
		snprintf(tmp, sizeof(tmp), "data[%zu]", pos);
		if (!(o->dn = strdup(tmp)))
			return SC_ERR_NOMEM;
	}
	if (!json_is_object(e) || !json_is_object(p))
		why = "not an object with Properties";
	else if (json_is_true(json_object_get(e, "IsDeleted")) ||
		 jtrue(p, "isdeleted"))
		why = "deleted";
	else if (!o->name)
		why = "no samaccountname or name";
	else if (!usable_name(o->name))
		why = "its name cannot name an account";
	else if (!sid || !sid_text(sid))
		why = "no ObjectIdentifier SID";
	if (why) {
		char at[900];
		rc = list_addf(&d->skipped, "%s: %s", where(o, at, sizeof(at)),
			       why);
		object_free(o);
		return rc;
	}
	if (!(o->sid = strdup(sid)))
		rc = SC_ERR_NOMEM;
	/* "enabled" absent (groups, older collections): enabled. */
	json_t *en = json_object_get(p, "enabled");
	o->disabled = json_is_false(en);
	o->trusted_for_delegation = jtrue(p, "unconstraineddelegation");
	o->trusted_to_auth = jtrue(p, "trustedtoauth");
	o->not_delegated = jtrue(p, "sensitive");
	if (!rc)
		rc = jstrings(&o->spns, json_object_get(p,
							"serviceprincipalnames"));
	if (!rc)
		rc = jstrings(&o->delegate_spns,
			      json_object_get(p, "allowedtodelegate"));
	if (!rc)
		rc = jsids(&o->delegate_sids,
			   json_object_get(e, "AllowedToDelegate"));
	if (!rc)
		rc = jsids(&o->act_sids, json_object_get(e, "AllowedToAct"));
	if (!rc && cls == IMP_GROUP)
		rc = jsids(&o->members, json_object_get(e, "Members"));
	if (rc) {
		object_free(o);
		return rc;
	}
	if (!d->name) {
		const char *dom = jstr(p, "domain");
		if (dom) {
			char nb[32];
			snprintf(nb, sizeof(nb), "%.*s",
				 (int)strcspn(dom, "."), dom);
			for (char *c = nb; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			if (nb[0] && usable_name(nb) && !(d->name = strdup(nb)))
				rc = SC_ERR_NOMEM;
		}
	}
	if (!rc && !d->name)
		name_from_dn(d, o->dn);
	d->count++;
	d->records++;
	return rc;
}

int imp_read_json(imp_domain *d, const char *file, const char *data,
		  size_t len, imp_error *err)
{
	memset(err, 0, sizeof(*err));
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		set_err(err, je.line > 0 ? (unsigned)je.line : 0,
			"not valid JSON: %s", je.text);
		return SC_ERR_INVAL;
	}
	int rc = 0;
	static const struct {
		const char *type;
		imp_class cls;
	} types[] = {{"users", IMP_USER},
		     {"computers", IMP_COMPUTER},
		     {"groups", IMP_GROUP}};
	json_t *meta = json_object_get(root, "meta");
	const char *type = jstr(meta, "type");
	json_t *arr = json_object_get(root, "data");
	/* BloodHound 3 named the list after its type. */
	for (size_t i = 0; !arr && !type && i < 3; i++)
		if ((arr = json_object_get(root, types[i].type)) != NULL)
			type = types[i].type;
	const char *fname = keep_file(d, file);
	if (!fname) {
		rc = SC_ERR_NOMEM;
	} else if (!json_is_object(root) || !json_is_array(arr) || !type) {
		set_err(err, 1, "not a SharpHound collection (an object with "
				"\"data\" and \"meta\": {\"type\": ...})");
		rc = SC_ERR_INVAL;
	} else {
		d->json_files++;
		size_t t = 0;
		while (t < 3 && strcasecmp(type, types[t].type) != 0)
			t++;
		if (t == 3) {
			char f[200], ty[80];
			rc = list_addf(&d->skipped,
				       "%s: a collection of %s: not read "
				       "(users, computers and groups are)",
				       shown(fname, f, sizeof(f)),
				       shown(type, ty, sizeof(ty)));
		}
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e) {
			if (t == 3 || rc)
				break;
			rc = json_entry(d, fname, i, types[t].cls, e);
		}
	}
	json_decref(root);
	return rc;
}

int imp_read(imp_domain *d, const char *file, const char *data, size_t len,
	     imp_error *err)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i < len && (data[i] == '{' || data[i] == '['))
		return imp_read_json(d, file, data, len, err);
	return imp_read_ldif(d, file, data, len, err);
}

/* ---- resolving ---------------------------------------------------------- */

typedef struct key_ix {
	const char *key;
	size_t ix;
} key_ix;

static int key_cmp(const void *a, const void *b)
{
	const key_ix *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);
	return c ? c : (x->ix > y->ix) - (x->ix < y->ix);
}

typedef struct key_index {
	key_ix *k;
	size_t n;
} key_index;

static long ix_find(const key_index *ix, const char *key)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcasecmp(ix->k[mid].key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && strcasecmp(ix->k[lo].key, key) == 0
		       ? (long)ix->k[lo].ix
		       : -1;
}

typedef struct build {
	imp_domain *d;
	bool *keep;        /* object i is written (users, computers) or
			      used (groups) */
	key_index by_sid, by_dn, by_spn;
	key_index listed_spns; /* the SPNs some enabled account's
				  msDS-AllowedToDelegateTo names */
	size_t **parents;  /* groups object i is a direct member of */
	size_t *nparents, *capparents;
	unsigned *seen;    /* walk stamps */
	unsigned stamp;
} build;

static int ix_build(key_index *ix, size_t cap)
{
	ix->k = malloc((cap ? cap : 1) * sizeof(*ix->k));
	ix->n = 0;
	return ix->k ? 0 : SC_ERR_NOMEM;
}

static int add_parent(build *b, size_t child, size_t group)
{
	for (size_t i = 0; i < b->nparents[child]; i++)
		if (b->parents[child][i] == group)
			return 0;
	if (b->nparents[child] == b->capparents[child]) {
		size_t cap = b->capparents[child] ? b->capparents[child] * 2
						  : 4;
		size_t *p = realloc(b->parents[child], cap * sizeof(*p));
		if (!p)
			return SC_ERR_NOMEM;
		b->parents[child] = p;
		b->capparents[child] = cap;
	}
	b->parents[child][b->nparents[child]++] = group;
	return 0;
}

static bool is_account(const imp_object *o)
{
	return o->cls == IMP_USER || o->cls == IMP_COMPUTER;
}

/* The group a memberOf DN names, by DN; -1 when not in the export. */
static long group_of_dn(const build *b, const char *dn)
{
	long g = ix_find(&b->by_dn, dn);
	return g >= 0 && b->d->objs[g].cls == IMP_GROUP && b->keep[g] ? g : -1;
}

/* An RDN's value, unescaped: "CN=Protected Users,CN=Users,..." ->
 * "Protected Users". */
static void rdn_value(const char *dn, char *out, size_t len)
{
	const char *eq = strchr(dn, '=');
	const char *p = eq ? eq + 1 : dn;
	size_t n = 0;
	for (; *p && *p != ',' && n + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
}

static bool protected_users(const imp_object *g)
{
	return strncmp(g->sid, "S-1-5-21-", 9) == 0 &&
	       sid_rid(g->sid) == IMP_RID_PROTECTED_USERS;
}

/* The SPN's account: the one that holds it, or for a service class AD
 * maps to HOST (sPNMappings), the one holding HOST/ with the same host. */
static long spn_owner(const build *b, const char *spn)
{
	long o = ix_find(&b->by_spn, spn);
	if (o >= 0)
		return o;
	size_t cls = strcspn(spn, "/");
	if (!spn[cls] || !imp_spn_is_host_alias(spn, cls))
		return -1;
	char host[600];
	snprintf(host, sizeof(host), "HOST/%.580s", spn + cls + 1);
	return ix_find(&b->by_spn, host);
}

bool imp_spn_is_host_alias(const char *service_class, size_t len)
{
	/* AD's default sPNMappings (CN=Directory Service,CN=Windows NT,
	 * CN=Services,CN=Configuration): host=alerter,appmgmt,... */
	static const char *const alias[] = {
		"alerter", "appmgmt", "cisvc", "clipsrv", "browser", "dhcp",
		"dnscache", "replicator", "eventlog", "eventsystem",
		"policyagent", "oakley", "dmserver", "dns", "mcsvc", "fax",
		"msiserver", "ias", "messenger", "netlogon", "netman",
		"netdde", "netddedsm", "nmagent", "plugplay",
		"protectedstorage", "rasman", "rpclocator", "rpc", "rpcss",
		"remoteaccess", "rsvp", "samss", "scardsvr", "scesrv",
		"seclogon", "scm", "dcom", "cifs", "spooler", "snmp",
		"schedule", "tapisrv", "trksvr", "trkwks", "ups", "time",
		"wins", "www", "http", "w3svc", "iisadmin", "msdtc",
	};
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strlen(alias[i]) == len &&
		    strncasecmp(alias[i], service_class, len) == 0)
			return true;
	return false;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct strbuf {
	char *s;
	size_t n, cap;
	bool failed;
} strbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(strbuf *b,
							    const char *f,
							    ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, f);
		int n = vsnprintf(b->s ? b->s + b->n : NULL,
				  b->s ? b->cap - b->n : 0, f, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && b->n + (size_t)n < b->cap) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap <= b->n + (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* A YAML double-quoted scalar (names passed usable_name: no control
 * characters, no backslash; a quote is escaped). */
static void sb_quoted(strbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (const char *p = s; *p; p++)
		sb_printf(b, *p == '"' ? "\\\"" : "%c", *p);
	sb_printf(b, "\"");
}

static void sb_list(strbuf *b, const char *key, const imp_list *l)
{
	if (!l->count)
		return;
	sb_printf(b, "      %s: [", key);
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			sb_printf(b, ", ");
		sb_quoted(b, l->items[i]);
	}
	sb_printf(b, "]\n");
}

/* The groups of account a, every level of nesting, into names. */
static int groups_of(build *b, size_t a, imp_list *names, bool *prot,
		     const imp_domain *d)
{
	size_t stack[512], sp = 0;
	b->stamp++;
	for (size_t i = 0; i < b->nparents[a] && sp < 512; i++)
		stack[sp++] = b->parents[a][i];
	while (sp) {
		size_t g = stack[--sp];
		if (b->seen[g] == b->stamp)
			continue;
		b->seen[g] = b->stamp;
		const imp_object *go = &d->objs[g];
		*prot |= protected_users(go);
		if (names->count < IMP_MAX_LIST && !list_has(names, go->name)) {
			int rc = list_add(names, go->name);
			if (rc)
				return rc;
		}
		for (size_t i = 0; i < b->nparents[g] && sp < 512; i++)
			stack[sp++] = b->parents[g][i];
	}
	return 0;
}

/* Add account k's name (or, for a group, its enabled member accounts at
 * any depth) to l. */
static int add_principal(build *b, long k, imp_list *l)
{
	const imp_domain *d = b->d;
	if (k < 0 || !b->keep[k])
		return 0;
	if (is_account(&d->objs[k]))
		return l->count < IMP_MAX_LIST && !list_has(l, d->objs[k].name)
			       ? list_add(l, d->objs[k].name)
			       : 0;
	/* A group: whoever has it among its groups, nested included. */
	for (size_t a = 0; a < d->count; a++) {
		if (!b->keep[a] || !is_account(&d->objs[a]))
			continue;
		imp_list names = {0};
		bool prot = false;
		int rc = groups_of(b, a, &names, &prot, d);
		bool in = rc == 0 && list_has(&names, d->objs[k].name);
		list_free(&names);
		if (rc)
			return rc;
		if (in && l->count < IMP_MAX_LIST &&
		    !list_has(l, d->objs[a].name) &&
		    (rc = list_add(l, d->objs[a].name)) != 0)
			return rc;
	}
	return 0;
}

static void build_free(build *b)
{
	for (size_t i = 0; b->parents && i < b->d->count; i++)
		free(b->parents[i]);
	free(b->parents);
	free(b->nparents);
	free(b->capparents);
	free(b->seen);
	free(b->keep);
	free(b->by_sid.k);
	free(b->by_dn.k);
	free(b->by_spn.k);
	free(b->listed_spns.k);
}

static int prepare(build *b, imp_summary *sum)
{
	imp_domain *d = b->d;
	size_t n = d->count, nspn = 0;
	b->keep = calloc(n ? n : 1, sizeof(*b->keep));
	b->parents = calloc(n ? n : 1, sizeof(*b->parents));
	b->nparents = calloc(n ? n : 1, sizeof(*b->nparents));
	b->capparents = calloc(n ? n : 1, sizeof(*b->capparents));
	b->seen = calloc(n ? n : 1, sizeof(*b->seen));
	if (!b->keep || !b->parents || !b->nparents || !b->capparents ||
	    !b->seen || ix_build(&b->by_sid, n) || ix_build(&b->by_dn, n))
		return SC_ERR_NOMEM;
	/* The first of two records with one SID, then one name, is kept:
	 * equal keys sort by record order. */
	key_index names;
	if (ix_build(&names, n))
		return SC_ERR_NOMEM;
	bool *dup = calloc(n ? n : 1, sizeof(*dup));
	long *first = calloc(n ? n : 1, sizeof(*first));
	if (!dup || !first) {
		free(names.k);
		free(dup);
		free(first);
		return SC_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		b->by_sid.k[b->by_sid.n++] = (key_ix){d->objs[i].sid, i};
	qsort(b->by_sid.k, b->by_sid.n, sizeof(key_ix), key_cmp);
	for (size_t k = 1; k < b->by_sid.n; k++)
		if (strcasecmp(b->by_sid.k[k].key, b->by_sid.k[k - 1].key) == 0) {
			dup[b->by_sid.k[k].ix] = true;
			first[b->by_sid.k[k].ix] = (long)b->by_sid.k[k - 1].ix;
			b->by_sid.k[k].ix = b->by_sid.k[k - 1].ix;
		}
	for (size_t i = 0; i < n; i++)
		if (!dup[i])
			names.k[names.n++] = (key_ix){d->objs[i].name, i};
	qsort(names.k, names.n, sizeof(key_ix), key_cmp);
	for (size_t k = 1; k < names.n; k++)
		if (strcasecmp(names.k[k].key, names.k[k - 1].key) == 0) {
			dup[names.k[k].ix] = true;
			first[names.k[k].ix] = (long)names.k[k - 1].ix;
			names.k[k].ix = names.k[k - 1].ix;
		}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		imp_object *o = &d->objs[i];
		if (dup[i]) {
			char at[900], was[900];
			bool sid = strcasecmp(o->sid, d->objs[first[i]].sid) == 0;
			rc = list_addf(&d->skipped, "%s: the same %s as %s: skipped",
				       where(o, at, sizeof(at)),
				       sid ? "SID" : "name",
				       where(&d->objs[first[i]], was, sizeof(was)));
			continue;
		}
		b->keep[i] = !(is_account(o) && o->disabled);
		sum->disabled += is_account(o) && o->disabled;
		if (o->dn)
			b->by_dn.k[b->by_dn.n++] = (key_ix){o->dn, i};
		if (b->keep[i] && is_account(o))
			nspn += o->spns.count;
	}
	/* A duplicate's SID finds the record kept. */
	free(dup);
	free(first);
	if (rc) {
		free(names.k);
		return rc;
	}
	free(names.k);
	qsort(b->by_dn.k, b->by_dn.n, sizeof(key_ix), key_cmp);
	if (ix_build(&b->by_spn, nspn))
		return SC_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; b->keep[i] && is_account(&d->objs[i]) &&
				   k < d->objs[i].spns.count;
		     k++)
			b->by_spn.k[b->by_spn.n++] =
				(key_ix){d->objs[i].spns.items[k], i};
	qsort(b->by_spn.k, b->by_spn.n, sizeof(key_ix), key_cmp);
	size_t nlisted = 0;
	for (size_t i = 0; i < n; i++)
		nlisted += b->keep[i] ? d->objs[i].delegate_spns.count : 0;
	if (ix_build(&b->listed_spns, nlisted))
		return SC_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; b->keep[i] &&
				   k < d->objs[i].delegate_spns.count;
		     k++)
			b->listed_spns.k[b->listed_spns.n++] = (key_ix){
				d->objs[i].delegate_spns.items[k], i};
	qsort(b->listed_spns.k, b->listed_spns.n, sizeof(key_ix), key_cmp);
	/* Memberships: memberOf on the member, member on the group. */
	for (size_t i = 0; i < n; i++) {
		imp_object *o = &d->objs[i];
		if (!b->keep[i] && o->cls == IMP_GROUP)
			continue;
		for (size_t k = 0; k < o->member_of.count; k++) {
			long g = group_of_dn(b, o->member_of.items[k]);
			int rc = 0;
			if (g >= 0 && (size_t)g != i)
				rc = add_parent(b, i, (size_t)g);
			if (rc)
				return rc;
		}
		if (o->cls != IMP_GROUP)
			continue;
		for (size_t k = 0; k < o->members.count; k++) {
			const char *m = o->members.items[k];
			long c = sid_text(m) ? ix_find(&b->by_sid, m)
					     : ix_find(&b->by_dn, m);
			int rc = 0;
			if (c >= 0 && (size_t)c != i)
				rc = add_parent(b, (size_t)c, i);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* memberOf DNs of groups the export does not hold: named by their RDN. */
static int outside_groups(const build *b, const imp_object *o,
			  imp_list *names, bool *prot)
{
	for (size_t k = 0; k < o->member_of.count; k++) {
		if (group_of_dn(b, o->member_of.items[k]) >= 0 ||
		    ix_find(&b->by_dn, o->member_of.items[k]) >= 0)
			continue;
		char rdn[300];
		rdn_value(o->member_of.items[k], rdn, sizeof(rdn));
		if (!usable_name(rdn) || list_has(names, rdn) ||
		    names->count >= IMP_MAX_LIST)
			continue;
		*prot |= strcasecmp(rdn, "Protected Users") == 0;
		int rc = list_add(names, rdn);
		if (rc)
			return rc;
	}
	return 0;
}

/* D5: who may act on behalf of others toward o: the allow ACEs of its
 * descriptor, less its deny ACEs, into act. */
static int allowed_to_act(build *b, const imp_object *o, imp_list *act)
{
	char at[900], esc[300];
	int rc = 0;
	for (size_t k = 0; !rc && k < o->act_sids.count; k++) {
		const char *sid = o->act_sids.items[k];
		long t = ix_find(&b->by_sid, sid);
		if (list_has(&o->act_deny_sids, sid))
			continue;
		if (t < 0 || !b->keep[t])
			rc = list_addf(&b->d->notes,
				       "%s: allows %s to act on behalf of "
				       "others: not an enabled account or "
				       "group of the export",
				       where(o, at, sizeof(at)),
				       shown(sid, esc, sizeof(esc)));
		else
			rc = add_principal(b, t, act);
	}
	for (size_t k = 0; !rc && k < o->act_deny_sids.count; k++) {
		long t = ix_find(&b->by_sid, o->act_deny_sids.items[k]);
		imp_list denied = {0};
		rc = add_principal(b, t, &denied);
		for (size_t j = 0; !rc && j < denied.count; j++)
			for (size_t m = 0; m < act->count; m++)
				if (strcasecmp(act->items[m],
					       denied.items[j]) == 0) {
					free(act->items[m]);
					act->items[m] =
						act->items[--act->count];
					break;
				}
		list_free(&denied);
	}
	return rc;
}

static int write_account(build *b, size_t i, strbuf *out, imp_summary *sum)
{
	imp_domain *d = b->d;
	const imp_object *o = &d->objs[i];
	imp_list groups = {0}, to = {0}, act = {0};
	bool prot = false;
	char at[900], esc[300];
	int rc = groups_of(b, i, &groups, &prot, d);
	if (!rc)
		rc = outside_groups(b, o, &groups, &prot);
	/* The services it runs that constrained delegation names: its
	 * servicePrincipalName values some msDS-AllowedToDelegateTo lists
	 * (the others decide nothing, and a domain of thousands of hosts
	 * would outgrow the scenario cap), each written once (on the first
	 * account holding it) and well formed. */
	imp_list spns = {0};
	for (size_t k = 0; !rc && k < o->spns.count; k++) {
		const char *spn = o->spns.items[k];
		long h = ix_find(&b->by_spn, spn);
		if (ix_find(&b->listed_spns, spn) < 0)
			continue;
		if (sc_spn_syntax(spn))
			rc = list_addf(&d->notes,
				       "%s: servicePrincipalName %s: %s; not "
				       "read",
				       where(o, at, sizeof(at)),
				       shown(spn, esc, sizeof(esc)),
				       sc_spn_syntax(spn));
		else if (h != (long)i)
			rc = list_addf(&d->notes,
				       "%s: servicePrincipalName %s is also "
				       "%s's; kept there",
				       where(o, at, sizeof(at)),
				       shown(spn, esc, sizeof(esc)),
				       h >= 0 ? d->objs[h].name : "?");
		else if (spns.count < IMP_MAX_LIST && !list_has(&spns, spn))
			rc = list_add(&spns, spn);
	}
	/* D4: msDS-AllowedToDelegateTo names SPNs, written as they are
	 * when an account holds them; an SPN AD maps to HOST/
	 * (sPNMappings) is written as the account holding HOST/. */
	for (size_t k = 0; !rc && k < o->delegate_spns.count; k++) {
		const char *spn = o->delegate_spns.items[k];
		long t = spn_owner(b, spn);
		long direct = ix_find(&b->by_spn, spn);
		if (t < 0)
			rc = list_addf(&d->notes,
				       "%s: allowed to delegate to %s: no "
				       "enabled account in the export holds "
				       "that SPN",
				       where(o, at, sizeof(at)),
				       shown(spn, esc, sizeof(esc)));
		else if (direct >= 0 && !sc_spn_syntax(spn))
			rc = to.count < IMP_MAX_LIST && !list_has(&to, spn)
				     ? list_add(&to, spn)
				     : 0;
		else
			rc = add_principal(b, t, &to);
	}
	for (size_t k = 0; !rc && k < o->delegate_sids.count; k++) {
		long t = ix_find(&b->by_sid, o->delegate_sids.items[k]);
		if (t < 0 || !b->keep[t])
			rc = list_addf(&d->notes,
				       "%s: allowed to delegate to %s: not an "
				       "enabled account of the export",
				       where(o, at, sizeof(at)),
				       shown(o->delegate_sids.items[k], esc,
					     sizeof(esc)));
		else
			rc = add_principal(b, t, &to);
	}
	if (!rc)
		rc = allowed_to_act(b, o, &act);
	if (!rc) {
		bool sensitive = o->not_delegated || prot;
		sb_printf(out, "    - name: ");
		sb_quoted(out, o->name);
		sb_printf(out, "\n      sid: \"%s\"\n", o->sid);
		sb_list(out, "groups", &groups);
		sb_list(out, "spns", &spns);
		if (sensitive)
			sb_printf(out, "      sensitive: true\n");
		if (o->trusted_for_delegation)
			sb_printf(out, "      trusted_for_delegation: true\n");
		if (o->trusted_to_auth)
			sb_printf(out, "      trusted_to_auth_for_delegation:"
				       " true\n");
		sb_list(out, "allowed_to_delegate_to", &to);
		sb_list(out, "allowed_to_act", &act);
		sum->users += o->cls == IMP_USER;
		sum->computers += o->cls == IMP_COMPUTER;
		sum->sensitive += sensitive;
		sum->protected_users += prot;
		sum->unconstrained += o->trusted_for_delegation;
		sum->constrained += to.count > 0;
		sum->transition += to.count > 0 && o->trusted_to_auth;
		sum->resource_based += act.count > 0;
	}
	list_free(&groups);
	list_free(&spns);
	list_free(&to);
	list_free(&act);
	return rc;
}

int imp_build(imp_domain *d, const char *scenario, char **yaml,
	      imp_summary *sum, imp_error *err)
{
	memset(sum, 0, sizeof(*sum));
	memset(err, 0, sizeof(*err));
	*yaml = NULL;
	if (!d->name) {
		set_err(err, 0, "the export names no domain (no DC= in its "
				"DNs, no \"domain\" property): give --domain "
				"NAME");
		return SC_ERR_INVAL;
	}
	build b = {.d = d};
	int rc = prepare(&b, sum);
	strbuf out = {0};
	char esc[300];
	sb_printf(&out, "# The domain %s, imported by `cloakroom import` from",
		  shown(d->name, esc, sizeof(esc)));
	for (size_t i = 0; i < d->files.count; i++)
		sb_printf(&out, "%s %s", i ? "," : "",
			  shown(d->files.items[i], esc, sizeof(esc)));
	sb_printf(&out, ".\n# `cloakroom paths` reads its domain; a scenario "
			"can extend it (extends:)\n# and define its own "
			"hosts and processes (process A merges into the "
			"one below;\n# a process of its own says new: true)."
			"\nscenario: ");
	sb_quoted(&out, scenario);
	sb_printf(&out, "\ndescription: \"the domain %s, imported\"\n",
		  d->name);
	sb_printf(&out, "\ndomain:\n  name: ");
	sb_quoted(&out, d->name);
	sb_printf(&out, "\n  accounts:\n");
	/* Users, then computers, each in the order read: the same export
	 * as LDIF or as JSON files gives the same file. */
	size_t written = 0;
	for (size_t i = 0; i < d->count; i++)
		sum->groups += b.keep[i] && d->objs[i].cls == IMP_GROUP;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; rc == 0 && i < d->count; i++) {
			if (!b.keep[i] ||
			    d->objs[i].cls != (pass ? IMP_COMPUTER : IMP_USER))
				continue;
			rc = write_account(&b, i, &out, sum);
			written++;
		}
	if (rc == 0 && written == 0)
		sb_printf(&out, "    []\n");
	/* One client process: the file is then a scenario of its own, which
	 * `cloakroom paths` and `cloakroom check` read. */
	sb_printf(&out, "\nhosts:\n  - name: client-host\n\nprocesses:\n"
			"  - name: A\n    host: client-host\n"
			"    account: NETWORK SERVICE\n    steps:\n"
			"      - do: query_level\n");
	build_free(&b);
	if (rc == 0 && out.failed)
		rc = SC_ERR_NOMEM;
	if (rc) {
		free(out.s);
		return rc;
	}
	*yaml = out.s;
	return 0;
}

/* import.h: an Active Directory export read into the `domain:` of a
 * scenario (`cloakroom import`). Two readers fill one imp_domain: LDIF as
 * ldapsearch writes it (read by OpenLDAP's own LDIF reader, libldap) and a
 * SharpHound/BloodHound JSON collection (read by jansson). imp_build then
 * resolves names, groups, SPNs and SIDs and writes the domain as YAML.
 * Buffers only: the caller reads the files and writes the result. */
#ifndef CLOAKROOM_IMPORT_H
#define CLOAKROOM_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* userAccountControl bits that the import reads (MS-ADTS 2.2.16). */
#define IMP_UAC_ACCOUNTDISABLE 0x2u
#define IMP_UAC_TRUSTED_FOR_DELEGATION 0x80000u
#define IMP_UAC_NOT_DELEGATED 0x100000u
#define IMP_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000u

/* The well-known RID of Protected Users: its members are never delegated. */
#define IMP_RID_PROTECTED_USERS 525u

/* A malformed file: where (1-based line, 0 when unknown) and why. */
typedef struct imp_error {
	unsigned line;
	char msg[320];
} imp_error;

typedef enum imp_class { IMP_USER, IMP_COMPUTER, IMP_GROUP } imp_class;

typedef struct imp_list {
	char **items;
	size_t count, cap;
} imp_list;

/* One user, computer or group as the export gave it. */
typedef struct imp_object {
	imp_class cls;
	char *dn;       /* distinguished name (may be NULL in JSON) */
	char *name;     /* sAMAccountName */
	char *sid;      /* "S-1-5-21-...-1104" */
	const char *file;
	unsigned line;  /* where its record starts (JSON: 0) */
	bool disabled;                /* ACCOUNTDISABLE, enabled: false */
	bool trusted_for_delegation;  /* TRUSTED_FOR_DELEGATION */
	bool trusted_to_auth;         /* TRUSTED_TO_AUTH_FOR_DELEGATION */
	bool not_delegated;           /* NOT_DELEGATED, sensitive: true */
	imp_list spns;          /* servicePrincipalName */
	imp_list delegate_spns; /* msDS-AllowedToDelegateTo */
	imp_list delegate_sids; /* AllowedToDelegate (JSON, resolved) */
	imp_list act_sids;      /* allowed by msDS-AllowedToActOnBehalf... */
	imp_list act_deny_sids; /* denied by it */
	imp_list member_of;     /* memberOf: group DNs */
	imp_list members;       /* member: DNs (LDIF) or SIDs (JSON) */
} imp_object;

/* What the import read, skipped and could not resolve: each note is one
 * line for the user, "FILE:LINE: DN: why". */
typedef struct imp_domain {
	char *name;           /* NetBIOS-style name; NULL: from the DNs */
	imp_object *objs;
	size_t count, cap;
	imp_list skipped;     /* records not understood (with their DN) */
	imp_list notes;       /* references that lead nowhere, lists cut */
	size_t records;       /* entries read */
	size_t trailers;      /* ldapsearch result lines and referrals */
	size_t ldif_files, json_files;
	char *files_buf;      /* file names the objects point into */
	imp_list files;
} imp_domain;

/* What imp_build wrote. */
typedef struct imp_summary {
	size_t users, computers, groups;   /* written (groups: read) */
	size_t disabled;                   /* left out */
	size_t unconstrained, constrained, transition, resource_based;
	size_t sensitive, protected_users;
} imp_summary;

/* Start an empty domain; name, when not NULL, is the domain's name
 * (otherwise the first DC= of the DNs, or the JSON "domain", in capitals). */
int imp_domain_init(imp_domain *d, const char *name);
void imp_domain_free(imp_domain *d);

/* Read one LDIF export of len bytes (file: its name in notes). Entries
 * that are not users, computers or groups are noted in d->skipped with
 * their DN; ldapsearch's "search:/result:" trailer and referrals are
 * counted. A record libldap cannot read, an `include:` line or a value
 * taken from a URL (`attr:< file:...`) is a malformed file: SC_ERR_INVAL
 * with err. Returns 0, SC_ERR_INVAL or SC_ERR_NOMEM. */
int imp_read_ldif(imp_domain *d, const char *file, const char *data,
		  size_t len, imp_error *err);

/* Read one SharpHound JSON file (users, computers, groups; other types
 * are noted and skipped). Invalid JSON or a file that is not a collection
 * is SC_ERR_INVAL with err (the line, where jansson gives one). */
int imp_read_json(imp_domain *d, const char *file, const char *data,
		  size_t len, imp_error *err);

/* LDIF or JSON, by the first character that is not white space. */
int imp_read(imp_domain *d, const char *file, const char *data, size_t len,
	     imp_error *err);

/* Resolve everything read (memberships by DN or SID, Protected Users,
 * SPNs to the accounts holding them, the SIDs of a security descriptor to
 * accounts) and write the domain as a scenario file named scenario:
 * its domain, and one client process so that the file is a scenario of
 * its own. Disabled accounts are left out; references that lead nowhere
 * go to d->notes. *yaml is malloc'd. Returns 0, SC_ERR_INVAL (err: no
 * domain name, nothing to write) or SC_ERR_NOMEM. */
int imp_build(imp_domain *d, const char *scenario, char **yaml,
	      imp_summary *sum, imp_error *err);

/* The service classes AD's default sPNMappings map to HOST/ (an SPN
 * "cifs/fs01" is held by the computer that holds "HOST/fs01"). */
bool imp_spn_is_host_alias(const char *service_class, size_t len);

#endif

/* sc_sddl.h: security descriptors as administrators copy them (SDDL text,
 * as Get-Acl and icacls print it) and as Active Directory stores them
 * (self-relative binary, e.g. msDS-AllowedToActOnBehalfOfOtherIdentity),
 * both read into the model's sc_sd for the access check (T6).
 * Model only: no I/O; every read is bounds-checked. */
#ifndef SC_SDDL_H
#define SC_SDDL_H

#include "sc_acl.h"

/* Where a text or a blob is wrong: the 1-based column of the bad token in
 * the SDDL text (0 for a binary descriptor, which reports a byte offset in
 * msg instead) and what is wrong with it. */
typedef struct sc_sddl_error {
	size_t col;
	char msg[160];
} sc_sddl_error;

/* What a descriptor held besides its DACL. */
typedef struct sc_sddl_extra {
	bool has_owner;   /* O: given (sd->owner_sid holds it) */
	bool has_group;   /* G: given: the primary group, unused by T6 */
	bool has_sacl;    /* S: given: auditing, not modelled */
	bool has_dacl;    /* D: given; without it there is no DACL at all */
	size_t skipped;   /* inherit-only ACEs: they apply to children only */
} sc_sddl_extra;

/* Parse SDDL text ("O:BAG:SYD:PAI(A;;FA;;;BA)(D;;FW;;;S-1-5-21-1-2-3-1104)")
 * into sd (sd->type is left to the caller, a file by default).
 * domain_sid ("S-1-5-21-a-b-c") resolves the domain-relative
 * aliases (DA, DU, DC, ...); NULL makes them an error. ACE types: A and D,
 * OA and OD without an object type; rights: the two-letter codes
 * (GA GR GW GX, RC SD WD WO, FA FR FW FX, KA KR KW KX, CC DC LC SW RP WP
 * DT LO CR) or a 0x mask; SIDs: S-1-... or a two-letter alias.
 * "D:NO_ACCESS_CONTROL" is a NULL DACL. Returns 0, SC_ERR_NOMEM, or
 * SC_ERR_INVAL with *err (extra may be NULL). sd is always left freeable. */
int sc_sddl_parse(const char *text, const char *domain_sid, sc_sd *sd,
		  sc_sddl_extra *extra, sc_sddl_error *err);

/* Read a binary SID at buf (len bytes available) as "S-1-...": *used is
 * its size. Returns 0 or SC_ERR_INVAL (too short, a bad revision, more
 * than 15 sub-authorities) or SC_ERR_RANGE (out too small). */
int sc_sid_from_binary(const uint8_t *buf, size_t len, size_t *used,
		       char *out, size_t outlen);

/* Write the binary form of a SID string into buf (at most buflen bytes);
 * *used is its size. Returns 0, SC_ERR_INVAL or SC_ERR_RANGE. */
int sc_sid_to_binary(const char *sid, uint8_t *buf, size_t buflen,
		     size_t *used);

/* Parse a self-relative security descriptor (SECURITY_DESCRIPTOR_RELATIVE)
 * of len bytes into sd: owner and DACL (allow and deny ACEs, object ACEs
 * without an object type; inherit-only ACEs skipped). Returns 0,
 * SC_ERR_NOMEM or SC_ERR_INVAL with err->msg naming the byte offset. */
int sc_sd_from_binary(const uint8_t *buf, size_t len, sc_sd *sd,
		      sc_sddl_extra *extra, sc_sddl_error *err);

/* Write sd as SDDL ("O:<sid>D:(A;;0x1f01ff;;;<sid>)..." with SIDs as
 * S-1-... strings and masks in hex, "D:NO_ACCESS_CONTROL" for a NULL
 * DACL): what sc_sddl_parse reads back to the same sd. Returns 0 or
 * SC_ERR_RANGE (buf too small; buf then holds a truncated text). */
int sc_sddl_format(const sc_sd *sd, char *buf, size_t len);

/* The SID a two-letter SDDL alias stands for ("BA" -> S-1-5-32-544),
 * domain_sid completing the domain-relative ones; NULL when unknown (or
 * domain-relative without a domain_sid). out holds at least 80 bytes. */
const char *sc_sddl_alias_sid(const char *alias, const char *domain_sid,
			      char *out, size_t outlen);

#endif

/* sc_acl.h: security descriptors, DACLs and the access check (T6).
 * Model only: no I/O, no gRPC. */
#ifndef SC_ACL_H
#define SC_ACL_H

#include "sc_common.h"
#include "sc_token.h"

/* Access mask bits (Windows values). */
#define SC_DELETE 0x00010000u
#define SC_READ_CONTROL 0x00020000u
#define SC_WRITE_DAC 0x00040000u
#define SC_WRITE_OWNER 0x00080000u
#define SC_SYNCHRONIZE 0x00100000u
#define SC_MAXIMUM_ALLOWED 0x02000000u
#define SC_GENERIC_ALL 0x10000000u
#define SC_GENERIC_EXECUTE 0x20000000u
#define SC_GENERIC_WRITE 0x40000000u
#define SC_GENERIC_READ 0x80000000u
/* Object-specific bits, file-like. */
#define SC_FILE_READ_DATA 0x0001u
#define SC_FILE_WRITE_DATA 0x0002u
#define SC_FILE_APPEND_DATA 0x0004u
#define SC_FILE_READ_EA 0x0008u
#define SC_FILE_WRITE_EA 0x0010u
#define SC_FILE_EXECUTE 0x0020u
#define SC_FILE_READ_ATTRIBUTES 0x0080u
#define SC_FILE_WRITE_ATTRIBUTES 0x0100u
#define SC_FILE_ALL_ACCESS 0x001F01FFu

typedef struct sc_generic_mapping {
	uint32_t read, write, execute, all;
} sc_generic_mapping;

/* The file mapping: GENERIC_READ -> FILE_GENERIC_READ and so on. */
extern const sc_generic_mapping sc_file_mapping;

typedef enum sc_ace_type { SC_ACE_ALLOW = 0, SC_ACE_DENY = 1 } sc_ace_type;

typedef struct sc_ace {
	sc_ace_type type;
	char *sid;
	uint32_t mask; /* may hold generic bits: mapped before the walk */
} sc_ace;

typedef struct sc_sd {
	char *owner_sid;
	bool dacl_present; /* false: NULL DACL, grants everything */
	sc_ace *aces;      /* dacl_present with count 0: empty DACL */
	size_t ace_count;
	sc_generic_mapping mapping;
} sc_sd;

/* Map generic bits of mask to specific ones (T6: "generic rights are
 * mapped first"). MAXIMUM_ALLOWED is kept. */
uint32_t sc_acl_map_generic(uint32_t mask, const sc_generic_mapping *m);

/* T6: AccessCheck. token must be an impersonation token at Identify or
 * above (primary: SC_NO_IMPERSONATION_TOKEN; Anonymous:
 * SC_BAD_IMPERSONATION_LEVEL). On SC_OK *granted holds the granted mask
 * (with MAXIMUM_ALLOWED: everything that would be granted); when the
 * request is not fully granted the status is SC_ACCESS_DENIED and
 * *granted is 0. Every step names T6 in the log. */
sc_status sc_acl_access_check(const sc_token *token, const sc_sd *sd,
			      uint32_t desired, uint32_t *granted,
			      sc_log *log);

/* The same walk without the token-type requirement: what the object
 * manager does when a thread with no token opens an object with its
 * process's primary token. */
sc_status sc_acl_check_any(const sc_token *token, const sc_sd *sd,
			   uint32_t desired, uint32_t *granted, sc_log *log);

/* Every access right name and its mask, once: the generic rights
 * first (the trace names a mask's whole generic sets, then each specific
 * right left), then the standard and the file's specific rights. The
 * names are the scenario's spellings (access:, granted:) and the trace's.
 * X(name, mask). */
#define SC_ACCESS_RIGHTS(X)                                                 \
	X("all", SC_GENERIC_ALL)                                            \
	X("read", SC_GENERIC_READ)                                          \
	X("write", SC_GENERIC_WRITE)                                        \
	X("execute", SC_GENERIC_EXECUTE)                                    \
	X("delete", SC_DELETE)                                              \
	X("read_control", SC_READ_CONTROL)                                  \
	X("write_dac", SC_WRITE_DAC)                                        \
	X("write_owner", SC_WRITE_OWNER)                                    \
	X("read_data", SC_FILE_READ_DATA)                                   \
	X("write_data", SC_FILE_WRITE_DATA)                                 \
	X("append_data", SC_FILE_APPEND_DATA)                               \
	X("read_ea", SC_FILE_READ_EA)                                       \
	X("write_ea", SC_FILE_WRITE_EA)                                     \
	X("file_execute", SC_FILE_EXECUTE)                                  \
	X("read_attributes", SC_FILE_READ_ATTRIBUTES)                       \
	X("write_attributes", SC_FILE_WRITE_ATTRIBUTES)                     \
	X("synchronize", SC_SYNCHRONIZE)                                    \
	X("maximum_allowed", SC_MAXIMUM_ALLOWED)

/* A name of SC_ACCESS_RIGHTS, any case, "none" (0) or a hex mask.
 * Returns 0 or SC_ERR_INVAL. */
int sc_acl_right_parse(const char *name, uint32_t *mask);
/* Writes a "|"-joined list of names for mask into buf. */
void sc_acl_rights_format(uint32_t mask, char *buf, size_t len);

void sc_sd_free_contents(sc_sd *sd);

#endif

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
/* Object-specific bits of files and named pipes (winnt.h). */
#define SC_FILE_READ_DATA 0x0001u
#define SC_FILE_WRITE_DATA 0x0002u
#define SC_FILE_APPEND_DATA 0x0004u /* a pipe: FILE_CREATE_PIPE_INSTANCE */
#define SC_FILE_READ_EA 0x0008u
#define SC_FILE_WRITE_EA 0x0010u
#define SC_FILE_EXECUTE 0x0020u
#define SC_FILE_DELETE_CHILD 0x0040u
#define SC_FILE_READ_ATTRIBUTES 0x0080u
#define SC_FILE_WRITE_ATTRIBUTES 0x0100u
#define SC_FILE_GENERIC_READ 0x00120089u    /* STANDARD_RIGHTS_READ |   \
	READ_DATA | READ_ATTRIBUTES | READ_EA | SYNCHRONIZE */
#define SC_FILE_GENERIC_WRITE 0x00120116u   /* STANDARD_RIGHTS_WRITE |  \
	WRITE_DATA | WRITE_ATTRIBUTES | WRITE_EA | APPEND_DATA | SYNCHRONIZE */
#define SC_FILE_GENERIC_EXECUTE 0x001200A0u /* STANDARD_RIGHTS_EXECUTE |\
	READ_ATTRIBUTES | EXECUTE | SYNCHRONIZE */
#define SC_FILE_ALL_ACCESS 0x001F01FFu
/* Registry keys (winnt.h): KEY_READ is STANDARD_RIGHTS_READ |
 * QUERY_VALUE | ENUMERATE_SUB_KEYS | NOTIFY without SYNCHRONIZE; KEY_WRITE
 * STANDARD_RIGHTS_WRITE | SET_VALUE | CREATE_SUB_KEY; KEY_EXECUTE is
 * KEY_READ; KEY_ALL_ACCESS STANDARD_RIGHTS_ALL and every key right, again
 * without SYNCHRONIZE. */
#define SC_KEY_QUERY_VALUE 0x0001u
#define SC_KEY_SET_VALUE 0x0002u
#define SC_KEY_CREATE_SUB_KEY 0x0004u
#define SC_KEY_ENUMERATE_SUB_KEYS 0x0008u
#define SC_KEY_NOTIFY 0x0010u
#define SC_KEY_CREATE_LINK 0x0020u
#define SC_KEY_READ 0x00020019u
#define SC_KEY_WRITE 0x00020006u
#define SC_KEY_EXECUTE SC_KEY_READ
#define SC_KEY_ALL_ACCESS 0x000F003Fu
/* Services (winsvc.h, "Service Security and Access Rights"). */
#define SC_SERVICE_QUERY_CONFIG 0x0001u
#define SC_SERVICE_CHANGE_CONFIG 0x0002u
#define SC_SERVICE_QUERY_STATUS 0x0004u
#define SC_SERVICE_ENUMERATE_DEPENDENTS 0x0008u
#define SC_SERVICE_START 0x0010u
#define SC_SERVICE_STOP 0x0020u
#define SC_SERVICE_PAUSE_CONTINUE 0x0040u
#define SC_SERVICE_INTERROGATE 0x0080u
#define SC_SERVICE_USER_DEFINED_CONTROL 0x0100u
/* GENERIC_READ: STANDARD_RIGHTS_READ | QUERY_CONFIG | QUERY_STATUS |
 * INTERROGATE | ENUMERATE_DEPENDENTS; GENERIC_WRITE: STANDARD_RIGHTS_WRITE
 * | CHANGE_CONFIG; GENERIC_EXECUTE: STANDARD_RIGHTS_EXECUTE | START | STOP
 * | PAUSE_CONTINUE | USER_DEFINED_CONTROL; GENERIC_ALL: SERVICE_ALL_ACCESS
 * (STANDARD_RIGHTS_REQUIRED and every service right). */
#define SC_SERVICE_GENERIC_READ 0x0002008Du
#define SC_SERVICE_GENERIC_WRITE 0x00020002u
#define SC_SERVICE_GENERIC_EXECUTE 0x00020170u
#define SC_SERVICE_ALL_ACCESS 0x000F01FFu
/* Directories ("File Access Rights Constants"): the file bits under
 * their directory names; a directory maps generic rights as a file
 * does (FILE_GENERIC_READ among them lists the directory). */
#define SC_FILE_LIST_DIRECTORY 0x0001u   /* FILE_READ_DATA */
#define SC_FILE_ADD_FILE 0x0002u         /* FILE_WRITE_DATA */
#define SC_FILE_ADD_SUBDIRECTORY 0x0004u /* FILE_APPEND_DATA */
#define SC_FILE_TRAVERSE 0x0020u         /* FILE_EXECUTE */
/* The service control manager ("Service Security and Access Rights"):
 * GENERIC_READ is STANDARD_RIGHTS_READ | ENUMERATE_SERVICE |
 * QUERY_LOCK_STATUS; GENERIC_WRITE STANDARD_RIGHTS_WRITE |
 * CREATE_SERVICE | MODIFY_BOOT_CONFIG; GENERIC_EXECUTE
 * STANDARD_RIGHTS_EXECUTE | CONNECT | LOCK; GENERIC_ALL
 * SC_MANAGER_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED and every right). */
#define SC_MANAGER_CONNECT 0x0001u
#define SC_MANAGER_CREATE_SERVICE 0x0002u
#define SC_MANAGER_ENUMERATE_SERVICE 0x0004u
#define SC_MANAGER_LOCK 0x0008u
#define SC_MANAGER_QUERY_LOCK_STATUS 0x0010u
#define SC_MANAGER_MODIFY_BOOT_CONFIG 0x0020u
#define SC_MANAGER_GENERIC_READ 0x00020014u
#define SC_MANAGER_GENERIC_WRITE 0x00020022u
#define SC_MANAGER_GENERIC_EXECUTE 0x00020009u
#define SC_MANAGER_ALL_ACCESS 0x000F003Fu

/* T6: the kinds of securable object. Each has its own generic mapping
 * (the GENERIC_MAPPING AccessCheck is given) and its own specific rights.
 * X(ID, "spelling", ALL), as the enum tables of sc_common.h; aliases
 * are Windows spellings (SE_OBJECT_TYPE). A file is the default: an
 * object without `type:` is a file. */
#define SC_OBJECT_TYPES(X)                                                   \
	X(FILE, "file", 1)                                                   \
	X(PIPE, "pipe", 1)                                                   \
	X(KEY, "key", 1)                                                     \
	X(SERVICE, "service", 1)                                             \
	X(DIRECTORY, "directory", 1)                                         \
	X(SC_MANAGER, "sc_manager", 1)
#define SC_OBJECT_TYPE_ALIASES(X)                                            \
	X(PIPE, "named_pipe")                                                \
	X(KEY, "registry_key")                                               \
	X(DIRECTORY, "folder")                                               \
	X(SC_MANAGER, "scm")                                                 \
	X(FILE, "SE_FILE_OBJECT")                                            \
	X(KEY, "SE_REGISTRY_KEY")                                            \
	X(SERVICE, "SE_SERVICE")

typedef enum sc_object_type {
#define SC_OBJECT_TYPE_ENUM(id, name, all) SC_OBJ_##id,
	SC_OBJECT_TYPES(SC_OBJECT_TYPE_ENUM)
#undef SC_OBJECT_TYPE_ENUM
	SC_OBJ_COUNT
} sc_object_type;
extern const sc_enum_table sc_object_type_table;
const char *sc_object_type_name(sc_object_type t);

typedef struct sc_generic_mapping {
	uint32_t read, write, execute, all;
} sc_generic_mapping;

/* The generic mapping of each type, as Windows gives it:
 * file and pipe  FILE_GENERIC_READ, _WRITE, _EXECUTE, FILE_ALL_ACCESS;
 * key            KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS;
 * service        the SERVICE_GENERIC_* sets above, SERVICE_ALL_ACCESS;
 * directory      as a file;
 * sc_manager     the SC_MANAGER_GENERIC_* sets, SC_MANAGER_ALL_ACCESS. */
const sc_generic_mapping *sc_acl_mapping(sc_object_type t);
/* The file mapping (sc_acl_mapping(SC_OBJ_FILE)). */
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
	sc_object_type type; /* its generic mapping and right names */
	sc_integrity label;  /* T12: its mandatory label (DEFAULT: medium) */
	bool no_read_up;     /* T12: the label's policy adds NO_READ_UP */
} sc_sd;

/* T12: the access a token below sd's mandatory label may still be
 * granted (MS-DTYP 2.5.3.3, MandatoryIntegrityCheck): the object type's
 * generic read set (none under no_read_up) and its generic execute set;
 * the policy is always NO_WRITE_UP, so the write set, WRITE_DAC,
 * WRITE_OWNER, DELETE and every bit outside the read and execute sets
 * are not. A token at or above the label: every bit (0xFFFFFFFF). */
uint32_t sc_acl_mandatory_allowed(const sc_token *token, const sc_sd *sd);

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

/* Which object types a right name is for: a set of (1 << SC_OBJ_*). */
#define SC_OT_ANY ((1u << SC_OBJ_COUNT) - 1)
#define SC_OT_FILE (1u << SC_OBJ_FILE)
#define SC_OT_PIPE (1u << SC_OBJ_PIPE)
#define SC_OT_FILES (SC_OT_FILE | SC_OT_PIPE)
#define SC_OT_KEY (1u << SC_OBJ_KEY)
#define SC_OT_SERVICE (1u << SC_OBJ_SERVICE)
#define SC_OT_DIRECTORY (1u << SC_OBJ_DIRECTORY)
#define SC_OT_FILELIKE (SC_OT_FILES | SC_OT_DIRECTORY)
#define SC_OT_SC_MANAGER (1u << SC_OBJ_SC_MANAGER)

/* Every access right name and its mask, once, with the object types it
 * is for: the generic rights first (the trace names a mask's whole
 * generic sets, mapped through the object's type, then each specific
 * right left), then the standard and each type's specific rights. The
 * names are the scenario's spellings (access:, granted:) and the
 * trace's. X(TYPES, name, mask), TYPES one of the SC_OT_ sets. */
#define SC_ACCESS_RIGHTS(X)                                                 \
	X(ANY, "all", SC_GENERIC_ALL)                                       \
	X(ANY, "read", SC_GENERIC_READ)                                     \
	X(ANY, "write", SC_GENERIC_WRITE)                                   \
	X(ANY, "execute", SC_GENERIC_EXECUTE)                               \
	X(ANY, "delete", SC_DELETE)                                         \
	X(ANY, "read_control", SC_READ_CONTROL)                             \
	X(ANY, "write_dac", SC_WRITE_DAC)                                   \
	X(ANY, "write_owner", SC_WRITE_OWNER)                               \
	X(FILES, "read_data", SC_FILE_READ_DATA)                            \
	X(FILES, "write_data", SC_FILE_WRITE_DATA)                          \
	X(FILE, "append_data", SC_FILE_APPEND_DATA)                         \
	X(PIPE, "create_pipe_instance", SC_FILE_APPEND_DATA)                \
	X(DIRECTORY, "list_directory", SC_FILE_LIST_DIRECTORY)              \
	X(DIRECTORY, "add_file", SC_FILE_ADD_FILE)                          \
	X(DIRECTORY, "add_subdirectory", SC_FILE_ADD_SUBDIRECTORY)          \
	X(FILELIKE, "read_ea", SC_FILE_READ_EA)                             \
	X(FILELIKE, "write_ea", SC_FILE_WRITE_EA)                           \
	X(FILES, "file_execute", SC_FILE_EXECUTE)                           \
	X(DIRECTORY, "traverse", SC_FILE_TRAVERSE)                          \
	X(FILELIKE, "delete_child", SC_FILE_DELETE_CHILD)                   \
	X(FILELIKE, "read_attributes", SC_FILE_READ_ATTRIBUTES)             \
	X(FILELIKE, "write_attributes", SC_FILE_WRITE_ATTRIBUTES)           \
	X(KEY, "query_value", SC_KEY_QUERY_VALUE)                           \
	X(KEY, "set_value", SC_KEY_SET_VALUE)                               \
	X(KEY, "create_sub_key", SC_KEY_CREATE_SUB_KEY)                     \
	X(KEY, "enumerate_sub_keys", SC_KEY_ENUMERATE_SUB_KEYS)             \
	X(KEY, "notify", SC_KEY_NOTIFY)                                     \
	X(KEY, "create_link", SC_KEY_CREATE_LINK)                           \
	X(SERVICE, "query_config", SC_SERVICE_QUERY_CONFIG)                 \
	X(SERVICE, "change_config", SC_SERVICE_CHANGE_CONFIG)               \
	X(SERVICE, "query_status", SC_SERVICE_QUERY_STATUS)                 \
	X(SERVICE, "enumerate_dependents", SC_SERVICE_ENUMERATE_DEPENDENTS) \
	X(SERVICE, "start", SC_SERVICE_START)                               \
	X(SERVICE, "stop", SC_SERVICE_STOP)                                 \
	X(SERVICE, "pause_continue", SC_SERVICE_PAUSE_CONTINUE)             \
	X(SERVICE, "interrogate", SC_SERVICE_INTERROGATE)                   \
	X(SERVICE, "user_defined_control", SC_SERVICE_USER_DEFINED_CONTROL) \
	X(SC_MANAGER, "connect", SC_MANAGER_CONNECT)                        \
	X(SC_MANAGER, "create_service", SC_MANAGER_CREATE_SERVICE)          \
	X(SC_MANAGER, "enumerate_service", SC_MANAGER_ENUMERATE_SERVICE)    \
	X(SC_MANAGER, "lock", SC_MANAGER_LOCK)                              \
	X(SC_MANAGER, "query_lock_status", SC_MANAGER_QUERY_LOCK_STATUS)    \
	X(SC_MANAGER, "modify_boot_config", SC_MANAGER_MODIFY_BOOT_CONFIG)  \
	X(ANY, "synchronize", SC_SYNCHRONIZE)                               \
	X(ANY, "maximum_allowed", SC_MAXIMUM_ALLOWED)

/* Further spellings a scenario may use: the Windows SDK's names, for the
 * same types. Output always uses the names above. */
#define SC_ACCESS_RIGHT_ALIASES(X)                                          \
	X(ANY, "GENERIC_ALL", SC_GENERIC_ALL)                               \
	X(ANY, "GENERIC_READ", SC_GENERIC_READ)                             \
	X(ANY, "GENERIC_WRITE", SC_GENERIC_WRITE)                           \
	X(ANY, "GENERIC_EXECUTE", SC_GENERIC_EXECUTE)                       \
	X(ANY, "STANDARD_RIGHTS_READ", SC_READ_CONTROL)                     \
	X(ANY, "STANDARD_RIGHTS_WRITE", SC_READ_CONTROL)                    \
	X(ANY, "STANDARD_RIGHTS_EXECUTE", SC_READ_CONTROL)                  \
	X(ANY, "STANDARD_RIGHTS_REQUIRED", 0x000F0000u)                     \
	X(ANY, "STANDARD_RIGHTS_ALL", 0x001F0000u)                          \
	X(FILES, "FILE_READ_DATA", SC_FILE_READ_DATA)                       \
	X(FILES, "FILE_WRITE_DATA", SC_FILE_WRITE_DATA)                     \
	X(FILES, "FILE_APPEND_DATA", SC_FILE_APPEND_DATA)                   \
	X(PIPE, "FILE_CREATE_PIPE_INSTANCE", SC_FILE_APPEND_DATA)           \
	X(PIPE, "append_data", SC_FILE_APPEND_DATA)                         \
	X(FILELIKE, "FILE_READ_EA", SC_FILE_READ_EA)                        \
	X(FILELIKE, "FILE_WRITE_EA", SC_FILE_WRITE_EA)                      \
	X(FILES, "FILE_EXECUTE", SC_FILE_EXECUTE)                           \
	X(FILELIKE, "FILE_DELETE_CHILD", SC_FILE_DELETE_CHILD)              \
	X(FILELIKE, "FILE_READ_ATTRIBUTES", SC_FILE_READ_ATTRIBUTES)        \
	X(FILELIKE, "FILE_WRITE_ATTRIBUTES", SC_FILE_WRITE_ATTRIBUTES)      \
	X(FILELIKE, "FILE_GENERIC_READ", SC_FILE_GENERIC_READ)              \
	X(FILELIKE, "FILE_GENERIC_WRITE", SC_FILE_GENERIC_WRITE)            \
	X(FILELIKE, "FILE_GENERIC_EXECUTE", SC_FILE_GENERIC_EXECUTE)        \
	X(FILELIKE, "FILE_ALL_ACCESS", SC_FILE_ALL_ACCESS)                  \
	X(DIRECTORY, "FILE_LIST_DIRECTORY", SC_FILE_LIST_DIRECTORY)         \
	X(DIRECTORY, "FILE_ADD_FILE", SC_FILE_ADD_FILE)                     \
	X(DIRECTORY, "FILE_ADD_SUBDIRECTORY", SC_FILE_ADD_SUBDIRECTORY)     \
	X(DIRECTORY, "FILE_TRAVERSE", SC_FILE_TRAVERSE)                     \
	X(KEY, "KEY_QUERY_VALUE", SC_KEY_QUERY_VALUE)                       \
	X(KEY, "KEY_SET_VALUE", SC_KEY_SET_VALUE)                           \
	X(KEY, "KEY_CREATE_SUB_KEY", SC_KEY_CREATE_SUB_KEY)                 \
	X(KEY, "KEY_ENUMERATE_SUB_KEYS", SC_KEY_ENUMERATE_SUB_KEYS)         \
	X(KEY, "KEY_NOTIFY", SC_KEY_NOTIFY)                                 \
	X(KEY, "KEY_CREATE_LINK", SC_KEY_CREATE_LINK)                       \
	X(KEY, "KEY_READ", SC_KEY_READ)                                     \
	X(KEY, "KEY_WRITE", SC_KEY_WRITE)                                   \
	X(KEY, "KEY_EXECUTE", SC_KEY_EXECUTE)                               \
	X(KEY, "KEY_ALL_ACCESS", SC_KEY_ALL_ACCESS)                         \
	X(SERVICE, "SERVICE_QUERY_CONFIG", SC_SERVICE_QUERY_CONFIG)         \
	X(SERVICE, "SERVICE_CHANGE_CONFIG", SC_SERVICE_CHANGE_CONFIG)       \
	X(SERVICE, "SERVICE_QUERY_STATUS", SC_SERVICE_QUERY_STATUS)         \
	X(SERVICE, "SERVICE_ENUMERATE_DEPENDENTS",                          \
	  SC_SERVICE_ENUMERATE_DEPENDENTS)                                  \
	X(SERVICE, "SERVICE_START", SC_SERVICE_START)                       \
	X(SERVICE, "SERVICE_STOP", SC_SERVICE_STOP)                         \
	X(SERVICE, "SERVICE_PAUSE_CONTINUE", SC_SERVICE_PAUSE_CONTINUE)     \
	X(SERVICE, "SERVICE_INTERROGATE", SC_SERVICE_INTERROGATE)           \
	X(SERVICE, "SERVICE_USER_DEFINED_CONTROL",                          \
	  SC_SERVICE_USER_DEFINED_CONTROL)                                  \
	X(SERVICE, "SERVICE_ALL_ACCESS", SC_SERVICE_ALL_ACCESS)             \
	X(SC_MANAGER, "SC_MANAGER_CONNECT", SC_MANAGER_CONNECT)             \
	X(SC_MANAGER, "SC_MANAGER_CREATE_SERVICE", SC_MANAGER_CREATE_SERVICE) \
	X(SC_MANAGER, "SC_MANAGER_ENUMERATE_SERVICE",                       \
	  SC_MANAGER_ENUMERATE_SERVICE)                                     \
	X(SC_MANAGER, "SC_MANAGER_LOCK", SC_MANAGER_LOCK)                   \
	X(SC_MANAGER, "SC_MANAGER_QUERY_LOCK_STATUS",                       \
	  SC_MANAGER_QUERY_LOCK_STATUS)                                     \
	X(SC_MANAGER, "SC_MANAGER_MODIFY_BOOT_CONFIG",                      \
	  SC_MANAGER_MODIFY_BOOT_CONFIG)                                    \
	X(SC_MANAGER, "SC_MANAGER_ALL_ACCESS", SC_MANAGER_ALL_ACCESS)

/* One row of SC_ACCESS_RIGHTS (alias false) or of its aliases. */
typedef struct sc_right_entry {
	unsigned types; /* SC_OT_ set */
	const char *name;
	uint32_t mask;
	bool alias;
} sc_right_entry;
/* Both tables, names first, then aliases. */
extern const sc_right_entry sc_right_table[];
extern const size_t sc_right_count;

/* A name of SC_ACCESS_RIGHTS or its aliases for type t, any case.
 * Returns 0 or SC_ERR_INVAL. */
int sc_acl_right_named(sc_object_type t, const char *name, uint32_t *mask);
/* The same, and also "none" (0) or a hex mask ("0x100000"), so that what
 * sc_acl_rights_format writes parses back. */
int sc_acl_right_parse(sc_object_type t, const char *name, uint32_t *mask);
/* A "|"-joined list of right names (sc_acl_right_named) for type t as a
 * mask: the names' masks ORed and mapped through t (T6), so that
 * GENERIC_READ, read and FILE_GENERIC_READ are one mask on a file.
 * Returns 0 or SC_ERR_INVAL. */
int sc_acl_rights_mask(sc_object_type t, const char *list, uint32_t *mask);
/* Writes a "|"-joined list of t's names for mask into buf. */
void sc_acl_rights_format(sc_object_type t, uint32_t mask, char *buf,
			  size_t len);

void sc_sd_free_contents(sc_sd *sd);

#endif

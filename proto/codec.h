/* codec.h: the model's context and trace to and from protobuf-c bytes.
 * With rpc.h, the only code that knows the wire format. No gRPC here, so
 * the launcher (which must never initialise gRPC) can link it. */
#ifndef CLOAKROOM_CODEC_H
#define CLOAKROOM_CODEC_H

#include "sc_exec.h"
#include "sc_trace.h"

#define CODEC_CONTEXT_VERSION 1
/* Caps: a context above this size is refused before decoding. */
#define CODEC_MAX_CONTEXT 65536
#define CODEC_MAX_GROUPS 1024
#define CODEC_MAX_PRIVILEGES 256
#define CODEC_MAX_HOPS 256
/* A context that has come through more hops than this is refused (a call
 * loop, or a hostile depth). */
#define CODEC_MAX_DEPTH 64

/* Encode: 0 and a malloc'd buffer, or SC_ERR_NOMEM. */
int codec_context_encode(const sc_context *ctx, uint8_t **buf, size_t *len);
/* Decode and check a context: 0 with ctx filled and *identity a new token
 * (ctx->identity points at it; the caller frees it), or SC_ERR_INVAL with
 * the reason in err (malformed bytes, wrong version, no user, a value out
 * of range, a string too long, over a cap: size, groups, privileges,
 * depth). */
int codec_context_decode(const uint8_t *buf, size_t len, sc_context *ctx,
			 sc_token **identity, char *err, size_t errlen);

int codec_trace_encode(const sc_trace *t, uint8_t **buf, size_t *len);
/* full: as codec_trace_encode; else each hop's ends, status and depth
 * only (no notes, tokens nor steps): the reply to a call that did not
 * ask for the trace (CallRequest.trace). */
int codec_trace_encode_as(const sc_trace *t, bool full, uint8_t **buf,
			  size_t *len);
/* Decode into an initialised, empty trace. 0 or SC_ERR_INVAL with err. */
int codec_trace_decode(const uint8_t *buf, size_t len, sc_trace *t,
		       char *err, size_t errlen);

/* A token alone, as an Identity (the authorization data a ticket carries:
 * trust/auth.h). Encode: 0 and a malloc'd buffer, or SC_ERR_NOMEM.
 * Decode checks it as a context's identity is checked: 0 with *out a new
 * token, or SC_ERR_INVAL with err. */
int codec_identity_encode(const sc_token *t, uint8_t **buf, size_t *len);
int codec_identity_decode(const uint8_t *buf, size_t len, sc_token **out,
			  char *err, size_t errlen);

/* The request body: the name of the process the caller means to reach,
 * and whether the reply should carry the trace (every hop's notes, steps
 * and tokens) or only each hop's ends, status and depth. */
int codec_request_encode(const char *target, bool trace, uint8_t **buf,
			 size_t *len);
typedef struct codec_request {
	char target[SC_NAME_LEN];
	bool trace;
} codec_request;
int codec_request_decode(const uint8_t *buf, size_t len, codec_request *out,
			 char *err, size_t errlen);

/* A callee's refusal (sc_refusal) as the Refusal message. Decode checks
 * the status name and that the rule is an id (1 to 7 capitals and
 * digits): 0, or SC_ERR_INVAL with err. */
int codec_refusal_encode(const sc_refusal *r, uint8_t **buf, size_t *len);
int codec_refusal_decode(const uint8_t *buf, size_t len, sc_refusal *r,
			 char *err, size_t errlen);

#endif

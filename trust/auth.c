/* auth.c: Ed25519 signatures, AES-256-GCM and HMAC-SHA256 through
 * OpenSSL, the authority's statements and sealed contexts as protobuf-c
 * messages. Every check fails closed with a rule id and a reason; nothing
 * here decides who may be presented (the authority does, with the model)
 * and nothing here knows gRPC. */
#include "auth.h"

#include "cloakroom.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct auth_key {
	EVP_PKEY *pkey;
	uint8_t pub[AUTH_KEY_LEN];
};

static int key_from_seed(const uint8_t seed[AUTH_KEY_LEN], auth_key **out)
{
	auth_key *k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
					       AUTH_KEY_LEN);
	size_t pl = AUTH_KEY_LEN;
	if (!k->pkey || EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &pl) != 1 ||
	    pl != AUTH_KEY_LEN) {
		auth_key_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

int auth_key_generate(auth_key **out)
{
	uint8_t seed[AUTH_KEY_LEN];
	*out = NULL;
	if (auth_random(seed, sizeof(seed)) != 0)
		return -1;
	int rc = key_from_seed(seed, out);
	memset(seed, 0, sizeof(seed));
	return rc;
}

int auth_key_load(const char *path, auth_key **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	if (auth_file_read(path, &buf, &len) != 0)
		return -1;
	int rc = len == AUTH_KEY_LEN ? key_from_seed(buf, out) : -1;
	memset(buf, 0, len);
	free(buf);
	return rc;
}

int auth_key_save(const auth_key *k, const char *path)
{
	uint8_t seed[AUTH_KEY_LEN];
	size_t len = sizeof(seed);
	if (EVP_PKEY_get_raw_private_key(k->pkey, seed, &len) != 1 ||
	    len != AUTH_KEY_LEN)
		return -1;
	int rc = auth_file_write(path, seed, len);
	memset(seed, 0, sizeof(seed));
	return rc;
}

void auth_key_free(auth_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

void auth_key_public(const auth_key *k, uint8_t pub[AUTH_KEY_LEN])
{
	memcpy(pub, k->pub, AUTH_KEY_LEN);
}

int auth_sign(const auth_key *k, const uint8_t *msg, size_t len,
	      uint8_t sig[AUTH_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sl = AUTH_SIG_LEN;
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &sl, msg, len) == 1 &&
		 sl == AUTH_SIG_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

bool auth_verify(const uint8_t pub[AUTH_KEY_LEN], const uint8_t *msg,
		 size_t len, const uint8_t *sig, size_t siglen)
{
	if (siglen != AUTH_SIG_LEN)
		return false;
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
						   AUTH_KEY_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = pk && md &&
		  EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		  EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

/* SHA-256 and HMAC-SHA256 on every call: the algorithms fetched once,
 * and a context of each per thread, reused (OpenSSL's one-shot calls
 * fetch and allocate every time, which costs more than the hashing). */
typedef struct auth_thread_ctx {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	struct auth_thread_ctx *prev, *next; /* every thread's, see ctx_all */
} auth_thread_ctx;

/* Every live thread's contexts, so that those of threads still running
 * when the process exits stay reachable (a thread's specific data is not
 * a root the leak checkers always see), and each is freed when its
 * thread ends. */
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static auth_thread_ctx *ctx_all;

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static EVP_MD *sha256_alg;
static EVP_MAC *hmac_alg;

static void thread_ctx_free(void *p)
{
	auth_thread_ctx *t = p;
	pthread_mutex_lock(&ctx_lock);
	if (t->prev)
		t->prev->next = t->next;
	else if (ctx_all == t)
		ctx_all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&ctx_lock);
	EVP_MD_CTX_free(t->md);
	EVP_MAC_CTX_free(t->mac);
	free(t);
}

static void algs_init(void)
{
	sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (pthread_key_create(&ctx_key, thread_ctx_free) != 0) {
		EVP_MD_free(sha256_alg);
		EVP_MAC_free(hmac_alg);
		sha256_alg = NULL;
		hmac_alg = NULL;
	}
}

/* This thread's contexts, or NULL (out of memory). */
static auth_thread_ctx *thread_ctx(void)
{
	pthread_once(&algs_once, algs_init);
	if (!sha256_alg || !hmac_alg)
		return NULL;
	auth_thread_ctx *t = pthread_getspecific(ctx_key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->md = EVP_MD_CTX_new();
	t->mac = EVP_MAC_CTX_new(hmac_alg);
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(
				  OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			  OSSL_PARAM_construct_end()};
	if (!t->md || !t->mac || EVP_MAC_CTX_set_params(t->mac, p) != 1 ||
	    pthread_setspecific(ctx_key, t) != 0) {
		thread_ctx_free(t);
		return NULL;
	}
	pthread_mutex_lock(&ctx_lock);
	t->next = ctx_all;
	if (ctx_all)
		ctx_all->prev = t;
	ctx_all = t;
	pthread_mutex_unlock(&ctx_lock);
	return t;
}

void auth_hash(const uint8_t *msg, size_t len, uint8_t out[AUTH_HASH_LEN])
{
	auth_thread_ctx *t = thread_ctx();
	unsigned int ol = AUTH_HASH_LEN;
	if (!t || EVP_DigestInit_ex2(t->md, sha256_alg, NULL) != 1 ||
	    (len && EVP_DigestUpdate(t->md, msg, len) != 1) ||
	    EVP_DigestFinal_ex(t->md, out, &ol) != 1 || ol != AUTH_HASH_LEN)
		memset(out, 0, AUTH_HASH_LEN); /* never matches a real hash */
}

int auth_secret_load(const char *path, uint8_t out[AUTH_SECRET_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (auth_file_read(path, &buf, &len) != 0)
		return -1;
	int rc = len == AUTH_SECRET_LEN ? 0 : -1;
	if (rc == 0)
		memcpy(out, buf, AUTH_SECRET_LEN);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* The additional data of a sealed session key: the ticket's id and the
 * holder's name, with its length. */
static bool gcm_aad(EVP_CIPHER_CTX *c, const uint8_t id[AUTH_NONCE_LEN],
		    const char *holder)
{
	int ol = 0;
	uint32_t hl = (uint32_t)strlen(holder);
	return EVP_CipherUpdate(c, NULL, &ol, id, AUTH_NONCE_LEN) == 1 &&
	       EVP_CipherUpdate(c, NULL, &ol, (const uint8_t *)&hl,
				sizeof(hl)) == 1 &&
	       (!hl || EVP_CipherUpdate(c, NULL, &ol, (const uint8_t *)holder,
					(int)hl) == 1);
}

int auth_key_seal(const uint8_t secret[AUTH_SECRET_LEN],
		  const uint8_t key[AUTH_SESSION_KEY_LEN],
		  const uint8_t ticket_id[AUTH_NONCE_LEN], const char *holder,
		  uint8_t out[AUTH_SEALED_KEY_LEN])
{
	uint8_t *iv = out, *ct = out + AUTH_GCM_NONCE_LEN,
		*tag = ct + AUTH_SESSION_KEY_LEN;
	if (auth_random(iv, AUTH_GCM_NONCE_LEN) != 0)
		return -1;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, fl = 0;
	bool ok = c &&
		  EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, secret, iv) ==
			  1 &&
		  gcm_aad(c, ticket_id, holder) &&
		  EVP_EncryptUpdate(c, ct, &ol, key, AUTH_SESSION_KEY_LEN) == 1 &&
		  ol == AUTH_SESSION_KEY_LEN &&
		  EVP_EncryptFinal_ex(c, ct + ol, &fl) == 1 && fl == 0 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AUTH_GCM_TAG_LEN,
				      tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int auth_key_unseal(const uint8_t secret[AUTH_SECRET_LEN], const uint8_t *in,
		    size_t len, const uint8_t ticket_id[AUTH_NONCE_LEN],
		    const char *holder, uint8_t key[AUTH_SESSION_KEY_LEN])
{
	if (len != AUTH_SEALED_KEY_LEN)
		return -1;
	const uint8_t *iv = in, *ct = in + AUTH_GCM_NONCE_LEN,
		      *tag = ct + AUTH_SESSION_KEY_LEN;
	uint8_t plain[AUTH_SESSION_KEY_LEN], t[AUTH_GCM_TAG_LEN];
	memcpy(t, tag, sizeof(t));
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, fl = 0;
	bool ok = c &&
		  EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, secret, iv) ==
			  1 &&
		  gcm_aad(c, ticket_id, holder) &&
		  EVP_DecryptUpdate(c, plain, &ol, ct, AUTH_SESSION_KEY_LEN) ==
			  1 &&
		  ol == AUTH_SESSION_KEY_LEN &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AUTH_GCM_TAG_LEN,
				      t) == 1 &&
		  EVP_DecryptFinal_ex(c, plain + ol, &fl) == 1;
	EVP_CIPHER_CTX_free(c);
	if (ok)
		memcpy(key, plain, AUTH_SESSION_KEY_LEN);
	OPENSSL_cleanse(plain, sizeof(plain));
	return ok ? 0 : -1;
}

int auth_mac(const uint8_t key[AUTH_SESSION_KEY_LEN], const uint8_t *msg,
	     size_t len, uint8_t out[AUTH_MAC_LEN])
{
	auth_thread_ctx *t = thread_ctx();
	size_t ol = 0;
	return t && EVP_MAC_init(t->mac, key, AUTH_SESSION_KEY_LEN, NULL) == 1 &&
			       (!len || EVP_MAC_update(t->mac, msg, len) == 1) &&
			       EVP_MAC_final(t->mac, out, &ol, AUTH_MAC_LEN) ==
				       1 &&
			       ol == AUTH_MAC_LEN
		       ? 0
		       : -1;
}

int auth_random(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

uint64_t auth_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void dns_label(const char *s, size_t n, char *out, size_t len,
		      size_t *o)
{
	for (size_t i = 0; i < n && *o + 1 < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		out[(*o)++] = c;
	}
	out[*o] = '\0';
}

void auth_dns_name(const char *account, char *out, size_t len)
{
	size_t o = 0;
	if (!len)
		return;
	out[0] = '\0';
	const char *bs = strchr(account, '\\');
	if (!bs) {
		dns_label(account, strlen(account), out, len, &o);
		return;
	}
	dns_label(bs + 1, strlen(bs + 1), out, len, &o);
	if (o + 1 < len)
		out[o++] = '.';
	dns_label(account, (size_t)(bs - account), out, len, &o);
}

int auth_file_read(const char *path, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *b = malloc(AUTH_SEALED_MAX);
	size_t n = b ? fread(b, 1, AUTH_SEALED_MAX, f) : 0;
	bool bad = !b || ferror(f) || n == AUTH_SEALED_MAX;
	fclose(f);
	if (bad) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int auth_file_write(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	return close(fd) == 0 ? 0 : -1;
}

/* ---- statements --------------------------------------------------- */

static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src ? src : "");
	if (n >= cap)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

/* A malloc'd copy of len bytes (NULL when out of memory). */
static uint8_t *secure_copy(const uint8_t *b, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c && len)
		memcpy(c, b, len);
	return c;
}

static bool copy_bytes(uint8_t *dst, size_t cap, ProtobufCBinaryData b)
{
	if (b.len != cap)
		return false;
	memcpy(dst, b.data, cap);
	return true;
}

/* body and k's signature of it into m (a Signed or a SignedRequest: the
 * same two fields), packed into a malloc'd *out. */
typedef struct signed_msg {
	ProtobufCMessage *m;
	ProtobufCBinaryData *body;
	ProtobufCBinaryData *sig;
} signed_msg;

static int sign_pack(const auth_key *k, const uint8_t *body, size_t blen,
		     const signed_msg *sm, uint8_t **out, size_t *len)
{
	uint8_t sig[AUTH_SIG_LEN];
	ProtobufCMessage *m = sm->m;
	*out = NULL;
	if (auth_sign(k, body, blen, sig) != 0)
		return -1;
	sm->body->data = (uint8_t *)body;
	sm->body->len = blen;
	sm->sig->data = sig;
	sm->sig->len = sizeof(sig);
	*len = protobuf_c_message_get_packed_size(m);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		return -1;
	protobuf_c_message_pack(m, *out);
	return 0;
}

/* Wrap body in a Signed with the key's signature. */
static int sign_body(const auth_key *k, const uint8_t *body, size_t blen,
		     uint8_t **out, size_t *len)
{
	Cloakroom__Signed s;
	cloakroom__signed__init(&s);
	signed_msg sm = {&s.base, &s.body, &s.signature};
	return sign_pack(k, body, blen, &sm, out, len);
}

int auth_request_sign(const auth_key *k, const uint8_t *body, size_t blen,
		      uint8_t **out, size_t *len)
{
	Cloakroom__SignedRequest s;
	cloakroom__signed_request__init(&s);
	signed_msg sm = {&s.base, &s.body, &s.signature};
	return sign_pack(k, body, blen, &sm, out, len);
}

#define BIN(field, ptr, n)                                                   \
	do {                                                                 \
		(field).data = (uint8_t *)(ptr);                             \
		(field).len = (n);                                           \
	} while (0)

int auth_credential_sign(const auth_key *authority, const auth_credential *c,
			 uint8_t **out, size_t *len)
{
	Cloakroom__Credential m;
	cloakroom__credential__init(&m);
	BIN(m.issuer, authority->pub, AUTH_KEY_LEN);
	m.process = (char *)c->process;
	m.account = (char *)c->account;
	m.account_sid = (char *)c->account_sid;
	m.host = (char *)c->host;
	BIN(m.key, c->key, AUTH_KEY_LEN);
	m.expires_ms = c->expires_ms;
	size_t bl = cloakroom__credential__get_packed_size(&m);
	uint8_t *body = malloc(bl ? bl : 1);
	if (!body)
		return -1;
	cloakroom__credential__pack(&m, body);
	int rc = sign_body(authority, body, bl, out, len);
	free(body);
	return rc;
}

int auth_ticket_sign(const auth_key *authority, const auth_ticket *t,
		     uint8_t **out, size_t *len)
{
	Cloakroom__Ticket m;
	cloakroom__ticket__init(&m);
	BIN(m.issuer, authority->pub, AUTH_KEY_LEN);
	m.subject = (char *)t->subject;
	m.subject_sid = (char *)t->subject_sid;
	m.subject_host = (char *)t->subject_host;
	m.presenter = (char *)t->presenter;
	m.audience = (char *)t->audience;
	m.forwardable = t->forwardable;
	m.expires_ms = t->expires_ms;
	BIN(m.nonce, t->nonce, AUTH_NONCE_LEN);
	m.rule = (char *)t->rule;
	m.level = t->level;
	m.transport = t->transport;
	m.package = t->package;
	m.authn = t->authn;
	Cloakroom__Identity *pac =
		t->pac ? cloakroom__identity__unpack(NULL, t->pac_len, t->pac)
		       : NULL;
	if (t->pac && !pac)
		return -1;
	m.authorization = pac;
	BIN(m.session_key, t->session_key, AUTH_SEALED_KEY_LEN);
	size_t bl = cloakroom__ticket__get_packed_size(&m);
	uint8_t *body = malloc(bl ? bl : 1);
	if (!body) {
		if (pac)
			cloakroom__identity__free_unpacked(pac, NULL);
		return -1;
	}
	cloakroom__ticket__pack(&m, body);
	if (pac)
		cloakroom__identity__free_unpacked(pac, NULL);
	int rc = sign_body(authority, body, bl, out, len);
	free(body);
	return rc;
}

/* ---- statements already verified (auth.h) ------------------------ */

static struct {
	pthread_mutex_t lock;
	bool on;
	uint64_t hits;
	bool used[AUTH_MEMO_SLOTS];
	uint8_t key[AUTH_MEMO_SLOTS][AUTH_HASH_LEN];
} memo = {.lock = PTHREAD_MUTEX_INITIALIZER};

void auth_memo_enable(bool on)
{
	pthread_mutex_lock(&memo.lock);
	memo.on = on;
	memo.hits = 0;
	memset(memo.used, 0, sizeof(memo.used));
	pthread_mutex_unlock(&memo.lock);
}

uint64_t auth_memo_hits(void)
{
	pthread_mutex_lock(&memo.lock);
	uint64_t h = memo.hits;
	pthread_mutex_unlock(&memo.lock);
	return h;
}

/* SHA-256 of issuer key, signature and body: what a verification read. */
static bool memo_key(const uint8_t pub[AUTH_KEY_LEN], const Cloakroom__Signed *s,
		     uint8_t out[AUTH_HASH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int ol = AUTH_HASH_LEN;
	uint64_t lens[2] = {s->signature.len, s->body.len};
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(md, pub, AUTH_KEY_LEN) == 1 &&
		  EVP_DigestUpdate(md, lens, sizeof(lens)) == 1 &&
		  (!s->signature.len ||
		   EVP_DigestUpdate(md, s->signature.data,
				    s->signature.len) == 1) &&
		  (!s->body.len ||
		   EVP_DigestUpdate(md, s->body.data, s->body.len) == 1) &&
		  EVP_DigestFinal_ex(md, out, &ol) == 1 && ol == AUTH_HASH_LEN;
	EVP_MD_CTX_free(md);
	return ok;
}

static size_t memo_slot(const uint8_t key[AUTH_HASH_LEN])
{
	uint32_t v;
	memcpy(&v, key, sizeof(v));
	return v % AUTH_MEMO_SLOTS;
}

/* K1: the statement's signature verifies under pub (remembered when the
 * memo is on). */
static bool statement_verifies(const uint8_t pub[AUTH_KEY_LEN],
			       const Cloakroom__Signed *s)
{
	pthread_mutex_lock(&memo.lock);
	bool on = memo.on;
	pthread_mutex_unlock(&memo.lock);
	uint8_t key[AUTH_HASH_LEN];
	if (!on || !memo_key(pub, s, key))
		return auth_verify(pub, s->body.data, s->body.len,
				   s->signature.data, s->signature.len);
	size_t i = memo_slot(key);
	pthread_mutex_lock(&memo.lock);
	bool hit = memo.used[i] &&
		   memcmp(memo.key[i], key, AUTH_HASH_LEN) == 0;
	memo.hits += hit;
	pthread_mutex_unlock(&memo.lock);
	if (hit)
		return true;
	if (!auth_verify(pub, s->body.data, s->body.len, s->signature.data,
			 s->signature.len))
		return false;
	pthread_mutex_lock(&memo.lock);
	memcpy(memo.key[i], key, AUTH_HASH_LEN);
	memo.used[i] = true;
	pthread_mutex_unlock(&memo.lock);
	return true;
}

/* Issuer first (an unknown authority is K2 whatever its signature), then
 * the signature (K1). */
static int check_signed(const uint8_t anchor[AUTH_KEY_LEN],
			ProtobufCBinaryData issuer, const Cloakroom__Signed *s,
			const char *what, auth_reject *why)
{
	if (issuer.len != AUTH_KEY_LEN ||
	    memcmp(issuer.data, anchor, AUTH_KEY_LEN) != 0)
		return sc_refuse(why, "K2",
			      "the %s was issued by an unknown authority", what);
	if (!statement_verifies(anchor, s))
		return sc_refuse(why, "K1",
			      "the %s's signature does not verify (forged or "
			      "altered)",
			      what);
	return 0;
}

/* K3. Compared by difference, never by sum: an expiry near the top of
 * the range must not wrap into the past (or a past one into the future). */
static int check_expiry(uint64_t expires, uint64_t now, uint64_t skew,
			const char *what, auth_reject *why)
{
	if (expires < now && now - expires > skew)
		return sc_refuse(why, "K3",
			      "the %s expired %llu ms ago (clock skew allowed: "
			      "%llu ms)",
			      what, (unsigned long long)(now - expires),
			      (unsigned long long)skew);
	return 0;
}

int auth_credential_check(const auth_checker *by, const uint8_t *buf,
			  size_t len, auth_credential *c, auth_reject *why)
{
	memset(c, 0, sizeof(*c));
	Cloakroom__Signed *s = cloakroom__signed__unpack(NULL, len, buf);
	Cloakroom__Credential *m =
		s ? cloakroom__credential__unpack(NULL, s->body.len,
						  s->body.data)
		  : NULL;
	int rc = 0;
	if (!m)
		rc = sc_refuse(why, "K1", "the credential is not a signed "
				       "Credential message");
	else if (check_signed(by->anchor, m->issuer, s, "credential", why) !=
		 0)
		rc = -1;
	else if (!copy_bytes(c->issuer, AUTH_KEY_LEN, m->issuer) ||
		 !copy_bytes(c->key, AUTH_KEY_LEN, m->key) ||
		 !copy_str(c->process, sizeof(c->process), m->process) ||
		 !copy_str(c->account, sizeof(c->account), m->account) ||
		 !copy_str(c->account_sid, sizeof(c->account_sid),
			   m->account_sid) ||
		 !copy_str(c->host, sizeof(c->host), m->host))
		rc = sc_refuse(why, "K1", "the credential has a malformed field");
	else {
		c->expires_ms = m->expires_ms;
		rc = check_expiry(c->expires_ms, by->now_ms, by->skew_ms,
				  "credential", why);
	}
	if (m)
		cloakroom__credential__free_unpacked(m, NULL);
	if (s)
		cloakroom__signed__free_unpacked(s, NULL);
	return rc;
}


static int ticket_check(const auth_checker *by, const uint8_t *buf,
			size_t len, auth_ticket *t, auth_pac *pac,
			auth_reject *why)
{
	memset(t, 0, sizeof(*t));
	if (pac) {
		pac->data = NULL;
		pac->len = 0;
	}
	Cloakroom__Signed *s = cloakroom__signed__unpack(NULL, len, buf);
	Cloakroom__Ticket *m =
		s ? cloakroom__ticket__unpack(NULL, s->body.len, s->body.data)
		  : NULL;
	int rc = 0;
	if (!m)
		rc = sc_refuse(why, "K1",
			    "the ticket is not a signed Ticket message");
	else if (check_signed(by->anchor, m->issuer, s, "ticket", why) != 0)
		rc = -1;
	else if (!copy_bytes(t->issuer, AUTH_KEY_LEN, m->issuer) ||
		 !copy_bytes(t->nonce, AUTH_NONCE_LEN, m->nonce) ||
		 !copy_str(t->subject, sizeof(t->subject), m->subject) ||
		 !copy_str(t->subject_sid, sizeof(t->subject_sid),
			   m->subject_sid) ||
		 !copy_str(t->subject_host, sizeof(t->subject_host),
			   m->subject_host) ||
		 !copy_str(t->presenter, sizeof(t->presenter), m->presenter) ||
		 !copy_str(t->audience, sizeof(t->audience), m->audience) ||
		 !copy_str(t->rule, sizeof(t->rule), m->rule))
		rc = sc_refuse(why, "K1", "the ticket has a malformed field");
	else if (!m->authorization)
		rc = sc_refuse(why, "K1", "the ticket carries no authorization "
				       "data");
	else if (!copy_bytes(t->session_key, AUTH_SEALED_KEY_LEN,
			     m->session_key))
		rc = sc_refuse(why, "K1", "the ticket carries no session key");
	else if (m->level < AUTH_TICKET_LEVEL_MIN ||
		 m->level > AUTH_TICKET_LEVEL_MAX ||
		 m->transport >= AUTH_TICKET_TRANSPORTS ||
		 m->package >= AUTH_TICKET_PACKAGES ||
		 m->authn >= AUTH_TICKET_AUTHNS)
		rc = sc_refuse(why, "K1", "the ticket's level or hop facts are "
				       "out of range");
	else {
		t->forwardable = m->forwardable;
		t->expires_ms = m->expires_ms;
		t->level = m->level;
		t->transport = m->transport;
		t->package = m->package;
		t->authn = m->authn;
		rc = check_expiry(t->expires_ms, by->now_ms, by->skew_ms,
				  "ticket", why);
	}
	if (rc == 0 && pac) {
		pac->len = cloakroom__identity__get_packed_size(
			m->authorization);
		pac->data = malloc(pac->len ? pac->len : 1);
		if (!pac->data)
			rc = sc_refuse(why, "K1", "out of memory");
		else
			cloakroom__identity__pack(m->authorization, pac->data);
	}
	if (m)
		cloakroom__ticket__free_unpacked(m, NULL);
	if (s)
		cloakroom__signed__free_unpacked(s, NULL);
	return rc;
}

int auth_ticket_check(const auth_checker *by, const uint8_t *buf, size_t len,
		      auth_ticket *t, auth_reject *why)
{
	return ticket_check(by, buf, len, t, NULL, why);
}

int auth_ticket_pac(const auth_checker *by, const uint8_t *buf, size_t len,
		    auth_ticket *t, auth_pac *pac, auth_reject *why)
{
	return ticket_check(by, buf, len, t, pac, why);
}

/* ---- sealed contexts ---------------------------------------------- */

/* An authenticator's nonce: it must never repeat (the callee's replay
 * cache keys on it; the MAC, not the nonce, makes the authenticator
 * unforgeable), so each thread draws 8 random bytes once and counts
 * after them, instead of asking the random generator on every call. 0
 * or -1. */
static int fresh_nonce(uint8_t out[AUTH_NONCE_LEN])
{
	static _Thread_local uint8_t prefix[8];
	static _Thread_local uint64_t count;
	static _Thread_local bool drawn;
	if (!drawn && auth_random(prefix, sizeof(prefix)) != 0)
		return -1;
	drawn = true;
	count++;
	memcpy(out, prefix, sizeof(prefix));
	memcpy(out + sizeof(prefix), &count, sizeof(count));
	return 0;
}

int auth_seal(const auth_seal_in *in, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	uint8_t ch[AUTH_HASH_LEN], nonce[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN];
	uint8_t ab[512];
	if (fresh_nonce(nonce) != 0)
		return -1;
	auth_hash(in->context, in->context_len, ch);
	Cloakroom__Authenticator a;
	cloakroom__authenticator__init(&a);
	BIN(a.context_hash, ch, sizeof(ch));
	BIN(a.ticket_id, in->ticket_id, AUTH_NONCE_LEN);
	a.audience = (char *)in->audience;
	a.issued_ms = in->issued_ms;
	a.expires_ms = in->issued_ms + in->lifetime_ms;
	BIN(a.nonce, nonce, sizeof(nonce));
	size_t al = cloakroom__authenticator__get_packed_size(&a);
	if (al > sizeof(ab))
		return -1; /* an audience longer than a process name */
	cloakroom__authenticator__pack(&a, ab);
	if (auth_mac(in->session_key, ab, al, mac) != 0)
		return -1;
	Cloakroom__SealedContext m;
	cloakroom__sealed_context__init(&m);
	BIN(m.context, in->context, in->context_len);
	BIN(m.credential, in->cred, in->cred_len);
	BIN(m.ticket, in->ticket, in->ticket_len);
	BIN(m.authenticator, ab, al);
	BIN(m.mac, mac, sizeof(mac));
	*out_len = cloakroom__sealed_context__get_packed_size(&m);
	*out = malloc(*out_len ? *out_len : 1);
	if (!*out)
		return -1;
	cloakroom__sealed_context__pack(&m, *out);
	return 0;
}

/* ---- the audience's verified statements ---------------------------- */

static uint64_t siphash16(const uint8_t key[16],
			  const uint8_t msg[AUTH_NONCE_LEN]);

typedef struct seen_slot {
	uint8_t *bytes; /* exactly what verified; NULL: empty */
	size_t len;
	bool is_ticket;
	auth_credential cred;
	auth_ticket tk;
	uint8_t *pac;
	size_t pac_len;
	uint8_t key[AUTH_SESSION_KEY_LEN]; /* the ticket's, unsealed */
} seen_slot;

struct auth_audience {
	uint8_t anchor[AUTH_KEY_LEN];
	char me[AUTH_NAME_LEN];
	uint8_t secret[AUTH_SECRET_LEN];
	uint8_t hkey[16]; /* SipHash key for the slots */
	pthread_mutex_t lock;
	uint64_t hits;
	seen_slot *slots[AUTH_AUDIENCE_SLOTS]; /* NULL: empty */
};

auth_audience *auth_audience_new(const uint8_t anchor[AUTH_KEY_LEN],
				 const char *me,
				 const uint8_t secret[AUTH_SECRET_LEN])
{
	if (strlen(me) >= AUTH_NAME_LEN)
		return NULL;
	auth_audience *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (auth_random(a->hkey, sizeof(a->hkey)) != 0) {
		free(a);
		return NULL;
	}
	memcpy(a->anchor, anchor, AUTH_KEY_LEN);
	memcpy(a->me, me, strlen(me) + 1);
	memcpy(a->secret, secret, AUTH_SECRET_LEN);
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

static void seen_free(seen_slot *e)
{
	if (!e)
		return;
	free(e->bytes);
	free(e->pac);
	OPENSSL_cleanse(e->key, sizeof(e->key));
	free(e);
}

void auth_audience_free(auth_audience *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < AUTH_AUDIENCE_SLOTS; i++)
		seen_free(a->slots[i]);
	pthread_mutex_destroy(&a->lock);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a);
}

uint64_t auth_audience_hits(auth_audience *a)
{
	pthread_mutex_lock(&a->lock);
	uint64_t h = a->hits;
	pthread_mutex_unlock(&a->lock);
	return h;
}

/* A statement's slot: a keyed hash of its last 16 bytes (a signature's,
 * for a well-formed Signed) and of its length. */
static size_t seen_index(const auth_audience *a, const uint8_t *b,
			 size_t len)
{
	uint8_t tail[AUTH_NONCE_LEN] = {0};
	size_t n = len < sizeof(tail) ? len : sizeof(tail);
	if (n)
		memcpy(tail, b + len - n, n);
	for (size_t i = 0; i < sizeof(len); i++)
		tail[i] ^= (uint8_t)(len >> (8 * i));
	return (size_t)(siphash16(a->hkey, tail) % AUTH_AUDIENCE_SLOTS);
}

/* What a statement whose bytes verified before held (a copy: the pac is
 * malloc'd), or false. */
static bool seen_find(auth_audience *a, const uint8_t *b, size_t len,
		      bool ticket, seen_slot *out)
{
	size_t i = seen_index(a, b, len);
	bool hit = false;
	pthread_mutex_lock(&a->lock);
	const seen_slot *e = a->slots[i];
	if (e && e->is_ticket == ticket && e->len == len &&
	    memcmp(e->bytes, b, len) == 0) {
		*out = *e;
		out->bytes = NULL;
		out->pac = NULL;
		hit = !e->pac_len ||
		      (out->pac = secure_copy(e->pac, e->pac_len)) != NULL;
		a->hits += hit;
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

/* Remember a statement that passed every check (out of memory: not
 * remembered, verified again next time). */
static void seen_put(auth_audience *a, const uint8_t *b, size_t len,
		     const seen_slot *v)
{
	seen_slot *n = malloc(sizeof(*n));
	if (!n)
		return;
	*n = *v;
	n->bytes = secure_copy(b, len);
	n->len = len;
	n->pac = v->pac_len ? secure_copy(v->pac, v->pac_len) : NULL;
	if (!n->bytes || (v->pac_len && !n->pac)) {
		seen_free(n);
		return;
	}
	size_t i = seen_index(a, b, len);
	pthread_mutex_lock(&a->lock);
	seen_slot *old = a->slots[i];
	a->slots[i] = n;
	pthread_mutex_unlock(&a->lock);
	seen_free(old);
}

/* One sealed context being opened: the audience, its clock, the reason
 * of a refusal. */
typedef struct opening {
	auth_audience *aud;
	uint64_t now;
	uint64_t skew;
	auth_reject *why;
} opening;

/* The presenter's credential: from the table, or checked (K2, K1) and
 * kept; its expiry (K3) on every use. */
static int open_credential(const opening *op, const uint8_t *b, size_t len,
			   auth_credential *c)
{
	auth_audience *a = op->aud;
	seen_slot e;
	if (seen_find(a, b, len, false, &e)) {
		*c = e.cred;
		return check_expiry(c->expires_ms, op->now, op->skew,
				    "credential", op->why);
	}
	auth_checker by = {a->anchor, op->now, op->skew};
	if (auth_credential_check(&by, b, len, c, op->why) != 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.cred = *c;
	seen_put(a, b, len, &e);
	return 0;
}

/* The ticket: from the table, or checked (K2, K1, its session key
 * unsealed with the audience's secret) and kept; its expiry (K3) on
 * every use. The presenter (K6) and audience (K4) are checked by the
 * caller, on every use. e->pac is malloc'd (or NULL), the caller's to
 * free whatever this returns. */
static int open_ticket(const opening *op, const uint8_t *b, size_t len,
		       seen_slot *e)
{
	auth_audience *a = op->aud;
	auth_reject *why = op->why;
	if (seen_find(a, b, len, true, e)) {
		return check_expiry(e->tk.expires_ms, op->now, op->skew,
				    "ticket", why); /* the caller frees e->pac */
	}
	memset(e, 0, sizeof(*e));
	auth_checker by = {a->anchor, op->now, op->skew};
	auth_pac pac = {NULL, 0};
	int rc = ticket_check(&by, b, len, &e->tk, &pac, why);
	e->pac = pac.data;
	e->pac_len = pac.len;
	if (rc != 0)
		return -1;
	e->is_ticket = true;
	/* Only the audience can open it; a ticket for another process is
	 * refused as such (K4) before this matters. */
	if (strcmp(e->tk.audience, a->me) == 0 &&
	    auth_key_unseal(a->secret, e->tk.session_key, AUTH_SEALED_KEY_LEN,
			    e->tk.nonce, a->me, e->key) != 0) {
		return sc_refuse(why, "K1",
			      "the ticket's session key is not sealed for %s",
			      a->me);
	}
	if (strcmp(e->tk.audience, a->me) == 0)
		seen_put(a, b, len, e);
	return 0;
}

/* The presenter's credential and the ticket (K2, K1, K3), the ticket's
 * presenter (K6) and audience (K4). out->tk, out->cred and out->pac are
 * filled, e->key holds the ticket's session key. */
static int open_statements(const opening *op,
			   const Cloakroom__SealedContext *m,
			   auth_opened *out, seen_slot *e)
{
	auth_reject *why = op->why;
	if (open_credential(op, m->credential.data, m->credential.len,
			    &out->cred) != 0 ||
	    open_ticket(op, m->ticket.data, m->ticket.len, e) != 0)
		return -1;
	out->tk = e->tk;
	out->pac = e->pac;
	out->pac_len = e->pac_len;
	e->pac = NULL;
	if (strcmp(out->tk.presenter, out->cred.process) != 0)
		return sc_refuse(why, "K6",
			      "the ticket lets %s present %s, but %s presents "
			      "it",
			      out->tk.presenter, out->tk.subject,
			      out->cred.process);
	if (strcmp(out->tk.audience, op->aud->me) != 0)
		return sc_refuse(why, "K4", "the ticket is for %s, not %s",
			      out->tk.audience, op->aud->me);
	return 0;
}

/* The authenticator's times (K3): not from the future beyond the skew,
 * a life of at most AUTH_CONTEXT_LIFETIME_MS (a sealer claiming longer
 * would keep its nonce in our replay cache that long: with many such
 * contexts, the cache fills and its calls are refused, BUSY), not
 * expired. */
static int check_times(const opening *op, const Cloakroom__Authenticator *a)
{
	auth_reject *why = op->why;
	if (a->issued_ms > op->now && a->issued_ms - op->now > op->skew)
		return sc_refuse(why, "K3",
			      "the context is dated %llu ms in the future "
			      "(clock skew allowed: %llu ms)",
			      (unsigned long long)(a->issued_ms - op->now),
			      (unsigned long long)op->skew);
	if (a->expires_ms < a->issued_ms)
		return sc_refuse(why, "K3",
			      "the context expires before it was issued");
	if (a->expires_ms - a->issued_ms > AUTH_CONTEXT_LIFETIME_MS)
		return sc_refuse(why, "K3",
			      "the context claims to live %llu ms; a context "
			      "lives at most %u ms",
			      (unsigned long long)(a->expires_ms -
						   a->issued_ms),
			      AUTH_CONTEXT_LIFETIME_MS);
	return check_expiry(a->expires_ms, op->now, op->skew, "context", why);
}

/* The authenticator (*ap, unpacked; the caller frees it): made for this
 * ticket (K1), its MAC under the ticket's session key (K1), this context
 * (K1), addressed to the audience (K4), its times (K3). */
static int open_authenticator(const opening *op,
			      const Cloakroom__SealedContext *m,
			      const auth_opened *out,
			      const uint8_t key[AUTH_SESSION_KEY_LEN],
			      Cloakroom__Authenticator **ap)
{
	auth_reject *why = op->why;
	const char *me = op->aud->me;
	Cloakroom__Authenticator *a = *ap = cloakroom__authenticator__unpack(
		NULL, m->authenticator.len, m->authenticator.data);
	if (!a || a->context_hash.len != AUTH_HASH_LEN ||
	    a->ticket_id.len != AUTH_NONCE_LEN ||
	    a->nonce.len != AUTH_NONCE_LEN || m->mac.len != AUTH_MAC_LEN)
		return sc_refuse(why, "K1", "the authenticator is malformed");
	/* One moved from another ticket, or made with another ticket's
	 * key, does not hold. */
	if (memcmp(a->ticket_id.data, out->tk.nonce, AUTH_NONCE_LEN) != 0)
		return sc_refuse(why, "K1", "the authenticator was made for "
					 "another ticket");
	uint8_t mac[AUTH_MAC_LEN];
	if (auth_mac(key, m->authenticator.data, m->authenticator.len, mac) !=
		    0 ||
	    CRYPTO_memcmp(mac, m->mac.data, AUTH_MAC_LEN) != 0)
		return sc_refuse(why, "K1",
			      "the authenticator's MAC does not verify under "
			      "the ticket's session key");
	uint8_t ch[AUTH_HASH_LEN];
	auth_hash(m->context.data, m->context.len, ch);
	if (memcmp(a->context_hash.data, ch, AUTH_HASH_LEN) != 0)
		return sc_refuse(why, "K1",
			      "the context was altered after %s sealed it",
			      out->cred.process);
	if (strcmp(a->audience ? a->audience : "", me) != 0)
		return sc_refuse(why, "K4",
			      "the context is addressed to %s, not %s",
			      a->audience ? a->audience : "", me);
	return check_times(op, a);
}

/* The context and the ticket, copied out of the sealed context. */
static int copy_opened(const Cloakroom__SealedContext *m, auth_opened *out,
		       auth_reject *why)
{
	out->context = malloc(m->context.len ? m->context.len : 1);
	out->ticket = secure_copy(m->ticket.data, m->ticket.len);
	if (!out->context || !out->ticket)
		return sc_refuse(why, "K1", "out of memory");
	/* An empty context has no data at all (protobuf-c leaves it NULL):
	 * opened as empty, for the codec to refuse. */
	if (m->context.len)
		memcpy(out->context, m->context.data, m->context.len);
	out->context_len = m->context.len;
	out->ticket_len = m->ticket.len;
	return 0;
}

int auth_open(const auth_open_opts *by, const uint8_t *buf, size_t len,
	      auth_opened *out, auth_reject *why)
{
	memset(out, 0, sizeof(*out));
	uint64_t now_ms = by->now_ms;
	/* The cap keeps every sum of times below in range. */
	opening op = {.aud = by->aud,
		      .now = now_ms,
		      .skew = by->skew_ms > AUTH_MAX_SKEW_MS ? AUTH_MAX_SKEW_MS
							     : by->skew_ms,
		      .why = why};
	int rc = -1;
	seen_slot e;
	memset(&e, 0, sizeof(e));
	Cloakroom__Authenticator *a = NULL;
	Cloakroom__SealedContext *m = NULL;
	if (len > AUTH_SEALED_MAX) {
		sc_refuse(why, "K1", "sealed context of %zu bytes exceeds the "
				  "%d-byte cap",
		       len, AUTH_SEALED_MAX);
		goto out;
	}
	m = cloakroom__sealed_context__unpack(NULL, len, buf);
	if (!m || !m->credential.len || !m->ticket.len) {
		sc_refuse(why, "K1", "the context is not signed (no sealed "
				  "context with a credential and a ticket)");
		goto out;
	}
	if (open_statements(&op, m, out, &e) != 0 ||
	    open_authenticator(&op, m, out, e.key, &a) != 0)
		goto out;
	/* K5, last: only a context that passed every other check takes a
	 * place in the replay cache. */
	int r = auth_replay_check_for(by->replay, out->cred.process, a->nonce.data,
				      a->expires_ms + op.skew, now_ms);
	if (r == -1) {
		sc_refuse(why, "K5", "replayed: this context (nonce) was already "
				  "presented");
		goto out;
	}
	if (r != 0) {
		sc_refuse(why, AUTH_BUSY, "the replay cache is full: not "
				       "judged rather than risk a replay");
		goto out;
	}
	rc = copy_opened(m, out, why);
out:
	OPENSSL_cleanse(e.key, sizeof(e.key));
	free(e.pac);
	if (a)
		cloakroom__authenticator__free_unpacked(a, NULL);
	if (m)
		cloakroom__sealed_context__free_unpacked(m, NULL);
	if (rc != 0)
		auth_opened_free(out);
	return rc;
}

void auth_opened_free(auth_opened *o)
{
	free(o->context);
	free(o->ticket);
	free(o->pac);
	o->context = o->ticket = o->pac = NULL;
	o->context_len = o->ticket_len = o->pac_len = 0;
}

/* ---- replay cache: open addressing on the nonce -------------------- */

/* A slot holds a nonce's keyed 64-bit hash (its home slot is the hash's
 * low bits) and, in a second array, until when it is kept, in whole
 * seconds rounded up: 12 bytes a nonce instead of 24 for the nonce and a
 * time in ms, which halves the table a busy callee keeps (every nonce
 * stays for a context's life and the skew, about 35 s). Two nonces with
 * one hash would make the second look replayed: a refusal, never an
 * acceptance, and with a secret key and 64 bits, about one chance in
 * 10^14 per check with 200,000 nonces kept. */
typedef struct replay_table {
	uint64_t *hash;
	uint32_t *until; /* seconds; 0: empty */
} replay_table;

struct auth_replay {
	pthread_mutex_t lock;
	replay_table slots;
	size_t cap; /* a power of two; at most half of it in use */
	size_t max; /* the most cap grows to */
	size_t used;
	uint8_t key[16]; /* SipHash key, drawn when the cache is made */
	uint64_t probes; /* slots compared, for tests */
	/* Per presenter (auth_replay_new_per_presenter): a cache of its own
	 * for each, made at its first context; none otherwise. */
	bool per_presenter;
	size_t per_capacity;
	struct replay_owner *owners;
	size_t owners_count;
};

typedef struct replay_owner {
	char name[AUTH_NAME_LEN];
	auth_replay *cache;
} replay_owner;

/* The most presenters a per-presenter cache keeps apart (a run's cast is
 * at most 2048 processes). */
#define REPLAY_MAX_PRESENTERS 4096u

#define REPLAY_MIN_SLOTS 64u

static int replay_table_new(replay_table *t, size_t cap)
{
	t->hash = calloc(cap, sizeof(*t->hash));
	t->until = calloc(cap, sizeof(*t->until));
	if (t->hash && t->until)
		return 0;
	free(t->hash);
	free(t->until);
	t->hash = NULL;
	t->until = NULL;
	return -1;
}

static void replay_table_free(replay_table *t)
{
	free(t->hash);
	free(t->until);
}

auth_replay *auth_replay_new(size_t capacity)
{
	size_t max = REPLAY_MIN_SLOTS;
	while (max < capacity * 2)
		max *= 2;
	auth_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (replay_table_new(&r->slots, REPLAY_MIN_SLOTS) != 0) {
		free(r);
		return NULL;
	}
	r->cap = REPLAY_MIN_SLOTS;
	r->max = max;
	if (auth_random(r->key, sizeof(r->key)) != 0) {
		replay_table_free(&r->slots);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

auth_replay *auth_replay_new_per_presenter(size_t capacity)
{
	auth_replay *r = auth_replay_new(32);
	if (!r)
		return NULL;
	r->owners = calloc(REPLAY_MAX_PRESENTERS, sizeof(*r->owners));
	if (!r->owners) {
		auth_replay_free(r);
		return NULL;
	}
	r->per_presenter = true;
	r->per_capacity = capacity;
	return r;
}

int auth_replay_check_for(auth_replay *r, const char *presenter,
			  const uint8_t nonce[AUTH_NONCE_LEN],
			  uint64_t keep_until_ms, uint64_t now_ms)
{
	if (!r->per_presenter)
		return auth_replay_check(r, nonce, keep_until_ms, now_ms);
	auth_replay *mine = NULL;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->owners_count && !mine; i++)
		if (strcmp(r->owners[i].name, presenter) == 0)
			mine = r->owners[i].cache;
	if (!mine && r->owners_count < REPLAY_MAX_PRESENTERS &&
	    strlen(presenter) < AUTH_NAME_LEN &&
	    (mine = auth_replay_new(r->per_capacity)) != NULL) {
		replay_owner *o = &r->owners[r->owners_count++];
		memcpy(o->name, presenter, strlen(presenter) + 1);
		o->cache = mine;
	}
	pthread_mutex_unlock(&r->lock);
	return mine ? auth_replay_check(mine, nonce, keep_until_ms, now_ms)
		    : -2;
}

void auth_replay_free(auth_replay *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->owners_count; i++)
		auth_replay_free(r->owners[i].cache);
	free(r->owners);
	pthread_mutex_destroy(&r->lock);
	replay_table_free(&r->slots);
	free(r);
}

/* SipHash-2-4 (Aumasson and Bernstein) of a 16-byte message. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                             \
	do {                                                                 \
		v0 += v1;                                                    \
		v1 = ROTL(v1, 13);                                           \
		v1 ^= v0;                                                    \
		v0 = ROTL(v0, 32);                                           \
		v2 += v3;                                                    \
		v3 = ROTL(v3, 16);                                           \
		v3 ^= v2;                                                    \
		v0 += v3;                                                    \
		v3 = ROTL(v3, 21);                                           \
		v3 ^= v0;                                                    \
		v2 += v1;                                                    \
		v1 = ROTL(v1, 17);                                           \
		v1 ^= v2;                                                    \
		v2 = ROTL(v2, 32);                                           \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash16(const uint8_t key[16],
			  const uint8_t msg[AUTH_NONCE_LEN])
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	for (int i = 0; i < AUTH_NONCE_LEN; i += 8) {
		uint64_t m = le64(msg + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)AUTH_NONCE_LEN << 56;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The nonce's keyed hash, never the nonce's own bytes, which its signer
 * chooses (chosen nonces would share one probe chain); its low bits are
 * the home slot. */
static uint64_t replay_hash(const auth_replay *r,
			    const uint8_t nonce[AUTH_NONCE_LEN])
{
	return siphash16(r->key, nonce);
}

/* A time in ms as the table keeps it: whole seconds, rounded up, never 0
 * (0 marks an empty slot). */
static uint32_t replay_seconds(uint64_t ms)
{
	uint64_t s = ms / 1000u + (ms % 1000u != 0);
	return s == 0 ? 1u : s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint64_t auth_replay_probes(auth_replay *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t n = r->probes;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* The table is half full: drop expired entries and, while live ones would
 * fill a quarter of it, double it (up to max), so that the next rebuild is
 * as many insertions away as there are live entries. Caller holds the
 * lock. Out of memory: the table stays as it was. */
static void replay_rebuild(auth_replay *r, uint64_t now_ms)
{
	replay_table old = r->slots;
	/* Rounding both up never drops an entry kept until now or later. */
	uint32_t now = replay_seconds(now_ms);
	size_t live = 0;
	for (size_t i = 0; i < r->cap; i++)
		live += old.until[i] != 0 && old.until[i] >= now;
	size_t cap = r->cap;
	while (live * 4 >= cap && cap < r->max)
		cap *= 2;
	replay_table fresh;
	if (replay_table_new(&fresh, cap) != 0)
		return;
	for (size_t i = 0; i < r->cap; i++) {
		if (old.until[i] == 0 || old.until[i] < now)
			continue;
		size_t j = (size_t)old.hash[i] & (cap - 1);
		while (fresh.until[j] != 0)
			j = (j + 1) & (cap - 1);
		fresh.hash[j] = old.hash[i];
		fresh.until[j] = old.until[i];
	}
	r->slots = fresh;
	r->cap = cap;
	r->used = live;
	replay_table_free(&old);
}

int auth_replay_check(auth_replay *r, const uint8_t nonce[AUTH_NONCE_LEN],
		      uint64_t keep_until_ms, uint64_t now_ms)
{
	pthread_mutex_lock(&r->lock);
	if (r->used * 2 >= r->cap)
		replay_rebuild(r, now_ms);
	int rc = -2;
	if (r->used * 2 < r->cap) {
		uint64_t h = replay_hash(r, nonce);
		size_t j = (size_t)h & (r->cap - 1);
		rc = 0;
		while (r->slots.until[j] != 0) {
			r->probes++;
			/* An expired entry still counts: the context it
			 * names cannot pass the expiry check anyway. */
			if (r->slots.hash[j] == h) {
				rc = -1;
				break;
			}
			j = (j + 1) & (r->cap - 1);
		}
		if (rc == 0) {
			r->slots.hash[j] = h;
			r->slots.until[j] = replay_seconds(keep_until_ms);
			r->used++;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

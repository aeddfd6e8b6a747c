/* authority_tls.c: the run's certificate authority for mutual TLS between
 * daemons. At start it makes a CA (EC P-256, OpenSSL) and one certificate
 * per account (CN: the account, subjectAltName: its DNS form, see
 * auth_dns_name), plus one for the authority itself. It never decides who
 * may present whom: that is the tickets' job. */
#include "authority_tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Two days, or as long as the credentials when they live longer. */
#define TLS_MIN_S (2L * 24 * 3600)
static long tls_valid_s = TLS_MIN_S;

static EVP_PKEY *key_new(void)
{
	return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

/* A certificate for key named cn, signed by (issuer, ikey), or self-signed
 * as a CA when issuer is NULL. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, const char *dns,
		      X509 *issuer, EVP_PKEY *ikey, long serial)
{
	X509 *c = X509_new();
	if (!c)
		return NULL;
	X509_NAME *name = X509_get_subject_name(c);
	char san[300];
	int ok = X509_set_version(c, 2) &&
		 ASN1_INTEGER_set(X509_get_serialNumber(c), serial) &&
		 X509_gmtime_adj(X509_getm_notBefore(c), -3600) &&
		 X509_gmtime_adj(X509_getm_notAfter(c),
				 tls_valid_s) &&
		 X509_set_pubkey(c, key) &&
		 X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					    (const unsigned char *)"cloakroom",
					    -1, -1, 0) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					    (const unsigned char *)cn, -1, -1,
					    0) &&
		 X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer)
						: name);
	if (ok && !issuer) {
		ok = add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
		     add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
		     X509_sign(c, key, EVP_sha256()) > 0;
	} else if (ok) {
		snprintf(san, sizeof(san), "DNS:%s", dns);
		ok = add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		     add_ext(c, issuer, NID_key_usage,
			     "critical,digitalSignature,keyEncipherment") == 0 &&
		     add_ext(c, issuer, NID_ext_key_usage,
			     "serverAuth,clientAuth") == 0 &&
		     add_ext(c, issuer, NID_subject_alt_name, san) == 0 &&
		     X509_sign(c, ikey, EVP_sha256()) > 0;
	}
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static int write_pem(const char *dir, const char *name, const char *ext,
		     X509 *cert, EVP_PKEY *key)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(path, "wx");
	if (!f)
		return -1;
	chmod(path, key ? 0600 : 0644);
	int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_X509(f, cert);
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* name's certificate and key, unless they were made already (two
 * processes of one account share them). */
static int issue(const char *dir, const char *cn, X509 *ca, EVP_PKEY *cakey,
		 long serial)
{
	char dns[AUTH_NAME_LEN], path[4096];
	struct stat sb;
	auth_dns_name(cn, dns, sizeof(dns));
	snprintf(path, sizeof(path), "%s/%s.crt", dir, dns);
	if (stat(path, &sb) == 0)
		return 0;
	EVP_PKEY *k = key_new();
	X509 *c = k ? cert_new(k, cn, dns, ca, cakey, serial) : NULL;
	int rc = c && write_pem(dir, dns, "crt", c, NULL) == 0 &&
			 write_pem(dir, dns, "key", NULL, k) == 0
		 ? 0
		 : -1;
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int authority_tls_setup(const authority_state *st, const char *dir, char *err,
			size_t errlen)
{
	long cred_s = (long)(st->credential_lifetime_ms / 1000u);
	tls_valid_s = cred_s > TLS_MIN_S ? cred_s : TLS_MIN_S;
	EVP_PKEY *cakey = key_new();
	X509 *ca = cakey ? cert_new(cakey, "cloakroom run CA", NULL, NULL,
				    NULL, 1)
			 : NULL;
	int rc = -1;
	if (!ca || write_pem(dir, "ca", "crt", ca, NULL) != 0) {
		snprintf(err, errlen, "cannot make the run's CA in %s", dir);
		goto out;
	}
	if (issue(dir, AUTH_AUTHORITY_ACCOUNT, ca, cakey, 2) != 0) {
		snprintf(err, errlen, "cannot make the authority's certificate");
		goto out;
	}
	for (size_t i = 0; i < st->count; i++) {
		const char *acct =
			sc_token_user_name(sc_runtime_token(st->procs[i].rt));
		if (issue(dir, acct, ca, cakey, (long)i + 3) != 0) {
			snprintf(err, errlen, "cannot make the certificate of "
					      "%s",
				 acct);
			goto out;
		}
	}
	rc = 0;
out:
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return rc;
}

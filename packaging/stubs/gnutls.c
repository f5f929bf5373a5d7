/* Stands in for GnuTLS in the Linux bundle (with it go nettle, hogweed, GMP and
 * libunistring, which only GnuTLS links: about 5.5 MB together).
 *
 * PyAV's libavformat links GnuTLS for tls://, https:// and WHIP URLs. Parley
 * opens no URL through PyAV (cameras and screens are local devices; WebRTC's
 * DTLS is aiortc's, over OpenSSL), so every call here fails: a status is
 * GNUTLS_E_UNIMPLEMENTED_FEATURE, a pointer NULL, and FFmpeg reports the error.
 * Built with a version script that gives every symbol the version node
 * libavformat asks for (GNUTLS_3_4); packaging/parley.spec checks coverage.
 */
#include <stddef.h>
#include <sys/types.h>

#define UNAVAILABLE (-1250) /* GNUTLS_E_UNIMPLEMENTED_FEATURE */
#define STATUS(name) int name() { return UNAVAILABLE; }
#define NOTHING(name) void name() {}

const char *gnutls_strerror(int error) { (void)error; return "TLS is not available in Parley's bundle"; }
int gnutls_error_is_fatal(int error) { (void)error; return 1; }
const void *gnutls_certificate_get_peers(void *s, unsigned int *n) { (void)s; if (n) *n = 0; return NULL; }
int gnutls_certificate_type_get(void *s) { (void)s; return 0; /* GNUTLS_CRT_UNKNOWN */ }
unsigned int gnutls_x509_crt_check_hostname(void *c, const char *h) { (void)c; (void)h; return 0; }
unsigned int gnutls_sec_param_to_pk_bits(int algo, int param) { (void)algo; (void)param; return 0; }
ssize_t gnutls_record_recv(void *s, void *d, size_t n) { (void)s; (void)d; (void)n; return UNAVAILABLE; }
ssize_t gnutls_record_send(void *s, const void *d, size_t n) { (void)s; (void)d; (void)n; return UNAVAILABLE; }
size_t gnutls_dtls_get_data_mtu(void *s) { (void)s; return 0; }

/* Initialisers fail, so nothing is ever created for the rest to act on. */
int gnutls_init(void **session, unsigned int flags) { (void)flags; if (session) *session = NULL; return UNAVAILABLE; }
int gnutls_certificate_allocate_credentials(void **c) { if (c) *c = NULL; return UNAVAILABLE; }
int gnutls_x509_crt_init(void **c) { if (c) *c = NULL; return UNAVAILABLE; }
int gnutls_x509_privkey_init(void **k) { if (k) *k = NULL; return UNAVAILABLE; }

STATUS(gnutls_global_init)
STATUS(gnutls_bye)
STATUS(gnutls_handshake)
STATUS(gnutls_credentials_set)
STATUS(gnutls_server_name_set)
STATUS(gnutls_set_default_priority)
STATUS(gnutls_srtp_get_keys)
STATUS(gnutls_srtp_set_profile)
STATUS(gnutls_certificate_set_x509_key)
STATUS(gnutls_certificate_set_x509_key_file)
STATUS(gnutls_certificate_set_x509_key_mem)
STATUS(gnutls_certificate_set_x509_system_trust)
STATUS(gnutls_certificate_set_x509_trust_file)
STATUS(gnutls_certificate_verify_peers2)
STATUS(gnutls_x509_crt_export)
STATUS(gnutls_x509_crt_get_fingerprint)
STATUS(gnutls_x509_crt_import)
STATUS(gnutls_x509_crt_set_activation_time)
STATUS(gnutls_x509_crt_set_dn)
STATUS(gnutls_x509_crt_set_expiration_time)
STATUS(gnutls_x509_crt_set_issuer_dn)
STATUS(gnutls_x509_crt_set_key)
STATUS(gnutls_x509_crt_set_serial)
STATUS(gnutls_x509_crt_set_version)
STATUS(gnutls_x509_crt_sign2)
STATUS(gnutls_x509_privkey_export)
STATUS(gnutls_x509_privkey_generate)
STATUS(gnutls_x509_privkey_import)
NOTHING(gnutls_global_deinit)
NOTHING(gnutls_deinit)
NOTHING(gnutls_certificate_free_credentials)
NOTHING(gnutls_certificate_set_verify_flags)
NOTHING(gnutls_dtls_set_mtu)
NOTHING(gnutls_transport_set_ptr)
NOTHING(gnutls_transport_set_pull_function)
NOTHING(gnutls_transport_set_pull_timeout_function)
NOTHING(gnutls_transport_set_push_function)
NOTHING(gnutls_x509_crt_deinit)
NOTHING(gnutls_x509_privkey_deinit)

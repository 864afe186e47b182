/* The built-in X.509 profiles, created for the platform tenant at first start. */
#include "profile.h"

#define DEVICE_SUBJECT \
	"\"subject\": {\"allowed\": [], \"forced\": {\"CN\": \"{device.serial}\", " \
	"\"serialNumber\": \"{device.serial}\"}}, " \
	"\"san\": {\"forced\": [\"uri:urn:uuid:{device.id}\"]}, "

static const ca_builtin_profile builtins[] = {
	{ "iec62351-device",
	    "{\"description\": \"IEC 62351 device: TLS client and server, subject and SAN from "
	    "the device record\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"365d\", \"max\": \"825d\"}, " DEVICE_SUBJECT
	    "\"key_usage\": [\"digitalSignature\", \"keyEncipherment\"], "
	    "\"extended_key_usage\": [\"serverAuth\", \"clientAuth\"], "
	    "\"crl\": true, \"ocsp\": true, \"ca_issuers\": true}",
	    false },
	{ "tls-server",
	    "{\"description\": \"TLS server: DNS names and IP addresses as requested\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"90d\", \"max\": \"397d\"}, "
	    "\"subject\": {\"allowed\": [\"C\", \"ST\", \"L\", \"O\", \"OU\", \"CN\"]}, "
	    "\"san\": {\"allowed\": {\"dns\": [\"*\"], \"ip\": [\"0.0.0.0/0\", \"::/0\"]}, "
	    "\"max\": 32}, "
	    "\"key_usage\": [\"digitalSignature\", \"keyEncipherment\"], "
	    "\"extended_key_usage\": [\"serverAuth\"], "
	    "\"crl\": true, \"ocsp\": true, \"ca_issuers\": true}",
	    false },
	{ "tls-client",
	    "{\"description\": \"TLS client\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"365d\", \"max\": \"825d\"}, "
	    "\"subject\": {\"allowed\": [\"C\", \"O\", \"OU\", \"CN\"]}, "
	    "\"san\": {\"allowed\": {\"dns\": [\"*\"], \"uri\": [\"*\"], \"email\": [\"*\"]}}, "
	    "\"key_usage\": [\"digitalSignature\"], "
	    "\"extended_key_usage\": [\"clientAuth\"], "
	    "\"crl\": true, \"ocsp\": true, \"ca_issuers\": true}",
	    false },
	{ "ocsp-signer",
	    "{\"description\": \"OCSP responder signing certificate (id-pkix-ocsp-nocheck)\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"30d\", \"max\": \"90d\"}, "
	    "\"subject\": {\"allowed\": [\"O\", \"CN\"]}, "
	    "\"san\": {\"max\": 0}, "
	    "\"key_usage\": [\"digitalSignature\"], "
	    "\"extended_key_usage\": [\"OCSPSigning\"], "
	    "\"ocsp_nocheck\": true, \"crl\": false, \"ocsp\": false, \"ca_issuers\": true}",
	    false },
	{ "pre-enrollment",
	    "{\"description\": \"Short-lived certificate for a device's first EST enrollment only\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"7d\", \"max\": \"7d\"}, " DEVICE_SUBJECT
	    "\"key_usage\": [\"digitalSignature\"], "
	    "\"extended_key_usage\": [\"clientAuth\"], "
	    "\"crl\": true, \"ocsp\": true, \"ca_issuers\": true, \"pre_enrollment\": true}",
	    false },
	{ "short-lived-device",
	    "{\"description\": \"Device certificate valid for hours, without revocation "
	    "information (RFC 9608 noRevAvail)\", "
	    "\"ca\": \"devices\", \"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"rsa\"], "
	    "\"rsa_min_bits\": 2048, \"rsa_max_bits\": 4096, "
	    "\"validity\": {\"default\": \"8h\", \"max\": \"24h\"}, " DEVICE_SUBJECT
	    "\"key_usage\": [\"digitalSignature\", \"keyEncipherment\"], "
	    "\"extended_key_usage\": [\"serverAuth\", \"clientAuth\"], "
	    "\"no_rev_avail\": true, \"crl\": false, \"ocsp\": false, \"ca_issuers\": true}",
	    false },
};

const ca_builtin_profile *
ca_builtin_profiles(size_t *n)
{
	*n = sizeof(builtins) / sizeof(builtins[0]);
	return builtins;
}

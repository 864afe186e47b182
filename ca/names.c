#include "names.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>

#include "err.h"
#include "num.h"

#define DNS_NAME_MAX 253
#define URI_MAX 2048
#define EMAIL_MAX 320

static const struct {
	const char *name;
	int nid;
} attrs[CA_ATTR_COUNT] = {
	{ "DC", NID_domainComponent },
	{ "C", NID_countryName },
	{ "ST", NID_stateOrProvinceName },
	{ "L", NID_localityName },
	{ "street", NID_streetAddress },
	{ "O", NID_organizationName },
	{ "OU", NID_organizationalUnitName },
	{ "title", NID_title },
	{ "CN", NID_commonName },
	{ "serialNumber", NID_serialNumber },
	{ "UID", NID_userId },
};

int
ca_attr_by_name(const char *name)
{
	for (int i = 0; i < CA_ATTR_COUNT; i++)
		if (strcmp(attrs[i].name, name) == 0)
			return i;
	return -1;
}

int
ca_attr_by_nid(int nid)
{
	for (int i = 0; i < CA_ATTR_COUNT; i++)
		if (attrs[i].nid == nid)
			return i;
	return -1;
}

const char *
ca_attr_name(int i)
{
	return i >= 0 && i < CA_ATTR_COUNT ? attrs[i].name : NULL;
}

int
ca_attr_nid(int i)
{
	return i >= 0 && i < CA_ATTR_COUNT ? attrs[i].nid : NID_undef;
}

int
ca_cidr_parse(const char *s, ca_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	ca_cidr c;
	uint64_t prefix;

	memset(&c, 0, sizeof(c));
	if (alen == 0 || alen >= sizeof(addr))
		return MP_ERR_INVALID;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c.addr) == 1)
		c.len = 4;
	else if (inet_pton(AF_INET6, addr, c.addr) == 1)
		c.len = 16;
	else
		return MP_ERR_INVALID;
	prefix = (uint64_t)c.len * 8;
	if (slash != NULL && mp_parse_u64(slash + 1, (uint64_t)c.len * 8, &prefix) != MP_OK)
		return MP_ERR_INVALID;
	c.prefix = (uint8_t)prefix;
	for (unsigned bit = c.prefix; bit < (unsigned)c.len * 8; bit++)
		if (c.addr[bit / 8] & (0x80 >> (bit % 8)))
			return MP_ERR_INVALID;
	*out = c;
	return MP_OK;
}

bool
ca_cidr_contains(const ca_cidr *c, const uint8_t *ip, size_t len)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (len != c->len)
		return false;
	if (memcmp(c->addr, ip, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ ip[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
ca_dns_name_valid(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)))
			return false;
		label++;
	}
	return true;
}

/* Printable ASCII without spaces. */
static bool
graphic_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool
email_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t len = strlen(s);

	return len <= EMAIL_MAX && at != NULL && at != s && graphic_ascii(s, len) &&
	    memchr(s, '@', (size_t)(at - s)) == NULL && ca_dns_name_valid(at + 1);
}

/* scheme ":" rest, printable ASCII without spaces. */
static bool
uri_valid(const char *s)
{
	size_t len = strlen(s), i = 0;

	if (len == 0 || len > URI_MAX || !graphic_ascii(s, len))
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	while (i < len && s[i] != ':') {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))
			return false;
		i++;
	}
	return i < len && i + 1 < len;
}

static bool
dns_pattern_valid(const char *p)
{
	if (strcmp(p, "*") == 0)
		return true;
	if (p[0] == '*' && p[1] == '.')
		p += 2;
	return ca_dns_name_valid(p);
}

static bool
dns_pattern_match(const char *p, const char *name)
{
	size_t plen, nlen;

	if (strcmp(p, "*") == 0)
		return true;
	if (p[0] != '*')
		return strcasecmp(p, name) == 0;
	plen = strlen(p + 1);
	nlen = strlen(name);
	return nlen > plen && strcasecmp(name + nlen - plen, p + 1) == 0;
}

bool
ca_san_pattern_valid(int gen_type, const char *p)
{
	const char *star;

	if (strcmp(p, "*") == 0)
		return true;
	switch (gen_type) {
	case GEN_DNS:
		return dns_pattern_valid(p);
	case GEN_EMAIL:
		if (p[0] == '*' && p[1] == '@')
			return dns_pattern_valid(p + 2);
		return email_valid(p);
	case GEN_URI:
		star = strchr(p, '*');
		if (star != NULL && star[1] != '\0')
			return false;
		return star == NULL ? uri_valid(p) : star != p && graphic_ascii(p, strlen(p));
	default:
		return false;
	}
}

bool
ca_san_pattern_match(int gen_type, const char *p, const char *value)
{
	const char *at, *pat;
	size_t plen;

	if (strcmp(p, "*") == 0)
		return true;
	switch (gen_type) {
	case GEN_DNS:
		return dns_pattern_match(p, value);
	case GEN_EMAIL:
		if ((at = strrchr(value, '@')) == NULL)
			return false;
		if (p[0] == '*' && p[1] == '@')
			return dns_pattern_match(p + 2, at + 1);
		pat = strrchr(p, '@');
		return pat != NULL && (size_t)(pat - p) == (size_t)(at - value) &&
		    memcmp(p, value, (size_t)(at - value)) == 0 && strcasecmp(pat + 1, at + 1) == 0;
	case GEN_URI:
		plen = strlen(p);
		if (plen > 0 && p[plen - 1] == '*')
			return strncmp(p, value, plen - 1) == 0;
		return strcmp(p, value) == 0;
	default:
		return false;
	}
}

/* A new general name of type t holding an IA5String copy of s. */
static int
ia5_name(int t, const char *s, GENERAL_NAME **out)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *v = ASN1_IA5STRING_new();

	if (gn == NULL || v == NULL || !ASN1_STRING_set(v, s, (int)strlen(s))) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(v);
		return MP_ERR_NOMEM;
	}
	GENERAL_NAME_set0_value(gn, t, v);
	*out = gn;
	return MP_OK;
}

/* A new iPAddress general name holding len octets. */
static int
ip_name(const uint8_t *b, size_t len, GENERAL_NAME **out)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();

	if (gn == NULL || v == NULL || !ASN1_OCTET_STRING_set(v, b, (int)len)) {
		GENERAL_NAME_free(gn);
		ASN1_OCTET_STRING_free(v);
		return MP_ERR_NOMEM;
	}
	GENERAL_NAME_set0_value(gn, GEN_IPADD, v);
	*out = gn;
	return MP_OK;
}

int
ca_general_name_parse(const char *s, GENERAL_NAME **out, const char **why)
{
	uint8_t ip[16];

	if (strncmp(s, "dns:", 4) == 0) {
		if (!ca_dns_name_valid(s + 4)) {
			*why = "not a valid DNS name";
			return MP_ERR_INVALID;
		}
		return ia5_name(GEN_DNS, s + 4, out);
	}
	if (strncmp(s, "email:", 6) == 0) {
		if (!email_valid(s + 6)) {
			*why = "not a valid email address";
			return MP_ERR_INVALID;
		}
		return ia5_name(GEN_EMAIL, s + 6, out);
	}
	if (strncmp(s, "uri:", 4) == 0) {
		if (!uri_valid(s + 4)) {
			*why = "not a valid URI";
			return MP_ERR_INVALID;
		}
		return ia5_name(GEN_URI, s + 4, out);
	}
	if (strncmp(s, "ip:", 3) == 0) {
		if (inet_pton(AF_INET, s + 3, ip) == 1)
			return ip_name(ip, 4, out);
		if (inet_pton(AF_INET6, s + 3, ip) == 1)
			return ip_name(ip, 16, out);
		*why = "not a valid IP address";
		return MP_ERR_INVALID;
	}
	*why = "expected dns:, ip:, uri: or email: before the value";
	return MP_ERR_INVALID;
}

/* The IA5String of gn as a C string, NULL when it holds a NUL. */
static const char *
ia5_text(const ASN1_IA5STRING *v)
{
	const char *s = (const char *)ASN1_STRING_get0_data(v);
	int len = ASN1_STRING_length(v);

	if (s == NULL || len < 0 || memchr(s, '\0', (size_t)len) != NULL)
		return NULL;
	return s;
}

int
ca_general_name_check(const GENERAL_NAME *gn, const char **why)
{
	const char *s;
	int len;

	switch (gn->type) {
	case GEN_DNS:
		if ((s = ia5_text(gn->d.dNSName)) == NULL || !ca_dns_name_valid(s)) {
			*why = "not a valid DNS name";
			return MP_ERR_INVALID;
		}
		return MP_OK;
	case GEN_EMAIL:
		if ((s = ia5_text(gn->d.rfc822Name)) == NULL || !email_valid(s)) {
			*why = "not a valid email address";
			return MP_ERR_INVALID;
		}
		return MP_OK;
	case GEN_URI:
		if ((s = ia5_text(gn->d.uniformResourceIdentifier)) == NULL || !uri_valid(s)) {
			*why = "not a valid URI";
			return MP_ERR_INVALID;
		}
		return MP_OK;
	case GEN_IPADD:
		len = ASN1_STRING_length(gn->d.iPAddress);
		if (len != 4 && len != 16) {
			*why = "not an IPv4 or IPv6 address";
			return MP_ERR_INVALID;
		}
		return MP_OK;
	default:
		*why = "name type not supported";
		return MP_ERR_UNSUPPORTED;
	}
}

/* "prefix" + bytes with every non-printable byte shown as '?', as a new string. */
static char *
text_of(const char *prefix, const uint8_t *b, size_t len)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, prefix, plen);
	for (size_t i = 0; i < len; i++)
		s[plen + i] = (b[i] < 0x20 || b[i] >= 0x7f) ? '?' : (char)b[i];
	s[plen + len] = '\0';
	return s;
}

static char *
ip_text(const ASN1_OCTET_STRING *v)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const uint8_t *b = ASN1_STRING_get0_data(v);
	int len = ASN1_STRING_length(v);

	if (len == 4 || len == 16) {
		if (inet_ntop(len == 4 ? AF_INET : AF_INET6, b, buf, sizeof(buf)) == NULL)
			return NULL;
		return text_of("ip:", (const uint8_t *)buf, strlen(buf));
	}
	return text_of("ip:", (const uint8_t *)"?", 1);
}

static char *
dirname_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long len;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		s = text_of("dirname:", (const uint8_t *)data, (size_t)len);
	BIO_free(b);
	return s;
}

char *
ca_general_name_text(const GENERAL_NAME *gn)
{
	char oid[128];
	const ASN1_STRING *v;

	switch (gn->type) {
	case GEN_DNS:
		v = gn->d.dNSName;
		return text_of("dns:", ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	case GEN_EMAIL:
		v = gn->d.rfc822Name;
		return text_of("email:", ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	case GEN_URI:
		v = gn->d.uniformResourceIdentifier;
		return text_of("uri:", ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	case GEN_IPADD:
		return ip_text(gn->d.iPAddress);
	case GEN_DIRNAME:
		return dirname_text(gn->d.directoryName);
	case GEN_RID:
		if (OBJ_obj2txt(oid, sizeof(oid), gn->d.registeredID, 1) <= 0)
			oid[0] = '\0';
		return text_of("rid:", (const uint8_t *)oid, strlen(oid));
	case GEN_X400:
		return text_of("x400", NULL, 0);
	case GEN_EDIPARTY:
		return text_of("ediparty", NULL, 0);
	default:
		return text_of("othername", NULL, 0);
	}
}

/* ".example" or "example": an optional leading dot before a host name. */
static bool
nc_domain_valid(const char *s)
{
	return ca_dns_name_valid(s[0] == '.' ? s + 1 : s);
}

int
ca_name_constraint_parse(const char *s, GENERAL_NAME **out, const char **why)
{
	uint8_t b[32];
	ca_cidr c;

	if (strncmp(s, "dns:", 4) == 0 || strncmp(s, "uri:", 4) == 0) {
		if (!nc_domain_valid(s + 4)) {
			*why = "expected a host name or .domain";
			return MP_ERR_INVALID;
		}
		return ia5_name(s[0] == 'd' ? GEN_DNS : GEN_URI, s + 4, out);
	}
	if (strncmp(s, "email:", 6) == 0) {
		if (!(strchr(s + 6, '@') != NULL ? email_valid(s + 6) : nc_domain_valid(s + 6))) {
			*why = "expected a mailbox, a host name or .domain";
			return MP_ERR_INVALID;
		}
		return ia5_name(GEN_EMAIL, s + 6, out);
	}
	if (strncmp(s, "ip:", 3) == 0) {
		if (strchr(s + 3, '/') == NULL || ca_cidr_parse(s + 3, &c) != MP_OK) {
			*why = "expected an address range such as 10.0.0.0/8";
			return MP_ERR_INVALID;
		}
		memset(b, 0, sizeof(b));
		memcpy(b, c.addr, c.len);
		for (unsigned bit = 0; bit < c.prefix; bit++)
			b[c.len + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		return ip_name(b, (size_t)c.len * 2, out);
	}
	*why = "expected dns:, ip:, uri: or email: before the value";
	return MP_ERR_INVALID;
}

/*
 * Names in certificates: the subject attributes profiles may name, general
 * names written as "dns:x", "ip:a", "uri:x", "email:x", IP ranges (CIDR)
 * and the patterns profiles allow SANs by.
 */
#ifndef CA_NAMES_H
#define CA_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509v3.h>

/* Subject attributes we know, indexed 0 .. CA_ATTR_COUNT-1 in certificate order. */
#define CA_ATTR_COUNT 11
/* The index of an attribute by its short name ("CN", "serialNumber" ...), or -1. */
int ca_attr_by_name(const char *name);
/* The index of an attribute by NID, or -1. */
int ca_attr_by_nid(int nid);
const char *ca_attr_name(int i);
int ca_attr_nid(int i);

/* An IPv4 (len 4) or IPv6 (len 16) network. */
typedef struct ca_cidr {
	uint8_t addr[16];
	uint8_t len;
	uint8_t prefix;
} ca_cidr;

/*
 * Parses "10.0.0.0/8" or "fd00::/8" (a bare address is /32 or /128). Host
 * bits must be zero. MP_ERR_INVALID otherwise.
 */
int ca_cidr_parse(const char *s, ca_cidr *out);
/* True when the address ip (len 4 or 16 bytes) lies in c. */
bool ca_cidr_contains(const ca_cidr *c, const uint8_t *ip, size_t len);

/* A host name: LDH labels of 1..63 characters, at most 253 in all, no trailing dot. */
bool ca_dns_name_valid(const char *s);

/*
 * SAN patterns (gen_type GEN_DNS, GEN_URI or GEN_EMAIL; IP uses ca_cidr):
 * "*" matches any value; DNS "name" exactly (case-insensitive) or "*.suffix"
 * any name below suffix; email "local@domain" exactly, or "*@domain" with
 * domain a DNS pattern; URI exactly, or "prefix*" any URI that starts with prefix.
 */
bool ca_san_pattern_valid(int gen_type, const char *p);
bool ca_san_pattern_match(int gen_type, const char *p, const char *value);

/*
 * Parses "dns:x", "ip:a", "uri:x" or "email:x" into a new general name,
 * checking the value's syntax. MP_ERR_INVALID with *why (a static string)
 * for anything else; MP_ERR_NOMEM.
 */
int ca_general_name_parse(const char *s, GENERAL_NAME **out, const char **why);
/*
 * Checks the syntax of a general name of type dns, ip, uri or email (as
 * found in a CSR): MP_OK, or MP_ERR_INVALID with *why; MP_ERR_UNSUPPORTED
 * for every other type.
 */
int ca_general_name_check(const GENERAL_NAME *gn, const char **why);
/*
 * The text form of a general name ("dns:x", "ip:10.0.0.1", "uri:x",
 * "email:x", "dirname:CN=x", else "othername", "x400", "ediparty", "rid:oid")
 * as a new string (free()), or NULL when out of memory.
 */
char *ca_general_name_text(const GENERAL_NAME *gn);

/*
 * Parses a name constraint "dns:example.com", "dns:.example.com",
 * "email:example.com", "email:.example.com", "email:a@example.com",
 * "uri:host.example", "uri:.example", "ip:10.0.0.0/8" into a general name
 * (IP: address then mask, 8 or 32 octets). MP_ERR_INVALID with *why.
 */
int ca_name_constraint_parse(const char *s, GENERAL_NAME **out, const char **why);

#endif

/*
 * The IEC 62351-8 role extension (IECUserRoles, OID 1.2.840.10070.8.1):
 *   IECUserRoles ::= SEQUENCE SIZE (1..MAX) OF RoleInformation
 *   RoleInformation ::= SEQUENCE {
 *     userRole        SEQUENCE SIZE (1..MAX) OF RoleId,   -- RoleId ::= INTEGER (-32768..32767)
 *     aor             UTF8String (SIZE (1..64)),          -- area of responsibility
 *     revision        INTEGER (0..255),
 *     roleDefinition  UTF8String }
 * In JSON (profiles and descriptions) one RoleInformation is
 * {"role_ids": [1, 2], "aor": "...", "revision": 0, "role_definition": "IEC62351-8"}.
 */
#ifndef CA_IEC62351_H
#define CA_IEC62351_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CA_IEC_ROLES_OID "1.2.840.10070.8.1"
#define CA_IEC_ROLE_ID_MIN (-32768)
#define CA_IEC_ROLE_ID_MAX 32767
#define CA_IEC_AOR_MAX 64
#define CA_IEC_ROLE_DEFINITION_MAX 128
#define CA_IEC_REVISION_MAX 255

/*
 * DER of the extension value for roles (a JSON array of role objects,
 * already checked by the profile parser). *der: OPENSSL_free.
 * MP_ERR_INVALID for a role object out of range, MP_ERR_NOMEM.
 */
int ca_iec_roles_encode(const json_t *roles, uint8_t **der, size_t *len);
/* The roles in a DER extension value, as a JSON array; MP_ERR_INVALID when malformed. */
int ca_iec_roles_decode(const uint8_t *der, size_t len, json_t **out);

#endif

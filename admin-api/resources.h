/* The handlers of the admin API's resources; routes.c maps paths and roles to them. */
#ifndef ADMIN_RESOURCES_H
#define ADMIN_RESOURCES_H

#include "api.h"

void api_tenant_create(api_call *c);
void api_tenant_list(api_call *c);
void api_tenant_get(api_call *c);

void api_user_create(api_call *c);
void api_user_list(api_call *c);
void api_user_get(api_call *c);
void api_user_update(api_call *c);
void api_user_delete(api_call *c);
void api_apikey_create(api_call *c);
void api_apikey_list(api_call *c);
void api_apikey_revoke(api_call *c);

void api_anchor_create(api_call *c);
void api_anchor_list(api_call *c);
void api_anchor_get(api_call *c);
void api_anchor_delete(api_call *c);
void api_anchor_set_crl(api_call *c);
void api_anchor_delete_crl(api_call *c);

void api_est_label_create(api_call *c);
void api_est_label_list(api_call *c);
void api_est_label_get(api_call *c);
void api_est_label_update(api_call *c);
void api_est_label_delete(api_call *c);

void api_audit_list(api_call *c);
void api_audit_verify(api_call *c);

/* GET /openapi.json: docs/openapi.json as built into the binary; needs no credential. */
void api_openapi(api_call *c);

void api_device_create(api_call *c);
void api_device_list(api_call *c);
void api_device_get(api_call *c);
void api_device_patch(api_call *c);
/* Reads its own body (CSV or JSON lines): see api_route_is_bulk. */
void api_device_import(api_call *c);

void api_enroll_token_create(api_call *c);
void api_enroll_token_list(api_call *c);
void api_enroll_token_revoke(api_call *c);

void api_ca_list(api_call *c);
void api_ca_create(api_call *c);
/* Takes a private key: wipes it, in the body and the request bytes, before returning. */
void api_ca_import(api_call *c);
void api_ca_get(api_call *c);
void api_ca_chain(api_call *c);
void api_ca_retire(api_call *c);

void api_profile_list(api_call *c);
void api_profile_create(api_call *c);
void api_profile_get(api_call *c);
void api_profile_update(api_call *c);
void api_profile_delete(api_call *c);

void api_cert_issue(api_call *c);
void api_cert_list(api_call *c);
void api_cert_get(api_call *c);
void api_cert_revoke(api_call *c);
void api_cert_suspend(api_call *c);
void api_cert_resume(api_call *c);

void api_ssh_ca_list(api_call *c);
void api_ssh_ca_create(api_call *c);
void api_ssh_ca_get(api_call *c);
/* CA key rotation: a new key that signs from then on; retiring an old one. */
void api_ssh_ca_add_key(api_call *c);
void api_ssh_ca_retire_key(api_call *c);
/* The lines that publish the CA's keys, as text/plain (sshd's TrustedUserCAKeys, known_hosts). */
void api_ssh_ca_public_key(api_call *c);
/* The CA's current KRL, as application/octet-stream (sshd's RevokedKeys). */
void api_ssh_ca_krl(api_call *c);
/* Revocations of a CA by certificate key id or by public key, carried into its KRL. */
void api_ssh_ca_revoke(api_call *c);
void api_ssh_ca_revocation_list(api_call *c);
void api_ssh_user_cert_issue(api_call *c);
void api_ssh_host_cert_issue(api_call *c);
/* A device authenticated by its operational certificate certifies its own host key. */
void api_ssh_device_host_cert_issue(api_call *c);
void api_ssh_cert_list(api_call *c);
void api_ssh_cert_get(api_call *c);
void api_ssh_cert_revoke(api_call *c);

void api_request_list(api_call *c);
void api_request_get(api_call *c);
void api_request_approve(api_call *c);
void api_request_reject(api_call *c);

/* Takes a private key: wipes it, in the body and the request bytes, before returning. */
void api_fdo_key_create(api_call *c);
void api_fdo_key_list(api_call *c);
void api_fdo_voucher_import(api_call *c);
/* Filter ?serial=; without the vouchers themselves. */
void api_fdo_voucher_list(api_call *c);
/* JSON; the voucher alone as CBOR or PEM when Accept asks for application/cbor or application/x-pem-file. */
void api_fdo_voucher_get(api_call *c);
void api_fdo_voucher_extend(api_call *c);
/* Take root keys or a KEK: wipe them, in the body and the request bytes, before returning. */
void api_lorawan_device_create(api_call *c);
void api_lorawan_device_list(api_call *c);
/* Answers with root keys (wrapped): the route keeps them out of the idempotency record. */
void api_lorawan_device_export(api_call *c);
void api_lorawan_device_get(api_call *c);
void api_lorawan_device_patch(api_call *c);
void api_lorawan_device_reset_dev_nonces(api_call *c);
void api_lorawan_device_rotate_keys(api_call *c);
void api_lorawan_device_joins(api_call *c);
void api_lorawan_peer_create(api_call *c);
void api_lorawan_peer_list(api_call *c);
void api_lorawan_peer_get(api_call *c);

#endif

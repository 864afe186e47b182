/*
 * The bearer token that names an FDO exchange between its messages (FDO over
 * HTTP: the server sends it in the Authorization header of its first answer,
 * the peer sends it back): base64url of 32 random bytes, kept by the server
 * only as its SHA-256.
 */
#ifndef FDO_SESSION_H
#define FDO_SESSION_H

/* The token's text and its NUL. */
#define FDO_TOKEN_MAX 48

/* A new token into token, and its SHA-256 as a bytea parameter (free() it). */
int fdo_token_new(char token[FDO_TOKEN_MAX], char **hash_param);
/* The SHA-256 of token as a bytea parameter (free() it). */
int fdo_token_param(const char *token, char **out);

#endif

/* EST client authentication by HTTP Basic (RFC 7617): device serial number and enrollment token. */
#ifndef EST_AUTH_H
#define EST_AUTH_H

/* The longest Authorization header value we read, and the longest user name in it. */
#define EST_AUTH_MAX 1024
#define EST_USER_MAX 128

/*
 * Splits an Authorization header value "Basic <base64 of user:password>"
 * (scheme in any case) into *user and *password, new strings; free the
 * password with mp_free_secret_str. MP_ERR_UNAUTHENTICATED when header is
 * NULL, of another scheme or malformed: not base64, no colon, an empty user
 * or password, a user longer than EST_USER_MAX, or a control character in
 * either.
 */
int est_basic_parse(const char *header, char **user, char **password);

#endif

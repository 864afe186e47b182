#include "staple.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "log.h"

/* The longest wait between two refreshes, and the wait after a failed one. */
#define REFRESH_MAX_S 60
#define RETRY_S 10

struct ocsp_stapler {
	char *conninfo;
	uint64_t connect_timeout_ms;
	ocsp_responder *responder;
	X509 *cert, *issuer;
	SSL_CTX *ctx;
	mp_db *db;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;      /* guards what follows */
	pthread_cond_t wake;
	bool stop;
	uint8_t *resp;             /* the current response (OPENSSL_malloc'd), or NULL */
	size_t resp_len;
	int64_t next_update;
};

/* The status callback: a copy of the current response, if there is one. */
static int
status_cb(SSL *ssl, void *arg)
{
	ocsp_stapler *s = arg;
	uint8_t *copy = NULL;
	size_t len = 0;

	pthread_mutex_lock(&s->lock);
	if (s->resp != NULL && s->next_update > (int64_t)time(NULL) &&
	    (copy = OPENSSL_memdup(s->resp, s->resp_len)) != NULL)
		len = s->resp_len;
	pthread_mutex_unlock(&s->lock);
	if (copy == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len) != 1) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

int
ocsp_stapler_refresh(ocsp_stapler *s)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t next = 0;
	int r;

	if (s->db == NULL) {
		char err[512];

		if ((r = mp_db_connect(s->conninfo, s->connect_timeout_ms, &s->db, err,
		    sizeof(err))) != MP_OK)
			return r;
	}
	if ((r = ocsp_responder_answer_cert(s->responder, s->db, s->cert, s->issuer, &der, &len,
	    &next)) != MP_OK)
		return r;
	pthread_mutex_lock(&s->lock);
	OPENSSL_free(s->resp);
	s->resp = der;
	s->resp_len = len;
	s->next_update = next;
	pthread_mutex_unlock(&s->lock);
	return MP_OK;
}

static void *
stapler_main(void *arg)
{
	ocsp_stapler *s = arg;
	struct timespec until;
	int64_t now, wait_s;
	int r;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		r = ocsp_stapler_refresh(s);
		now = (int64_t)time(NULL);
		pthread_mutex_lock(&s->lock);
		if (r != MP_OK) {
			mp_warn("OCSP stapling: no response for the listeners' certificate: %s",
			    mp_strerror(r));
			wait_s = RETRY_S;
		} else {
			wait_s = (s->next_update - now) / 2;
			if (wait_s > REFRESH_MAX_S)
				wait_s = REFRESH_MAX_S;
			if (wait_s < 1)
				wait_s = 1;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_s;
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void
stapler_free(ocsp_stapler *s)
{
	mp_db_close(s->db);
	OPENSSL_free(s->resp);
	X509_free(s->cert);
	X509_free(s->issuer);
	free(s->conninfo);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
ocsp_stapler_start(SSL_CTX *ctx, const ocsp_stapler_config *cfg, ocsp_stapler **out)
{
	ocsp_stapler *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MP_ERR_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->connect_timeout_ms = cfg->connect_timeout_ms;
	s->responder = cfg->responder;
	s->ctx = ctx;
	if ((s->conninfo = strdup(cfg->conninfo)) == NULL || X509_up_ref(cfg->cert) != 1) {
		stapler_free(s);
		return MP_ERR_NOMEM;
	}
	s->cert = cfg->cert;
	if (X509_up_ref(cfg->issuer) != 1) {
		stapler_free(s);
		return MP_ERR_NOMEM;
	}
	s->issuer = cfg->issuer;
	SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, s);
	if (pthread_create(&s->thread, NULL, stapler_main, s) != 0) {
		SSL_CTX_set_tlsext_status_cb(ctx, NULL);
		stapler_free(s);
		return MP_ERR_INTERNAL;
	}
	s->started = true;
	*out = s;
	return MP_OK;
}

void
ocsp_stapler_stop(ocsp_stapler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	if (s->started)
		pthread_join(s->thread, NULL);
	SSL_CTX_set_tlsext_status_cb(s->ctx, NULL);
	SSL_CTX_set_tlsext_status_arg(s->ctx, NULL);
	stapler_free(s);
}

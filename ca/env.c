#include "ca.h"

#include <string.h>

#include "config.h"
#include "worker.h"

void
ca_env_of_worker(const mp_worker *w, ca_env *env)
{
	memset(env, 0, sizeof(*env));
	env->db = w->db;
	env->ks = w->keystore;
	env->public_url = w->config->ocsp_public_url;
	env->key_backend = w->config->keystore_backend;
	env->shared = w->ca_shared;
}

#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detail.h"
#include "err.h"

#define NAME_MAX_LEN 96
#define ATTR_PREFIX "device.attributes."

static const char *const plain[] = { "device.id", "device.serial", "device.model",
	"device.manufacturer", "tenant.name" };

/* The placeholder at *p (after '{') copied into name; *p moves past '}'. */
static int
placeholder(const char **p, char name[NAME_MAX_LEN + 1], const char **why)
{
	const char *end = strchr(*p, '}');
	size_t len;

	if (end == NULL) {
		*why = "'{' without a closing '}'";
		return MP_ERR_INVALID;
	}
	len = (size_t)(end - *p);
	if (len == 0 || len > NAME_MAX_LEN) {
		*why = "empty or too long placeholder";
		return MP_ERR_INVALID;
	}
	memcpy(name, *p, len);
	name[len] = '\0';
	*p = end + 1;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strcmp(name, plain[i]) == 0)
			return MP_OK;
	if (strncmp(name, ATTR_PREFIX, strlen(ATTR_PREFIX)) == 0 &&
	    name[strlen(ATTR_PREFIX)] != '\0' &&
	    strspn(name + strlen(ATTR_PREFIX),
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		strlen(name + strlen(ATTR_PREFIX)))
		return MP_OK;
	*why = "unknown placeholder (device.id, device.serial, device.model, "
	       "device.manufacturer, device.attributes.NAME, tenant.name)";
	return MP_ERR_INVALID;
}

int
ca_template_check(const char *t, const char **why)
{
	char name[NAME_MAX_LEN + 1];
	int r;

	for (const char *p = t; *p != '\0';) {
		if (*p == '}') {
			*why = "'}' without an opening '{'";
			return MP_ERR_INVALID;
		}
		if (*p++ != '{')
			continue;
		if ((r = placeholder(&p, name, why)) != MP_OK)
			return r;
	}
	return MP_OK;
}

/* The value of placeholder name as text in out; MP_ERR_POLICY when it has none. */
static int
value_of(const char *name, const json_t *device, const char *tenant_name, char *out,
    size_t outsz, ca_detail *d)
{
	const json_t *v = NULL;
	const char *s = NULL;

	if (strcmp(name, "tenant.name") == 0) {
		s = tenant_name;
	} else if (device != NULL) {
		if (strncmp(name, ATTR_PREFIX, strlen(ATTR_PREFIX)) == 0)
			v = json_object_get(json_object_get(device, "attributes"),
			    name + strlen(ATTR_PREFIX));
		else
			v = json_object_get(device, name + strlen("device."));
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(out, outsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return MP_OK;
		}
	}
	if (s == NULL || *s == '\0') {
		ca_detail_set(d, name, "not set, and the profile needs it");
		return MP_ERR_POLICY;
	}
	if (strlen(s) >= outsz) {
		ca_detail_set(d, name, "too long for the profile's template");
		return MP_ERR_POLICY;
	}
	memcpy(out, s, strlen(s) + 1);
	return MP_OK;
}

int
ca_template_render(const char *t, const json_t *device, const char *tenant_name,
    char **out, ca_detail *d)
{
	char name[NAME_MAX_LEN + 1], *val = NULL, *s = NULL;
	const char *why = NULL;
	size_t len = 0, n;
	int r = MP_ERR_NOMEM;

	if ((val = malloc(CA_TEMPLATE_MAX + 1)) == NULL || (s = malloc(CA_TEMPLATE_MAX + 1)) == NULL)
		goto out;
	for (const char *p = t; *p != '\0';) {
		if (*p != '{') {
			val[0] = *p++;
			val[1] = '\0';
		} else {
			p++;
			if ((r = placeholder(&p, name, &why)) != MP_OK) {
				ca_detail_set(d, "profile", "bad template: %s", why);
				goto out;
			}
			if ((r = value_of(name, device, tenant_name, val, CA_TEMPLATE_MAX + 1, d)) !=
			    MP_OK)
				goto out;
		}
		n = strlen(val);
		if (len + n > CA_TEMPLATE_MAX) {
			ca_detail_set(d, "profile", "template renders to more than %d characters",
			    CA_TEMPLATE_MAX);
			r = MP_ERR_POLICY;
			goto out;
		}
		memcpy(s + len, val, n);
		len += n;
	}
	s[len] = '\0';
	*out = s;
	s = NULL;
	r = MP_OK;
out:
	free(val);
	free(s);
	return r;
}

-- The identity and policy engine's first schema: tenants, devices, users and
-- their roles and API keys, profiles, identities, enrollment tokens, trust
-- anchors and the hash-chained audit log. Composite foreign keys on
-- (tenant_id, id) keep every reference inside one tenant.

CREATE TABLE tenants (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL UNIQUE CHECK (name <> '' AND char_length(name) <= 128),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	serial text NOT NULL CHECK (serial <> '' AND char_length(serial) <= 128),
	model text CHECK (char_length(model) <= 128),
	manufacturer text CHECK (char_length(manufacturer) <= 128),
	-- EUI-64 as 16 lower-case hex digits; globally unique, the join server looks it up
	dev_eui text UNIQUE CHECK (dev_eui ~ '^[0-9a-f]{16}$'),
	fdo_guid uuid UNIQUE,
	attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'suspended', 'decommissioned')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, serial),
	UNIQUE (tenant_id, id)
);

CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL CHECK (name <> '' AND char_length(name) <= 128),
	email text CHECK (char_length(email) <= 254),
	attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'disabled')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, id)
);

CREATE TABLE user_roles (
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role text NOT NULL CHECK (role IN ('platform-admin', 'tenant-admin', 'operator', 'auditor',
		'technician')),
	PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_platform_admin ON user_roles (user_id) WHERE role = 'platform-admin';

CREATE TABLE api_keys (
	id uuid PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES users (id),
	key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),  -- SHA-256 of the whole key
	expires_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE profiles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL CHECK (name <> '' AND char_length(name) <= 128),
	kind text NOT NULL CHECK (kind IN ('x509', 'ssh-user', 'ssh-host', 'lorawan', 'fdo')),
	body jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(body) = 'object'),
	approval_required boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, id, kind)
);

CREATE TABLE identities (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	kind text NOT NULL CHECK (kind IN ('x509', 'ssh-user', 'ssh-host', 'lorawan', 'fdo')),
	device_id uuid,
	user_id uuid,
	profile_id uuid NOT NULL,
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'active', 'suspended', 'revoked', 'expired')),
	not_before timestamptz,
	not_after timestamptz,
	ref text,  -- the kind-specific record (certificate serial, key id, voucher GUID, ...)
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(device_id, user_id) = 1),
	CHECK (not_before IS NULL OR not_after IS NULL OR not_after > not_before),
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
	-- the identity's kind is its profile's kind
	FOREIGN KEY (tenant_id, profile_id, kind) REFERENCES profiles (tenant_id, id, kind)
);
CREATE INDEX identities_device ON identities (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX identities_user ON identities (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX identities_profile ON identities (profile_id);
CREATE INDEX identities_tenant_status ON identities (tenant_id, status);
CREATE INDEX identities_not_after ON identities (not_after) WHERE status = 'active';

CREATE TABLE enrollment_tokens (
	id uuid PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	device_id uuid NOT NULL,
	profile_id uuid NOT NULL,
	token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
	expires_at timestamptz NOT NULL,
	uses_left integer NOT NULL CHECK (uses_left >= 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
	FOREIGN KEY (tenant_id, profile_id) REFERENCES profiles (tenant_id, id)
);
CREATE INDEX enrollment_tokens_device ON enrollment_tokens (device_id);
CREATE INDEX enrollment_tokens_expires ON enrollment_tokens (expires_at);

CREATE TABLE trust_anchors (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL CHECK (name <> '' AND char_length(name) <= 128),
	certificate bytea NOT NULL CHECK (octet_length(certificate) > 0),  -- DER
	subject text NOT NULL,  -- RFC 2253 form, for lookups by issuer name
	policy jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(policy) = 'object'),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name)
);
CREATE INDEX trust_anchors_subject ON trust_anchors (subject);

-- Audit: writers only INSERT; mp_audit_seal() later gives each row its place
-- in the hash chain (seq, prev_hash, hash). See docs/audit.md.
CREATE TABLE audit (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	tenant_id uuid,
	actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'system', 'device')),
	actor_id text,
	action text NOT NULL CHECK (action <> ''),
	object_type text NOT NULL CHECK (object_type <> ''),
	object_id text,
	details jsonb NOT NULL DEFAULT '{}',
	seq bigint UNIQUE CHECK (seq > 0),
	prev_hash bytea CHECK (octet_length(prev_hash) = 32),
	hash bytea CHECK (octet_length(hash) = 32),
	CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
);
CREATE INDEX audit_unsealed ON audit (id) WHERE seq IS NULL;
CREATE INDEX audit_tenant_at ON audit (tenant_id, at);
CREATE INDEX audit_object ON audit (object_type, object_id);

-- Append-only: no DELETE or TRUNCATE; UPDATE may only seal a row that is not
-- sealed yet, and nothing else in it may change.
CREATE FUNCTION audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
		    AND (NEW.id, NEW.at, NEW.tenant_id, NEW.actor_kind, NEW.actor_id, NEW.action,
		        NEW.object_type, NEW.object_id, NEW.details)
		    IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.tenant_id, OLD.actor_kind, OLD.actor_id,
		        OLD.action, OLD.object_type, OLD.object_id, OLD.details) THEN
			RETURN NEW;
		END IF;
	END IF;
	RAISE EXCEPTION 'audit is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();

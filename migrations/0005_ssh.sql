-- The SSH CA: certification authorities for OpenSSH user and host
-- certificates, their keys (several active at once, for rotation) and the
-- certificates they issued (docs/ssh.md).

-- A tenant's SSH CAs. The user CA named "user" is created on first use.
CREATE TABLE ssh_cas (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	kind text NOT NULL CHECK (kind IN ('user', 'host')),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, id)
);

-- The keys of an SSH CA (key store rows): every active key is published for
-- TrustedUserCAKeys and @cert-authority; the newest active key signs.
CREATE TABLE ssh_ca_keys (
	ca_id uuid NOT NULL REFERENCES ssh_cas (id),
	key_id uuid NOT NULL UNIQUE REFERENCES keys (id),
	public_key text NOT NULL,  -- "<key type> <base64 of the wire blob>"
	fingerprint text NOT NULL,  -- SHA256:...
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (ca_id, key_id)
);

-- One row per issued SSH certificate, sharing its id with its identity (kind
-- ssh-user or ssh-host). serial is random in 1 .. 2^63-1, unique per CA.
CREATE TABLE ssh_certificates (
	id uuid PRIMARY KEY,
	tenant_id uuid NOT NULL,
	ca_id uuid NOT NULL REFERENCES ssh_cas (id),
	ca_key_id uuid NOT NULL REFERENCES keys (id),
	serial bigint NOT NULL CHECK (serial > 0),
	kind text NOT NULL CHECK (kind IN ('user', 'host')),
	key_id text NOT NULL CHECK (key_id <> '' AND char_length(key_id) <= 1024),
	principals text[] NOT NULL CHECK (cardinality(principals) > 0),
	public_key text NOT NULL,  -- the subject's key line, without its comment
	fingerprint text NOT NULL,  -- of the subject key, SHA256:...
	certificate text NOT NULL,  -- "<certificate type> <base64 of the wire blob>"
	valid_after timestamptz NOT NULL,
	valid_before timestamptz NOT NULL,
	revoked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (ca_id, serial),
	FOREIGN KEY (tenant_id, id) REFERENCES identities (tenant_id, id),
	FOREIGN KEY (tenant_id, ca_id) REFERENCES ssh_cas (tenant_id, id),
	CHECK (valid_before > valid_after)
);
CREATE INDEX ssh_certificates_tenant_created ON ssh_certificates (tenant_id, created_at);
CREATE INDEX ssh_certificates_fingerprint ON ssh_certificates (fingerprint);

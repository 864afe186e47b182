-- The key store and the X.509 CA: signing keys, certification authorities,
-- certificates, generated CRLs and certificate requests awaiting approval.

-- One row per signing key. A software key keeps its PKCS#8 DER sealed with
-- AES-256-GCM under the master key (which never enters the database): wrapped
-- is nonce (12) || ciphertext || tag (16), with the key's id as additional
-- data. A PKCS#11 key lives in the token and is found by its CKA_ID.
CREATE TABLE keys (
	id uuid PRIMARY KEY,
	backend text NOT NULL CHECK (backend IN ('software', 'pkcs11')),
	-- ec-p256, ec-p384, rsa-2048..rsa-4096, rsa-pss-2048..rsa-pss-4096, ed25519
	algorithm text NOT NULL CHECK (algorithm ~ '^(ec-p256|ec-p384|ed25519|rsa(-pss)?-[0-9]{4})$'),
	public_key bytea NOT NULL,  -- SubjectPublicKeyInfo, DER
	wrapped bytea,
	pkcs11_id bytea,
	label text CHECK (char_length(label) <= 128),
	created_at timestamptz NOT NULL DEFAULT now(),
	destroyed_at timestamptz,
	-- a software key keeps its sealed bytes until destroyed; only software keys have them
	CHECK (backend <> 'software' OR (wrapped IS NOT NULL) <> (destroyed_at IS NOT NULL)),
	CHECK (backend = 'software' OR wrapped IS NULL),
	CHECK ((backend = 'pkcs11') = (pkcs11_id IS NOT NULL))
);

-- Certification authorities. Platform CAs belong to the platform tenant and
-- may issue for every tenant; a tenant's own CAs issue only for it. key_id is
-- NULL for a CA we only trust. CRL state: crl_number counts every CRL (full
-- and delta share one sequence, RFC 5280 5.2.3); base_crl_number and
-- base_crl_at are those of the latest full CRL, which deltas refer to.
CREATE TABLE cas (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL CHECK (name <> '' AND char_length(name) <= 128),
	parent_id uuid REFERENCES cas (id),
	key_id uuid REFERENCES keys (id),
	certificate bytea NOT NULL,  -- DER
	self_signed boolean NOT NULL,  -- a root: left out of the chains we hand out
	subject text NOT NULL,
	not_before timestamptz NOT NULL,
	not_after timestamptz NOT NULL,
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	role text NOT NULL DEFAULT 'ca' CHECK (role IN ('ca', 'trusted')),
	crl_number bigint NOT NULL DEFAULT 0,
	base_crl_number bigint,
	base_crl_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, id),
	CHECK ((role = 'ca') = (key_id IS NOT NULL))
);

-- Identities: platform profiles (the built-in ones, rows of the platform
-- tenant) serve every tenant, so an identity's profile is of its tenant or of
-- the platform (checked by the issuer); and the platform's own services (TLS
-- listeners, OCSP signers) hold identities too, named by service.
ALTER TABLE identities ADD UNIQUE (tenant_id, id);
ALTER TABLE profiles ADD UNIQUE (id, kind);
ALTER TABLE identities DROP CONSTRAINT identities_tenant_id_profile_id_kind_fkey;
ALTER TABLE identities ADD FOREIGN KEY (profile_id, kind) REFERENCES profiles (id, kind);
ALTER TABLE identities ADD COLUMN service text CHECK (service ~ '^[a-z0-9][a-z0-9:.-]{0,63}$');
ALTER TABLE identities DROP CONSTRAINT identities_check;
ALTER TABLE identities ADD CHECK (num_nonnulls(device_id, user_id, service) = 1);
CREATE INDEX identities_service ON identities (service) WHERE service IS NOT NULL;

-- One row per issued X.509 certificate, sharing its id with its identity
-- (whose status is the certificate's: active, suspended = certificateHold,
-- revoked). revoked_at is set while the certificate is revoked or on hold;
-- status_changed_at (clock time, taken under a share lock on the CA row, so
-- CRL generation orders against it) drives delta CRLs. held_by_device marks a
-- hold put by suspending the device, lifted when the device is resumed. key_id
-- is set for the platform's own service certificates, whose keys we hold.
CREATE TABLE certificates (
	id uuid PRIMARY KEY,
	tenant_id uuid NOT NULL,
	ca_id uuid NOT NULL REFERENCES cas (id),
	serial bytea NOT NULL CHECK (octet_length(serial) BETWEEN 1 AND 20),
	der bytea NOT NULL,
	subject text NOT NULL,
	not_before timestamptz NOT NULL,
	not_after timestamptz NOT NULL,
	revoked_at timestamptz,
	reason text CHECK (reason IN ('unspecified', 'keyCompromise', 'cACompromise',
		'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold',
		'privilegeWithdrawn', 'aACompromise')),
	invalidity_date timestamptz,
	status_changed_at timestamptz,
	held_by_device boolean NOT NULL DEFAULT false,
	key_id uuid REFERENCES keys (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (ca_id, serial),
	FOREIGN KEY (tenant_id, id) REFERENCES identities (tenant_id, id),
	CHECK ((revoked_at IS NULL) = (reason IS NULL))
);
CREATE INDEX certificates_revoked ON certificates (ca_id) WHERE revoked_at IS NOT NULL;
CREATE INDEX certificates_changed ON certificates (ca_id, status_changed_at)
	WHERE status_changed_at IS NOT NULL;
CREATE INDEX certificates_tenant_not_after ON certificates (tenant_id, not_after);

-- The latest full and the latest delta CRL of each CA, as served.
CREATE TABLE crls (
	ca_id uuid NOT NULL REFERENCES cas (id),
	delta boolean NOT NULL,
	crl_number bigint NOT NULL,
	base_crl_number bigint,
	this_update timestamptz NOT NULL,
	next_update timestamptz NOT NULL,
	der bytea NOT NULL,
	PRIMARY KEY (ca_id, delta),
	CHECK (delta = (base_crl_number IS NOT NULL))
);

-- Issuance under a profile that needs approval waits here for another
-- operator than the requester.
CREATE TABLE certificate_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	device_id uuid NOT NULL,
	profile_id uuid NOT NULL REFERENCES profiles (id),
	csr bytea NOT NULL,
	validity_s bigint NOT NULL DEFAULT 0,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
	requested_by text NOT NULL,
	decided_by text,
	certificate_id uuid REFERENCES certificates (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	decided_at timestamptz,
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE INDEX certificate_requests_pending ON certificate_requests (tenant_id)
	WHERE status = 'pending';

-- FIDO Device Onboard (docs/fdo.md): a tenant's FDO signing keys, kept in the
-- key store, and the ownership vouchers it holds, each tied to a device.

-- A key the tenant signs voucher entries (and later FDO messages) with: as
-- manufacturer (the key of the vouchers it makes) or as owner (the key
-- vouchers are extended to). public_key_sha256 is SHA-256 of the key's
-- SubjectPublicKeyInfo, the way a voucher's current owner key is matched.
CREATE TABLE fdo_keys (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	role text NOT NULL CHECK (role IN ('manufacturer', 'owner')),
	key_id uuid NOT NULL UNIQUE REFERENCES keys (id),
	public_key_sha256 bytea NOT NULL CHECK (octet_length(public_key_sha256) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, public_key_sha256)
);

-- One voucher per FDO GUID on the platform (devices.fdo_guid is unique too):
-- the CBOR as last verified, with what the API shows and searches of it.
-- owner_key_sha256 is SHA-256 of the current owner key's SubjectPublicKeyInfo.
CREATE TABLE fdo_vouchers (
	guid uuid PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	device_id uuid NOT NULL UNIQUE,
	voucher bytea NOT NULL CHECK (octet_length(voucher) <= 65536),
	device_info text NOT NULL CHECK (octet_length(device_info) <= 512),
	entries integer NOT NULL CHECK (entries BETWEEN 0 AND 64),
	owner_key_sha256 bytea NOT NULL CHECK (octet_length(owner_key_sha256) = 32),
	origin text NOT NULL CHECK (origin IN ('manufactured', 'imported')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE INDEX fdo_vouchers_tenant ON fdo_vouchers (tenant_id, guid);

-- Device Initialize in progress: between DI.SetCredentials (the header sent
-- to the device) and DI.SetHMAC (the device's HMAC over it). The device
-- holds the token (a bearer secret) whose SHA-256 names the session.
CREATE TABLE fdo_di_sessions (
	token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	device_id uuid NOT NULL,
	header bytea NOT NULL,       -- OVHeader as sent
	cert_chain bytea NOT NULL,   -- OVDevCertChain, CBOR
	expires_at timestamptz NOT NULL,
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);

-- FIDO Device Onboard, the owner's side (docs/fdo.md): the rendezvous
-- server's registrations (TO0) that devices look up (TO1), and owner
-- onboarding (TO2) in progress.

-- Where the owner of a GUID is: the To1d blob its current owner key signed
-- (TO0.OwnerSign), with the voucher it proved ownership with (TO1 checks the
-- device's signature with the voucher's device certificate), until expires_at.
-- tenant_id is the tenant whose device it is (its manufacturer key or its
-- voucher), for the audit log.
CREATE TABLE fdo_rv_blobs (
	guid uuid PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	voucher bytea NOT NULL CHECK (octet_length(voucher) <= 65536),
	to1d bytea NOT NULL CHECK (octet_length(to1d) <= 65536),
	owner_key_sha256 bytea NOT NULL CHECK (octet_length(owner_key_sha256) = 32),
	expires_at timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- A TO0 or TO1 exchange between its first and its second message: the
-- nonce the server sent, named by the SHA-256 of a bearer token the peer
-- holds; for TO1 the GUID the device claimed.
CREATE TABLE fdo_rv_sessions (
	token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
	protocol text NOT NULL CHECK (protocol IN ('to0', 'to1')),
	nonce bytea NOT NULL CHECK (octet_length(nonce) = 16),
	guid uuid CHECK ((protocol = 'to1') = (guid IS NOT NULL)),
	expires_at timestamptz NOT NULL
);
CREATE INDEX fdo_rv_sessions_expires ON fdo_rv_sessions (expires_at);

-- Owner onboarding (TO2) between its messages, named by the SHA-256 of a
-- bearer token: step is the message expected next (64 TO2.ProveDevice, 66,
-- 68, 70 the encrypted ones). After TO2.ProveOVHdr: the voucher proved (as
-- it was then), the nonce the device must sign, the key exchange chosen and
-- our side of it (xAKeyExchange and its private key, sealed by the key
-- store). After TO2.ProveDevice: the session key (sealed), the device's
-- nonce and the header of the replacement voucher; after
-- TO2.DeviceServiceInfoReady the replacement voucher; devmod once the device
-- has sent its devmod ServiceInfo.
CREATE TABLE fdo_to2_sessions (
	token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	guid uuid NOT NULL,
	voucher bytea NOT NULL CHECK (octet_length(voucher) <= 65536),
	nonce_prove_dv bytea NOT NULL CHECK (octet_length(nonce_prove_dv) = 16),
	kex_suite smallint NOT NULL,
	cipher smallint NOT NULL,
	kex_param bytea NOT NULL,
	kex_key_sealed bytea NOT NULL,
	step smallint NOT NULL DEFAULT 64 CHECK (step IN (64, 66, 68, 70)),
	sek_sealed bytea,
	nonce_setup_dv bytea CHECK (octet_length(nonce_setup_dv) = 16),
	replacement_header bytea,
	replacement_voucher bytea CHECK (octet_length(replacement_voucher) <= 65536),
	devmod boolean NOT NULL DEFAULT false,
	expires_at timestamptz NOT NULL
);
CREATE INDEX fdo_to2_sessions_expires ON fdo_to2_sessions (expires_at);

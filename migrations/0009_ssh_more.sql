-- The SSH CA, continued: revocations of an SSH CA by certificate key id or by
-- subject public key, carried into its KRL (docs/ssh.md).

-- One row per revocation; exactly one of key_id and public_key is set. A key
-- id revokes every certificate of the CA with that key id; a public key
-- revokes the key itself and every certificate for it.
CREATE TABLE ssh_revocations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL,
	ca_id uuid NOT NULL,
	key_id text CHECK (key_id <> '' AND char_length(key_id) <= 1024),
	public_key text,  -- "<key type> <base64 of the wire blob>", without comment
	fingerprint text,  -- of public_key, SHA256:...
	created_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (tenant_id, ca_id) REFERENCES ssh_cas (tenant_id, id),
	CHECK ((key_id IS NULL) <> (public_key IS NULL)),
	CHECK ((public_key IS NULL) = (fingerprint IS NULL)),
	UNIQUE (ca_id, key_id),
	UNIQUE (ca_id, fingerprint)
);

-- OCSP (RFC 6960): pre-signed responses, one per certificate and CertID hash
-- algorithm, signed by the CA's delegated OCSP signer (an identity of service
-- 'ocsp:<ca id>' under profile ocsp-signer). A response is stored as its
-- "core" — tbsResponseData, signatureAlgorithm and signature, everything the
-- signature covers — and the responder adds the signer's certificate when it
-- serves it.
--
-- certificates.ocsp_due_at says when a certificate's responses must be
-- (re)signed: now for a new certificate and after every status change (the
-- trigger below, so that no writer can forget it), and before the responses'
-- nextUpdate otherwise, spread over time by the signer. The signers of all
-- instances take due certificates with FOR UPDATE SKIP LOCKED.
ALTER TABLE certificates ADD COLUMN ocsp_due_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX certificates_ocsp_due ON certificates (ocsp_due_at);

CREATE FUNCTION certificates_ocsp_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.ocsp_due_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER certificates_status_ocsp_due
	BEFORE UPDATE OF revoked_at, reason, invalidity_date, status_changed_at ON certificates
	FOR EACH ROW EXECUTE FUNCTION certificates_ocsp_due();

CREATE TABLE ocsp_responses (
	ca_id uuid NOT NULL,
	serial bytea NOT NULL,
	hash text NOT NULL CHECK (hash IN ('sha1', 'sha256')),
	-- the OCSP signer certificate whose key signed it
	signer_id uuid NOT NULL REFERENCES certificates (id),
	core bytea NOT NULL,
	this_update timestamptz NOT NULL,
	next_update timestamptz NOT NULL CHECK (next_update > this_update),
	PRIMARY KEY (ca_id, serial, hash),
	FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial)
);

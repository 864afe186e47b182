-- The SHA-256 of the CRL uploaded with a trust anchor, kept by PostgreSQL with
-- the CRL: enrollments read it instead of the CRL (up to 4 MiB), and find the
-- parsed CRL in the process's CRL cache by the anchor's id and this digest.
ALTER TABLE trust_anchors
	ADD COLUMN crl_sha256 bytea GENERATED ALWAYS AS (sha256(crl)) STORED;

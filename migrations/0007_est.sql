-- EST labels (RFC 7030 3.2.2): /.well-known/est/<name>/<operation> enrolls
-- into the label's tenant under its X.509 profile (and so the profile's CA),
-- and answers with base64 wrapped at base64_line characters (0: one line).
-- Names are global, since the URL carries no tenant.
CREATE TABLE est_labels (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
	profile_id uuid NOT NULL REFERENCES profiles (id),
	base64_line integer NOT NULL DEFAULT 64 CHECK (base64_line IN (0, 64, 76)),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX est_labels_tenant ON est_labels (tenant_id, name);

-- A CRL uploaded with a trust anchor (DER), issued and signed by the anchor
-- (checked on upload): consulted, instead of any distribution point, for the
-- certificates the anchor issued when they enroll over EST.
ALTER TABLE trust_anchors
	ADD COLUMN crl bytea CHECK (octet_length(crl) > 0),
	ADD COLUMN crl_this_update timestamptz,
	ADD COLUMN crl_next_update timestamptz,
	ADD COLUMN crl_revoked integer CHECK (crl_revoked >= 0),
	ADD COLUMN crl_updated_at timestamptz,
	ADD CHECK ((crl IS NULL) = (crl_this_update IS NULL) AND (crl IS NULL) = (crl_next_update IS NULL)
		AND (crl IS NULL) = (crl_revoked IS NULL) AND (crl IS NULL) = (crl_updated_at IS NULL));

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

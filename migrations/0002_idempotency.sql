-- Idempotency keys of the admin API: a POST retried with the same
-- Idempotency-Key header by the same user gets the first response again.
-- status 0 marks a request still being processed. Rows older than 24 hours
-- are replaced when their key is used again.

CREATE TABLE idempotency_keys (
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key text NOT NULL CHECK (key <> '' AND char_length(key) <= 255),
	request_hash bytea NOT NULL CHECK (octet_length(request_hash) = 32),
	status int NOT NULL DEFAULT 0,
	body text,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- LoRaWAN: devices' root keys and join state, the network and application
-- servers that call the Join Server, and the record of every join.

-- A LoRaWAN device is an engine device (its DevEUI is devices.dev_eui) with
-- root keys. root_keys is NwkKey || AppKey (32 bytes; for 1.0.x both are the
-- AppKey) sealed under the key store's master key (common/keystore.h,
-- mp_keystore_seal, context 'lorawan_device:<id>'); it never leaves sealed.
-- DevNonce state: 1.0.2 and 1.0.3 devices send random DevNonces, so
-- dev_nonces_used is a bitmap of the 65,536 values (8 KiB, bit n set once
-- DevNonce n was accepted since the last reset; NULL: none yet); 1.0.4 and
-- 1.1 devices count, so dev_nonce_last is the last one accepted. join_nonce
-- is the last JoinNonce handed out (24 bits), taken under the row's lock.
CREATE TABLE lorawan_devices (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	device_id uuid NOT NULL UNIQUE,
	join_eui text NOT NULL CHECK (join_eui ~ '^[0-9a-f]{16}$'),
	mac_version text NOT NULL CHECK (mac_version IN ('1.0.2', '1.0.3', '1.0.4', '1.1')),
	root_keys bytea NOT NULL CHECK (octet_length(root_keys) = 12 + 32 + 16),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
	dev_nonces_used bytea CHECK (octet_length(dev_nonces_used) = 8192),
	dev_nonce_last integer CHECK (dev_nonce_last BETWEEN 0 AND 65535),
	join_nonce integer NOT NULL DEFAULT 0 CHECK (join_nonce BETWEEN 0 AND 16777215),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (mac_version IN ('1.0.2', '1.0.3') OR dev_nonces_used IS NULL),
	CHECK (mac_version IN ('1.0.4', '1.1') OR dev_nonce_last IS NULL),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);

-- Network servers (ns, by NetID) and application servers (as, by AS-ID)
-- allowed to call the Join Server. A peer authenticated by token keeps only
-- its SHA-256 (common/credential.h, prefix mpj). kek is the peer's
-- key-encryption key for KeyEnvelopes, sealed like root keys (context
-- 'lorawan_peer:<id>'); without one, session keys go to it in clear.
CREATE TABLE lorawan_peers (
	id uuid PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	kind text NOT NULL CHECK (kind IN ('ns', 'as')),
	net_id text CHECK (net_id ~ '^[0-9a-f]{6}$'),
	as_id text CHECK (as_id <> '' AND char_length(as_id) <= 128),
	kek_label text CHECK (kek_label <> '' AND char_length(kek_label) <= 128),
	kek bytea CHECK (octet_length(kek) IN (12 + 16 + 16, 12 + 24 + 16, 12 + 32 + 16)),
	auth text NOT NULL CHECK (auth IN ('mtls', 'token')),
	token_hash bytea CHECK (octet_length(token_hash) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((kind = 'ns') = (net_id IS NOT NULL) AND (kind = 'as') = (as_id IS NOT NULL)),
	CHECK ((kek IS NULL) = (kek_label IS NULL)),
	CHECK ((auth = 'token') = (token_hash IS NOT NULL)),
	UNIQUE (tenant_id, net_id),
	UNIQUE (tenant_id, as_id),
	UNIQUE (tenant_id, id)
);

-- Every JoinReq and RejoinReq for a known device, answered or refused:
-- result is 'Success' or the Backend Interfaces ResultCode sent back. A
-- successful join keeps the session's AppSKey for application servers
-- (AppSKeyReq), sealed like root keys (context 'lorawan_session:<session
-- key id in hex>'), under the random SessionKeyID the JoinAns named.
CREATE TABLE lorawan_joins (
	id bigserial PRIMARY KEY,
	tenant_id uuid NOT NULL,
	lorawan_device_id uuid NOT NULL,
	peer_id uuid,
	at timestamptz NOT NULL DEFAULT now(),
	dev_nonce integer NOT NULL CHECK (dev_nonce BETWEEN 0 AND 65535),
	join_nonce integer CHECK (join_nonce BETWEEN 1 AND 16777215),
	result text NOT NULL CHECK (result <> '' AND char_length(result) <= 64),
	session_key_id bytea UNIQUE CHECK (octet_length(session_key_id) = 16),
	app_s_key bytea CHECK (octet_length(app_s_key) = 12 + 16 + 16),
	CHECK ((result = 'Success') = (join_nonce IS NOT NULL)),
	CHECK ((result = 'Success') = (session_key_id IS NOT NULL)),
	CHECK ((session_key_id IS NULL) = (app_s_key IS NULL)),
	FOREIGN KEY (tenant_id, lorawan_device_id) REFERENCES lorawan_devices (tenant_id, id),
	FOREIGN KEY (tenant_id, peer_id) REFERENCES lorawan_peers (tenant_id, id)
);
CREATE INDEX lorawan_joins_device ON lorawan_joins (lorawan_device_id, id);

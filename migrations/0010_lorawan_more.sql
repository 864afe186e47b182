-- LoRaWAN 1.1 Rejoin-requests: rj_count1_last is the last RJcount1 the Join
-- Server accepted in a Rejoin type 1 (LoRaWAN 1.1 §6.2.4.3: the Join Server
-- keeps it; it must only grow for one JSIntKey, so rotating the keys or
-- resetting the DevNonces forgets it). lorawan_joins.rejoin_type is the
-- RejoinType of a RejoinReq (NULL for a JoinReq), whose RJcount0 or RJcount1
-- is kept in dev_nonce.
ALTER TABLE lorawan_devices
	ADD COLUMN rj_count1_last integer CHECK (rj_count1_last BETWEEN 0 AND 65535),
	ADD CHECK (mac_version = '1.1' OR rj_count1_last IS NULL);
ALTER TABLE lorawan_joins
	ADD COLUMN rejoin_type smallint CHECK (rejoin_type BETWEEN 0 AND 2);

-- A peer with auth 'mtls' is authenticated by the TLS client certificate it
-- presents on the lorawan listener: cert_sha256 is the SHA-256 of that
-- certificate's DER (its fingerprint, pinned; one peer per certificate).
ALTER TABLE lorawan_peers
	ADD COLUMN cert_sha256 bytea UNIQUE CHECK (octet_length(cert_sha256) = 32),
	ADD CHECK (auth = 'mtls' OR cert_sha256 IS NULL);

-- The home network server of a device, by configuration: home_net_id (its
-- NetID) and, for Backend Interfaces 1.1, home_ns_id (its NSID). Without
-- home_net_id the home network is the one through which the device last
-- joined.
ALTER TABLE lorawan_devices
	ADD COLUMN home_net_id text CHECK (home_net_id ~ '^[0-9a-f]{6}$'),
	ADD COLUMN home_ns_id text CHECK (home_ns_id ~ '^[0-9A-Za-z.:_-]{1,128}$'),
	ADD CHECK (home_ns_id IS NULL OR home_net_id IS NOT NULL);

#!/bin/bash
# The Join Server (Backend Interfaces JSON on the lorawan listener) against an
# independent implementation, lora-packet (tests/lorawan/peer.js): it builds
# Join-requests with the devices' keys, decrypts our Join-accepts, checks
# their MIC and derives session keys that must equal the KeyEnvelopes of the
# JoinAns once unwrapped with the network server's KEK, for LoRaWAN 1.0.2,
# 1.0.4 and 1.1. Then every refusal gets its ResultCode, every join is
# recorded, and concurrent JoinReqs for one device, through two instances,
# never share a JoinNonce. LoRaWAN 1.1 Rejoin-requests of the three types are
# built by lora-packet and answered with Join-accepts it decrypts and checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

PEER_DIR="$MIDPKI_SOURCE_DIR/tests/lorawan"
sh "$MIDPKI_SOURCE_DIR/scripts/install-test-peers.sh" >"$T/npm.log" 2>&1 ||
	fail "installing lora-packet: $(tail -5 "$T/npm.log")"
peer() { node "$PEER_DIR/peer.js" "$@"; }

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance js
start_instance
A_STATE=$I_STATE; A_LORAWAN=$LORAWAN_PORT
ADMIN_KEY=$(cat "$I_STATE/admin.key")
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
KEY=$(user_key "$ACME" alice tenant-admin)

JOINEUI=70b3d57ed0000000
KEK=000102030405060708090a0b0c0d0e0f
NETID=000013
# lorawan_device SERIAL DEVEUI MAC APPKEY [NWKKEY]: registers one, prints its id
lorawan_device() {
	local r body
	r=$(api "$KEY" POST /devices "{\"serial\":\"$1\"}")
	body="{\"device\":\"$(field "${r#* }" id)\",\"dev_eui\":\"$2\",\"join_eui\":\"$JOINEUI\",\"mac_version\":\"$3\",\"app_key\":\"$4\"${5:+,\"nwk_key\":\"$5\"}}"
	r=$(api "$KEY" POST /lorawan/devices "$body")
	expect_api "register $1" "$r" 201 >/dev/null
	field "${r#* }" id
}
K102=2b7e151628aed2a6abf7158809cf4f3c
K104=000102030405060708090a0b0c0d0e0f
A11=f0e0d0c0b0a090807060504030201000
N11=0f1e2d3c4b5a69788796a5b4c3d2e1f0
D102=$(lorawan_device s102 0000000000000102 1.0.2 $K102)
D104=$(lorawan_device s104 0000000000000104 1.0.4 $K104)
D11=$(lorawan_device s11 0000000000000110 1.1 $A11 $N11)
r=$(api "$KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"$NETID\",\"kek_label\":\"ns-kek\",\"kek\":\"$KEK\",\"auth\":\"token\"}")
expect_api "register the network server" "$r" 201
TOKEN=$(field "${r#* }" token)
r=$(api "$KEY" POST /lorawan/peers '{"kind":"ns","net_id":"000014","auth":"token"}')
CLEAR_TOKEN=$(field "${r#* }" token)
ASKEK=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
r=$(api "$KEY" POST /lorawan/peers "{\"kind\":\"as\",\"as_id\":\"app.example\",\"kek_label\":\"as-kek\",\"kek\":\"$ASKEK\",\"auth\":\"token\"}")
AS_TOKEN=$(field "${r#* }" token)

# joinreq DEVEUI PHY MACVERSION [EXTRA-JSON-MEMBERS]: a JoinReq body
joinreq() {
	echo "{\"ProtocolVersion\":\"1.0\",\"SenderID\":\"$NETID\",\"ReceiverID\":\"$JOINEUI\",\"TransactionID\":7,\"MessageType\":\"JoinReq\",\"MACVersion\":\"$3\",\"PHYPayload\":\"$2\",\"DevEUI\":\"$1\",\"DevAddr\":\"01abcdef\",\"DLSettings\":\"03\",\"RxDelay\":1${4-}}"
}
# js BODY [TOKEN] [PORT]: POSTs to the Join Server, prints "STATUS BODY"
js() {
	local code
	code=$(curl -sS -o "$T/ans" -w '%{http_code}' -H 'Content-Type: application/json' \
		${2:+-H "Authorization: Bearer $2"} --data-binary "$1" "http://127.0.0.1:${3:-$A_LORAWAN}/")
	echo "$code $(cat "$T/ans")"
}
result() { jget "${1#* }" 'd["Result"]["ResultCode"]'; }
# expect_join WHAT "STATUS BODY" APPKEY NWKKEY DEVEUI DEVNONCE JOINNONCE OPTNEG [REJOINTYPE]:
# checks a JoinAns (a RejoinAns with REJOINTYPE, DEVNONCE its RJcount) with lora-packet
expect_join() {
	local v
	expect_eq "$1: HTTP status" "${2%% *}" 200
	expect_eq "$1: ResultCode" "$(result "$2")" Success
	v=$(echo "${2#* }" | peer joinans "$3" "$4" "$KEK" "$JOINEUI" "$5" "$6" "$NETID" ${9-})
	expect_eq "$1: lora-packet checks the MIC" "$(jget "$v" 'd["mic"]')" true
	expect_eq "$1: session keys equal the unwrapped KeyEnvelopes" "$(jget "$v" 'd["keys_match"]')" true
	expect_eq "$1: envelopes under the KEK's label" "$(jget "$v" 'sorted(set(d["kek_labels"]))')" '["ns-kek"]'
	expect_eq "$1: SessionKeyID" "$(jget "${2#* }" 'len(d["SessionKeyID"])')" 32
	expect_eq "$1: JoinNonce, NetID, DevAddr, RxDelay, OptNeg" \
		"$(jget "$v" '[d["join_nonce"], d["net_id"], d["dev_addr"], d["rx_delay"], d["opt_neg"]]')" \
		"[$7, \"$NETID\", \"01abcdef\", 1, $8]"
}

# LoRaWAN 1.0.2, 1.0.4 and 1.1, checked by lora-packet
r=$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 4660)" 1.0.2)" "$TOKEN")
expect_join "1.0.2" "$r" $K102 - 0000000000000102 4660 1 false
expect_eq "1.0.2: the answer's header" \
	"$(jget "${r#* }" '[d["ProtocolVersion"], d["MessageType"], d["SenderID"], d["ReceiverID"], d["TransactionID"], d["Lifetime"]]')" \
	"[\"1.0\", \"JoinAns\", \"$JOINEUI\", \"$NETID\", 7, 0]"
expect_eq "1.0.2: 1.0 keys only" "$(jget "${r#* }" 'sorted(k for k in d if k.endswith("Key"))')" '["AppSKey", "NwkSKey"]'
r=$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 0)" 1.0.4)" "$TOKEN")
expect_join "1.0.4" "$r" $K104 - 0000000000000104 0 1 false
# hex in upper case with 0x, and a CFList
phy=$(peer joinreq $K104 $JOINEUI 0000000000000104 1 | tr a-f A-F)
r=$(js "$(joinreq 0x0000000000000104 "0X$phy" 1.0.4 ',"CFList":"0x184F84E85684B85E84886684586E8400"')" "$TOKEN")
expect_join "1.0.4, upper-case 0x hex" "$r" $K104 - 0000000000000104 1 2 false
expect_eq "1.0.4: the CFList reached the device" \
	"$(echo "${r#* }" | peer joinans $K104 - "$KEK" $JOINEUI 0000000000000104 1 $NETID | python3 -c 'import json,sys; print(json.load(sys.stdin)["cflist"])')" \
	184f84e85684b85e84886684586e8400
r=$(js "$(joinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 5)" 1.1.0 ',"SenderNSID":"0a0b","ReceiverNSID":"0c0d"')" "$TOKEN")
expect_join "1.1 (MACVersion 1.1.0)" "$r" $A11 $N11 0000000000000110 5 1 true
expect_eq "1.1: 1.1 keys" "$(jget "${r#* }" 'sorted(k for k in d if k.endswith("Key"))')" \
	'["AppSKey", "FNwkSIntKey", "NwkSEncKey", "SNwkSIntKey"]'
r=$(js "$(joinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 6)" 1.1 ',"SenderNSID":"0a0b","ReceiverNSID":"0c0d"' |
	sed 's/"ProtocolVersion":"1.0"/"ProtocolVersion":"1.1"/')" "$TOKEN")
expect_join "1.1 over BI 1.1" "$r" $A11 $N11 0000000000000110 6 2 true
expect_eq "BI 1.1: NSIDs swapped" "$(jget "${r#* }" '[d["ProtocolVersion"], d["SenderNSID"], d["ReceiverNSID"]]')" '["1.1", "0c0d", "0a0b"]'
# the application server fetches that session's AppSKey (AppSKeyReq)
SKID=$(jget "${r#* }" 'd["SessionKeyID"]')
APPSKEY=$(echo "${r#* }" | peer joinans $A11 $N11 "$KEK" $JOINEUI 0000000000000110 6 $NETID |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["derived"]["AppSKey"])')
appskeyreq() { # appskeyreq SENDERID SESSIONKEYID
	echo "{\"ProtocolVersion\":\"1.0\",\"SenderID\":\"$1\",\"ReceiverID\":\"$JOINEUI\",\"TransactionID\":11,\"MessageType\":\"AppSKeyReq\",\"DevEUI\":\"0000000000000110\",\"SessionKeyID\":\"$2\"}"
}
r=$(js "$(appskeyreq app.example "$SKID")" "$AS_TOKEN")
expect_eq "AppSKeyReq: answer" "$(jget "${r#* }" '[d["MessageType"], d["Result"]["ResultCode"], d["SenderID"], d["ReceiverID"], d["DevEUI"], d["SessionKeyID"], d["AppSKey"]["KEKLabel"]]')" \
	"[\"AppSKeyAns\", \"Success\", \"$JOINEUI\", \"app.example\", \"0000000000000110\", \"$SKID\", \"as-kek\"]"
expect_eq "AppSKeyReq: the session's AppSKey under the AS's KEK" \
	"$(peer unwrap $ASKEK "$(jget "${r#* }" 'd["AppSKey"]')")" "$APPSKEY"
expect_refusal "AppSKeyReq: unknown SessionKeyID" "$(js "$(appskeyreq app.example 00112233445566778899aabbccddeeff)" "$AS_TOKEN")" UnknownDevEUI
expect_refusal "AppSKeyReq: a network server's token" "$(js "$(appskeyreq app.example "$SKID")" "$TOKEN")" UnknownSender
expect_refusal "AppSKeyReq: another AS-ID" "$(js "$(appskeyreq other.example "$SKID")" "$AS_TOKEN")" UnknownSender
expect_refusal "AppSKeyReq: SessionKeyID of 8 bytes" "$(js "$(appskeyreq app.example 0011223344556677)" "$AS_TOKEN")" MalformedRequest
expect_refusal "JoinReq with an application server's token" \
	"$(js "$(joinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 60)" 1.1)" "$AS_TOKEN")" UnknownSender

# a 1.1 device behind a 1.0 network server: OptNeg unset, 1.0 keys from its NwkKey
r=$(js "$(joinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 7)" 1.0.3)" "$TOKEN")
expect_join "1.1 device, 1.0.3 network server" "$r" $N11 $N11 0000000000000110 7 3 false
# a network server without a KEK gets the keys in clear
r=$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 99)" 1.0.2 | sed 's/"SenderID":"000013"/"SenderID":"000014"/')" "$CLEAR_TOKEN")
expect_eq "no KEK: Success" "$(result "$r")" Success
expect_eq "no KEK: keys in clear, no label" "$(jget "${r#* }" '[d["AppSKey"]["KEKLabel"], len(d["AppSKey"]["AESKey"])]')" '["", 32]'

# refusals, each with its ResultCode and a Description
expect_refusal() { # WHAT "STATUS BODY" RESULTCODE
	expect_eq "$1: HTTP status" "${2%% *}" 200
	expect_eq "$1: ResultCode" "$(result "$2")" "$3"
	expect_eq "$1: Description" "$(jget "${2#* }" 'len(d["Result"]["Description"]) > 0')" true
	expect_eq "$1: no keys" "$(jget "${2#* }" '[k for k in d if k.endswith("Key") or k == "PHYPayload"]')" "[]"
}
expect_refusal "1.0.2 DevNonce replayed" \
	"$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 4660)" 1.0.2)" "$TOKEN")" JoinReqFailed
expect_refusal "1.0.4 DevNonce not increasing" \
	"$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 1)" 1.0.4)" "$TOKEN")" JoinReqFailed
expect_refusal "1.1 DevNonce replayed" \
	"$(js "$(joinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 7)" 1.1)" "$TOKEN")" JoinReqFailed
expect_refusal "wrong MIC (1.1 device, AppKey instead of NwkKey)" \
	"$(js "$(joinreq 0000000000000110 "$(peer joinreq $A11 $JOINEUI 0000000000000110 50)" 1.1)" "$TOKEN")" MICFailed
expect_refusal "unknown DevEUI" \
	"$(js "$(joinreq 00000000000000ff "$(peer joinreq $K102 $JOINEUI 00000000000000ff 1)" 1.0.2)" "$TOKEN")" UnknownDevEUI
good=$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 300)" 1.0.2)
expect_refusal "no token" "$(js "$good")" UnknownSender
expect_refusal "unknown token" "$(js "$good" "mpj_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" UnknownSender
# another last character: A, or B when the token already ends in A (one time in 64)
other=A; [ "${TOKEN: -1}" = A ] && other=B
expect_refusal "a token with its last character changed" "$(js "$good" "${TOKEN%?}$other")" UnknownSender
expect_refusal "SenderID of another network server" "$(js "$good" "$CLEAR_TOKEN")" UnknownSender
expect_refusal "a 1.0.x device asked for 1.1" \
	"$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 301)" 1.1)" "$TOKEN")" JoinReqFailed
psql -qc "update devices set status = 'suspended' where dev_eui = '0000000000000104'"
expect_refusal "suspended device" \
	"$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 9)" 1.0.4)" "$TOKEN")" ActivationDisallowed
psql -qc "update devices set status = 'active' where dev_eui = '0000000000000104'"
expect_refusal "malformed JSON" "$(js '{"ProtocolVersion":"1.0",' "$TOKEN")" MalformedRequest
expect_refusal "malformed, BI 1.1" "$(js "$(echo "$good" | sed 's/"ProtocolVersion":"1.0"/"ProtocolVersion":"1.1"/; s/"DevAddr":"01abcdef"/"DevAddr":"01abcd"/')" "$TOKEN")" MalformedMessage
expect_refusal "DevEUI of 7 bytes" "$(js "$(echo "$good" | sed 's/"DevEUI":"0000000000000102"/"DevEUI":"00000000000102"/')" "$TOKEN")" MalformedRequest
expect_refusal "PHYPayload one byte short" "$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 302 | cut -c3-)" 1.0.2)" "$TOKEN")" MalformedRequest
expect_refusal "DevEUI not the PHYPayload's" "$(js "$(echo "$good" | sed 's/"DevEUI":"0000000000000102"/"DevEUI":"0000000000000104"/')" "$TOKEN")" MalformedRequest
expect_refusal "RxDelay 16" "$(js "$(echo "$good" | sed 's/"RxDelay":1/"RxDelay":16/')" "$TOKEN")" MalformedRequest
r=$(js '{"ProtocolVersion":"1.0","SenderID":"000013","ReceiverID":"70b3d57ed0000000","TransactionID":9,"MessageType":"PRStartReq","DevEUI":"0000000000000102"}' "$TOKEN")
expect_eq "a message type not served: its answer type" "$(jget "${r#* }" '[d["MessageType"], d["Result"]["ResultCode"], d["TransactionID"]]')" '["PRStartAns", "Other", 9]'

# HomeNSReq: the NetID of the network server through which the device last joined
homensreq() { # homensreq DEVEUI
	echo "{\"ProtocolVersion\":\"1.0\",\"SenderID\":\"$NETID\",\"ReceiverID\":\"$JOINEUI\",\"TransactionID\":12,\"MessageType\":\"HomeNSReq\",\"DevEUI\":\"$1\"}"
}
r=$(js "$(homensreq 0000000000000102)" "$TOKEN")
expect_eq "HomeNSReq: last joined through 000014" "$(jget "${r#* }" '[d["MessageType"], d["Result"]["ResultCode"], d["HNetID"], d["TransactionID"]]')" \
	'["HomeNSAns", "Success", "000014", 12]'
expect_eq "HomeNSReq: a 1.1 device" "$(jget "$(js "$(homensreq 0000000000000110)" "$TOKEN" | cut -d' ' -f2-)" 'd["HNetID"]')" "$NETID"
expect_refusal "HomeNSReq: unknown DevEUI" "$(js "$(homensreq 00000000000000ff)" "$TOKEN")" UnknownDevEUI
expect_refusal "HomeNSReq: an application server's token" "$(js "$(homensreq 0000000000000102)" "$AS_TOKEN")" UnknownSender
# the home network by configuration: HNetID, and HNSID in BI 1.1
expect_api "configure the home network" "$(api "$KEY" PATCH "/lorawan/devices/$D102" '{"home_net_id":"0000AA","home_ns_id":"hns.example:7"}')" 200
r=$(js "$(homensreq 0000000000000102)" "$TOKEN")
expect_eq "HomeNSReq: the configured HNetID, no HNSID in BI 1.0" "$(jget "${r#* }" '[d["Result"]["ResultCode"], d["HNetID"], "HNSID" in d]')" '["Success", "0000aa", false]'
r=$(js "$(homensreq 0000000000000102 | sed 's/"ProtocolVersion":"1.0"/"ProtocolVersion":"1.1"/')" "$TOKEN")
expect_eq "HomeNSReq over BI 1.1: HNetID and HNSID" "$(jget "${r#* }" '[d["ProtocolVersion"], d["HNetID"], d["HNSID"]]')" '["1.1", "0000aa", "hns.example:7"]'
expect_api "forget the configured home network" "$(api "$KEY" PATCH "/lorawan/devices/$D102" '{"home_net_id":null}')" 200
expect_eq "HomeNSReq: the last join's again" "$(jget "$(js "$(homensreq 0000000000000102 | sed 's/"ProtocolVersion":"1.0"/"ProtocolVersion":"1.1"/')" "$TOKEN" | cut -d' ' -f2-)" '[d["HNetID"], "HNSID" in d]')" '["000014", false]'

# every join with a known device is recorded
r=$(api "$KEY" GET "/lorawan/devices/$D104/joins")
expect_eq "1.0.4 joins, newest first" "$(jget "${r#* }" '[(j["dev_nonce"], j["join_nonce"], j["result"]) for j in d["items"]]')" \
	'[[9, null, "ActivationDisallowed"], [1, null, "JoinReqFailed"], [1, 2, "Success"], [0, 1, "Success"]]'
expect_eq "joins name the peer" "$(psql -Atc "select count(distinct peer_id) from lorawan_joins where lorawan_device_id = '$D104'")" 1
expect_eq "1.1 device's JoinNonce" "$(jget "$(api "$KEY" GET "/lorawan/devices/$D11" | cut -d' ' -f2-)" 'd["join_nonce"]')" 3
expect_eq "1.1 device's last DevNonce" "$(psql -Atc "select dev_nonce_last from lorawan_devices where id = '$D11'")" 7
expect_eq "1.0.2 device's DevNonces used" "$(psql -Atc "select get_bit(dev_nonces_used, 4660), get_bit(dev_nonces_used, 99),
	get_bit(dev_nonces_used, 300), octet_length(dev_nonces_used) from lorawan_devices where id = '$D102'")" "1|1|0|8192"

# LoRaWAN 1.1 Rejoin-requests (RejoinReq -> RejoinAns): built and checked by lora-packet
rejoinreq() { # rejoinreq DEVEUI PHY [MACVERSION]
	echo "{\"ProtocolVersion\":\"1.1\",\"SenderID\":\"$NETID\",\"ReceiverID\":\"$JOINEUI\",\"TransactionID\":21,\"MessageType\":\"RejoinReq\",\"MACVersion\":\"${3:-1.1}\",\"PHYPayload\":\"$2\",\"DevEUI\":\"$1\",\"DevAddr\":\"01abcdef\",\"DLSettings\":\"03\",\"RxDelay\":1}"
}
r=$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 1 $N11 $JOINEUI 0000000000000110 0)")" "$TOKEN")
expect_join "Rejoin type 1" "$r" $A11 $N11 0000000000000110 0 4 true 1
expect_eq "Rejoin type 1: a RejoinAns with 1.1 keys" "$(jget "${r#* }" '[d["MessageType"], d["TransactionID"], sorted(k for k in d if k.endswith("Key"))]')" \
	'["RejoinAns", 21, ["AppSKey", "FNwkSIntKey", "NwkSEncKey", "SNwkSIntKey"]]'
SNWK=$(echo "${r#* }" | peer joinans $A11 $N11 "$KEK" $JOINEUI 0000000000000110 0 $NETID 1 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["derived"]["SNwkSIntKey"])')
expect_refusal "Rejoin type 1: RJcount1 replayed" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 1 $N11 $JOINEUI 0000000000000110 0)")" "$TOKEN")" JoinReqFailed
expect_refusal "Rejoin type 1: MIC not under JSIntKey" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 1 $A11 $JOINEUI 0000000000000110 1)")" "$TOKEN")" MICFailed
r=$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 0 "$SNWK" $NETID 0000000000000110 3)")" "$TOKEN")
expect_join "Rejoin type 0 from the home network server" "$r" $A11 $N11 0000000000000110 3 5 true 0
r=$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 2 "$SNWK" $NETID 0000000000000110 4)")" "$TOKEN")
expect_join "Rejoin type 2 from the home network server" "$r" $A11 $N11 0000000000000110 4 6 true 2
expect_refusal "Rejoin type 2 from another network server" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 2 "$SNWK" 000014 0000000000000110 5)" | sed 's/"SenderID":"000013"/"SenderID":"000014"/')" "$CLEAR_TOKEN")" JoinReqFailed
expect_refusal "Rejoin type 0 naming another NetID" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 0 "$SNWK" 000014 0000000000000110 6)")" "$TOKEN")" JoinReqFailed
expect_refusal "Rejoin with MACVersion 1.0.3" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 1 $N11 $JOINEUI 0000000000000110 7)" 1.0.3)" "$TOKEN")" JoinReqFailed
expect_refusal "Rejoin of a 1.0.4 device" \
	"$(js "$(rejoinreq 0000000000000104 "$(peer rejoinreq 1 $K104 $JOINEUI 0000000000000104 7)")" "$TOKEN")" JoinReqFailed
expect_refusal "RejoinReq carrying a Join-request" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer joinreq $N11 $JOINEUI 0000000000000110 70)")" "$TOKEN")" MalformedMessage
expect_refusal "JoinReq carrying a Rejoin-request" \
	"$(js "$(joinreq 0000000000000110 "$(peer rejoinreq 1 $N11 $JOINEUI 0000000000000110 8)" 1.1)" "$TOKEN")" MalformedRequest
r=$(api "$KEY" GET "/lorawan/devices/$D11/joins?limit=7")
expect_eq "rejoins recorded with their type and RJcount" "$(jget "${r#* }" '[(j["rejoin_type"], j["dev_nonce"], j["join_nonce"], j["result"]) for j in d["items"]]')" \
	'[[1, 7, null, "JoinReqFailed"], [0, 6, null, "JoinReqFailed"], [2, 5, null, "JoinReqFailed"], [2, 4, 6, "Success"], [0, 3, 5, "Success"], [1, 1, null, "MICFailed"], [1, 0, null, "JoinReqFailed"]]'
expect_eq "RJcount1 kept, DevNonce untouched" "$(psql -Atc "select rj_count1_last, dev_nonce_last from lorawan_devices where id = '$D11'")" "0|7"
# a home network configured for the device decides who may forward its Rejoin types 0 and 2
expect_api "home network 000014" "$(api "$KEY" PATCH "/lorawan/devices/$D11" '{"home_net_id":"000014"}')" 200
expect_refusal "Rejoin type 0 from the network server of the last join, not the home one" \
	"$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 0 "$SNWK" $NETID 0000000000000110 9)")" "$TOKEN")" JoinReqFailed
expect_api "home network $NETID" "$(api "$KEY" PATCH "/lorawan/devices/$D11" "{\"home_net_id\":\"$NETID\"}")" 200
r=$(js "$(rejoinreq 0000000000000110 "$(peer rejoinreq 0 "$SNWK" $NETID 0000000000000110 10)")" "$TOKEN")
expect_join "Rejoin type 0 from the configured home network server" "$r" $A11 $N11 0000000000000110 10 7 true 0
expect_api "home network forgotten" "$(api "$KEY" PATCH "/lorawan/devices/$D11" '{"home_net_id":null}')" 200

# operators: deactivate a device, and reset its DevNonces after a factory reset
r=$(api "$KEY" PATCH "/lorawan/devices/$D104" '{"status":"inactive"}')
expect_api "deactivate" "$r" 200
expect_refusal "inactive device" \
	"$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 10)" 1.0.4)" "$TOKEN")" ActivationDisallowed
expect_api "activate" "$(api "$KEY" PATCH "/lorawan/devices/$D104" '{"status":"active"}')" 200
r=$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 11)" 1.0.4)" "$TOKEN")
expect_join "1.0.4 active again" "$r" $K104 - 0000000000000104 11 3 false
expect_eq "status changes audited" "$(psql -Atc "select string_agg(details->>'to', ',' order by id) from audit
	where action = 'lorawan_device.status' and object_id = '$D104'")" "inactive,active"
r=$(api "$KEY" POST "/lorawan/devices/$D102/reset-dev-nonces" '{}')
expect_api "reset the DevNonces" "$r" 200
expect_eq "reset keeps the JoinNonce" "$(field "${r#* }" join_nonce)" 2
expect_eq "reset audited" "$(psql -Atc "select count(*) from audit where action = 'lorawan_device.reset_dev_nonces' and object_id = '$D102'")" 1
r=$(js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 4660)" 1.0.2)" "$TOKEN")
expect_join "a DevNonce used before the reset" "$r" $K102 - 0000000000000102 4660 3 false

# new root keys: the old AppKey no longer joins, the new one does from DevNonce 0 again
K104B=5f4e3d2c1b0a99887766554433221100
r=$(api "$KEY" POST "/lorawan/devices/$D104/rotate-keys" "{\"app_key\":\"$K104B\"}")
expect_api "rotate the keys" "$r" 200
expect_refusal "the old AppKey after rotation" \
	"$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104 $JOINEUI 0000000000000104 12)" 1.0.4)" "$TOKEN")" MICFailed
r=$(js "$(joinreq 0000000000000104 "$(peer joinreq $K104B $JOINEUI 0000000000000104 0)" 1.0.4)" "$TOKEN")
expect_join "the new AppKey, DevNonce 0 again" "$r" $K104B - 0000000000000104 0 4 false

# export of root keys for key injection: wrapped under a registered KEK, audited
r=$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\",\"$D102\"],\"kek_label\":\"ns-kek\"}")
expect_api "export" "$r" 200
b=${r#* }
expect_eq "export: devices" "$(jget "$b" 'sorted((i["dev_eui"], i["mac_version"], "nwk_key" in i) for i in d["items"])')" \
	'[["0000000000000102", "1.0.2", false], ["0000000000000110", "1.1", true]]'
unwrapped() { peer unwrap $KEK "$(jget "$b" "[i[\"$2\"] for i in d[\"items\"] if i[\"dev_eui\"] == \"$1\"][0]")"; }
expect_eq "export: the 1.1 NwkKey" "$(unwrapped 0000000000000110 nwk_key)" $N11
expect_eq "export: the 1.1 AppKey" "$(unwrapped 0000000000000110 app_key)" $A11
expect_eq "export: the 1.0.2 AppKey" "$(unwrapped 0000000000000102 app_key)" $K102
expect_eq "export: labelled" "$(jget "$b" 'sorted(set(i["app_key"]["KEKLabel"] for i in d["items"]))')" '["ns-kek"]'
expect_eq "export: audited per device" "$(psql -Atc "select count(*), min(details->>'kek_label') from audit where action = 'lorawan_device.export'")" "2|ns-kek"
OP_KEY=$(user_key "$ACME" olga operator)
expect_api "export: operator" "$(api "$OP_KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"kek_label\":\"ns-kek\"}")" 403 forbidden
expect_api "export: unknown label" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"kek_label\":\"nope\"}")" 404 not_found kek_label
expect_api "export: not a device of the tenant" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\",\"00000000-0000-4000-8000-000000000000\"],\"kek_label\":\"ns-kek\"}")" 404 not_found devices
expect_api "export: the same device twice" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\",\"$D11\"],\"kek_label\":\"ns-kek\"}")" 400 invalid_value devices
expect_api "export: no device" "$(api "$KEY" POST /lorawan/devices:export '{"devices":[],"kek_label":"ns-kek"}')" 400 missing_field devices
# network servers authenticated by their TLS client certificates (mTLS), self-signed as
# ChirpStack's are unless a CA is at hand: ns15 and ns16 share a KEK label
for c in ns15 ns16 ns17 stranger; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$c" -days 2 \
		-keyout "$T/$c.key" -out "$T/$c.pem" 2>/dev/null || fail "openssl req for $c"
done
pem() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
api "$KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"000015\",\"kek_label\":\"shared\",\"kek\":\"$KEK\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/ns15.pem")}" >/dev/null
api "$KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"000016\",\"kek_label\":\"shared\",\"kek\":\"$ASKEK\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/ns16.pem")}" >/dev/null
expect_api "export: a label two peers share" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"kek_label\":\"shared\"}")" 409 conflict kek_label
expect_eq "refused exports are not audited" "$(psql -Atc "select count(*) from audit where action = 'lorawan_device.export'")" 2

# export encrypted to a manufacturing line's public key: CMS that openssl cms -decrypt opens
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=line-ec" -days 2 \
	-keyout "$T/line-ec.key" -out "$T/line-ec.pem" 2>/dev/null || fail "openssl req line-ec"
openssl req -x509 -newkey rsa:3072 -nodes -subj "/CN=line-rsa" -days 2 \
	-keyout "$T/line-rsa.key" -out "$T/line-rsa.pem" 2>/dev/null || fail "openssl req line-rsa"
openssl req -x509 -newkey rsa:1024 -nodes -subj "/CN=line-weak" -days 2 \
	-keyout "$T/line-weak.key" -out "$T/line-weak.pem" 2>/dev/null || fail "openssl req line-weak"
for line in ec rsa; do
	r=$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\",\"$D102\"],\"recipient_certificate_pem\":$(pem "$T/line-$line.pem")}")
	expect_api "export to $line: status" "$r" 200
	expect_eq "export to $line: items without keys" "$(jget "${r#* }" 'sorted((i["dev_eui"], i["mac_version"], "app_key" in i or "nwk_key" in i) for i in d["items"])')" \
		'[["0000000000000102", "1.0.2", false], ["0000000000000110", "1.1", false]]'
	jget "${r#* }" 'd["cms_pem"]' >"$T/export-$line.pem"
	clear=$(openssl cms -decrypt -inform PEM -in "$T/export-$line.pem" -inkey "$T/line-$line.key") ||
		fail "openssl cms -decrypt of the export to $line"
	expect_eq "export to $line: openssl decrypts the registered keys" \
		"$(jget "$clear" 'sorted((i["dev_eui"], i["join_eui"], i["mac_version"], i.get("nwk_key"), i["app_key"]) for i in d)')" \
		"[[\"0000000000000102\", \"$JOINEUI\", \"1.0.2\", null, \"$K102\"], [\"0000000000000110\", \"$JOINEUI\", \"1.1\", \"$N11\", \"$A11\"]]"
done
cms_print() { openssl cms -cmsout -print -inform PEM -in "$1"; }
cms_algs() { cms_print "$1" | grep -o -E 'algorithm: [A-Za-z0-9-]+|id-smime-ct-authEnvelopedData' | sort -u | tr '\n' ' '; }
expect_eq "export to EC: AuthEnvelopedData, AES-256-GCM, ECDH with the SHA-256 KDF" "$(cms_algs "$T/export-ec.pem")" \
	"algorithm: aes-256-gcm algorithm: dhSinglePass-stdDH-sha256kdf-scheme algorithm: id-ecPublicKey id-smime-ct-authEnvelopedData "
expect_eq "export to RSA: AES-256-GCM, RSA-OAEP" "$(cms_algs "$T/export-rsa.pem")" \
	"algorithm: aes-256-gcm algorithm: rsaesOaep id-smime-ct-authEnvelopedData "
expect_eq "export to RSA: OAEP with SHA-256" "$(cms_print "$T/export-rsa.pem" | grep -c ':sha256$')" 2
expect_eq "export to a key audited with the certificate's SHA-256" \
	"$(psql -Atc "select count(*), count(distinct details->>'recipient_sha256') from audit where action = 'lorawan_device.export' and details ? 'recipient_sha256'")" "4|2"
expect_eq "export audit: the EC line's certificate" \
	"$(psql -Atc "select count(*) from audit where action = 'lorawan_device.export' and details->>'recipient_sha256' = '$(openssl x509 -in "$T/line-ec.pem" -outform DER | sha256sum | cut -d' ' -f1)'")" 2
expect_api "export: an RSA key of 1024 bits" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"recipient_certificate_pem\":$(pem "$T/line-weak.pem")}")" 400 invalid_value recipient_certificate_pem
expect_api "export: a key, not a certificate" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"recipient_certificate_pem\":$(pem "$T/line-ec.key")}")" 400 invalid_value recipient_certificate_pem
expect_api "export: a KEK label and a certificate" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"kek_label\":\"ns-kek\",\"recipient_certificate_pem\":$(pem "$T/line-ec.pem")}")" 400 invalid_value recipient_certificate_pem
expect_api "export: neither" "$(api "$KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"]}")" 400 missing_field kek_label
expect_api "export to a key: operator" "$(api "$OP_KEY" POST /lorawan/devices:export "{\"devices\":[\"$D11\"],\"recipient_certificate_pem\":$(pem "$T/line-ec.pem")}")" 403 forbidden

# concurrent JoinReqs for one device through two instances: never the same JoinNonce
new_instance js2
start_instance MIDPKI_KEYSTORE_MASTER_KEY_FILE="$A_STATE/master.key"
B_LORAWAN=$LORAWAN_PORT
for n in $(seq 1000 1039); do
	joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 $n)" 1.0.2 >"$T/req$n"
done
curls=""
for n in $(seq 1000 1039); do
	port=$A_LORAWAN; [ $((n % 2)) = 1 ] && port=$B_LORAWAN
	curl -sS -H "Authorization: Bearer $TOKEN" --data-binary "@$T/req$n" "http://127.0.0.1:$port/" >"$T/ans$n" &
	curls="$curls $!"
done
wait $curls
nonces=$(for n in $(seq 1000 1039); do
	peer joinans $K102 - "$KEK" $JOINEUI 0000000000000102 $n $NETID <"$T/ans$n" |
		python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["join_nonce"] if v["result"] == "Success" and v["mic"] else "refused")'
done | sort -n)
expect_eq "40 concurrent joins: distinct JoinNonces 4..43" "$(echo "$nonces" | tr '\n' ' ')" "$(seq 4 43 | tr '\n' ' ')"
stop_instance

# the Join Server over TLS: a network server registered with auth mtls is known by
# the client certificate it presents (curl --cert); tokens work there too
new_instance js3
start_instance MIDPKI_KEYSTORE_MASTER_KEY_FILE="$A_STATE/master.key" MIDPKI_LORAWAN_TLS=true
TLS_TRUST=$I_STATE/trust.pem
r=$(api "$KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"000017\",\"kek_label\":\"ns17-kek\",\"kek\":\"$KEK\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/ns17.pem")}")
expect_api "register a network server by its certificate" "$r" 201
NS17=$(field "${r#* }" id)
# tls_js BODY [CERT]: POSTs over TLS, with the client certificate and key of CERT, prints "STATUS BODY"
tls_js() {
	local code
	code=$(curl -sS -o "$T/ans" -w '%{http_code}' --cacert "$TLS_TRUST" -H 'Content-Type: application/json' \
		${2:+--cert "$T/$2.pem" --key "$T/$2.key"} --data-binary "$1" "https://127.0.0.1:$LORAWAN_PORT/")
	echo "$code $(cat "$T/ans")"
}
ns17() { sed 's/"SenderID":"000013"/"SenderID":"000017"/'; }
r=$(tls_js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 2000)" 1.0.2 | ns17)" ns17)
expect_eq "mTLS: Success" "$(result "$r")" Success
v=$(echo "${r#* }" | peer joinans $K102 - "$KEK" $JOINEUI 0000000000000102 2000 000017)
expect_eq "mTLS: lora-packet checks the Join-accept and the keys" "$(jget "$v" '[d["mic"], d["keys_match"], d["net_id"]]')" '[true, true, "000017"]'
expect_eq "mTLS: the join is the certificate's peer's" \
	"$(psql -Atc "select peer_id from lorawan_joins where dev_nonce = 2000 and result = 'Success'")" "$NS17"
expect_refusal "mTLS: no certificate" \
	"$(tls_js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 2001)" 1.0.2 | ns17)")" UnknownSender
expect_refusal "mTLS: a certificate no peer has" \
	"$(tls_js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 2002)" 1.0.2 | ns17)" stranger)" UnknownSender
expect_refusal "mTLS: SenderID of another network server" \
	"$(tls_js "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 2003)" 1.0.2)" ns17)" UnknownSender
r=$(tls_js "$(homensreq 0000000000000102 | ns17)" ns17)
expect_eq "mTLS: HomeNSReq names the network server of that join" "$(jget "${r#* }" '[d["Result"]["ResultCode"], d["HNetID"]]')" '["Success", "000017"]'
expect_refusal "mTLS: another network server's certificate" "$(tls_js "$(homensreq 0000000000000102 | ns17)" ns16)" UnknownSender
r=$(curl -sS --cacert "$TLS_TRUST" -H "Authorization: Bearer $TOKEN" \
	--data-binary "$(joinreq 0000000000000102 "$(peer joinreq $K102 $JOINEUI 0000000000000102 2004)" 1.0.2)" "https://127.0.0.1:$LORAWAN_PORT/")
expect_eq "a bearer token over TLS" "$(jget "$r" 'd["Result"]["ResultCode"]')" Success
stop_instance
I_PID=$(echo "$MIDPKI_PIDS" | awk '{print $1}')
stop_instance

#!/bin/bash
# Benchmark of FDO owner onboarding: complete TO2 onboardings per second
# against the FDO listener of `midpki serve`, whose tenant is manufacturer and
# owner ([fdo] owner_key), so each device is ready to onboard when DI ends.
# DEVICES devices are made by DI first (`midpki fdo device di`, not timed);
# then PARALLEL workers each take their share of the devices, one onboarding
# at a time: TO1 (messages 30-33) and the whole of TO2 (60-71: the owner's
# proof and every voucher entry, attestation, ECDH256 and A128GCM, the
# credential replaced, ServiceInfo with an enrollment token), with the test
# device (`build/tests/fdo_device to1`, then `to2 ... onboard`); no EST.
# Prints figures; it is not a test and asserts nothing about speed.
#   tests/bench/fdo_to2.sh [DEVICES] [PARALLEL]   (defaults 200 8)
# Uses the optimized build in build/ (make build).
devices=${1:-200}
parallel=${2:-8}
export MIDPKI_FDO_MANUFACTURER_TENANT=bench
. "$(dirname "$0")/lib.sh" 10 1
MIDPKI=$PWD/build/cli/midpki
FDO_DEVICE=$PWD/build/tests/fdo_device
[ -x "$FDO_DEVICE" ] || { echo "bench: build first (make build)" >&2; exit 1; }
FDO="http://127.0.0.1:$FDO_PORT"
. tests/bench/fdo_lib.sh "$devices"
OWNER_KEY=$(post fdo/keys "{\"tenant\":\"$TENANT\",\"role\":\"owner\",\"algorithm\":\"ec-p256\"}" |
	json_id)
stop_instance >/dev/null
start_instance MIDPKI_DATABASE_URL="$MIDPKI_TEST_DATABASE_URL" MIDPKI_LOG_LEVEL=warn \
	MIDPKI_HTTP_WORKERS="${BENCH_WORKERS:-0}" MIDPKI_FDO_RENDEZVOUS_PORT="$FDO_PORT" \
	MIDPKI_FDO_OWNER_KEY="$OWNER_KEY" MIDPKI_FDO_OWNER_PORT="$FDO_PORT"

# worker K runs STEP for devices K, K+PARALLEL, ...
di() {
	"$MIDPKI" fdo device di --server "$FDO" --serial "$(printf 'FDO-%06d' "$1")" \
		--device-info charger --credential "$T/cred-$1" >/dev/null
}
onboard() {
	"$FDO_DEVICE" to1 "$T/cred-$1" "$FDO" ok >/dev/null &&
		"$FDO_DEVICE" to2 "$T/cred-$1" "$FDO" ECDH256 onboard >/dev/null
}
worker() {
	local i
	for ((i = $2; i < devices; i += parallel)); do
		"$1" "$i" || echo "$1 failed for device $i" >&2
	done
}
run() {
	local k pids=()
	for ((k = 0; k < parallel; k++)); do
		worker "$1" "$k" &
		pids+=($!)
	done
	wait "${pids[@]}"
}
run di
start=$(date +%s.%N)
run onboard
end=$(date +%s.%N)
done_n=$(psql -Atc "select count(*) from audit where action = 'fdo_voucher.replace'")
python3 -c 'import sys
n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2])
print("midpki FDO TO1+TO2, %s cores, %s devices, %s in parallel: %d onboardings in %.2f s,"
      " %.1f onboardings/s" % (sys.argv[4], sys.argv[5], sys.argv[6], n, t, n / t))' \
	"$done_n" "$start" "$end" "$(nproc)" "$devices" "$parallel"
stop_instance >/dev/null

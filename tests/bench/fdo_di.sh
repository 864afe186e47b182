#!/bin/bash
# Benchmark of FDO Device Initialize: complete DI runs per second against the
# FDO listener of `midpki serve`, each a fresh device process
# (`midpki fdo device di`: P-256 key and CSR, DI.AppStart with the attestation
# certificate issued and the voucher header built, DI.SetHMAC with the voucher
# stored). Prints figures; it is not a test and asserts nothing about speed.
#   tests/bench/fdo_di.sh [DEVICES] [PARALLEL]   (defaults 200 8)
# Uses the optimized build in build/ (make build).
devices=${1:-200}
parallel=${2:-8}
export MIDPKI_FDO_MANUFACTURER_TENANT=bench
. "$(dirname "$0")/lib.sh" 10 1
MIDPKI=$PWD/build/cli/midpki
[ -x "$MIDPKI" ] || { echo "bench: build first (make build)" >&2; exit 1; }
. tests/bench/fdo_lib.sh "$devices"

# worker K initializes devices K, K+PARALLEL, ...
worker() {
	local i
	for ((i = $1; i < devices; i += parallel)); do
		"$MIDPKI" fdo device di --server "http://127.0.0.1:$FDO_PORT" \
			--serial "$(printf 'FDO-%06d' "$i")" --device-info charger \
			--credential "$T/cred-$i" >/dev/null || echo "DI failed for device $i" >&2
	done
}
start=$(date +%s.%N)
pids=()
for ((k = 0; k < parallel; k++)); do
	worker "$k" &
	pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
done_n=$(psql -Atc "select count(*) from fdo_vouchers where origin = 'manufactured'")
python3 -c 'import sys
n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2])
print("midpki FDO DI, %s cores, %s devices, %s in parallel: %d vouchers in %.2f s, %.1f DI runs/s"
      % (sys.argv[4], sys.argv[5], sys.argv[6], n, t, n / t))' \
	"$done_n" "$start" "$end" "$(nproc)" "$devices" "$parallel"
stop_instance >/dev/null

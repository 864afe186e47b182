/* What the issuing benchmarks share: a device's CSR. */
#ifndef MP_BENCH_CSR_H
#define MP_BENCH_CSR_H

/* A P-256 CSR for CN=serial with a fresh key, as PEM in a new string; NULL on failure. */
char *bench_csr_pem(const char *serial);

#endif

/* midpki fdo device di: the FDO device side (docs/cli.md, docs/fdo.md). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "fdo_device.h"

static const char fdo_usage[] =
    "usage: midpki fdo device di --server URL --serial SERIAL --credential FILE\n"
    "                            [--device-info TEXT]\n"
    "\n"
    "  di                    FDO Device Initialize with the manufacturer at URL\n"
    "                        (http://host:port, its FDO listener): a new key and HMAC\n"
    "                        secret, the attestation certificate and the voucher made by\n"
    "                        the manufacturer; prints the device's GUID\n"
    "  --serial SERIAL       the serial number the manufacturer registered\n"
    "  --credential FILE     where the device credential goes (mode 0600)\n"
    "  --device-info TEXT    DeviceInfo of the voucher (default: the serial number)\n"
    "\n"
    "Exit codes: 0 done, 1 failure, 2 usage, 3 refused by the manufacturer.\n";

int
cmd_fdo(int argc, char **argv)
{
	const char *server = NULL, *serial = NULL, *cred = NULL, *info = NULL;
	char guid[37], err[512];
	int r;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(fdo_usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[0], "device") != 0 || strcmp(argv[1], "di") != 0) {
		fputs(fdo_usage, stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--server") == 0 ? &server :
		    strcmp(argv[i], "--serial") == 0 ? &serial :
		    strcmp(argv[i], "--credential") == 0 ? &cred :
		    strcmp(argv[i], "--device-info") == 0 ? &info : NULL;

		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "midpki: fdo device di: unknown option or missing value: %s\n%s",
			    argv[i], fdo_usage);
			return 2;
		}
		*dst = argv[++i];
	}
	if (server == NULL || serial == NULL || cred == NULL) {
		fprintf(stderr, "midpki: fdo device di needs --server, --serial and --credential\n%s",
		    fdo_usage);
		return 2;
	}
	if ((r = cli_fdo_di(server, serial, info != NULL ? info : serial, cred, guid, err,
	    sizeof(err))) != MP_OK) {
		fprintf(stderr, "midpki: fdo device di: %s\n", err);
		return r == MP_ERR_DENIED ? 3 : 1;
	}
	printf("%s\n", guid);
	return 0;
}

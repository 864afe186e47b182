/* The midpki command: dispatches to its subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "midpki_build.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: midpki <command> [options]\n"
	    "\n"
	    "commands:\n"
	    "  serve            run every enabled listener (see midpki serve --help)\n"
	    "  migrate          apply database migrations and exit\n"
	    "  audit verify     check the audit log's hash chain (audit head: print its head)\n"
	    "  admin ...        the admin API's client (see midpki admin --help)\n"
	    "  ocsp export      write an OCSP bundle for isolated networks (midpki ocsp --help)\n"
	    "  est ...          the EST client a device runs (see midpki est --help)\n"
	    "  fdo device di    FDO Device Initialize of a device (see midpki fdo --help)\n"
	    "  fdo device onboard\n"
	    "                   FDO onboarding (TO1, TO2) and EST enrollment of a device\n"
	    "  ssh ...          a device's SSH host certificate and KRL (midpki ssh --help)\n"
	    "  config defaults  print a configuration file with every key and its default\n"
	    "  version          print the version\n"
	    "  help             this text\n");
}

int
main(int argc, char **argv)
{
	/* a peer that closes early is an error to report, not a reason to die */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("midpki %s\n", MIDPKI_VERSION);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "config") == 0 && strcmp(argv[2], "defaults") == 0) {
		mp_config_write_defaults(stdout);
		return 0;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(argc - 2, argv + 2);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(argc - 2, argv + 2);
	if (strcmp(argv[1], "admin") == 0)
		return cmd_admin(argc - 2, argv + 2);
	if (strcmp(argv[1], "ocsp") == 0)
		return cmd_ocsp(argc - 2, argv + 2);
	if (strcmp(argv[1], "est") == 0)
		return cmd_est(argc - 2, argv + 2);
	if (strcmp(argv[1], "fdo") == 0)
		return cmd_fdo(argc - 2, argv + 2);
	if (strcmp(argv[1], "ssh") == 0)
		return cmd_ssh(argc - 2, argv + 2);
	fprintf(stderr, "midpki: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

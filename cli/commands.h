/* The midpki subcommands; each returns the process exit code. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_ocsp(int argc, char **argv);
int cmd_est(int argc, char **argv);
int cmd_fdo(int argc, char **argv);
int cmd_ssh(int argc, char **argv);

#endif

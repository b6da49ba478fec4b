/*
** commands.h: the subcommands main.c dispatches to, one file each in this
** folder. argc/argv start at the subcommand's name; each returns the exit
** status (cli.h).
*/
#ifndef SB_COMMANDS_H
#define SB_COMMANDS_H

int sb_cmd_params(int argc, char **argv);
int sb_cmd_bench(int argc, char **argv);
int sb_cmd_run(int argc, char **argv);
int sb_cmd_sweep(int argc, char **argv);
int sb_cmd_tasks(int argc, char **argv);
int sb_cmd_list(int argc, char **argv);
int sb_cmd_export(int argc, char **argv);
int sb_cmd_baseline(int argc, char **argv);
int sb_cmd_gate(int argc, char **argv);
int sb_cmd_report(int argc, char **argv);
int sb_cmd_compare(int argc, char **argv);
int sb_cmd_check(int argc, char **argv);
int sb_cmd_metrics(int argc, char **argv);
int sb_cmd_keys(int argc, char **argv);
int sb_cmd_export_hf(int argc, char **argv);
int sb_cmd_import_hf(int argc, char **argv);

#endif

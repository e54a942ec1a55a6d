/* The shell's parts: the command loop and system commands (main.c), the
 * file commands (files.c), fault injection (inject.c), what the machine's
 * counters count (counters.c), console input that survives restarts and ^C
 * (input.c). */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "task.h"
#include "file.h"

extern char cwd[FS_PATH_MAX + 1];

int parse_number(const char *s, uint64_t *v);
/* The absolute form of a path argument; prints the error and returns -1. */
int resolve(const char *cmd, const char *arg, char out[FS_PATH_MAX + 1]);
/* Write text to a file (echo's > and >>). */
int write_text(const char *path, const char *text, int append);

/* Console input (input.c): a raw read or an edited line, retried across a
 * console restart; bytes, or -E_INTERRUPTED on ^C, or -error. */
int64_t shell_read(int line, char *buf, uint64_t max);
/* Sleep ms; 1 if ^C ended it early. */
int sleep_interruptible(uint64_t ms, enum err *e);

/* What rdinstret and rdtime count here (counters.c): under QEMU -icount
 * one virtual clock (instructions, and the hart's sleep besides), without
 * it wall-clock time only, on hardware both instructions and time. */
#define COUNTS_INSTRUCTIONS 1    /* rdinstret counts retired instructions */
#define INSTRET_COUNTS_SLEEP 2   /* ... and the ns the hart sleeps (-icount) */
#define COUNTS_WALL_TIME 4       /* rdtime is wall-clock time, not instructions */
int counters(void);
const char *counters_name(void);        /* what rdtime measures, for a label */
const char *instructions_bound(void);   /* "at most " where sleep counts too */

int cmd_trace(int argc, char **argv);
int run_command(int argc, char **argv);   /* argv[0] the command's name */
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_cksum(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_mv(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_rmdir(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_df(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_cd(int argc, char **argv);
int cmd_pwd(int argc, char **argv);
int cmd_fsbench(int argc, char **argv);
int cmd_poke(int argc, char **argv);
int cmd_peek(int argc, char **argv);
int cmd_inject(int argc, char **argv);

#endif

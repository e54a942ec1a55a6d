/* The shell's parts: the command loop and system commands (main.c), the
 * file commands (files.c). */
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

#endif

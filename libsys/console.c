/* stdio for picolibc: stdout and stderr go to the kernel's debug console,
 * a line at a time (the console server replaces this in the user-level OS). */
#include <stdio.h>
#include "sys.h"

static char line[256];
static unsigned used;

static int console_flush(FILE *f)
{
	(void)f;
	if (used)
		sys_debug_write(line, used);
	used = 0;
	return 0;
}

static int console_put(char c, FILE *f)
{
	line[used++] = c;
	if (c == '\n' || used == sizeof line)
		console_flush(f);
	return (unsigned char)c;
}

static int console_get(FILE *f)
{
	(void)f;
	return EOF;
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, console_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

/* stdio for picolibc. A task given a console cap writes and reads through
 * the console server; the root task writes to the kernel's debug console.
 * Output goes out a line at a time. */
#include <stdio.h>
#include "task.h"

static char out[256], in[128];
static unsigned out_used, in_len, in_pos;

static int console_flush(FILE *f)
{
	(void)f;
	if (out_used && !(task.console && console_write(out, out_used) == E_OK) && task.system)
		sys_debug_write(task.system, out, out_used);   /* no console (any more): the kernel's */
	out_used = 0;
	return 0;
}

static int console_put(char c, FILE *f)
{
	out[out_used++] = c;
	if (c == '\n' || out_used == sizeof out)
		console_flush(f);
	return (unsigned char)c;
}

static int console_get(FILE *f)
{
	if (in_pos == in_len) {
		if (!task.console)
			return EOF;
		console_flush(f);   /* a prompt shows before we wait */
		int64_t n = console_read(in, sizeof in);
		if (n <= 0)
			return EOF;
		in_len = (unsigned)n;
		in_pos = 0;
	}
	return (unsigned char)in[in_pos++];
}

/* A line of input: what stdin has buffered first, then whole lines from
 * the console server. Returns its length (newline included), or -error. */
int64_t input_line(char *buf, uint64_t max)
{
	uint64_t n = 0;
	while (n < max && in_pos < in_len) {
		buf[n++] = in[in_pos++];
		if (buf[n - 1] == '\n' || buf[n - 1] == '\r')
			return (int64_t)n;
	}
	if (n == max || !task.console)
		return (int64_t)n;
	console_flush(stdout);
	int64_t got = console_read_line(buf + n, max - n);
	return got < 0 ? got : (int64_t)n + got;
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, console_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

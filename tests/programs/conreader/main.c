/* A second reader of the console, beside the shell: it waits for one
 * line and prints it back, or says that ^C interrupted it. The console
 * server must serve it without breaking the shell's reads. Exits 0 with a
 * line, 1 when interrupted, 2 on any other error. */
#include <stdio.h>
#include "task.h"

int main(uint64_t id)
{
	(void)id;
	char buf[128];
	printf("conreader: waiting\n");
	fflush(stdout);
	int64_t n = console_read_line(buf, sizeof buf - 1);
	if (n < 0) {
		printf("conreader: %s\n", err_name((uint64_t)-n));
		return n == -(int64_t)E_INTERRUPTED ? 1 : 2;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	printf("conreader: [%s]\n", buf);
	return 0;
}

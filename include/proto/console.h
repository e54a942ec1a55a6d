/* The console protocol, served by the UART driver. Bytes travel packed
 * eight to a message register after a length word. */
#ifndef PROTO_CONSOLE_H
#define PROTO_CONSOLE_H

enum console_label {
	CONSOLE_WRITE = 1,   /* mr0 length (<= CONSOLE_MAX), mr1.. bytes */
	CONSOLE_READ,        /* mr0 most bytes wanted -> mr0 length, mr1.. bytes;
	                        waits until at least one byte has come */
	CONSOLE_READ_LINE,   /* the same, but waits for a whole line: the bytes up
	                        to and including the first newline or carriage
	                        return (or mr0 bytes) */
};

#define CONSOLE_MAX ((MSG_MAX_WORDS - 1) * 8)

#endif

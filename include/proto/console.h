/* The console protocol, served by the console server (servers/console).
 * Bytes travel packed eight to a message register after a length word.
 *
 * Clients write, and read raw bytes or whole edited lines. Any number of
 * readers may wait (up to CONSOLE_READERS; more get E_IN_USE); they are
 * served in the order they came. ^C wakes every waiting reader with
 * E_INTERRUPTED and drops typed-ahead input; with nobody reading, the
 * console server sends SUP_INTERRUPT to the supervisor instead.
 *
 * The device side: the UART driver is a client of the console server,
 * never its server, so the console server never waits on the driver. The
 * driver attaches once per instance, lending a notification the server
 * signals when it has output or room for input again; then each
 * CONSOLE_DEV_XFER hands over the input the driver took from the device
 * and fetches output. Output counts as written only when the driver's
 * next XFER acknowledges it, so a driver that dies may repeat output but
 * never loses it; input handed over is the server's, and readers keep
 * waiting across a driver restart.
 *
 * A driver that was woken must XFER within CONSOLE_DEV_QUIET_MS, so one
 * holding output the device will not take yet XFERs at each heartbeat to
 * say so. An instance that stays away is reported to the supervisor as
 * hung (SUP_DEVICE_QUIET): it may still answer its heartbeats while it
 * serves nobody. Only the task the description names CONSOLE_DEVICE_TASK
 * may use the device side (mm tells the server the name behind a
 * caller's badge); anyone else gets E_NO_RIGHTS. */
#ifndef PROTO_CONSOLE_H
#define PROTO_CONSOLE_H

enum console_label {
	CONSOLE_WRITE = 1,   /* mr0 length (<= CONSOLE_MAX), mr1.. bytes; waits
	                        while the output buffer is full */
	CONSOLE_READ,        /* mr0 most bytes wanted -> mr0 length, mr1.. bytes;
	                        waits until at least one byte has come. Raw: no
	                        echo, no editing (^C still interrupts) */
	CONSOLE_READ_LINE,   /* the same, but a whole line edited by the console
	                        server: echoed, backspace (DEL or ^H) rubs out,
	                        other control bytes are ignored; the bytes up to
	                        and including the newline or carriage return that
	                        ended it (or mr0 bytes) */
	/* the device side, only from CONSOLE_DEVICE_TASK: */
	CONSOLE_DEV_ATTACH,  /* cap: a notification the server signals when it has
	                        output, or room for input refused before. A new
	                        driver instance attaches before its first XFER;
	                        output not acknowledged is sent again */
	CONSOLE_DEV_XFER,    /* mr0 output bytes of the last reply written to the
	                        device (<= its length), mr1 input length
	                        (<= CONSOLE_DEV_MAX), mr2.. input bytes
	                        -> mr0 input bytes taken (the driver keeps the
	                        rest for its next XFER), mr1 output length
	                        (<= CONSOLE_DEV_MAX), mr2.. the oldest output not
	                        yet acknowledged. Answered at once */
};

#define CONSOLE_MAX ((MSG_MAX_WORDS - 1) * 8)
#define CONSOLE_DEV_MAX ((MSG_MAX_WORDS - 2) * 8)
#define CONSOLE_READERS 8
#define CONSOLE_DEV_QUIET_MS 1000   /* five of the uart's heartbeat periods */
#define CONSOLE_DEVICE_TASK "uart"

#endif

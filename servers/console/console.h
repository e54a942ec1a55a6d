/* The console server: clients' output and input (include/proto/console.h),
 * apart from the UART driver, which is its client. main.c receives and
 * checks requests; input.c holds typed input, the line discipline and the
 * waiting readers; output.c holds output until the driver acknowledges it,
 * and writers waiting for room. */
#ifndef CONSOLE_CONSOLE_H
#define CONSOLE_CONSOLE_H

#include <string.h>
#include "task.h"
#include "../../include/proto/console.h"

/* Answer a saved reply cap with n words; the cap is used up either way.
 * Returns the error of the send (a caller that died meanwhile). */
enum err answer(cptr_t reply, enum err e, unsigned n, const uint64_t *words);
/* Save the caller's reply cap in a fresh slot, or 0. */
cptr_t save_caller(void);

/* input.c */
enum err input_read(uint64_t max, int line);   /* E_OK: answered or waits */
unsigned input_take(const uint8_t *bytes, unsigned n);
int input_room(void);

/* output.c */
int output_write(const uint8_t *bytes, unsigned n);   /* 0: it waits for room */
void output_echo(const char *bytes, unsigned n);
enum err output_ack(uint64_t n);
unsigned output_pending(uint8_t *bytes, unsigned max);
void output_reset(void);

/* main.c: tell the driver there is something for its next XFER */
void device_wake(void);

#endif

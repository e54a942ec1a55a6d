/* The hostile build's replies (hostile.c): 1 if this request gets one,
 * in *e, res and *nres, instead of going to the device. */
#include <stdint.h>
#include "../../include/abi/error.h"
int hostile_reply(uint64_t sector, uint64_t *res, unsigned *nres, enum err *e);

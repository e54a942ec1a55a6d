/* The list of IPC designs built in: one per entry of the Meson option
 * ipc_designs (each defines XFER_DESIGN_<name>). */
#include "xfer.h"

const struct xfer_design *const xfer_designs[] = {
#ifdef XFER_DESIGN_regs
	&xfer_regs,
#endif
#ifdef XFER_DESIGN_ring
	&xfer_ring,
#endif
#ifdef XFER_DESIGN_lease
	&xfer_lease,
#endif
#ifdef XFER_DESIGN_shared
	&xfer_shared,
#endif
	NULL,
};

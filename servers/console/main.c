/* The console server (include/proto/console.h): clients write and read;
 * the UART driver, also a client, brings typed input and takes output
 * (CONSOLE_DEV_*). It never calls the driver, so a driver that hangs or
 * dies cannot hold it up: the driver comes back, attaches and carries on
 * where the last acknowledged byte left off. */
#include "console.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define RECV_SLOT_NONE 0

static uint64_t device_badge;   /* the attached driver's client badge, 0: none */
static cptr_t device_ntfn;      /* signalled when there is work for it */
static uint64_t woken_at;       /* rdtime() of the first wake it has not come for, 0: none */
static unsigned woken_beats;    /* our heartbeats since then */
static cptr_t recv_slot;        /* where a cap sent to us lands */

enum err answer(cptr_t reply, enum err e, unsigned n, const uint64_t *words)
{
	for (unsigned i = MSG_REG_COUNT; i < n; i++)
		__ipcbuf->mr[i] = words[i];
	struct sysret r = n ? sys_send(reply, MSGINFO(e, 0, n), words[0], words[1], words[2], words[3])
			    : sys_send(reply, MSGINFO(e, 0, 0), 0, 0, 0, 0);
	cnode_delete(TSLOT_CNODE, reply);
	slot_free(reply);
	return (enum err)r.err;
}

cptr_t save_caller(void)
{
	cptr_t s = slot_alloc();
	if (s && INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, s) != E_OK) {
		slot_free(s);
		s = 0;
	}
	return s;
}

static void start_waiting(void)
{
	woken_at = rdtime() | 1;
	woken_beats = 0;
}

void device_wake(void)
{
	if (!device_ntfn)
		return;
	ntfn_signal(device_ntfn);
	if (!woken_at)
		start_waiting();
}

/* At each of our heartbeats: a driver woken CONSOLE_DEV_QUIET_MS ago
 * that has not come since is hung, though it may answer its heartbeats
 * (a fault that keeps it from attaching, or from calling at all). The
 * supervisor restarts it if that instance still runs. A few beats must
 * have passed too: a pause of the whole machine is not the driver's. */
static void device_watch(void)
{
	if (!woken_at || ++woken_beats < 3)
		return;
	uint64_t ms = (rdtime() - woken_at) * 1000 / libsys_timebase_hz;
	if (ms < CONSOLE_DEV_QUIET_MS)
		return;
	/* sent, not called: the supervisor never answers a task it supervises late */
	sys_send(task.supervisor, MSGINFO(SUP_DEVICE_QUIET, 0, 2), CLIENT_TASK_ID(device_badge), ms, 0, 0);
	start_waiting();   /* the next instance gets its own time */
}

/* Is the caller with this badge the task the description names the
 * console's device? mm knows the name behind every task id. */
static int is_device(uint64_t badge)
{
	uint64_t st[4];
	char name[16];
	if (mm_stat(CLIENT_TASK_ID(badge), st) != E_OK)
		return 0;
	unpack_name(&st[2], name);
	return strcmp(name, CONSOLE_DEVICE_TASK) == 0;
}

/* A new driver instance lends its notification; what the last one was
 * handed and did not acknowledge goes out again. */
static enum err attach(uint64_t badge, const struct sysret *r)
{
	if (MSGINFO_CAPS(r->info) != 1 || !is_device(badge))
		return E_NO_RIGHTS;
	if (device_ntfn) {
		cnode_delete(TSLOT_CNODE, device_ntfn);
		slot_free(device_ntfn);
	}
	device_ntfn = recv_slot;
	recv_slot = RECV_SLOT_NONE;
	device_badge = badge;
	woken_at = 0;
	output_reset();
	return E_OK;
}

/* Input in, acknowledged output out, and the next output handed over. */
static int xfer(uint64_t badge, const struct sysret *r, uint64_t *words, enum err *e)
{
	uint64_t in = r->mr[1], len = MSGINFO_LEN(r->info);
	if (!device_badge || badge != device_badge) {
		*e = E_NO_RIGHTS;
		return 0;
	}
	if (len < 2 || in > CONSOLE_DEV_MAX || 2 + (in + 7) / 8 > len || (*e = output_ack(r->mr[0]))) {
		*e = *e ? *e : E_INVALID_ARGUMENT;
		return 0;
	}
	woken_at = 0;
	uint64_t bytes[MSG_MAX_WORDS];
	bytes[0] = r->mr[2];
	bytes[1] = r->mr[3];
	for (unsigned i = MSG_REG_COUNT; i < len; i++)
		bytes[i - 2] = __ipcbuf->mr[i];
	words[0] = input_take((const uint8_t *)bytes, (unsigned)in);
	words[1] = output_pending((uint8_t *)&words[2], CONSOLE_DEV_MAX);
	return 2 + (int)(words[1] + 7) / 8;
}

static int client_write(const struct sysret *r, enum err *e)
{
	uint64_t len = r->mr[0], n = MSGINFO_LEN(r->info), words[MSG_MAX_WORDS];
	if (len > CONSOLE_MAX || (len + 7) / 8 + 1 > n) {
		*e = E_INVALID_ARGUMENT;
		return 0;
	}
	memcpy(&words[1], &r->mr[1], 3 * 8);
	for (unsigned i = MSG_REG_COUNT; i < n; i++)
		words[i] = __ipcbuf->mr[i];
	int done = output_write((const uint8_t *)&words[1], (unsigned)len);
	*e = done < 0 ? E_IN_USE : E_OK;
	return done == 0 ? -1 : 0;
}

/* Returns the number of reply words, or -1 if the reply is deferred. */
static int request(uint64_t badge, const struct sysret *r, uint64_t *words, enum err *e)
{
	*e = E_OK;
	switch (MSGINFO_LABEL(r->info)) {
	case CONSOLE_WRITE:
		return client_write(r, e);
	case CONSOLE_READ:
	case CONSOLE_READ_LINE:
		*e = input_read(r->mr[0], MSGINFO_LABEL(r->info) == CONSOLE_READ_LINE);
		return *e ? 0 : -1;
	case CONSOLE_DEV_ATTACH:
		*e = attach(badge, r);
		return 0;
	case CONSOLE_DEV_XFER:
		return xfer(badge, r, words, e);
	default:
		*e = E_INVALID_ARGUMENT;
		return 0;
	}
}

int main(uint64_t id)
{
	(void)id;
	uint64_t words[MSG_MAX_WORDS];
	for (;;) {
		if (!recv_slot)
			recv_slot = slot_alloc();
		__ipcbuf->recv_cnode = TSLOT_CNODE;
		__ipcbuf->recv_index = recv_slot;
		struct sysret r = sys_recv(TSLOT_SERVICE);
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION) {
			if (r.badge & SUP_HEARTBEAT_BADGE) {
				heartbeat_answer();
				device_watch();
			}
			continue;
		}
		enum err e;
		int n = request(r.badge, &r, words, &e);
		if (recv_slot && MSGINFO_CAPS(r.info))
			cnode_delete(TSLOT_CNODE, recv_slot);   /* a cap nobody asked for */
		if (n < 0)
			continue;
		for (int i = MSG_REG_COUNT; i < n; i++)
			__ipcbuf->mr[i] = words[i];
		sys_reply(MSGINFO(e, 0, n), words[0], words[1], words[2], words[3]);
	}
}

/* The block protocol, served by drivers/virtio-blk. Data never travels in
 * messages: the client names a physical address of its own DMA buffer
 * (from MM_DMA_ALLOC) and the device reads or writes it directly.
 * Sectors are 512 bytes. */
#ifndef PROTO_BLK_H
#define PROTO_BLK_H

enum blk_label {
	BLK_INFO = 1,    /* -> mr0 capacity in sectors, mr1 flags (BLK_READ_ONLY) */
	BLK_READ,        /* mr0 sector, mr1 count (1..BLK_MAX_SECTORS), mr2 paddr */
	BLK_WRITE,       /* the same, memory to disk */
	BLK_FLUSH,       /* every write answered before is on the disk */
};

#define BLK_SECTOR 512
#define BLK_MAX_SECTORS 128       /* 64 KiB a request */
#define BLK_READ_ONLY 1
/* Replies to READ, WRITE and FLUSH carry no words. Errors: E_RANGE past
 * the end, E_IO if the device says so, E_TIMEOUT if it did not answer in
 * 5 s, twice (the driver resets the device after the first deadline and
 * submits the request again), E_NOT_FOUND if there is no disk (or a reset
 * failed), E_NO_RIGHTS for a write to a read-only disk, E_IN_USE only when
 * every slot and every place in the driver's wait list is taken (a request
 * that finds the slots full waits there and is answered later). A client
 * treats any other answer as a driver failure (SUP_REPORT). */

#endif

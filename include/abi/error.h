/* Error codes: the one enum every syscall, invocation and protocol reply uses.
 * The kernel returns these in a0; servers put them in the reply label. */
#ifndef ABI_ERROR_H
#define ABI_ERROR_H

enum err {
	E_OK = 0,
	E_INVALID_ARGUMENT,   /* an argument is outside what the call accepts */
	E_INVALID_CAPABILITY, /* the capability is of the wrong type for this use */
	E_EMPTY_SLOT,         /* the named slot holds no capability */
	E_RANGE,              /* index, slot or size out of range */
	E_ALIGNMENT,          /* address or size not aligned as required */
	E_FAILED_LOOKUP,      /* cptr does not resolve (guard or depth mismatch) */
	E_NO_RIGHTS,          /* the capability lacks a right the operation needs */
	E_DELETE_FIRST,       /* destination slot is not empty */
	E_REVOKE_FIRST,       /* object still has derived capabilities */
	E_NOT_ENOUGH_MEMORY,  /* untyped region has too little room left */
	E_ILLEGAL_OPERATION,  /* operation not allowed on this object or state */
	E_BAD_ADDRESS,        /* user pointer unmapped, kernel or not user-accessible */
	E_PRIORITY,           /* priority above the caller's maximum controlled priority */
	E_OBJECT_DELETED,     /* the object a thread was blocked on was deleted */
	E_WOULD_BLOCK,        /* a non-blocking call found nobody to talk to */
	E_IN_USE,             /* frame or table already mapped, IRQ already claimed */
	E_NO_MAPPING,         /* nothing mapped there, or a page table is missing */
	E_NOT_FOUND,          /* name or entry does not exist (servers) */
	E_TIMEOUT,            /* a deadline passed (servers) */
	E_IO,                 /* a device reported an error (servers) */
	E_NOT_DIRECTORY,      /* a path component is not a directory */
	E_IS_DIRECTORY,       /* a file operation named a directory */
	E_NOT_EMPTY,          /* the directory is not empty */
	E_NO_SPACE,           /* no free blocks or inodes */
	E_READ_ONLY,          /* the file system is mounted read-only */
	E_NAME_TOO_LONG,      /* a name longer than 255 bytes, or a path too long */
	E_EXISTS,             /* the name is taken */
	E_CORRUPT,            /* on-disk data failed a check */
	E_INTERRUPTED,        /* the user pressed ^C (console, servers) */
	E_RESTARTED,          /* the server died with the request in hand; its next
	                         generation runs: ask again (servers) */
	E_DOWN,               /* the service is left dead by the supervisor (servers) */
	E_TOO_MANY,           /* a per-client limit is reached: open files (servers) */
	E_COUNT
};

/* Printable names, indexed by enum err; defined once in libsys and the kernel. */
#define ERROR_NAMES                                                          \
	"ok", "invalid argument", "invalid capability", "empty slot", "range", \
	"alignment", "failed lookup", "no rights", "delete first",          \
	"revoke first", "not enough memory", "illegal operation",           \
	"bad address", "priority", "object deleted", "would block", "in use", \
	"no mapping", "no such file", "timeout", "i/o error", "not a directory", \
	"is a directory", "directory not empty", "no space", "read-only", "name too long", \
	"already exists", "corrupt file system", "interrupted", \
	"server restarted", "service down", "too many open files"

#endif

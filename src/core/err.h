/* Error codes shared by every module. Append-only: never renumber. */
#ifndef FK_CORE_ERR_H
#define FK_CORE_ERR_H

#define FK_MUST_CHECK __attribute__((warn_unused_result))

enum fk_err {
    FK_OK = 0,
    FK_ERR_NOMEM = 1,      /* allocation failed */
    FK_ERR_INVALID = 2,    /* input failed validation */
    FK_ERR_NOT_FOUND = 3,  /* no such record */
    FK_ERR_CONFLICT = 4,   /* unique constraint or state conflict */
    FK_ERR_IO = 5,         /* file or socket error */
    FK_ERR_DB = 6,         /* the store failed */
    FK_ERR_CRYPTO = 7,     /* a cryptographic operation failed */
    FK_ERR_AUTH = 8,       /* not authenticated */
    FK_ERR_FORBIDDEN = 9,  /* authenticated but not allowed */
    FK_ERR_TOO_LARGE = 10, /* input exceeds a configured cap */
    FK_ERR_LOCKED = 11,    /* account locked */
    FK_ERR_INTERNAL = 12,  /* a bug: an invariant did not hold */
    FK_ERR_BUSY = 13,      /* try again later */
    FK_ERR_DONE = 14,      /* iteration finished (not an error) */
};

/* Returns a static English name of the error ("invalid", "not_found", ...):
 * static storage, never freed. */
const char *fk_err_name(enum fk_err err);

#endif

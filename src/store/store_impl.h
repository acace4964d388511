/* Internal to src/store: the backend vtable. */
#ifndef FK_STORE_IMPL_H
#define FK_STORE_IMPL_H

#include <pthread.h>
#include "store/store.h"

struct fk_store_ops {
    enum fk_err (*connect)(struct fk_store *store, struct fk_conn **out);
    void (*disconnect)(struct fk_conn *conn);
    enum fk_err (*exec)(struct fk_conn *conn, const char *sql);
    enum fk_err (*prepare)(struct fk_conn *conn, const char *sql, struct fk_stmt **out);
    enum fk_err (*bind_text)(struct fk_stmt *stmt, int idx, const char *text);
    enum fk_err (*bind_int64)(struct fk_stmt *stmt, int idx, int64_t value);
    enum fk_err (*bind_null)(struct fk_stmt *stmt, int idx);
    enum fk_err (*step)(struct fk_stmt *stmt);
    const char *(*text)(struct fk_stmt *stmt, int col);
    int64_t (*int64)(struct fk_stmt *stmt, int col);
    int (*is_null)(struct fk_stmt *stmt, int col);
    void (*reset)(struct fk_stmt *stmt);
    void (*free)(struct fk_stmt *stmt);
    const char *(*errmsg)(struct fk_conn *conn);
    const char *begin_sql;
    /* fk_db_lock: take a transaction-scoped lock on (ns, key). */
    enum fk_err (*lock)(struct fk_conn *conn, int32_t ns, int32_t key);
    /* Background maintenance (fk_store_background_start); NULL when none. */
    enum fk_err (*bg_start)(struct fk_store *store);
    void (*bg_stop)(struct fk_store *store);
};

struct fk_store {
    enum fk_store_kind kind;
    char *url;
    const struct fk_store_ops *ops;
    unsigned long id;       /* distinguishes stores in thread-local slots */
    pthread_mutex_t lock;   /* guards `conns` */
    pthread_mutex_t writer; /* SQLite: one writing connection at a time (sqlite.c) */
    struct fk_conn *conns;  /* every open connection, for fk_store_close */
    void *bg;               /* the backend's background state, or NULL (sqlite.c) */
    /* Group commit (fk_db_write_shared): writes queued while a leader runs. */
    pthread_mutex_t group_lock;
    pthread_cond_t group_done;
    struct fk_group_node *group_head, *group_tail;
    int group_leader; /* 1 while a thread runs a batch */
};

/* Every backend's connection starts with this. */
struct fk_conn {
    struct fk_store *store;
    struct fk_conn *next; /* in store->conns */
};

/* Every backend's statement starts with this. */
struct fk_stmt {
    struct fk_conn *conn;
};

extern const struct fk_store_ops fk_sqlite_ops;
extern const struct fk_store_ops fk_pg_ops;

#endif

/* Embedded migration files (generated from sql/ by cmake/embed_files.cmake). */
#ifndef FK_STORE_MIGRATIONS_H
#define FK_STORE_MIGRATIONS_H

struct fk_migration_file {
    const char *name; /* e.g. "0001_foundation.sql", "0001_foundation.pg.sql" */
    const char *sql;
};

/* Terminated by {NULL, NULL}; sorted by name. */
extern const struct fk_migration_file fk_migration_files[];

#endif

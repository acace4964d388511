/* For handlers that run a background job on an uploaded file (the person
 * import here, the venue import in src/venues): who asked, and the file. */
#ifndef FK_IMPORTS_UPLOAD_H
#define FK_IMPORTS_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

struct fk_app;
struct fk_req;

/* The first member of a job's own struct: filled by fk_upload_job_start. */
struct fk_upload_job {
    struct fk_app *app; /* borrowed: outlives every job (jobs drain at stop) */
    int64_t job_id;
    int64_t user_id;
    char username[64];
    char prefix[19];
    char region[19];
    char ip[64];
    char *body;      /* the whole request body; the job owns and frees it */
    size_t off, len; /* the file inside body */
};

/* Starts job `kind` (static) on the file uploaded with `req`: checks the
 * upload (fk_import_upload_or_reply), creates the job row for the caller,
 * fills `head` (the first member of `job`, which the caller allocated
 * zeroed), takes the request body into head->body and runs run(job) on a job
 * thread, which owns `job` from then on. Replies 202 {"job_id"} and returns
 * 0; on any failure replies the error, leaves head->body NULL and returns -1:
 * the caller still owns (and frees) `job`. */
int fk_upload_job_start(struct fk_req *req, const char *kind, struct fk_upload_job *head,
                        void (*run)(void *job), void *job);

#endif

/* libFuzzer: the JSON request layer. Bytes are a request body; the same steps
 * the server takes (parse, then the field helpers with their caps) must never
 * crash, leak or accept a value the helper should refuse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/http.h"
#include "regions/regions.h"

static void check_reply(struct fk_req *req, int rc)
{
    if (rc != 0) {
        /* A refusal always produced a reply with a 4xx status. */
        if (req->response == NULL || req->status < 400 || req->status >= 500)
            abort();
        MHD_destroy_response(req->response);
        req->response = NULL;
        req->status = 0;
    } else if (req->response != NULL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    struct fk_req req;
    memset(&req, 0, sizeof(req));
    req.path = "/fuzz";
    json_error_t jerr;
    req.json = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (req.json == NULL || !json_is_object(req.json)) {
        json_decref(req.json);
        return 0;
    }
    static const char *const names[] = {"username", "password", "region", "name", "at", "code"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *text = NULL;
        int rc = fk_json_str_or_reply(&req, names[i], (int)(i % 2), 64, &text);
        check_reply(&req, rc);
        if (rc == 0 && text != NULL) {
            if (strlen(text) > 64)
                abort();
            int64_t t;
            (void)!fk_time_parse(text, &t);
            char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
            const char *reason;
            if (fk_region_normalize(text, code, prefix, &reason) == FK_OK &&
                strncmp(code, prefix, strlen(prefix)) != 0)
                abort();
        }
        int present = 0, flag = 0;
        int64_t number = 0;
        rc = fk_json_int_or_reply(&req, names[i], 0, -5, 5, &present, &number);
        check_reply(&req, rc);
        if (rc == 0 && present && (number < -5 || number > 5))
            abort();
        rc = fk_json_bool_or_reply(&req, names[i], &present, &flag);
        check_reply(&req, rc);
    }
    json_decref(req.json);
    return 0;
}

/* Static files of the web UI (web/dist): hashed assets are cached for a year,
 * index.html never; unknown paths without an extension fall back to
 * index.html so that the single-page app's routes survive a reload. */
#include "http/internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
    {".wasm", "application/wasm"},
};

static const char *mime_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot != NULL)
        for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
            if (strcmp(dot, mime_types[i].ext) == 0)
                return mime_types[i].type;
    return "application/octet-stream";
}

/* Only plain relative paths: segments of [A-Za-z0-9._-], no "..", no empty. */
static int safe_path(const char *path)
{
    if (path[0] != '/' || strlen(path) > 512)
        return 0;
    for (const char *p = path + 1; *p != '\0'; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == '/';
        if (!ok)
            return 0;
        if (ch == '.' && (p[-1] == '/' || p[-1] == '.'))
            return 0; /* no dot-files, no ".." */
        if (ch == '/' && p[-1] == '/')
            return 0;
    }
    return 1;
}

static int serve_file(struct fk_req *req, const char *file, const char *rel, int immutable)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    struct MHD_Response *response = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (response == NULL) {
        close(fd);
        return 0;
    }
    MHD_add_response_header(response, "Content-Type", mime_for(rel));
    MHD_add_response_header(response, "Cache-Control",
                            immutable ? "public, max-age=31536000, immutable" : "no-cache");
    req->status = 200;
    req->response = response;
    return 1;
}

int fk_static_serve(struct fk_req *req)
{
    const char *root = req->app->cfg.web;
    if (root[0] == '\0' || !safe_path(req->path))
        return 0;
    char file[1600];
    const char *rel = req->path;
    if (strcmp(rel, "/") != 0) {
        snprintf(file, sizeof(file), "%s%s", root, rel);
        if (serve_file(req, file, rel, strncmp(rel, "/assets/", 8) == 0))
            return 1;
        /* A missing file with an extension is a real 404. */
        const char *slash = strrchr(rel, '/');
        if (strchr(slash, '.') != NULL)
            return 0;
    }
    snprintf(file, sizeof(file), "%s/index.html", root);
    return serve_file(req, file, "/index.html", 0);
}

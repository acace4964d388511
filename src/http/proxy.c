/* The client address behind trusted reverse proxies (load balancers). */
#include "http/http.h"
#include "http/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

/* Whether `text` (len bytes) is a literal IPv4 or IPv6 address; its
 * canonical form in out. */
static int literal_ip(const char *text, size_t len, char *out, size_t out_size)
{
    char copy[INET6_ADDRSTRLEN];
    unsigned char bin[sizeof(struct in6_addr)];
    if (len == 0 || len >= sizeof(copy))
        return 0;
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (inet_pton(AF_INET, copy, bin) == 1)
        return inet_ntop(AF_INET, bin, out, (socklen_t)out_size) != NULL;
    if (inet_pton(AF_INET6, copy, bin) == 1)
        return inet_ntop(AF_INET6, bin, out, (socklen_t)out_size) != NULL;
    return 0;
}

int fk_trusted_listed(const char *list, const char *ip)
{
    const char *p = list;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end != '\0' && *end != ',' && *end != ' ')
            end++;
        char canon[INET6_ADDRSTRLEN];
        if (end > p && literal_ip(p, (size_t)(end - p), canon, sizeof(canon)) &&
            strcmp(canon, ip) == 0)
            return 1;
        p = end;
    }
    return 0;
}

void fk_forwarded_client(const char *peer, const char *forwarded_for, const char *trusted,
                         char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", peer);
    if (trusted == NULL || trusted[0] == '\0' || forwarded_for == NULL ||
        !fk_trusted_listed(trusted, peer))
        return;
    /* X-Forwarded-For: client, proxy1, proxy2 — each proxy appends the
     * address it saw. Walk from the right past our own proxies; the first
     * address they did not add themselves is the client. A malformed entry
     * stops the walk (the last trusted hop stays the answer). */
    size_t len = strnlen(forwarded_for, 4096);
    while (len > 0) {
        size_t start = len;
        while (start > 0 && forwarded_for[start - 1] != ',')
            start--;
        size_t a = start, b = len;
        while (a < b && (forwarded_for[a] == ' ' || forwarded_for[a] == '\t'))
            a++;
        while (b > a && (forwarded_for[b - 1] == ' ' || forwarded_for[b - 1] == '\t'))
            b--;
        char canon[INET6_ADDRSTRLEN];
        if (!literal_ip(forwarded_for + a, b - a, canon, sizeof(canon)))
            return;
        snprintf(out, out_size, "%s", canon);
        if (!fk_trusted_listed(trusted, canon))
            return;
        len = start > 0 ? start - 1 : 0;
    }
}

int fk_forwarded_https(const char *peer, const char *forwarded_proto, const char *trusted)
{
    if (trusted == NULL || trusted[0] == '\0' || forwarded_proto == NULL ||
        !fk_trusted_listed(trusted, peer))
        return 0;
    /* "https" or "https, http": the first value is what the client-facing
     * proxy saw. */
    const char *p = forwarded_proto;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (p[n] != '\0' && p[n] != ',' && p[n] != ' ' && p[n] != '\t')
        n++;
    return n == 5 && strncasecmp(p, "https", 5) == 0;
}

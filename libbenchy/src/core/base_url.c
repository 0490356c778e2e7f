/* base_url.c — see base_url.h. */
#include "base_url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SHOWN_MAX 160

/* The URL as it may appear in a message: user:password@ masked, since
 * messages reach stderr and logs, and long URLs cut short. */
static void shown_url(const char *url, char out[SHOWN_MAX]) {
  const char *authority = strstr(url, "://");
  authority = authority ? authority + 3 : NULL;
  size_t alen = authority ? strcspn(authority, "/?#") : 0;
  const char *at = NULL;
  for (size_t i = 0; i < alen; i++)
    if (authority[i] == '@') at = authority + i;
  int n = at ? snprintf(out, SHOWN_MAX, "%.*s***%s", (int)(authority - url), url, at)
             : snprintf(out, SHOWN_MAX, "%s", url);
  if (n >= SHOWN_MAX) memcpy(out + SHOWN_MAX - 4, "...", 4);
}

static int fail(char *err, size_t errlen, const char *url, const char *problem, const char *detail) {
  char shown[SHOWN_MAX];
  shown_url(url, shown);
  benchy_set_error(err, errlen, "base URL '%s' %s%s; a valid one looks like " BASE_URL_EXAMPLE
                   " (http:// or https://, the host, an optional port, the API prefix)",
                   shown, problem, detail ? detail : "");
  return 0;
}

static int scheme_char(char c) { return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.'; }

static int check_port(const char *url, const char *port, size_t plen, char *err, size_t errlen) {
  char detail[96];
  if (!plen) return fail(err, errlen, url, "has a ':' after the host but no port number", NULL);
  if (strspn(port, "0123456789") < plen) {
    snprintf(detail, sizeof detail, "'%.*s' is not a number", (int)(plen < 16 ? plen : 16), port);
    return fail(err, errlen, url, "has a port that is not a number: ", detail);
  }
  unsigned long value = 0;
  for (size_t i = 0; i < plen && value <= 65535; i++) value = value * 10 + (unsigned long)(port[i] - '0');
  if (value < 1 || value > 65535) {
    snprintf(detail, sizeof detail, "%.*s (a port is 1-65535)", (int)(plen < 16 ? plen : 16), port);
    return fail(err, errlen, url, "has a port out of range: ", detail);
  }
  return 1;
}

int base_url_check(const char *url, char *err, size_t errlen) {
  if (!url || !*url) {
    benchy_set_error(err, errlen, "the base URL is empty; give the server's address with its API prefix, "
                                  "e.g. " BASE_URL_EXAMPLE);
    return 0;
  }
  const char *sep = strstr(url, "://");
  size_t slen = sep ? (size_t)(sep - url) : 0;
  int scheme_ok = sep && slen > 0 && isalpha((unsigned char)url[0]);
  for (size_t i = 0; scheme_ok && i < slen; i++) scheme_ok = scheme_char(url[i]);
  if (!scheme_ok) {
    /* "localhost:8080/v1": most likely the scheme was left out. */
    char detail[SHOWN_MAX + 40] = "";
    if (!strpbrk(url, " \t\r\n") && strlen(url) < SHOWN_MAX)
      snprintf(detail, sizeof detail, " (did you mean http://%s ?)", url);
    return fail(err, errlen, url, "has no scheme: it must start with http:// or https://", detail);
  }
  for (const char *p = url; *p; p++) {
    if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
      char detail[64];
      snprintf(detail, sizeof detail, "at byte %zu (encode a space in a path as %%20)", (size_t)(p - url));
      return fail(err, errlen, url, "contains whitespace or a control character ", detail);
    }
  }
  if (!(slen == 4 && !strncmp(url, "http", 4)) && !(slen == 5 && !strncmp(url, "https", 5))) {
    char detail[64];
    int lower = (slen == 4 && !strncasecmp(url, "http", 4)) || (slen == 5 && !strncasecmp(url, "https", 5));
    snprintf(detail, sizeof detail, "'%.*s'%s", (int)(slen < 16 ? slen : 16), url,
             lower ? " (write it in lower case)" : ": benchy speaks http:// and https:// only");
    return fail(err, errlen, url, "has an unsupported scheme ", detail);
  }
  if (strpbrk(url, "?#"))
    return fail(err, errlen, url,
                "has a query ('?') or fragment ('#'): request paths such as /chat/completions are "
                "appended to it, so it must end with the path",
                NULL);
  const char *authority = sep + 3;
  size_t alen = strcspn(authority, "/");
  /* user:password@host: the credentials are libcurl's business. */
  const char *host = authority;
  for (size_t i = 0; i < alen; i++)
    if (authority[i] == '@') host = authority + i + 1;
  size_t hlen = (size_t)(authority + alen - host);
  if (!hlen) return fail(err, errlen, url, "has no host", NULL);
  if (host[0] == '[') {
    const char *close = memchr(host, ']', hlen);
    if (!close) return fail(err, errlen, url, "opens an IPv6 address with '[' but never closes it with ']'", NULL);
    if (close == host + 1) return fail(err, errlen, url, "has no host", NULL);
    const char *after = close + 1, *end = host + hlen;
    if (after == end) return 1;
    if (*after != ':') return fail(err, errlen, url, "has something other than ':PORT' after the IPv6 address", NULL);
    return check_port(url, after + 1, (size_t)(end - after - 1), err, errlen);
  }
  const char *colon = memchr(host, ':', hlen);
  if (!colon) return 1;
  if (memchr(colon + 1, ':', (size_t)(host + hlen - colon - 1)))
    return fail(err, errlen, url, "has several ':' in its host: write an IPv6 address in brackets, ",
                "e.g. http://[::1]:8090/v1");
  if (colon == host) return fail(err, errlen, url, "has no host", NULL);
  return check_port(url, colon + 1, (size_t)(host + hlen - colon - 1), err, errlen);
}

/* proxy.c — see proxy.h. */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Parses an address into 16 bytes; returns its bit length (32 or 128), or 0
 * for a name. */
static int parse_address(const char *text, size_t len, unsigned char out[16]) {
  char buf[64];
  if (len >= sizeof buf) return 0;
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (inet_pton(AF_INET, buf, out) == 1) return 32;
  if (inet_pton(AF_INET6, buf, out) == 1) return 128;
  return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits) {
  int whole = bits / 8, rest = bits % 8;
  if (memcmp(a, b, (size_t)whole)) return 0;
  if (!rest) return 1;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

static int token_exempts(const char *host, size_t host_len, int host_bits, const unsigned char *host_addr,
                         const char *tok, size_t tok_len) {
  if (host_bits) {
    const char *slash = memchr(tok, '/', tok_len);
    size_t addr_len = slash ? (size_t)(slash - tok) : tok_len;
    unsigned char net[16];
    int net_bits = parse_address(tok, addr_len, net);
    if (net_bits != host_bits) return 0;
    int bits = net_bits;
    if (slash) {
      char *end = NULL;
      char num[8] = {0};
      size_t n = tok_len - addr_len - 1;
      if (!n || n >= sizeof num) return 0;
      memcpy(num, slash + 1, n);
      long v = strtol(num, &end, 10);
      if (*end || v < 0 || v > net_bits) return 0;
      bits = (int)v;
    }
    return prefix_equal(host_addr, net, bits);
  }
  if (tok[0] == '.') {
    tok++;
    tok_len--;
  }
  if (!tok_len || tok_len > host_len) return 0;
  const char *tail = host + host_len - tok_len;
  if (strncasecmp(tail, tok, tok_len)) return 0;
  return tok_len == host_len || tail[-1] == '.';
}

int proxy_host_exempt(const char *host, const char *list) {
  if (!list) return 0;
  size_t host_len = strlen(host);
  /* "example.com." is the same host as "example.com". */
  if (host_len > 1 && host[host_len - 1] == '.') host_len--;
  if (!strcmp(list, "*")) return 1;
  unsigned char addr[16];
  int bits = parse_address(host, host_len, addr);
  const char *p = list;
  while (*p) {
    p += strspn(p, ", ");
    size_t len = strcspn(p, ", ");
    if (len && token_exempts(host, host_len, bits, addr, p, len)) return 1;
    p += len;
  }
  return 0;
}

int proxy_applies_http(const char *host) {
  /* curl reads only the lower-case http_proxy: in a CGI program,
   * HTTP_PROXY is whatever a client sent as a "Proxy:" header. */
  if (!env_nonempty("http_proxy") && !env_nonempty("all_proxy") && !env_nonempty("ALL_PROXY")) return 0;
  const char *exempt = env_nonempty("no_proxy");
  if (!exempt) exempt = env_nonempty("NO_PROXY");
  return !proxy_host_exempt(host, exempt);
}

/*
 * proxy.h — whether libcurl would send an http:// request through a proxy
 * named in the environment.
 *
 * h1.c speaks to the server directly. A user whose environment names a
 * proxy for the server expects the proxy to carry the request, as curl and
 * every Python client do; so such a session goes through libcurl instead,
 * and its records say rx_clock "read". The rules are curl's own, so the
 * two transports agree on who gets proxied.
 */
#ifndef BENCHY_CORE_PROXY_H
#define BENCHY_CORE_PROXY_H

#include "../util.h"

/* 1 when http_proxy, all_proxy or ALL_PROXY is set and no_proxy/NO_PROXY
 * does not exempt `host` (a name or an address, IPv6 without brackets). */
BENCHY_INTERNAL int proxy_applies_http(const char *host);

/* The no_proxy match on its own: 1 when `list` exempts `host`. Tokens are
 * separated by commas or spaces; "*" alone exempts everything; a name
 * matches itself and its subdomains (a leading '.' is ignored); an address
 * matches itself, or a network written in CIDR ("10.0.0.0/8", "fd00::/8"). */
BENCHY_INTERNAL int proxy_host_exempt(const char *host, const char *list);

#endif

/*
 * base_url.h — is a session's base URL one that benchy can send requests
 * to, and if not, what exactly is wrong with it.
 *
 * Both transports (h1.c, libcurl) would reject a bad URL only when the first
 * request fails, with a message about a connection; checking when the session
 * is created lets the caller name the mistake before anything is sent.
 */
#ifndef BENCHY_CORE_BASE_URL_H
#define BENCHY_CORE_BASE_URL_H

#include <stddef.h>

#include "../util.h"

/* What a valid base URL looks like, for messages. */
#define BASE_URL_EXAMPLE "http://127.0.0.1:8090/v1"

/* 1 when base_url is http:// or https://, has a host, a port (when given)
 * of 1-65535, no whitespace, query or fragment. Otherwise 0, and err (when
 * given) says what is wrong and what a valid URL looks like. Credentials in
 * the URL (user:password@) are never copied into err. */
BENCHY_INTERNAL int base_url_check(const char *base_url, char *err, size_t errlen);

#endif

/*
 * test_proxy.c — the no_proxy rules that decide whether a session's
 * requests go through a proxy from the environment (core/proxy.h). They
 * are curl's, so that h1 and libcurl never disagree on who is proxied; the
 * session-level behaviour is in test_session (test_proxy_from_environment).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core/proxy.h"

typedef struct exempt_case {
  const char *host;
  const char *list;
  int exempt;
} exempt_case;

static void check_cases(const exempt_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (proxy_host_exempt(cases[i].host, cases[i].list) != cases[i].exempt)
      fail_msg("host '%s', no_proxy '%s': want %s", cases[i].host, cases[i].list,
               cases[i].exempt ? "exempt" : "proxied");
}

static void test_names(void **state) {
  (void)state;
  static const exempt_case cases[] = {
      {"example.com", NULL, 0},
      {"example.com", "", 0},
      {"example.com", "*", 1},
      {"example.com", "example.com", 1},
      {"EXAMPLE.com", "example.COM", 1},
      {"www.example.com", "example.com", 1}, /* a domain holds its subdomains */
      {"www.example.com", ".example.com", 1},
      {"example.com", ".example.com", 1},     /* the leading dot is ignored */
      {"notexample.com", "example.com", 0},   /* but a label is whole */
      {"example.com", "www.example.com", 0},
      {"example.com.", "example.com", 1},     /* the root dot changes nothing */
      {"gpu-box", "localhost, gpu-box", 1},
      {"gpu-box", "localhost,,gpu-box ", 1},
      {"gpu-box", "localhost gpu-box", 1},
      {"gpu-box", "*.gpu-box", 0},            /* "*" is a wildcard only alone */
  };
  check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_addresses(void **state) {
  (void)state;
  static const exempt_case cases[] = {
      {"127.0.0.1", "127.0.0.1", 1},
      {"127.0.0.1", "127.0.0.2", 0},
      {"127.0.0.1", "127.0.0.0/8", 1},
      {"10.1.2.3", "10.0.0.0/16", 0},
      {"10.0.2.3", "10.0.0.0/16", 1},
      {"192.168.1.7", "192.168.1.0/25", 1},
      {"192.168.1.200", "192.168.1.0/25", 0},
      {"10.0.0.1", "0.0.0.0/0", 1},
      {"10.0.0.1", "10.0.0.0/33", 0},         /* not a network: never matches */
      {"10.0.0.1", "10.0.0.0/", 0},
      {"10.0.0.1", "0.1", 0},                 /* a name's suffix match is not for addresses */
      {"::1", "::1", 1},
      {"::1", "127.0.0.1", 0},
      {"fd00::5", "fd00::/8", 1},
      {"fe80::5", "fd00::/8", 0},
      {"127.0.0.1", "localhost", 0},          /* no look-ups: as curl */
  };
  check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_environment(void **state) {
  (void)state;
  unsetenv("http_proxy");
  unsetenv("all_proxy");
  unsetenv("ALL_PROXY");
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  setenv("HTTP_PROXY", "http://proxy:3128", 1); /* ignored, as curl ignores it */
  assert_false(proxy_applies_http("example.com"));
  setenv("http_proxy", "", 1);
  assert_false(proxy_applies_http("example.com"));
  setenv("http_proxy", "http://proxy:3128", 1);
  assert_true(proxy_applies_http("example.com"));
  setenv("NO_PROXY", "example.com", 1);
  assert_false(proxy_applies_http("example.com"));
  setenv("no_proxy", "other.org", 1); /* the lower-case one wins */
  assert_true(proxy_applies_http("example.com"));
  unsetenv("http_proxy");
  setenv("ALL_PROXY", "socks5://proxy:1080", 1);
  assert_true(proxy_applies_http("example.com"));
  assert_false(proxy_applies_http("other.org"));
  unsetenv("ALL_PROXY");
  unsetenv("HTTP_PROXY");
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  assert_false(proxy_applies_http("example.com"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_addresses),
      cmocka_unit_test(test_environment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

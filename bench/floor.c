/* floor.c — see floor.h. */
#include "floor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchy/benchy.h>

static long count_events(const char *p, size_t n) {
  long k = 0;
  const char *end = p + n;
  while ((p = memmem(p, (size_t)(end - p), "data:", 5))) {
    k++;
    p += 5;
  }
  return k;
}

void floor_run(int port, long streams, double measure_s, double warm_s, floor_result *out) {
  memset(out, 0, sizeof *out);
  /* Long enough to outlast the window at any rate the harness offers. */
  const char *body = "{\"model\":\"sim\",\"max_tokens\":100000,\"stream\":true,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
  char req[512];
  int req_len = snprintf(req, sizeof req,
                         "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(body), body);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int *fds = calloc((size_t)streams, sizeof *fds);
  if (ep < 0 || !fds) {
    out->failed = 1;
    free(fds);
    if (ep >= 0) close(ep);
    return;
  }
  long opened = 0;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  for (; opened < streams; opened++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0) break;
    fds[opened] = fd;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        send(fd, req, (size_t)req_len, MSG_NOSIGNAL) != req_len) {
      close(fd);
      break;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  if (opened < streams) out->failed = 1;
  static char buf[32 * 1024];
  struct epoll_event ready[512];
  long events = 0, reads = 0, waits = 0;
  int64_t t_warm = benchy_now_ns() + (int64_t)(warm_s * 1e9), t_end = t_warm + (int64_t)(measure_s * 1e9);
  int measuring = 0;
  double cpu0 = 0;
  for (;;) {
    int64_t now = benchy_now_ns();
    if (now >= t_end) break;
    if (!measuring && now >= t_warm) {
      measuring = 1;
      events = reads = waits = 0;
      cpu0 = bench_cpu_seconds();
    }
    int n = epoll_wait(ep, ready, 512, 100);
    waits++;
    for (int i = 0; i < n; i++) {
      ssize_t got = recv(ready[i].data.fd, buf, sizeof buf, 0);
      if (got > 0) {
        reads++;
        events += count_events(buf, (size_t)got);
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, ready[i].data.fd, NULL);
        out->failed = 1;
      }
    }
  }
  double cpu = bench_cpu_seconds() - cpu0;
  for (long i = 0; i < opened; i++) close(fds[i]);
  free(fds);
  close(ep);
  if (events > 0) {
    out->events_per_s = (double)events / measure_s;
    out->cpu_us_per_event = cpu * 1e6 / (double)events;
    out->events_per_read = reads ? (double)events / (double)reads : 0;
    out->waits_per_event = (double)waits / (double)events;
  }
}

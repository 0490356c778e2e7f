/* proc.c — runs a metadata command with a deadline and an output cap. */
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void meta_proc_free(meta_proc_result *r) {
  if (r) benchy_buf_free(&r->out);
}

int meta_proc_run(char *const argv[], double timeout_s, size_t cap, meta_proc_result *r,
                  char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  r->exit_status = -1;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    benchy_set_error(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    benchy_set_error(err, errlen, "fork: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    /* Its own group, so that a timeout kills what a shell started too. */
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 2);
    }
    dup2(fds[1], 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  setpgid(pid, pid); /* also here: no race with the kill below */
  close(fds[1]);
  double deadline = now_s() + timeout_s;
  char chunk[4096];
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0) {
      r->timed_out = 1;
      break;
    }
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    int n = poll(&p, 1, (int)(left * 1000.0) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(fds[0], chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size_t keep = (size_t)got;
    if (r->out.len + keep > cap) {
      keep = cap > r->out.len ? cap - r->out.len : 0;
      r->truncated = 1;
    }
    if (keep && benchy_buf_append(&r->out, chunk, keep) != 0) break;
  }
  close(fds[0]);
  if (r->timed_out) kill(-pid, SIGKILL);
  int status = 0;
  /* The pipe closed: the command is ending. Wait for it within the
   * deadline too (a child may close stdout and keep running). */
  for (;;) {
    pid_t w = waitpid(pid, &status, r->timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (now_s() >= deadline) {
        r->timed_out = 1;
        kill(-pid, SIGKILL);
        continue;
      }
      struct timespec pause = {0, 5 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  if (WIFEXITED(status)) r->exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r->exit_status = 128 + WTERMSIG(status);
  r->not_found = r->exit_status == 127;
  if (benchy_buf_terminate(&r->out) != 0) {
    benchy_set_error(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

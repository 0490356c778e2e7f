/*
 * server_process.c — see server_process.h.
 *
 * The child does only async-signal-safe work between fork() and exec():
 * benchy may have several threads, and any of them may hold a malloc lock
 * at the moment of the fork. Everything it needs (argv, envp, the log's
 * descriptor) is prepared before.
 */
#include "server_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "benchy/benchy.h"

extern char **environ;

struct server_process {
  pid_t pid; /* also the group's id: the child calls setsid() */
  int reaped;
  int status;
  int stop_requested;
  int died_early;
  int killed_after_grace;
  double cpu_s;
  uint64_t peak_rss;
  char exit_text[96];
};

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* benchy's environment with spec's variables set over it. */
static char **build_env(const server_spec *spec) {
  size_t base = 0;
  while (environ && environ[base]) base++;
  char **envp = calloc(base + spec->n_env + 1, sizeof *envp);
  if (!envp) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < base; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    int overridden = 0;
    for (size_t k = 0; k < spec->n_env && !overridden; k++)
      overridden = !strncmp(spec->env[k], environ[i], klen) && spec->env[k][klen] == '=';
    if (!overridden) envp[n++] = environ[i];
  }
  for (size_t k = 0; k < spec->n_env; k++) envp[n++] = (char *)spec->env[k];
  envp[n] = NULL;
  return envp;
}

int server_process_start(server_process **out, const server_spec *spec, char *err,
                         size_t errlen) {
  *out = NULL;
  if (spec->cwd) {
    struct stat st;
    if (stat(spec->cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
      benchy_set_error(err, errlen, "--server-cwd %s: not a directory (%s)", spec->cwd,
                       strerror(errno ? errno : ENOTDIR));
      return -1;
    }
  }
  int log_fd = open(spec->log_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    int e = errno;
    benchy_set_error(err, errlen, "server log %s: %s%s", spec->log_path, strerror(e),
                     e == EEXIST ? "; an earlier run's log is never replaced: move it away or "
                                   "give another --server-log"
                                 : "");
    return -1;
  }
  server_process *p = calloc(1, sizeof *p);
  char **envp = build_env(spec);
  if (!p || !envp) {
    free(p);
    free(envp);
    close(log_fd);
    benchy_set_error(err, errlen, "out of memory starting the server");
    return -1;
  }
  char *const argv[] = {"sh", "-c", (char *)spec->command, NULL};
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* The child: a new session, so the server and everything it starts is
     * one process group that the stop reaches, and no terminal's Ctrl-C
     * reaches it behind benchy's back. */
    setsid();
#ifdef __linux__
    /* Should benchy itself be killed (SIGKILL), the server does not run on
     * without anyone to stop it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
#else
    (void)parent;
#endif
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    /* Not every descriptor benchy holds is close-on-exec (sockets, --jsonl):
     * the server must not keep them open. */
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
      for (int fd = 3; fd < 4096; fd++) close(fd);
    if (spec->cwd && chdir(spec->cwd) != 0) _exit(126);
    execve("/bin/sh", argv, envp);
    _exit(127);
  }
  int fork_errno = errno;
  close(log_fd);
  free(envp);
  if (pid < 0) {
    free(p);
    benchy_set_error(err, errlen, "could not start the server command: %s", strerror(fork_errno));
    return -1;
  }
  p->pid = pid;
  snprintf(p->exit_text, sizeof p->exit_text, "running");
  *out = p;
  return 0;
}

pid_t server_process_pid(const server_process *p) { return p ? p->pid : 0; }

static void describe_exit(server_process *p) {
  if (WIFEXITED(p->status))
    snprintf(p->exit_text, sizeof p->exit_text, "exited with status %d", WEXITSTATUS(p->status));
  else if (WIFSIGNALED(p->status))
    snprintf(p->exit_text, sizeof p->exit_text, "killed by signal %d (%s)%s", WTERMSIG(p->status),
             strsignal(WTERMSIG(p->status)),
             p->killed_after_grace ? " after the --stop-grace period" : "");
}

static void reap_rusage(server_process *p, const struct rusage *ru) {
  /* Counts the leader and the descendants it waited for: CPU spent by
   * processes that were gone before the last /proc sample. */
  double cpu = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
               (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
  if (cpu > p->cpu_s) p->cpu_s = cpu;
  uint64_t rss = (uint64_t)ru->ru_maxrss * 1024u;
  if (rss > p->peak_rss) p->peak_rss = rss;
}

int server_process_exited(server_process *p) {
  if (!p) return 1;
  if (p->reaped) return 1;
  int status = 0;
  struct rusage ru;
  pid_t r = wait4(p->pid, &status, WNOHANG, &ru);
  if (r == p->pid) {
    p->reaped = 1;
    p->status = status;
    if (!p->stop_requested) p->died_early = 1;
    reap_rusage(p, &ru);
    describe_exit(p);
    return 1;
  }
  return r < 0 && errno == ECHILD;
}

/* One process's group, CPU ticks and peak RSS from /proc; 0 on success. */
static int read_proc(pid_t pid, pid_t *pgrp, unsigned long long *ticks, uint64_t *hwm) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: fields start after
   * the last ')'. */
  char *close_paren = strrchr(buf, ')');
  if (!close_paren) return -1;
  char state;
  int ppid, group;
  unsigned long utime, stime;
  if (sscanf(close_paren + 2, "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &state, &ppid,
             &group, &utime, &stime) != 5)
    return -1;
  *pgrp = group;
  *ticks = (unsigned long long)utime + stime;
  *hwm = 0;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if ((f = fopen(path, "r"))) {
    char line[256];
    unsigned long kb;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) *hwm = (uint64_t)kb * 1024u;
    fclose(f);
  }
  return 0;
}

void server_process_sample(server_process *p) {
  if (!p) return;
  DIR *d = opendir("/proc");
  if (!d) return;
  long hz = sysconf(_SC_CLK_TCK);
  unsigned long long ticks = 0;
  uint64_t rss = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    pid_t group;
    unsigned long long t;
    uint64_t hwm;
    if (read_proc((pid_t)pid, &group, &t, &hwm) != 0 || group != p->pid) continue;
    ticks += t;
    rss += hwm;
  }
  closedir(d);
  double cpu = hz > 0 ? (double)ticks / (double)hz : 0;
  if (cpu > p->cpu_s) p->cpu_s = cpu;
  if (rss > p->peak_rss) p->peak_rss = rss;
}

double server_process_cpu_s(const server_process *p) { return p ? p->cpu_s : 0; }
uint64_t server_process_peak_rss(const server_process *p) { return p ? p->peak_rss : 0; }

static int group_alive(server_process *p) {
  server_process_exited(p);
  return kill(-p->pid, 0) == 0 || errno != ESRCH;
}

/* Waits up to ms for the group to be gone; 1 when it is. */
static int wait_gone(server_process *p, long ms) {
  for (long waited = 0;; waited += 10) {
    if (!group_alive(p)) return 1;
    if (waited >= ms) return 0;
    pause_ms(10);
  }
}

int server_process_stop(server_process *p, double grace_s, char *err, size_t errlen) {
  if (!p) return 0;
  p->stop_requested = 1;
  if (!group_alive(p)) return 0;
  kill(-p->pid, SIGTERM);
  if (wait_gone(p, (long)(grace_s * 1000))) return 0;
  p->killed_after_grace = 1;
  kill(-p->pid, SIGKILL);
  if (wait_gone(p, 5000)) {
    if (p->reaped) describe_exit(p);
    return 0;
  }
  benchy_set_error(err, errlen,
                   "the server's process group %d is still there after SIGKILL; kill it by hand",
                   (int)p->pid);
  return -1;
}

const char *server_process_exit_text(const server_process *p) { return p ? p->exit_text : ""; }
int server_process_died_early(const server_process *p) { return p && p->died_early; }

void server_process_free(server_process *p) {
  if (!p) return;
  server_process_stop(p, 0, NULL, 0);
  free(p);
}

void log_tail(const char *path, size_t lines, char *out, size_t cap) {
  if (!cap) return;
  out[0] = '\0';
  FILE *f = fopen(path, "r");
  if (!f) return;
  /* The tail fits in out: read at most cap bytes from the end. */
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  long from = size > (long)cap - 1 ? size - (long)cap + 1 : 0;
  fseek(f, from, SEEK_SET);
  size_t n = fread(out, 1, cap - 1, f);
  fclose(f);
  out[n] = '\0';
  while (n && out[n - 1] == '\n') out[--n] = '\0';
  size_t seen = 0;
  char *start = out;
  for (char *c = out + n; c > out; c--)
    if (c[-1] == '\n' && ++seen == lines) {
      start = c;
      break;
    }
  memmove(out, start, strlen(start) + 1);
}

/*
 * interrupts.c — the signal handling shared by the commands that execute a
 * run: the library is told to stop, and its loops wake through their stop
 * descriptor.
 */
#include "interrupts.h"

#include <signal.h>
#include <string.h>

#include <benchy/benchy.h>

static void on_interrupt(int sig) {
  (void)sig;
  benchy_interrupt();
}

/* First Ctrl-C (or SIGTERM): stop cleanly, in whatever phase, and write what
 * completed. SA_RESETHAND restores the default action as the handler is
 * entered, so a second one kills the process the usual way. The library
 * does not rely on a wait returning EINTR (the interrupt wakes its loops
 * through their stop descriptor), so SA_RESTART keeps writes of the result
 * to a pipe from failing half-way. */
void cli_catch_interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* While the result is written the library has nothing left to stop. */
void cli_release_interrupts(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

/* interrupts.h — Ctrl-C and SIGTERM while a command runs: every command
 * that executes a run (bench, load, run, matrix) catches them the same way. */
#ifndef BENCHY_CLI_INTERRUPTS_H
#define BENCHY_CLI_INTERRUPTS_H

/* From now on the first SIGINT/SIGTERM asks the library to stop and write
 * what completed; a second one kills the process. */
void cli_catch_interrupts(void);
/* The run is over: a signal ends the process as in any other program. */
void cli_release_interrupts(void);

#endif

/* sim_foreground.h — `benchy sim`: the simulator in the foreground. */
#ifndef BENCHY_CLI_SIM_FOREGROUND_H
#define BENCHY_CLI_SIM_FOREGROUND_H

#include <benchy/benchy.h>

/* Serves until SIGINT or SIGTERM, saying on stderr where it listens and,
 * when stopped, what it served. BENCHY_OK once stopped by a signal; the
 * error (printed) when it could not start. */
int cli_sim_foreground(const benchy_options *opts);
/* The same as a command's exit status: 0 stopped by a signal, 2 never started. */
int cli_sim(benchy_options *opts);

#endif

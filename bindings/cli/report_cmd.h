/* report_cmd.h — `benchy report RESULT.json... -o report.html`: saved
 * results read back and handed to the library's report (report.h). */
#ifndef BENCHY_CLI_REPORT_CMD_H
#define BENCHY_CLI_REPORT_CMD_H

/* Parses argv[first..argc) (result files are positional); returns the exit
 * status: 0 written, 2 usage, unreadable input, refused output file or
 * results that cannot be compared (nothing written). */
int cli_report(int argc, char **argv, int first);

#endif

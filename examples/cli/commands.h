// fixnet-mnist: the commands; each returns the process exit status.
#pragma once

#include "args.h"

namespace fixnet_cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the job failed (bad data, unreadable file, ...)
constexpr int kExitUsage = 2;    // the command line was wrong

int train_command(const Args& args);
int eval_command(const Args& args);
int classify_command(const Args& args);
int quantize_command(const Args& args);
int export_command(const Args& args);

// Prints "fixnet-mnist: <message>" to stderr.
void report_error(const std::string& message);
// Prints the message and the usage to stderr; returns kExitUsage.
int usage_error(const std::string& message);

}  // namespace fixnet_cli

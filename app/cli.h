#pragma once

#include "backend/core/config.h"

#include <QStringList>

#include <optional>

namespace kyc::app {

struct Options {
    Config config;
    bool headless = false;
    QStringList adminCommand; // "admin" and what follows
};

// Parses the command line over a Config from the environment. On --help/--version or a usage
// error, prints and sets `exitCode`.
[[nodiscard]] std::optional<Options> parseCommandLine(const QStringList &arguments, const QProcessEnvironment &env,
                                                      int *exitCode);

// The default data directory: $XDG_DATA_HOME/kyconnect (~/.local/share/kyconnect).
[[nodiscard]] QString defaultDataDir();

// `kyconnect admin …`; returns the process exit code.
[[nodiscard]] int runAdmin(const Options &options);

} // namespace kyc::app

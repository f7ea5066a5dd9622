#pragma once

#include "backend/core/actor.h"
#include "backend/core/config.h"

#include <QHash>
#include <QStringList>

#include <optional>

namespace kyc {
class Backend;
}

namespace kyc::app {

struct Options {
    Config config;
    bool headless = false;
    bool demo = false; // create the demo firm on an empty database
    QStringList adminCommand; // "admin" and what follows
    QHash<QString, QString> adminOptions; // --name, --email, … for admin commands
    bool adminFlagOperator = false;
    bool adminFlagOff = false;
};

// The demo firm's sign-in details, printed at start and in the README.
inline const QString kDemoPassword = QStringLiteral("kyconnect-demo-2026");
[[nodiscard]] QStringList demoEmails();
// Creates the demo firm with one user per role when the database has no firm yet.
[[nodiscard]] Status ensureDemoFirm(Backend &backend, QString *report);
// With no list loaded yet and `dataRoot` holding the shared test data (sanctions/, pep/, adverse/), imports the
// UN and OFAC SDN lists and two PEP and adverse-media sources, so the demo firm has something to screen against.
// The desktop's user in demo mode, until the window has a sign-in: the demo firm's compliance officer
// (officer@demo.kyconnect.local), if that active user exists.
[[nodiscard]] std::optional<Actor> demoDeskActor(Backend &backend);
[[nodiscard]] Status ensureDemoLists(Backend &backend, const QString &dataRoot, QString *report);

// Parses the command line over a Config from the environment. On --help/--version or a usage
// error, prints and sets `exitCode`.
[[nodiscard]] std::optional<Options> parseCommandLine(const QStringList &arguments, const QProcessEnvironment &env,
                                                      int *exitCode);

// The default data directory: $XDG_DATA_HOME/kyconnect (~/.local/share/kyconnect).
[[nodiscard]] QString defaultDataDir();

// `kyconnect admin …`; returns the process exit code.
[[nodiscard]] int runAdmin(const Options &options);

} // namespace kyc::app

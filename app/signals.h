#pragma once

namespace kyc::app {

// Turns SIGINT and SIGTERM into a clean QCoreApplication::quit() on the main thread (self-pipe).
void quitOnTerminationSignals();

} // namespace kyc::app

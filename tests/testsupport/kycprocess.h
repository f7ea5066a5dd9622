#pragma once

// The real kyconnect executable as a child process, for tests that start, stop, or kill it.

#include <QByteArray>
#include <QProcess>
#include <QStringList>

#include <memory>
#include <optional>

namespace kyc::test {

// The kyconnect executable of this build.
[[nodiscard]] QString kyconnectBinary();

class KycProcess
{
public:
    // Starts kyconnect with `args`. The environment is this one without any KYCONNECT_* variable, with
    // QT_QPA_PLATFORM=offscreen, XDG_DATA_HOME=`xdgDataHome` (never the real home), then `extraEnv`
    // ("NAME=value" each).
    KycProcess(const QStringList &args, const QString &xdgDataHome, const QStringList &extraEnv = {});
    ~KycProcess(); // kills the process if it still runs
    KycProcess(const KycProcess &) = delete;
    KycProcess &operator=(const KycProcess &) = delete;

    [[nodiscard]] QProcess &process() { return *m_process; }
    [[nodiscard]] bool running() const { return m_process->state() != QProcess::NotRunning; }
    // Collects what the process printed so far.
    void drain();
    [[nodiscard]] QString stdOut() const { return QString::fromUtf8(m_out); }
    [[nodiscard]] QString stdErr() const { return QString::fromUtf8(m_err); }
    // Exit code and everything printed, for failure messages.
    [[nodiscard]] QByteArray diagnostics() const;

    // Waits for the "API on http://127.0.0.1:PORT/api/v1" line; the port, or nothing when the process ended first
    // or `timeoutMs` passed.
    [[nodiscard]] std::optional<quint16> waitForApi(int timeoutMs = 60000);
    // Waits until standard output or error contains `text`; false when the process ended first or time ran out.
    [[nodiscard]] bool waitForOutput(const QByteArray &text, int timeoutMs = 60000);
    // Waits for the process to end; false when it still runs after `timeoutMs`.
    [[nodiscard]] bool waitForExit(int timeoutMs = 60000);
    // SIGKILL: no clean-up of any kind, as in a crash or a power cut of the process.
    void killHard();
    // SIGTERM, then waits for a clean stop; false when it did not stop.
    [[nodiscard]] bool stop(int timeoutMs = 30000);
    [[nodiscard]] int exitCode() const { return m_process->exitCode(); }

private:
    std::unique_ptr<QProcess> m_process = std::make_unique<QProcess>();
    QByteArray m_out;
    QByteArray m_err;
};

// Runs kyconnect to its end (at most `timeoutMs`); its exit code, or -1 when it did not end.
[[nodiscard]] int runKyconnect(const QStringList &args, const QString &xdgDataHome, const QStringList &extraEnv = {},
                               QByteArray *diagnostics = nullptr, int timeoutMs = 120000);

} // namespace kyc::test

#include "tests/testsupport/kycprocess.h"

#include <QElapsedTimer>
#include <QProcessEnvironment>
#include <QRegularExpression>

namespace kyc::test {

QString kyconnectBinary()
{
    return QStringLiteral(KYC_BINARY_DIR) + QStringLiteral("/app/kyconnect");
}

KycProcess::KycProcess(const QStringList &args, const QString &xdgDataHome, const QStringList &extraEnv)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto &key : env.keys()) {
        if (key.startsWith(QLatin1String("KYCONNECT_")))
            env.remove(key);
    }
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), xdgDataHome);
    for (const auto &p : extraEnv) {
        const qsizetype eq = p.indexOf(u'=');
        env.insert(p.left(eq), p.mid(eq + 1));
    }
    m_process->setProcessEnvironment(env);
    m_process->setProgram(kyconnectBinary());
    m_process->setArguments(args);
    m_process->start();
    m_process->waitForStarted(30000);
}

KycProcess::~KycProcess()
{
    if (running()) {
        m_process->kill();
        m_process->waitForFinished(10000);
    }
}

void KycProcess::drain()
{
    m_out += m_process->readAllStandardOutput();
    m_err += m_process->readAllStandardError();
}

QByteArray KycProcess::diagnostics() const
{
    return "exit " + QByteArray::number(m_process->exitCode()) + "\n--- stdout:\n" + m_out + "--- stderr:\n" + m_err;
}

std::optional<quint16> KycProcess::waitForApi(int timeoutMs)
{
    static const QRegularExpression line(QStringLiteral("API on http://127\\.0\\.0\\.1:(\\d+)/api/v1"));
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        drain();
        if (const auto m = line.match(stdOut()); m.hasMatch()) {
            const uint port = m.captured(1).toUInt();
            return port > 0 && port <= 65535 ? std::optional<quint16>(quint16(port)) : std::nullopt;
        }
        if (!running())
            return std::nullopt;
        m_process->waitForReadyRead(100);
    }
    return std::nullopt;
}

bool KycProcess::waitForOutput(const QByteArray &text, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        drain();
        if (m_out.contains(text) || m_err.contains(text))
            return true;
        if (!running())
            return false;
        m_process->waitForReadyRead(20);
    }
    return false;
}

bool KycProcess::waitForExit(int timeoutMs)
{
    const bool done = !running() || m_process->waitForFinished(timeoutMs);
    drain();
    return done;
}

void KycProcess::killHard()
{
    m_process->kill();
    m_process->waitForFinished(10000);
    drain();
}

bool KycProcess::stop(int timeoutMs)
{
    m_process->terminate();
    return waitForExit(timeoutMs) && m_process->exitStatus() == QProcess::NormalExit;
}

int runKyconnect(const QStringList &args, const QString &xdgDataHome, const QStringList &extraEnv, QByteArray *diagnostics,
                 int timeoutMs)
{
    KycProcess p(args, xdgDataHome, extraEnv);
    const bool ended = p.waitForExit(timeoutMs);
    if (diagnostics)
        *diagnostics = p.diagnostics();
    return ended ? p.exitCode() : -1;
}

} // namespace kyc::test

#pragma once

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace kyc::test {

// A self-signed certificate for 127.0.0.1 (EC P-256, valid for a day) and its key, made with the openssl
// command in a temporary directory that lives as long as this object. A client trusts it only when told to.
class TestCertificate final
{
public:
    // Why none can be made here (no TLS backend, no openssl command); empty when one can. Tests skip on it.
    [[nodiscard]] static QString unavailableReason();

    // Makes the key and the certificate; what went wrong, or an empty string when they are ready.
    [[nodiscard]] QString create();
    // For initTestCase(), as its last statement: create(), skipping the whole test when unavailableReason()
    // has one and failing it when create() fails.
    void createOrSkip();

    [[nodiscard]] const QSslCertificate &certificate() const { return m_certificate; }
    [[nodiscard]] const QSslKey &key() const { return m_key; }
    [[nodiscard]] QString certificatePath() const { return m_certificatePath; } // PEM

private:
    QTemporaryDir m_dir;
    QString m_certificatePath;
    QSslCertificate m_certificate;
    QSslKey m_key;
};

struct SmtpCommand {
    QByteArray line; // without the CRLF
    bool overTls = false;
};

// What the fake server saw on one connection.
struct SmtpSession {
    QList<SmtpCommand> commands; // every line in command state: not DATA's lines, not AUTH's continuations
    bool tlsEstablished = false;
    QByteArray authMechanism; // upper case
    QByteArray authUser;
    QByteArray authPassword;
    QByteArray mailFrom; // as sent: "<a@b>"
    QList<QByteArray> rcptTo; // as sent, rejected ones too
    QByteArray data; // the message, un-dot-stuffed, CRLF line ends
    bool dataComplete = false; // the "." came
    bool quit = false;

    // The first command starting with `verb` (case-insensitive), or -1.
    [[nodiscard]] qsizetype indexOf(const QByteArray &verb) const;
    [[nodiscard]] bool sawCommand(const QByteArray &verb) const { return indexOf(verb) >= 0; }
};

// How the server behaves, failure modes included.
struct SmtpScenario {
    // The credentials AUTH PLAIN and AUTH LOGIN accept (535 for any others).
    QString user;
    QString password;
    bool offerStartTls = true;
    QByteArray authLine = "AUTH PLAIN LOGIN"; // the EHLO line, before and after TLS; empty: no AUTH offered
    int rcptCode = 250; // any other: every RCPT TO is refused as an unknown user with that code
    // A careless server quoting what it was sent: the refusal repeats the credentials, raw and base64.
    bool echoCredentials = false;
    bool silent = false; // accepts the connection, never says a word
    bool injectAfterStartTls = false; // CVE-2011-0411: plaintext pipelined behind STARTTLS's 220
};

// A submission server (RFC 5321 + 3207 STARTTLS + 4954 AUTH PLAIN and LOGIN) on 127.0.0.1 (a port the
// system picks), with the certificate of a TestCertificate. It records every connection as an SmtpSession.
// It runs on the thread that makes it (whose event loop must then run while a client talks to it), or on
// a thread of its own, so that a client blocking the test's thread is still answered. What it recorded can
// be read at any time from any thread.
class FakeSmtpServer final
{
public:
    enum class Threading { CallerThread, OwnThread };

    FakeSmtpServer(SmtpScenario scenario, const TestCertificate &tls, Threading threading = Threading::CallerThread);
    ~FakeSmtpServer();
    FakeSmtpServer(const FakeSmtpServer &) = delete;
    FakeSmtpServer &operator=(const FakeSmtpServer &) = delete;

    [[nodiscard]] bool isListening() const;
    [[nodiscard]] quint16 port() const;

    // Closes the server and its connections, and ends its thread; what it recorded stays.
    void stop();

    // The connections, oldest first.
    [[nodiscard]] QList<SmtpSession> sessions() const;
    // The first connection; an empty session when none came.
    [[nodiscard]] SmtpSession session() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace kyc::test

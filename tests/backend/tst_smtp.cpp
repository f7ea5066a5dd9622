// The SMTP client against a fake server that speaks the real protocol on 127.0.0.1, STARTTLS included
// (with a certificate made at run time). The client blocks, so it runs in a worker thread while the
// server runs on this thread's event loop.
#include "backend/mail/smtpclient.h"
#include "tests/testsupport/fakesmtpserver.h"

#include <QEventLoop>
#include <QThread>
#include <QTimeZone>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace kyc;
using namespace kyc::mail;

namespace {

const QDateTime kDate(QDate(2024, 3, 5), QTime(14, 7, 9), QTimeZone::utc());
const QString kUser = QStringLiteral("mailer@kyconnect.local");
const QString kPassword = QStringLiteral("s3cret-Pässw0rd!");

// The fake server's behaviour when a test asks for nothing else: STARTTLS, AUTH PLAIN and LOGIN, every
// recipient accepted, and kUser with kPassword the only credentials.
test::SmtpScenario defaultScenario()
{
    test::SmtpScenario scenario;
    scenario.user = kUser;
    scenario.password = kPassword;
    return scenario;
}

Message sampleMessage()
{
    Message m;
    m.from = QStringLiteral("KYConnect <no-reply@kyconnect.local>");
    m.to = {QStringLiteral("Alice <alice@example.com>")};
    m.subject = QStringLiteral("Prüfung ✓");
    m.textBody = QStringLiteral("Hello Alice,\n"
                                ".this line starts with a dot\n"
                                ".\n"
                                "..two dots\n"
                                "Grüße – ✓\n")
        + QString(120, QLatin1Char('x')) + QStringLiteral("\nend.\n");
    m.messageId = QStringLiteral("<smtp-test@kyconnect.local>");
    return m;
}

} // namespace

class TstSmtp : public QObject
{
    Q_OBJECT

private:
    test::TestCertificate m_tls;

    SmtpConfig config(const test::FakeSmtpServer &server) const
    {
        SmtpConfig c;
        c.host = QStringLiteral("127.0.0.1");
        c.port = server.port();
        c.username = kUser;
        c.password = kPassword;
        c.extraCaCertificates = {m_tls.certificate()};
        c.timeoutMs = 5000;
        return c;
    }

    // Runs the blocking client in a worker thread while this thread's event loop serves it.
    static Status send(const SmtpConfig &c, const Message &m)
    {
        Status result;
        std::unique_ptr<QThread> worker(QThread::create([&] { result = sendSmtp(c, m, kDate); }));
        QEventLoop loop;
        QObject::connect(worker.get(), &QThread::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(60000, &loop, &QEventLoop::quit);
        worker->start();
        loop.exec();
        worker->wait();
        // Let the server see the client's last bytes and the close.
        QTest::qWait(50);
        return result;
    }

    static QString failureText(const Status &s) { return s ? QStringLiteral("(succeeded)") : s.error().message; }

private slots:
    void initTestCase() { m_tls.createOrSkip(); }

    void deliversOverStartTlsWithAuthPlain()
    {
        test::FakeSmtpServer server(defaultScenario(), m_tls);
        QVERIFY(server.isListening());
        const Message message = sampleMessage();

        const Status s = send(config(server), message);
        const test::SmtpSession seen = server.session();
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));

        // The certificate was trusted only through extraCaCertificates (see untrustedCertificateFails).
        QVERIFY(seen.tlsEstablished);
        QCOMPARE(seen.authMechanism, QByteArray("PLAIN"));
        QCOMPARE(seen.authUser, kUser.toUtf8());
        QCOMPARE(seen.authPassword, kPassword.toUtf8());

        // Before TLS: EHLO and STARTTLS only. AUTH and everything after it came over TLS.
        QVERIFY(seen.commands.size() >= 7);
        QCOMPARE(seen.commands.at(0).line, QByteArray("EHLO kyconnect.local"));
        QVERIFY(!seen.commands.at(0).overTls);
        QCOMPARE(seen.commands.at(1).line, QByteArray("STARTTLS"));
        QVERIFY(!seen.commands.at(1).overTls);
        QCOMPARE(seen.commands.at(2).line, QByteArray("EHLO kyconnect.local"));
        for (qsizetype i = 2; i < seen.commands.size(); ++i)
            QVERIFY2(seen.commands.at(i).overTls, seen.commands.at(i).line.constData());
        QVERIFY(seen.commands.at(3).line.startsWith("AUTH PLAIN "));

        QCOMPARE(seen.mailFrom, QByteArray("<no-reply@kyconnect.local>"));
        QCOMPARE(seen.rcptTo, QList<QByteArray>{"<alice@example.com>"});
        QVERIFY(seen.dataComplete);
        QVERIFY(seen.quit);

        // Intact after dot-stuffing and un-stuffing: byte for byte what toEml() made.
        QCOMPARE(seen.data, toEml(message, kDate));
        QVERIFY(seen.data.contains("\r\n.this line starts with a dot\r\n"));
        QVERIFY(seen.data.contains("\r\n.\r\n"));
        QVERIFY(seen.data.contains("\r\n..two dots\r\n"));
    }

    void authLoginWhenOnlyLoginIsOffered()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.authLine = "AUTH LOGIN";
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());
        Message message = sampleMessage();
        message.to.append(QStringLiteral("bob@example.org"));

        const Status s = send(config(server), message);
        const test::SmtpSession seen = server.session();
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QCOMPARE(seen.authMechanism, QByteArray("LOGIN"));
        QCOMPARE(seen.authUser, kUser.toUtf8());
        QCOMPARE(seen.authPassword, kPassword.toUtf8());
        QCOMPARE(seen.rcptTo, (QList<QByteArray>{"<alice@example.com>", "<bob@example.org>"}));
        QCOMPARE(seen.data, toEml(message, kDate));
    }

    void noStartTlsFailsWhenRequired()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.offerStartTls = false;
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());

        const Status s = send(config(server), sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("STARTTLS")), qPrintable(s.error().message));
        QVERIFY(!seen.sawCommand("AUTH"));
        QVERIFY(!seen.sawCommand("MAIL FROM"));
        QVERIFY(!seen.sawCommand("STARTTLS"));
        QVERIFY(!seen.tlsEstablished);
    }

    void noCredentialsWithoutTls()
    {
        // Even when plaintext is allowed, credentials never travel in the clear.
        test::SmtpScenario scenario = defaultScenario();
        scenario.offerStartTls = false;
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());
        SmtpConfig c = config(server);
        c.requireStartTls = false;

        const Status s = send(c, sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY(!seen.sawCommand("AUTH"));
        QVERIFY(!seen.sawCommand("MAIL FROM"));
    }

    void plaintextRelayWhenAllowed()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.offerStartTls = false;
        scenario.authLine.clear();
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());
        SmtpConfig c = config(server);
        c.requireStartTls = false;
        c.username.clear();
        c.password.clear();
        const Message message = sampleMessage();

        const Status s = send(c, message);
        const test::SmtpSession seen = server.session();
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QVERIFY(!seen.tlsEstablished);
        QVERIFY(!seen.sawCommand("AUTH"));
        QCOMPARE(seen.data, toEml(message, kDate));
    }

    void rejectedRecipientFails()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.rcptCode = 550;
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());

        const Status s = send(config(server), sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        const QString text = s.error().message;
        QVERIFY2(text.contains(QLatin1String("550")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("User unknown")), qPrintable(text));
        QVERIFY(!text.contains(kPassword));
        QVERIFY(!text.contains(QString::fromLatin1(kPassword.toUtf8().toBase64())));
        QVERIFY(seen.sawCommand("AUTH"));
        QVERIFY(!seen.sawCommand("DATA"));
        QVERIFY(seen.quit);
    }

    void untrustedCertificateFails()
    {
        test::FakeSmtpServer server(defaultScenario(), m_tls);
        QVERIFY(server.isListening());
        SmtpConfig c = config(server);
        c.extraCaCertificates.clear();

        const Status s = send(c, sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("TLS")), qPrintable(s.error().message));
        QVERIFY(!seen.tlsEstablished);
        QVERIFY(!seen.sawCommand("AUTH"));
        QVERIFY(!seen.sawCommand("MAIL FROM"));
    }

    void verifyPeerOffAcceptsUnknownCertificate()
    {
        test::FakeSmtpServer server(defaultScenario(), m_tls);
        QVERIFY(server.isListening());
        SmtpConfig c = config(server);
        c.extraCaCertificates.clear();
        c.verifyPeer = false;

        const Status s = send(c, sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QVERIFY(seen.tlsEstablished);
    }

    void plaintextInjectedAfterStartTlsFails()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.injectAfterStartTls = true;
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());

        const Status s = send(config(server), sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY(!seen.sawCommand("AUTH"));
    }

    void silentServerTimesOut()
    {
        test::SmtpScenario scenario = defaultScenario();
        scenario.silent = true;
        test::FakeSmtpServer server(scenario, m_tls);
        QVERIFY(server.isListening());
        SmtpConfig c = config(server);
        c.timeoutMs = 500;

        const Status s = send(c, sampleMessage());
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("500 ms")), qPrintable(s.error().message));
        QVERIFY(seen.commands.isEmpty());
    }

    void invalidMessageIsNotSent()
    {
        test::FakeSmtpServer server(defaultScenario(), m_tls);
        QVERIFY(server.isListening());
        Message message = sampleMessage();
        message.to = {QStringLiteral("a@b\r\nBcc: x@y")};

        const Status s = send(config(server), message);
        const test::SmtpSession seen = server.session();
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Validation);
        QVERIFY(seen.commands.isEmpty());
    }

    void disabledWithoutHost()
    {
        const Status s = sendSmtp(SmtpConfig{}, sampleMessage(), kDate);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Validation);
    }

    void dotStuffing_data()
    {
        QTest::addColumn<QByteArray>("in");
        QTest::addColumn<QByteArray>("out");
        QTest::newRow("leading dot") << QByteArray(".a\r\nb\r\n") << QByteArray("..a\r\nb\r\n");
        QTest::newRow("lone dot") << QByteArray("a\r\n.\r\nb\r\n") << QByteArray("a\r\n..\r\nb\r\n");
        QTest::newRow("dot mid-line") << QByteArray("a.b\r\n") << QByteArray("a.b\r\n");
        QTest::newRow("bare LF and no final end") << QByteArray("a\n.b") << QByteArray("a\r\n..b\r\n");
    }

    void dotStuffing()
    {
        QFETCH(QByteArray, in);
        QFETCH(QByteArray, out);
        QCOMPARE(dotStuffed(in), out);
    }
};

QTEST_GUILESS_MAIN(TstSmtp)
#include "tst_smtp.moc"

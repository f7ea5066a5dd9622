// An audit export re-verifies with scripts/verify_audit_export.py, a verifier written only from
// docs/audit-format.md, and the same verifier catches an edited export.
#include "backend/audit/auditlog.h"
#include "tests/testsupport/testsupport.h"

#include <QBuffer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;

class TestThirdPartyVerify : public QObject
{
    Q_OBJECT

    QString m_python;
    QTemporaryDir m_out;

    struct Run {
        int exitCode = -1;
        QString output;
    };

    Run verify(const QString &file)
    {
        QProcess p;
        p.start(m_python, {test::sourceDir() + QStringLiteral("/scripts/verify_audit_export.py"), file});
        p.waitForFinished(60000);
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
    }

    static void fill(audit::AuditLog &log, test::TempBackend &tb, const QString &firm, int n)
    {
        for (int i = 0; i < n; ++i) {
            tb.clock().advanceMs(1234);
            QJsonObject details{
                {QStringLiteral("i"), i},
                {QStringLiteral("note"), QStringLiteral("comma, \"quote\"\nnew line \u00e9\u4e2d \\ tab\t ctrl\u0001")},
                {QStringLiteral("nested"), QJsonObject{{QStringLiteral("z"), true}, {QStringLiteral("a"), QJsonValue()}}},
                {QStringLiteral("list"), QJsonArray{1, QStringLiteral("two"), false}}};
            QVERIFY(log.append({firm, QStringLiteral("user"), QStringLiteral("u-%1").arg(i % 3), QStringLiteral("case.update"),
                                QStringLiteral("case"), QStringLiteral("c-%1").arg(i), QStringLiteral("10.0.0.%1").arg(i % 250),
                                details})
                        .has_value());
        }
    }

    QString exportFile(audit::AuditLog &log, const QString &chain, audit::ExportFormat f, const QString &name,
                       const audit::ExportRange &range = {})
    {
        QFile out(m_out.filePath(name));
        if (!out.open(QIODevice::WriteOnly))
            return {};
        auto n = log.exportTo(out, chain, f, range);
        out.close();
        return n ? out.fileName() : QString();
    }

private slots:
    void initTestCase()
    {
        m_python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (m_python.isEmpty())
            QSKIP("python3 is not installed");
        QVERIFY(m_out.isValid());
    }

    void exportsReverify_data()
    {
        QTest::addColumn<bool>("csv");
        QTest::newRow("jsonl") << false;
        QTest::newRow("csv") << true;
    }

    void exportsReverify()
    {
        QFETCH(bool, csv);
        test::TempBackend tb;
        QVERIFY(tb.ok());
        auto &log = tb.backend().audit();
        const QString firm = QStringLiteral("6f1c2a52-0f4e-4b7e-9a55-1e2f3a4b5c6d");
        fill(log, tb, firm, 40);
        const auto format = csv ? audit::ExportFormat::Csv : audit::ExportFormat::JsonLines;
        const QString ext = csv ? QStringLiteral(".csv") : QStringLiteral(".jsonl");

        const QString whole = exportFile(log, firm, format, QStringLiteral("whole") + ext);
        QVERIFY(!whole.isEmpty());
        Run r = verify(whole);
        QVERIFY2(r.exitCode == 0, qPrintable(r.output));
        QVERIFY(r.output.contains(QStringLiteral("intact: 40 events")));
        auto ours = log.verifyChain(firm);
        QVERIFY(ours.has_value());
        QVERIFY2(r.output.contains(ours->headHash), qPrintable(r.output));

        audit::ExportRange range;
        range.fromSequence = 11;
        range.toSequence = 30;
        const QString part = exportFile(log, firm, format, QStringLiteral("range") + ext, range);
        r = verify(part);
        QVERIFY2(r.exitCode == 0, qPrintable(r.output));
        QVERIFY(r.output.contains(QStringLiteral("intact: 20 events")));

        // Edit one value in the export: the verifier names that event.
        QFile f(whole);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray data = f.readAll();
        f.close();
        // The entity id as a whole field ("c-17" alone can also occur inside a random event id).
        const QByteArray needle = csv ? ",c-17," : "\"c-17\"";
        QCOMPARE(data.count(needle), 1);
        data.replace(needle, csv ? ",c-99," : "\"c-99\"");
        const QString tampered = m_out.filePath(QStringLiteral("tampered") + ext);
        QFile t(tampered);
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write(data);
        t.close();
        r = verify(tampered);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.output.contains(QStringLiteral("BROKEN at sequence 18")), qPrintable(r.output));
    }
};

QTEST_GUILESS_MAIN(TestThirdPartyVerify)
#include "tst_thirdpartyverify.moc"

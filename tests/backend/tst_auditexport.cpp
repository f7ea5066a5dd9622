// Audit exports: JSON Lines and CSV carry every field and the hashes, in a form that a third party
// can re-verify with standard tools (one canonical object per line; RFC 4180 CSV).
#include "backend/audit/auditexport.h"
#include "backend/audit/auditlog.h"
#include "backend/core/json.h"
#include "backend/security/crypto.h"
#include "tests/testsupport/testsupport.h"

#include <QBuffer>
#include <QJsonDocument>
#include <QtTest>

using namespace kyc;
using namespace kyc::audit;

namespace {

const QString kFirmA = QStringLiteral("0b7e5f0e-1111-4a1a-9c1a-00000000000a");
const QString kFirmB = QStringLiteral("0b7e5f0e-2222-4b2b-9c2b-00000000000b");

NewEvent newEvent(const QString &firmId, int i, const QString &action = QStringLiteral("case.update"))
{
    NewEvent e;
    e.firmId = firmId;
    e.actorType = QStringLiteral("user");
    e.actorId = QStringLiteral("user-%1").arg(i % 3);
    e.action = action;
    e.entityType = QStringLiteral("case");
    e.entityId = QStringLiteral("case-%1").arg(i);
    e.ip = QStringLiteral("203.0.113.%1").arg(i % 250);
    QJsonObject details;
    details.insert(QStringLiteral("i"), i);
    details.insert(QStringLiteral("before"), QJsonObject{{QStringLiteral("status"), QStringLiteral("draft")}});
    details.insert(QStringLiteral("after"), QJsonObject{{QStringLiteral("status"), QStringLiteral("submitted")}});
    e.details = details;
    return e;
}

// Appends n events to a firm's chain, returning them in sequence order (empty on failure).
QList<Event> appendN(test::TempBackend &b, const QString &firmId, int n)
{
    QList<Event> out;
    for (int i = 1; i <= n; ++i) {
        auto e = b.backend().audit().append(newEvent(firmId, i));
        if (!e)
            return {};
        out << *e;
    }
    return out;
}

// RFC 4180 reader: quoted fields may hold commas, doubled quotes, CR and LF; records end in CRLF.
QList<QStringList> parseCsv(const QByteArray &data, bool *wellFormed)
{
    QList<QStringList> rows;
    QStringList row;
    QByteArray cell;
    bool quoted = false;
    bool wasQuoted = false;
    *wellFormed = true;
    for (qsizetype i = 0; i < data.size(); ++i) {
        const char c = data.at(i);
        if (quoted) {
            if (c == '"') {
                if (i + 1 < data.size() && data.at(i + 1) == '"') {
                    cell += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cell += c;
            }
            continue;
        }
        if (c == '"') {
            if (!cell.isEmpty() || wasQuoted)
                *wellFormed = false; // a quote in the middle of an unquoted field
            quoted = true;
            wasQuoted = true;
        } else if (c == ',') {
            row << QString::fromUtf8(cell);
            cell.clear();
            wasQuoted = false;
        } else if (c == '\r' && i + 1 < data.size() && data.at(i + 1) == '\n') {
            row << QString::fromUtf8(cell);
            rows << row;
            row.clear();
            cell.clear();
            wasQuoted = false;
            ++i;
        } else if (c == '\r' || c == '\n') {
            *wellFormed = false; // a bare line break outside quotes
            cell += c;
        } else {
            cell += c;
        }
    }
    if (quoted || !cell.isEmpty() || !row.isEmpty())
        *wellFormed = false; // the last record must end with CRLF
    return rows;
}

} // namespace

class TestAuditExport final : public QObject
{
    Q_OBJECT

private slots:
    void exportJsonLines();
    void exportCsv();
    void exportRange();
    void csvLine_data();
    void csvLine();
};

void TestAuditExport::exportJsonLines()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 4).size(), 4);
    NewEvent special = newEvent(kFirmA, 5);
    special.details.insert(QStringLiteral("note"), QStringLiteral("a, \"b\"\nc \u00e9 \U0001F600"));
    special.entityId.clear();
    QVERIFY(b.backend().audit().append(special).has_value());
    QCOMPARE(appendN(b, kFirmB, 2).size(), 2);

    QBuffer out;
    QVERIFY(out.open(QIODevice::WriteOnly));
    qint64 lastDone = -1, lastTotal = -1;
    auto n = b.backend().audit().exportTo(out, kFirmA, ExportFormat::JsonLines, {}, [&](qint64 done, qint64 total) {
        lastDone = done;
        lastTotal = total;
    });
    QVERIFY(n.has_value());
    QCOMPARE(*n, qint64(5));
    QCOMPARE(lastDone, qint64(5));
    QCOMPARE(lastTotal, qint64(5));

    const QByteArray data = out.data();
    QVERIFY(data.endsWith('\n'));
    const QList<QByteArray> lines = data.chopped(1).split('\n');
    QCOMPARE(lines.size(), 5);
    QString prev = kGenesisHash;
    for (int i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        QJsonParseError err{};
        QJsonObject o = QJsonDocument::fromJson(line, &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QCOMPARE(json::canonical(o), line); // one canonical object per line
        QCOMPARE(o.size(), 14);
        QCOMPARE(o.value(QStringLiteral("sequence")).toInteger(), i + 1);
        QCOMPARE(o.value(QStringLiteral("prev_hash")).toString(), prev);

        // A third party's check: drop "hash", re-canonicalise, SHA-256.
        const QString hash = o.take(QStringLiteral("hash")).toString();
        QCOMPARE(QString::fromLatin1(crypto::sha256Hex(json::canonical(o))), hash);

        auto stored = b.backend().audit().get(kFirmA, o.value(QStringLiteral("id")).toString());
        QVERIFY(stored.has_value());
        QCOMPARE(stored->hash, hash);
        QJsonObject expected = toJson(*stored);
        expected.remove(QStringLiteral("hash"));
        QCOMPARE(o, expected);
        prev = hash;
    }
    QVERIFY(QJsonDocument::fromJson(lines.last()).object().value(QStringLiteral("entity_id")).isNull());
    QCOMPARE(
        QJsonDocument::fromJson(lines.last()).object().value(QStringLiteral("details")).toObject().value(QStringLiteral("note")),
        QJsonValue(QStringLiteral("a, \"b\"\nc \u00e9 \U0001F600")));
}

void TestAuditExport::exportCsv()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 3).size(), 3);
    NewEvent special = newEvent(kFirmA, 4);
    special.details = QJsonObject{{QStringLiteral("note"), QStringLiteral("a, \"b\"\nc")}, {QStringLiteral("n"), 1}};
    special.entityId = QStringLiteral("x,\"y\"\r\nz");
    auto specialEvent = b.backend().audit().append(special);
    QVERIFY(specialEvent.has_value());
    QCOMPARE(appendN(b, kFirmA, 1).size(), 1); // a 5th, after the special one

    QBuffer out;
    QVERIFY(out.open(QIODevice::WriteOnly));
    qint64 lastDone = -1, lastTotal = -1;
    auto n = b.backend().audit().exportTo(out, kFirmA, ExportFormat::Csv, {}, [&](qint64 done, qint64 total) {
        lastDone = done;
        lastTotal = total;
    });
    QVERIFY(n.has_value());
    QCOMPARE(*n, qint64(5));
    QCOMPARE(lastDone, qint64(5));
    QCOMPARE(lastTotal, qint64(5));

    const QByteArray data = out.data();
    QVERIFY(data.startsWith(QByteArray(csvColumns().join(u',').toUtf8() + "\r\n")));
    bool wellFormed = false;
    const QList<QStringList> rows = parseCsv(data, &wellFormed);
    QVERIFY(wellFormed);
    QCOMPARE(rows.size(), 6);
    QCOMPARE(rows.first(), csvColumns());

    // The details of the special event, quoted per RFC 4180: the whole field in quotes, quotes doubled.
    const QByteArray details = json::canonical(special.details);
    QVERIFY(details.contains(',') && details.contains('"'));
    QByteArray quoted = details;
    quoted.replace("\"", "\"\"");
    QVERIFY(data.contains(QByteArray(",\"" + quoted + "\",")));
    QVERIFY(data.contains(",\"x,\"\"y\"\"\r\nz\","));

    const auto col = [](const QString &name) { return int(csvColumns().indexOf(name)); };
    for (int i = 1; i < rows.size(); ++i) {
        const QStringList &r = rows.at(i);
        QCOMPARE(r.size(), csvColumns().size());
        auto stored = b.backend().audit().get(kFirmA, r.at(col(QStringLiteral("id"))));
        QVERIFY(stored.has_value());
        QCOMPARE(r.at(col(QStringLiteral("sequence"))), QString::number(i));
        QCOMPARE(r.at(col(QStringLiteral("chain"))), stored->chain);
        QCOMPARE(r.at(col(QStringLiteral("occurred_at"))), stored->occurredAt);
        QCOMPARE(r.at(col(QStringLiteral("firm_id"))), stored->firmId);
        QCOMPARE(r.at(col(QStringLiteral("actor_type"))), stored->actorType);
        QCOMPARE(r.at(col(QStringLiteral("actor_id"))), stored->actorId);
        QCOMPARE(r.at(col(QStringLiteral("action"))), stored->action);
        QCOMPARE(r.at(col(QStringLiteral("entity_type"))), stored->entityType);
        QCOMPARE(r.at(col(QStringLiteral("entity_id"))), stored->entityId);
        QCOMPARE(r.at(col(QStringLiteral("ip"))), stored->ip);
        QCOMPARE(r.at(col(QStringLiteral("details"))).toUtf8(), json::canonical(stored->details));
        QCOMPARE(r.at(col(QStringLiteral("prev_hash"))), stored->prevHash);
        QCOMPARE(r.at(col(QStringLiteral("hash"))), stored->hash);

        // The hash can be recomputed from the CSV alone.
        Event e;
        e.sequence = r.at(col(QStringLiteral("sequence"))).toLongLong();
        e.id = r.at(col(QStringLiteral("id")));
        e.chain = r.at(col(QStringLiteral("chain")));
        e.occurredAt = r.at(col(QStringLiteral("occurred_at")));
        e.firmId = r.at(col(QStringLiteral("firm_id")));
        e.actorType = r.at(col(QStringLiteral("actor_type")));
        e.actorId = r.at(col(QStringLiteral("actor_id")));
        e.action = r.at(col(QStringLiteral("action")));
        e.entityType = r.at(col(QStringLiteral("entity_type")));
        e.entityId = r.at(col(QStringLiteral("entity_id")));
        e.ip = r.at(col(QStringLiteral("ip")));
        e.details = QJsonDocument::fromJson(r.at(col(QStringLiteral("details"))).toUtf8()).object();
        e.prevHash = r.at(col(QStringLiteral("prev_hash")));
        QCOMPARE(computeHash(e), r.at(col(QStringLiteral("hash"))));
    }
    QCOMPARE(rows.at(4).at(col(QStringLiteral("entity_id"))), special.entityId);
    QCOMPARE(rows.at(4).at(col(QStringLiteral("details"))).toUtf8(), details);
}

void TestAuditExport::exportRange()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    const QDateTime t0 = b.clock().now();
    for (int i = 1; i <= 6; ++i) {
        QVERIFY(b.backend().audit().append(newEvent(kFirmA, i)).has_value());
        b.clock().advanceMs(60'000);
    }
    auto sequencesOf = [&](const ExportRange &range) {
        QBuffer out;
        (void)out.open(QIODevice::WriteOnly);
        QList<int> seqs;
        if (!b.backend().audit().exportTo(out, kFirmA, ExportFormat::JsonLines, range))
            return QList<int>{-1};
        for (const auto &line : out.data().split('\n')) {
            if (!line.isEmpty())
                seqs << int(QJsonDocument::fromJson(line).object().value(QStringLiteral("sequence")).toInteger());
        }
        return seqs;
    };
    ExportRange bySequence;
    bySequence.fromSequence = 2;
    bySequence.toSequence = 4;
    QCOMPARE(sequencesOf(bySequence), (QList<int>{2, 3, 4}));
    ExportRange byTime;
    byTime.from = t0.addSecs(4 * 60);
    QCOMPARE(sequencesOf(byTime), (QList<int>{5, 6}));
    byTime.to = t0.addSecs(4 * 60);
    QCOMPARE(sequencesOf(byTime), (QList<int>{5}));
    QCOMPARE(sequencesOf({}), (QList<int>{1, 2, 3, 4, 5, 6}));
}

void TestAuditExport::csvLine_data()
{
    QTest::addColumn<QStringList>("cells");
    QTest::addColumn<QByteArray>("line");

    QTest::newRow("plain") << QStringList{QStringLiteral("a"), QStringLiteral("b")} << QByteArray("a,b\r\n");
    QTest::newRow("empty cells") << QStringList{QString(), QStringLiteral("x"), QString()} << QByteArray(",x,\r\n");
    QTest::newRow("comma") << QStringList{QStringLiteral("a,b")} << QByteArray("\"a,b\"\r\n");
    QTest::newRow("quote") << QStringList{QStringLiteral("say \"hi\"")} << QByteArray("\"say \"\"hi\"\"\"\r\n");
    QTest::newRow("LF") << QStringList{QStringLiteral("a\nb")} << QByteArray("\"a\nb\"\r\n");
    QTest::newRow("CR") << QStringList{QStringLiteral("a\rb")} << QByteArray("\"a\rb\"\r\n");
    QTest::newRow("all together") << QStringList{QStringLiteral("1"), QStringLiteral("{\"k\":\"a,b\\nc\"}")}
                                  << QByteArray("1,\"{\"\"k\"\":\"\"a,b\\nc\"\"}\"\r\n");
    QTest::newRow("UTF-8") << QStringList{QStringLiteral("caf\u00e9")} << QByteArray("caf\xc3\xa9\r\n");
    // docs/audit-format.md: values are never altered, no spreadsheet-formula escaping.
    QTest::newRow("formula-like cells as they are")
        << QStringList{QStringLiteral("=1+1"), QStringLiteral("+1"), QStringLiteral("-1"), QStringLiteral("@SUM(A1)")}
        << QByteArray("=1+1,+1,-1,@SUM(A1)\r\n");
}

void TestAuditExport::csvLine()
{
    QFETCH(QStringList, cells);
    QFETCH(QByteArray, line);
    QCOMPARE(audit::csvLine(cells), line);
    bool wellFormed = false;
    const QList<QStringList> parsed = parseCsv(line, &wellFormed);
    QVERIFY(wellFormed);
    QCOMPARE(parsed.size(), 1);
    QCOMPARE(parsed.first(), cells);
}

QTEST_GUILESS_MAIN(TestAuditExport)
#include "tst_auditexport.moc"

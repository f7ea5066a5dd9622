// The strict multipart/form-data reader of POST /aml/lists/import: what browsers and curl send parses, and
// every deviation (boundary rules, line ends, header set, limits) is a validation error naming the problem.
#include "backend/http/multipart.h"

#include <QtTest>

using namespace kyc;
using namespace kyc::http;
using namespace Qt::Literals::StringLiterals;

namespace {

const QByteArray kType = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";
const QByteArray kDash = "------WebKitFormBoundary7MA4YWxkTrZu0gW";

QByteArray field(const QByteArray &name, const QByteArray &value)
{
    return kDash + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

QByteArray file(const QByteArray &name, const QByteArray &bytes)
{
    return kDash + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + name
        + "\"\r\nContent-Type: text/csv\r\n\r\n" + bytes + "\r\n";
}

QByteArray good()
{
    return field("format", "ofac_sdn_csv") + field("source", "ofac_sdn") + file("sdn.csv", "36,\"AEROCARIBBEAN\"\r\n--x\r\n")
        + file("add.csv", QByteArray("\0\x01\xff binary", 10)) + kDash + "--\r\n";
}

} // namespace

class TestMultipart : public QObject
{
    Q_OBJECT

private slots:
    void parsesWhatClientsSend()
    {
        auto form = multipart::parse(kType, good());
        QVERIFY2(form, form ? "" : qPrintable(form.error().fields.value(0).message));
        QCOMPARE(form->parts.size(), 4);
        QCOMPARE(form->parts[0].name, u"format"_s);
        QVERIFY(form->parts[0].fileName.isNull());
        QCOMPARE(form->parts[0].body, QByteArray("ofac_sdn_csv"));
        QCOMPARE(form->parts[2].fileName, u"sdn.csv"_s);
        QCOMPARE(form->parts[2].contentType, QByteArray("text/csv"));
        QCOMPARE(form->parts[2].body, QByteArray("36,\"AEROCARIBBEAN\"\r\n--x\r\n")); // a near-boundary inside stays data
        QCOMPARE(form->parts[3].body, QByteArray("\0\x01\xff binary", 10));
        // A quoted boundary, and no CRLF after the closing delimiter.
        QByteArray body = good();
        body.chop(2);
        QVERIFY(multipart::parse("Multipart/Form-Data; boundary=\"----WebKitFormBoundary7MA4YWxkTrZu0gW\"", body));
        // A filename with an escaped quote.
        const QByteArray escaped
            = kDash + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\\\"b.csv\"\r\n\r\nx\r\n" + kDash + "--";
        auto e = multipart::parse(kType, escaped);
        QVERIFY(e);
        QCOMPARE(e->parts[0].fileName, u"a\"b.csv"_s);
    }

    void refusesDeviations_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("why");
        const QByteArray g = good();
        auto with = [&](const QByteArray &from, const QByteArray &to) {
            QByteArray b = g;
            return b.replace(from, to);
        };
        QTest::newRow("not multipart") << QByteArray("application/json") << g << u"not multipart/form-data"_s;
        QTest::newRow("no boundary") << QByteArray("multipart/form-data") << g << u"parameters"_s;
        QTest::newRow("empty boundary") << QByteArray("multipart/form-data; boundary=\"\"") << g << u"boundary"_s;
        QTest::newRow("boundary too long") << QByteArray("multipart/form-data; boundary=" + QByteArray(71, 'a')) << g
                                           << u"boundary"_s;
        QTest::newRow("boundary bad char") << QByteArray("multipart/form-data; boundary=\"a\\\"b\"") << g << u"boundary"_s;
        QTest::newRow("two boundaries") << QByteArray(kType + "; boundary=x") << g << u"parameters"_s;
        QTest::newRow("preamble") << kType << QByteArray("preamble\r\n" + g) << u"start with the boundary"_s;
        QTest::newRow("bare LF in headers") << kType << with("\"format\"\r\n\r\n", "\"format\"\n\r\n") << u"bare LF"_s;
        QTest::newRow("folded header") << kType << with("Content-Type: text/csv", "Content-Type:\r\n text/csv") << u"folded"_s;
        QTest::newRow("unknown header") << kType << with("Content-Type: text/csv", "X-Evil: 1") << u"only"_s;
        QTest::newRow("no disposition") << kType << with("Content-Disposition: form-data; name=\"format\"\r\n", "")
                                        << u"Content-Disposition"_s;
        QTest::newRow("not form-data") << kType << with("form-data; name=\"format\"", "attachment; name=\"format\"")
                                       << u"form-data"_s;
        QTest::newRow("no name") << kType << with("form-data; name=\"format\"", "form-data") << u"parameters"_s;
        QTest::newRow("empty name") << kType << with("name=\"format\"", "name=\"\"") << u"name"_s;
        QTest::newRow("unknown parameter") << kType << with("name=\"format\"", "name=\"format\"; size=3") << u"unknown"_s;
        QTest::newRow("repeated parameter") << kType << with("name=\"format\"", "name=\"format\"; name=\"x\"") << u"parameters"_s;
        QTest::newRow("unterminated quote") << kType << with("name=\"format\"", "name=\"format") << u"parameters"_s;
        QTest::newRow("bad header name") << kType << with("Content-Type: text/csv", "Content Type: text/csv") << u"token"_s;
        QTest::newRow("no closing boundary") << kType << QByteArray(field("format", "x")) << u"closing boundary"_s;
        QTest::newRow("data after close") << kType << QByteArray(g + "trailing") << u"after the closing"_s;
        QTest::newRow("junk after boundary") << kType
                                             << with(kDash + "\r\nContent-Disposition: form-data; name=\"source\"",
                                                     kDash + "  \r\nContent-Disposition: form-data; name=\"source\"")
                                             << u"followed by CRLF"_s;
        QTest::newRow("headers never end") << kType << QByteArray(kDash + "\r\nContent-Disposition: form-data; name=\"a\"\r\n")
                                           << u"do not end"_s;
        QTest::newRow("no part") << kType << QByteArray(kDash + "--") << u"no part"_s;
        QTest::newRow("NUL in header") << kType << with("name=\"format\"", QByteArray("name=\"for\0mat\"", 14)) << u"NUL"_s;
    }

    void refusesDeviations()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        QFETCH(QString, why);
        auto form = multipart::parse(contentType, body);
        QVERIFY(!form);
        QCOMPARE(form.error().code, ErrorCode::Validation);
        const QString message = form.error().fields.value(0).message;
        QVERIFY2(message.contains(why), qPrintable(message));
    }

    void limits()
    {
        multipart::Limits l;
        l.maxParts = 3;
        QVERIFY(!multipart::parse(kType, good(), l));
        QVERIFY2(multipart::parse(kType, good(), l).error().fields.value(0).message.contains(u"more than 3 parts"_s), "parts");
        l = {};
        l.maxBodyBytes = 100;
        QVERIFY(multipart::parse(kType, good(), l).error().fields.value(0).message.contains(u"larger than 100 bytes"_s));
        l = {};
        l.maxHeaderBytes = 40;
        QVERIFY(multipart::parse(kType, good(), l).error().fields.value(0).message.contains(u"longer than 40 bytes"_s));
        l = {};
        l.maxHeaderLines = 1;
        QVERIFY(multipart::parse(kType, good(), l).error().fields.value(0).message.contains(u"header lines"_s));
        // Many tiny parts stay within the default limit of 32, one more does not.
        QByteArray many;
        for (int i = 0; i < 33; ++i)
            many += field("f" + QByteArray::number(i), "v");
        QVERIFY(!multipart::parse(kType, QByteArray(many + kDash + "--")));
        many.clear();
        for (int i = 0; i < 32; ++i)
            many += field("f" + QByteArray::number(i), "v");
        QVERIFY(multipart::parse(kType, QByteArray(many + kDash + "--")));
    }
};

QTEST_GUILESS_MAIN(TestMultipart)
#include "tst_multipart.moc"

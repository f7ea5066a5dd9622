// The canonical JSON that audit hashes are computed over must be byte-for-byte what a third party
// gets from Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
#include "backend/core/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QtTest>

#include <limits>

using namespace kyc;

namespace {

QJsonObject obj(std::initializer_list<std::pair<QString, QJsonValue>> members)
{
    QJsonObject o;
    for (const auto &[k, v] : members)
        o.insert(k, v);
    return o;
}

// A QString from a UTF-16 literal, embedded NULs included.
template <qsizetype N>
QString str(const char16_t (&s)[N])
{
    return QString::fromUtf16(s, N - 1);
}

// Characters that exercise every escaping rule, multi-byte UTF-8 and non-BMP text. U+E000–U+FFFF
// is left out of keys on purpose: there UTF-16 order and Python's code point order disagree (see
// keysSortedByUtf16CodeUnit).
const QString kAlphabet = str(u"aZ09 _-/.,:;{}[]\"\\\n\r\t\b\f\u0000\u0001\u001f\u007f\u00e9\u00df\u20ac\u2028\u4e2d\U0001F600");

QString randomString(QRandomGenerator &rng, int maxLength)
{
    const int length = int(rng.bounded(maxLength + 1));
    QString s;
    for (int i = 0; i < length; ++i) {
        // Pick whole code points, so that a surrogate pair is never split.
        const int at = int(rng.bounded(kAlphabet.size()));
        if (kAlphabet.at(at).isLowSurrogate())
            s += kAlphabet.mid(at - 1, 2);
        else if (kAlphabet.at(at).isHighSurrogate())
            s += kAlphabet.mid(at, 2);
        else
            s += kAlphabet.at(at);
    }
    return s;
}

QJsonValue randomValue(QRandomGenerator &rng, int depth)
{
    const int kind = int(rng.bounded(depth > 2 ? 5 : 7));
    switch (kind) {
    case 0: return QJsonValue::Null;
    case 1: return rng.bounded(2) == 1;
    case 2: return qint64(rng.bounded(2'000'000'001)) - 1'000'000'000;
    case 3: return qint64(rng.generate64() >> 12) - (qint64(1) << 51); // within ±2^51
    case 4: return randomString(rng, 12);
    case 5: {
        QJsonArray a;
        const int n = int(rng.bounded(5));
        for (int i = 0; i < n; ++i)
            a.append(randomValue(rng, depth + 1));
        return a;
    }
    default: {
        QJsonObject o;
        const int n = int(rng.bounded(6));
        for (int i = 0; i < n; ++i)
            o.insert(randomString(rng, 6), randomValue(rng, depth + 1));
        return o;
    }
    }
}

} // namespace

class TestCanonicalJson final : public QObject
{
    Q_OBJECT

private slots:
    void canonical_data();
    void canonical();
    void stringEscapes_data();
    void stringEscapes();
    void canonicalIsIdempotent();
    void keysSortedByUtf16CodeUnit();
    void nonIntegralNumbersRoundTrip_data();
    void nonIntegralNumbersRoundTrip();
    void matchesPython();
};

void TestCanonicalJson::canonical_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("empty object") << QJsonValue(QJsonObject()) << QByteArray("{}");
    QTest::newRow("empty array") << QJsonValue(QJsonArray()) << QByteArray("[]");
    QTest::newRow("keys sorted") << QJsonValue(
        obj({{QStringLiteral("b"), 1}, {QStringLiteral("c"), 2}, {QStringLiteral("a"), 3}}))
                                 << QByteArray(R"({"a":3,"b":1,"c":2})");
    QTest::newRow("upper case before lower case, shorter key first") << QJsonValue(
        obj({{QStringLiteral("ab"), 1}, {QStringLiteral("a"), 2}, {QStringLiteral("B"), 3}, {QStringLiteral("_"), 4}}))
                                                                     << QByteArray(R"({"B":3,"_":4,"a":2,"ab":1})");
    QTest::newRow("nested objects and arrays") << QJsonValue(
        obj({{QStringLiteral("z"),
              QJsonArray{1, QJsonArray{}, obj({{QStringLiteral("y"), true}, {QStringLiteral("x"), QJsonValue::Null}})}},
             {QStringLiteral("m"), obj({{QStringLiteral("k2"), QJsonObject()}, {QStringLiteral("k1"), QJsonArray{false}}})}}))
                                               << QByteArray(R"({"m":{"k1":[false],"k2":{}},"z":[1,[],{"x":null,"y":true}]})");
    QTest::newRow("integers plain") << QJsonValue(QJsonArray{
        0, 1, -1, 42, 1000000, -2147483648LL, 4294967296LL, 9007199254740991LL,
        -9007199254740991LL}) << QByteArray("[0,1,-1,42,1000000,-2147483648,4294967296,9007199254740991,-9007199254740991]");
    // docs/audit-format.md rule 4: integers in plain decimal, never with an exponent, whatever their size.
    QTest::newRow("integer 2^53") << QJsonValue(qint64(9007199254740992LL)) << QByteArray("9007199254740992");
    QTest::newRow("integer 2^53 + 1") << QJsonValue(qint64(9007199254740993LL)) << QByteArray("9007199254740993");
    QTest::newRow("integer -(2^53 + 1)") << QJsonValue(qint64(-9007199254740993LL)) << QByteArray("-9007199254740993");
    QTest::newRow("int64 max") << QJsonValue(std::numeric_limits<qint64>::max()) << QByteArray("9223372036854775807");
    QTest::newRow("integral doubles plain") << QJsonValue(QJsonArray{1e6, 123456789012.0})
                                            << QByteArray("[1000000,123456789012]");
    QTest::newRow("booleans and null") << QJsonValue(QJsonArray{true, false, QJsonValue::Null})
                                       << QByteArray("[true,false,null]");
    QTest::newRow("top-level string") << QJsonValue(QStringLiteral("x")) << QByteArray(R"("x")");
    QTest::newRow("top-level null") << QJsonValue(QJsonValue::Null) << QByteArray("null");
    QTest::newRow("escaped key") << QJsonValue(obj({{QStringLiteral("a\"b\n"), 1}})) << QByteArray(R"({"a\"b\n":1})");
    QTest::newRow("no white space kept in values") << QJsonValue(obj({{QStringLiteral("k"), QStringLiteral(" spaced  value ")}}))
                                                   << QByteArray(R"({"k":" spaced  value "})");
    QTest::newRow("audit-like details")
        << QJsonValue(obj({{QStringLiteral("before"), obj({{QStringLiteral("status"), QStringLiteral("draft")}})},
                           {QStringLiteral("after"), obj({{QStringLiteral("status"), QStringLiteral("submitted")}})},
                           {QStringLiteral("count"), 3}}))
        << QByteArray(R"({"after":{"status":"submitted"},"before":{"status":"draft"},"count":3})");
}

void TestCanonicalJson::canonical()
{
    QFETCH(QJsonValue, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(json::canonical(value), expected);

    QByteArray appended("prefix:");
    json::appendCanonical(appended, value);
    QCOMPARE(appended, QByteArray(QByteArray("prefix:") + expected));
}

void TestCanonicalJson::stringEscapes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("expected"); // the JSON string, quotes included

    QTest::newRow("plain") << QStringLiteral("hello") << QByteArray(R"("hello")");
    QTest::newRow("empty") << QString() << QByteArray(R"("")");
    QTest::newRow("quote") << QStringLiteral("a\"b") << QByteArray(R"("a\"b")");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray(R"("a\\b")");
    QTest::newRow("newline") << QStringLiteral("a\nb") << QByteArray(R"("a\nb")");
    QTest::newRow("carriage return") << QStringLiteral("a\rb") << QByteArray(R"("a\rb")");
    QTest::newRow("tab") << QStringLiteral("a\tb") << QByteArray(R"("a\tb")");
    QTest::newRow("backspace") << QStringLiteral("a\bb") << QByteArray(R"("a\bb")");
    QTest::newRow("form feed") << QStringLiteral("a\fb") << QByteArray(R"("a\fb")");
    QTest::newRow("NUL") << QString(QChar(0)) << QByteArray(R"("\u0000")");
    QTest::newRow("U+0001") << QString(QChar(1)) << QByteArray(R"("\u0001")");
    QTest::newRow("vertical tab U+000B") << QString(QChar(0x0b)) << QByteArray(R"("\u000b")");
    QTest::newRow("U+000E") << QString(QChar(0x0e)) << QByteArray(R"("\u000e")");
    QTest::newRow("U+001A lower-case hex") << QString(QChar(0x1a)) << QByteArray(R"("\u001a")");
    QTest::newRow("U+001F") << QString(QChar(0x1f)) << QByteArray(R"("\u001f")");
    QTest::newRow("space is not escaped") << QStringLiteral(" ") << QByteArray(R"(" ")");
    QTest::newRow("slash is not escaped") << QStringLiteral("a/b") << QByteArray(R"("a/b")");
    QTest::newRow("DEL is not escaped") << QString(QChar(0x7f)) << QByteArray("\"\x7f\"");
    QTest::newRow("latin-1 raw") << str(u"caf\u00e9") << QByteArray("\"caf\xc3\xa9\"");
    QTest::newRow("euro raw") << str(u"\u20ac") << QByteArray("\"\xe2\x82\xac\"");
    QTest::newRow("U+2028 raw") << str(u"\u2028") << QByteArray("\"\xe2\x80\xa8\"");
    QTest::newRow("CJK raw") << str(u"\u4e2d\u6587") << QByteArray("\"\xe4\xb8\xad\xe6\x96\x87\"");
    QTest::newRow("non-BMP raw") << str(u"\U0001F600") << QByteArray("\"\xf0\x9f\x98\x80\"");
    QTest::newRow("mixed") << str(u"\"\\\n\r\t\b\f\u0002\u00e9") << QByteArray("\"\\\"\\\\\\n\\r\\t\\b\\f\\u0002\xc3\xa9\"");
}

void TestCanonicalJson::stringEscapes()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, expected);

    QByteArray direct;
    json::appendCanonicalString(direct, text);
    QCOMPARE(direct, expected);
    QCOMPARE(json::canonical(QJsonValue(text)), expected);

    // The same rules apply to keys.
    QCOMPARE(json::canonical(obj({{text, 0}})), QByteArray("{") + expected + QByteArray(":0}"));

    // And the text is valid JSON that decodes to the original.
    const QByteArray wrapped = QByteArray("[") + expected + QByteArray("]");
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(doc.array().at(0).toString(), text);
}

void TestCanonicalJson::canonicalIsIdempotent()
{
    QRandomGenerator rng(20260101);
    for (int i = 0; i < 200; ++i) {
        const QJsonValue v = randomValue(rng, 0);
        const QByteArray once = json::canonical(v);
        const QByteArray wrapped = QByteArray("[") + once + QByteArray("]");
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &err);
        QVERIFY2(err.error == QJsonParseError::NoError, once.constData());
        QCOMPARE(json::canonical(doc.array().at(0)), once);
    }
}

void TestCanonicalJson::keysSortedByUtf16CodeUnit()
{
    // The documented order is by UTF-16 code unit (as RFC 8785 does): U+1F600 is the surrogate pair
    // D83D DE00 and so sorts before U+FF21, although its code point is larger.
    const QString emoji = str(u"\U0001F600");
    const QString fullwidthA = str(u"\uff21");
    const QJsonObject o = obj({{fullwidthA, 2}, {emoji, 1}, {QStringLiteral("z"), 0}, {str(u"\u00e9"), 3}});
    const QByteArray expected = QByteArray("{\"z\":0,\"\xc3\xa9\":3,\"\xf0\x9f\x98\x80\":1,\"\xef\xbc\xa1\":2}");
    QCOMPARE(json::canonical(o), expected);
}

void TestCanonicalJson::nonIntegralNumbersRoundTrip_data()
{
    QTest::addColumn<double>("number");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("0.5") << 0.5 << QByteArray("0.5");
    QTest::newRow("-1.25") << -1.25 << QByteArray("-1.25");
    QTest::newRow("0.1") << 0.1 << QByteArray("0.1");
    QTest::newRow("1/3") << 1.0 / 3.0 << QByteArray();
    QTest::newRow("1e300") << 1e300 << QByteArray();
    QTest::newRow("2^53") << 9007199254740992.0 << QByteArray();
    QTest::newRow("tiny") << 5e-324 << QByteArray();
}

void TestCanonicalJson::nonIntegralNumbersRoundTrip()
{
    QFETCH(double, number);
    QFETCH(QByteArray, expected);
    const QByteArray text = json::canonical(QJsonValue(number));
    if (!expected.isEmpty())
        QCOMPARE(text, expected);
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(QByteArray("[") + text + QByteArray("]")));
    QVERIFY2(doc.isArray(), text.constData());
    QCOMPARE(doc.array().at(0).toDouble(), number);
}

void TestCanonicalJson::matchesPython()
{
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (python.isEmpty())
        QSKIP("python3 is not on PATH");

    // Python reads each object in Qt's own (non-canonical) serialisation and writes its canonical
    // form; the two implementations must agree byte for byte.
    QRandomGenerator rng(4231);
    QList<QJsonValue> values;
    values << QJsonValue(obj({{QStringLiteral("b"), 1}, {QStringLiteral("a"), QJsonArray{true, false, QJsonValue::Null}}}));
    values << QJsonValue(obj({{str(u"k\u00e9y\n"), str(u"\u0000\u001f\u007f\"\\/\u2028\U0001F600")}}));
    for (int i = 0; i < 60; ++i) {
        QJsonObject o;
        const int n = 1 + int(rng.bounded(6));
        for (int k = 0; k < n; ++k)
            o.insert(randomString(rng, 6), randomValue(rng, 0));
        values << QJsonValue(o);
    }

    QByteArray input;
    QList<QByteArray> expected;
    for (const auto &v : values) {
        input += QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
        input += '\n';
        expected << json::canonical(v);
    }

    const QString script = QStringLiteral(
        "import json, sys\n"
        "out = []\n"
        "for line in sys.stdin.buffer.read().split(b'\\n'):\n"
        "    if line:\n"
        "        v = json.loads(line.decode('utf-8'))\n"
        "        out.append(json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8'))\n"
        "sys.stdout.buffer.write(b'\\n'.join(out) + b'\\n')\n");
    QProcess p;
    p.start(python, {QStringLiteral("-c"), script});
    QVERIFY(p.waitForStarted());
    p.write(input);
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(60'000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());

    QList<QByteArray> actual = p.readAllStandardOutput().split('\n');
    QCOMPARE(actual.takeLast(), QByteArray());
    QCOMPARE(actual.size(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i)
        QCOMPARE(expected.at(i), actual.at(i));
}

QTEST_GUILESS_MAIN(TestCanonicalJson)
#include "tst_canonicaljson.moc"

// RFC 5322 message formatting: headers, CRLF, quoted-printable (RFC 2045), encoded-words (RFC 2047)
// and validation against header injection.
#include "backend/mail/message.h"

#include <QRegularExpression>
#include <QTimeZone>
#include <QtTest>

using namespace kyc;
using namespace kyc::mail;

namespace {

const QDateTime kDate(QDate(2024, 3, 5), QTime(14, 7, 9), QTimeZone::utc());

Message sampleMessage()
{
    Message m;
    m.from = QStringLiteral("KYConnect <no-reply@kyconnect.local>");
    m.to = {QStringLiteral("alice@example.com"), QStringLiteral("Bob Builder <bob@example.org>")};
    m.subject = QStringLiteral("Reset your password");
    m.textBody = QStringLiteral("Hello,\nuse this link.\n");
    m.messageId = QStringLiteral("<fixed-id@kyconnect.local>");
    return m;
}

struct ParsedEml {
    QMap<QByteArray, QByteArray> headers; // unfolded values
    QByteArray rawHeaders;
    QByteArray body;
};

ParsedEml parse(const QByteArray &eml)
{
    ParsedEml p;
    const qsizetype split = eml.indexOf("\r\n\r\n");
    p.rawHeaders = eml.left(split + 2);
    p.body = eml.mid(split + 4);
    // Folding put CRLF before a space; unfolding removes the CRLF only.
    QByteArray unfolded = p.rawHeaders;
    unfolded.replace("\r\n ", " ");
    for (const QByteArray &line : unfolded.split('\n')) {
        const QByteArray l = line.endsWith('\r') ? line.chopped(1) : line;
        const qsizetype colon = l.indexOf(':');
        if (colon > 0)
            p.headers.insert(l.left(colon), l.mid(colon + 1).trimmed());
    }
    return p;
}

// An independent RFC 2045 decoder: soft breaks join lines, =XX is one octet.
QByteArray decodeQuotedPrintable(const QByteArray &qp)
{
    QByteArray out;
    QList<QByteArray> lines = qp.split('\n');
    if (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        const bool soft = line.endsWith('=');
        if (soft)
            line.chop(1);
        for (qsizetype i = 0; i < line.size(); ++i) {
            if (line[i] == '=' && i + 2 < line.size()) {
                out += QByteArray::fromHex(line.mid(i + 1, 2));
                i += 2;
            } else {
                out += line[i];
            }
        }
        if (!soft)
            out += "\r\n";
    }
    return out;
}

// Joins the text of all RFC 2047 B-encoded UTF-8 words in a header value.
QString decodeEncodedWords(const QByteArray &value)
{
    static const QRegularExpression word(QStringLiteral("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]*)\\?="));
    QByteArray utf8;
    auto it = word.globalMatch(QString::fromLatin1(value));
    while (it.hasNext())
        utf8 += QByteArray::fromBase64(it.next().captured(1).toLatin1());
    return QString::fromUtf8(utf8);
}

QByteArray normalisedCrlf(const QString &text)
{
    QByteArray utf8 = text.toUtf8();
    utf8.replace("\r\n", "\n");
    utf8.replace('\r', '\n');
    utf8.replace("\n", "\r\n");
    if (!utf8.isEmpty() && !utf8.endsWith("\r\n"))
        utf8 += "\r\n";
    return utf8;
}

bool onlyCrlfLineEnds(const QByteArray &data)
{
    for (qsizetype i = 0; i < data.size(); ++i) {
        if (data[i] == '\r' && (i + 1 == data.size() || data[i + 1] != '\n'))
            return false;
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
            return false;
    }
    return data.endsWith("\r\n");
}

qsizetype longestLine(const QByteArray &data)
{
    qsizetype longest = 0;
    for (const QByteArray &line : data.split('\n'))
        longest = std::max(longest, line.endsWith('\r') ? line.size() - 1 : line.size());
    return longest;
}

} // namespace

class TstMail : public QObject
{
    Q_OBJECT

private slots:
    void headerSet()
    {
        const QByteArray eml = toEml(sampleMessage(), kDate);
        const ParsedEml p = parse(eml);
        QCOMPARE(p.headers.value("Date"), QByteArray("Tue, 05 Mar 2024 14:07:09 +0000"));
        QCOMPARE(p.headers.value("From"), QByteArray("KYConnect <no-reply@kyconnect.local>"));
        QCOMPARE(p.headers.value("To"), QByteArray("alice@example.com, Bob Builder <bob@example.org>"));
        QCOMPARE(p.headers.value("Subject"), QByteArray("Reset your password"));
        QCOMPARE(p.headers.value("Message-ID"), QByteArray("<fixed-id@kyconnect.local>"));
        QCOMPARE(p.headers.value("MIME-Version"), QByteArray("1.0"));
        QCOMPARE(p.headers.value("Content-Type"), QByteArray("text/plain; charset=UTF-8"));
        QCOMPARE(p.headers.value("Content-Transfer-Encoding"), QByteArray("quoted-printable"));
        QCOMPARE(p.headers.size(), 8);
        QVERIFY(eml.startsWith("Date: "));
        QCOMPARE(decodeQuotedPrintable(p.body), QByteArray("Hello,\r\nuse this link.\r\n"));
    }

    void dateIsRfc5322InUtc()
    {
        // The same instant given in another zone still yields the UTC date line.
        const QDateTime plusTwo(QDate(2024, 3, 5), QTime(16, 7, 9), QTimeZone(2 * 3600));
        QCOMPARE(rfc5322Date(plusTwo), QByteArray("Tue, 05 Mar 2024 14:07:09 +0000"));
        QCOMPARE(rfc5322Date(QDateTime(QDate(1999, 12, 31), QTime(23, 59, 59), QTimeZone::utc())),
                 QByteArray("Fri, 31 Dec 1999 23:59:59 +0000"));
    }

    void crlfLineEnds()
    {
        Message m = sampleMessage();
        m.textBody = QStringLiteral("unix\nwindows\r\nold mac\rlast line without end");
        const QByteArray eml = toEml(m, kDate);
        QVERIFY(onlyCrlfLineEnds(eml));
        QVERIFY(eml.contains("\r\n\r\n"));
        QCOMPARE(decodeQuotedPrintable(parse(eml).body), QByteArray("unix\r\nwindows\r\nold mac\r\nlast line without end\r\n"));
    }

    void quotedPrintable_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("long line without spaces") << QString(300, QLatin1Char('a'));
        QTest::newRow("long line with words")
            << QStringLiteral("The quick brown fox jumps over the lazy dog. ").repeated(8).trimmed();
        QTest::newRow("equals signs") << QStringLiteral("a=b==c===d\n") + QString(100, QLatin1Char('='));
        QTest::newRow("non-ASCII") << QStringLiteral("Grüße aus Zürich – 日本語 ✓ 😀\nÄÖÜ äöü ß €");
        QTest::newRow("long non-ASCII") << QStringLiteral("ü✓😀").repeated(40);
        QTest::newRow("trailing white space") << QStringLiteral("ends with spaces   \nends with tab\t\nx");
        QTest::newRow("76 characters") << QString(76, QLatin1Char('b'));
        QTest::newRow("75 characters then =") << QString(75, QLatin1Char('c')) + QLatin1Char('=');
        QTest::newRow("77 characters") << QString(77, QLatin1Char('d'));
        QTest::newRow("space at a soft break") << QString(74, QLatin1Char('e')) + QStringLiteral(" f g h");
        QTest::newRow("dots and empty lines") << QStringLiteral(".\n..\n\n.leading dot\n\n");
        QTest::newRow("control characters") << QStringLiteral("nul\x01 del\x7f end");
        QTest::newRow("empty") << QString();
    }

    void quotedPrintable()
    {
        QFETCH(QString, text);
        const QByteArray encoded = mail::quotedPrintable(text.toUtf8());
        QVERIFY2(longestLine(encoded) <= 76, encoded.constData());
        QVERIFY(encoded.isEmpty() || onlyCrlfLineEnds(encoded));
        for (const QByteArray &line : encoded.split('\n')) {
            const QByteArray l = line.endsWith('\r') ? line.chopped(1) : line;
            QVERIFY2(!l.endsWith(' ') && !l.endsWith('\t'), l.constData());
            for (const char c : l)
                QVERIFY2((c >= 33 && c <= 126) || c == ' ' || c == '\t', l.constData());
        }
        QCOMPARE(decodeQuotedPrintable(encoded), normalisedCrlf(text));

        // The same text through toEml() decodes back as well.
        Message m = sampleMessage();
        m.textBody = text;
        const QByteArray eml = toEml(m, kDate);
        QCOMPARE(decodeQuotedPrintable(parse(eml).body), normalisedCrlf(text));
        QVERIFY(longestLine(eml) <= 76);
    }

    void quotedPrintableKnownAnswer()
    {
        QCOMPARE(mail::quotedPrintable("a=b"), QByteArray("a=3Db\r\n"));
        QCOMPARE(mail::quotedPrintable(QStringLiteral("Prüfung").toUtf8()), QByteArray("Pr=C3=BCfung\r\n"));
        QCOMPARE(mail::quotedPrintable("x \n"), QByteArray("x=20\r\n"));
        QCOMPARE(mail::quotedPrintable(QByteArray(80, 'z')), QByteArray(75, 'z') + "=\r\n" + QByteArray(5, 'z') + "\r\n");
    }

    void encodedWordSubject()
    {
        Message m = sampleMessage();
        m.subject = QStringLiteral("Prüfung ✓");
        const QByteArray eml = toEml(m, kDate);
        const ParsedEml p = parse(eml);
        const QByteArray subject = p.headers.value("Subject");
        QVERIFY(subject.startsWith("=?UTF-8?B?"));
        QVERIFY(subject.endsWith("?="));
        QCOMPARE(decodeEncodedWords(subject), QStringLiteral("Prüfung ✓"));
        for (const char c : p.rawHeaders)
            QVERIFY(static_cast<unsigned char>(c) < 0x80);
    }

    void longEncodedSubjectIsFolded()
    {
        Message m = sampleMessage();
        m.subject = QStringLiteral("Überprüfung der Identität ✓ – Schritt ").repeated(5) + QStringLiteral("😀");
        const QByteArray eml = toEml(m, kDate);
        const ParsedEml p = parse(eml);
        QVERIFY(longestLine(p.rawHeaders) <= 76);
        QCOMPARE(decodeEncodedWords(p.headers.value("Subject")), m.subject);
        static const QRegularExpression word(QStringLiteral("=\\?[^?]*\\?B\\?[^?]*\\?="));
        auto it = word.globalMatch(QString::fromLatin1(p.headers.value("Subject")));
        int words = 0;
        while (it.hasNext()) {
            const auto match = it.next();
            QVERIFY(match.capturedLength() <= 75);
            // Every word holds whole characters: each decodes on its own.
            const QByteArray utf8 = QByteArray::fromBase64(match.captured().mid(10).chopped(2).toLatin1());
            QCOMPARE(QString::fromUtf8(utf8).toUtf8(), utf8);
            ++words;
        }
        QVERIFY(words > 1);
    }

    void asciiSubjectStaysReadable()
    {
        Message m = sampleMessage();
        m.subject
            = QStringLiteral("A plain subject that is long enough to need folding across more than one header line, surely");
        const ParsedEml p = parse(toEml(m, kDate));
        QCOMPARE(p.headers.value("Subject"), m.subject.toLatin1());
        QVERIFY(longestLine(p.rawHeaders) <= 76);

        // Text that looks like an encoded-word is encoded so that readers do not decode it.
        m.subject = QStringLiteral("=?UTF-8?B?SGk=?=");
        QCOMPARE(decodeEncodedWords(parse(toEml(m, kDate)).headers.value("Subject")), m.subject);
    }

    void displayNames()
    {
        Message m = sampleMessage();
        m.from = QStringLiteral("Jürgen Müller <jm@example.com>");
        m.to = {QStringLiteral("\"Doe, Jane\" <jane@example.com>"), QStringLiteral("Ann (Ops) <ann@example.com>")};
        const ParsedEml p = parse(toEml(m, kDate));
        const QByteArray from = p.headers.value("From");
        QVERIFY(from.endsWith(" <jm@example.com>"));
        QCOMPARE(decodeEncodedWords(from), QStringLiteral("Jürgen Müller"));
        QCOMPARE(p.headers.value("To"), QByteArray("\"Doe, Jane\" <jane@example.com>, \"Ann (Ops)\" <ann@example.com>"));
    }

    void messageIdGenerated()
    {
        Message m = sampleMessage();
        m.messageId.clear();
        const QByteArray first = parse(toEml(m, kDate)).headers.value("Message-ID");
        const QByteArray second = parse(toEml(m, kDate)).headers.value("Message-ID");
        static const QRegularExpression shape(
            QStringLiteral("^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@kyconnect\\.local>$"));
        QVERIFY2(shape.match(QString::fromLatin1(first)).hasMatch(), first.constData());
        QVERIFY(first != second);
        QVERIFY(shape.match(generateMessageId()).hasMatch());

        m.messageId = QStringLiteral("abc@example.com");
        QCOMPARE(parse(toEml(m, kDate)).headers.value("Message-ID"), QByteArray("<abc@example.com>"));
    }

    void addressOf_data()
    {
        QTest::addColumn<QString>("mailbox");
        QTest::addColumn<QString>("address");
        QTest::newRow("bare") << QStringLiteral("a@b") << QStringLiteral("a@b");
        QTest::newRow("named") << QStringLiteral("Name <a@b>") << QStringLiteral("a@b");
        QTest::newRow("no-reply") << QStringLiteral("KYConnect <no-reply@kyconnect.local>")
                                  << QStringLiteral("no-reply@kyconnect.local");
        QTest::newRow("quoted name with angle") << QStringLiteral("\"x <y>\" <z@w.example>") << QStringLiteral("z@w.example");
        QTest::newRow("white space") << QStringLiteral("  a@b.example  ") << QStringLiteral("a@b.example");
        QTest::newRow("angle only") << QStringLiteral("<a@b.example>") << QStringLiteral("a@b.example");
    }

    void addressOf()
    {
        QFETCH(QString, mailbox);
        QFETCH(QString, address);
        QCOMPARE(mail::addressOf(mailbox), address);
    }

    void validateAccepts_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("subject");
        QTest::newRow("sample") << QStringLiteral("KYConnect <no-reply@kyconnect.local>") << QStringLiteral("a@b")
                                << QStringLiteral("Hi");
        QTest::newRow("non-ASCII subject and name")
            << QStringLiteral("Jürgen <j@example.com>") << QStringLiteral("\"Doe, Jane\" <jane.doe+kyc@mail.example.co.uk>")
            << QStringLiteral("Prüfung ✓");
        QTest::newRow("address literal") << QStringLiteral("a@[127.0.0.1]") << QStringLiteral("b@[IPv6:::1]") << QString();
        QTest::newRow("tab in subject") << QStringLiteral("a@b") << QStringLiteral("c@d") << QStringLiteral("a\tb");
    }

    void validateAccepts()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, subject);
        Message m = sampleMessage();
        m.from = from;
        m.to = {to};
        m.subject = subject;
        const Status s = validate(m);
        QVERIFY2(s.has_value(),
                 s ? ""
                   : qPrintable(QString(s.error().fields.value(0).field + QLatin1Char(' ') + s.error().fields.value(0).message)));
    }

    void validateRejects_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("errorField");
        const QString injection = QStringLiteral("a@b\r\nBcc: x@y");
        QTest::newRow("CRLF in to") << QStringLiteral("to") << injection << QStringLiteral("to[0]");
        QTest::newRow("CRLF in subject") << QStringLiteral("subject") << injection << QStringLiteral("subject");
        QTest::newRow("CRLF in from") << QStringLiteral("from") << injection << QStringLiteral("from");
        QTest::newRow("LF in subject") << QStringLiteral("subject") << QStringLiteral("Hi\nBcc: x@y")
                                       << QStringLiteral("subject");
        QTest::newRow("CR in to") << QStringLiteral("to") << QStringLiteral("a@b\rBcc: x@y") << QStringLiteral("to[0]");
        QTest::newRow("NUL in subject") << QStringLiteral("subject") << QString::fromUtf16(u"a\0b", 3)
                                        << QStringLiteral("subject");
        QTest::newRow("line separator") << QStringLiteral("subject") << QStringLiteral("a\u2028b") << QStringLiteral("subject");
        QTest::newRow("CRLF in message id") << QStringLiteral("messageId") << QStringLiteral("<a@b>\r\nBcc: x@y")
                                            << QStringLiteral("messageId");
        QTest::newRow("empty to") << QStringLiteral("to") << QString() << QStringLiteral("to");
        QTest::newRow("not an address") << QStringLiteral("to") << QStringLiteral("not-an-address") << QStringLiteral("to[0]");
        QTest::newRow("named non-address") << QStringLiteral("to") << QStringLiteral("Name <not-an-address>")
                                           << QStringLiteral("to[0]");
        QTest::newRow("two addresses in one") << QStringLiteral("to") << QStringLiteral("a@b, c@d") << QStringLiteral("to[0]");
        QTest::newRow("double at") << QStringLiteral("to") << QStringLiteral("a@@b") << QStringLiteral("to[0]");
        QTest::newRow("leading dot") << QStringLiteral("to") << QStringLiteral(".a@b") << QStringLiteral("to[0]");
        QTest::newRow("double dot") << QStringLiteral("to") << QStringLiteral("a..b@c") << QStringLiteral("to[0]");
        QTest::newRow("bad domain") << QStringLiteral("to") << QStringLiteral("a@-b.example") << QStringLiteral("to[0]");
        QTest::newRow("space") << QStringLiteral("to") << QStringLiteral("a b@c") << QStringLiteral("to[0]");
        QTest::newRow("non-ASCII address") << QStringLiteral("to") << QStringLiteral("jürgen@example.com")
                                           << QStringLiteral("to[0]");
        QTest::newRow("empty from") << QStringLiteral("from") << QString() << QStringLiteral("from");
        QTest::newRow("from not an address")
            << QStringLiteral("from") << QStringLiteral("not-an-address") << QStringLiteral("from");
        QTest::newRow("bad message id") << QStringLiteral("messageId") << QStringLiteral("no at sign")
                                        << QStringLiteral("messageId");
    }

    void validateRejects()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, errorField);
        Message m = sampleMessage();
        if (field == QLatin1String("to"))
            m.to = value.isNull() ? QStringList() : QStringList{value};
        else if (field == QLatin1String("from"))
            m.from = value;
        else if (field == QLatin1String("subject"))
            m.subject = value;
        else
            m.messageId = value;
        const Status s = validate(m);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Validation);
        QCOMPARE(s.error().fields.size(), 1);
        QCOMPARE(s.error().fields.constFirst().field, errorField);
    }

    void toEmlNeverEmitsInjectedHeaders()
    {
        // validate() is the gate, but formatting an unvalidated message must still not split a header.
        Message m = sampleMessage();
        m.to = {QStringLiteral("a@b\r\nBcc: x@y")};
        m.subject = QStringLiteral("Hi\r\nBcc: x@y");
        const QByteArray eml = toEml(m, kDate);
        QVERIFY(onlyCrlfLineEnds(eml));
        QVERIFY(!eml.contains("\r\nBcc:"));
        QCOMPARE(parse(eml).headers.size(), 8);
    }
};

QTEST_GUILESS_MAIN(TstMail)
#include "tst_mail.moc"

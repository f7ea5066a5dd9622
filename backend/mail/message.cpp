#include "backend/mail/message.h"

#include "backend/core/ids.h"

#include <QHostAddress>

#include <algorithm>

namespace kyc::mail {

namespace {

// RFC 2047 limits a line holding encoded-words to 76 characters; every header is folded to that.
constexpr qsizetype kMaxHeaderLine = 76;
// RFC 2045: encoded lines of at most 76 characters, the soft line break's '=' included.
constexpr qsizetype kMaxQpLine = 76;
// UTF-8 bytes per encoded-word: 36 bytes → 48 base64 characters → a 60-character word, which fits
// after the longest header name we write ("Subject: ") within 76 columns.
constexpr qsizetype kEncodedWordBytes = 36;

struct Mailbox {
    QString name;
    QString address;
};

Mailbox parseMailbox(const QString &mailbox)
{
    const QString s = mailbox.trimmed();
    const qsizetype lt = s.lastIndexOf(QLatin1Char('<'));
    if (!s.endsWith(QLatin1Char('>')) || lt < 0)
        return {QString(), s};
    Mailbox result{s.left(lt).trimmed(), s.mid(lt + 1, s.size() - lt - 2).trimmed()};
    if (result.name.size() >= 2 && result.name.startsWith(QLatin1Char('"')) && result.name.endsWith(QLatin1Char('"'))) {
        QString unquoted;
        const QStringView inner = QStringView(result.name).mid(1, result.name.size() - 2);
        for (qsizetype i = 0; i < inner.size(); ++i) {
            if (inner[i] == QLatin1Char('\\') && i + 1 < inner.size())
                ++i;
            unquoted += inner[i];
        }
        result.name = unquoted;
    }
    return result;
}

// Characters that would let a value end its header line (or confuse a reader of it): C0 controls
// other than TAB, DEL, C1 controls and the Unicode line and paragraph separators.
bool isForbiddenInHeader(QChar c)
{
    const char16_t u = c.unicode();
    return (u < 0x20 && u != u'\t') || (u >= 0x7f && u <= 0x9f) || u == 0x2028 || u == 0x2029;
}

bool hasForbiddenCharacter(QStringView s)
{
    return std::any_of(s.begin(), s.end(), isForbiddenInHeader);
}

// Defence in depth for callers that skip validate(): a header value never carries a line break.
QString headerSafe(const QString &s)
{
    QString out = s;
    for (QChar &c : out) {
        if (isForbiddenInHeader(c))
            c = QLatin1Char(' ');
    }
    return out;
}

bool isAtext(char16_t c)
{
    if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9'))
        return true;
    return QStringView(u"!#$%&'*+-/=?^_`{|}~").contains(QChar(c));
}

bool isPrintableAscii(QStringView s)
{
    return std::all_of(s.begin(), s.end(), [](QChar c) { return c.unicode() >= 0x20 && c.unicode() < 0x7f; });
}

bool isValidLocalPart(QStringView local)
{
    if (local.isEmpty() || local.size() > 64 || local.startsWith(u'.') || local.endsWith(u'.') || local.contains(u".."))
        return false;
    return std::all_of(local.begin(), local.end(), [](QChar c) { return c == QLatin1Char('.') || isAtext(c.unicode()); });
}

bool isValidHostName(QStringView domain)
{
    if (domain.isEmpty() || domain.size() > 253)
        return false;
    for (const QStringView label : domain.split(u'.')) {
        if (label.isEmpty() || label.size() > 63 || label.startsWith(u'-') || label.endsWith(u'-'))
            return false;
        for (const QChar c : label) {
            const char16_t u = c.unicode();
            if (!((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9') || u == u'-'))
                return false;
        }
    }
    return true;
}

bool isValidDomain(QStringView domain)
{
    if (domain.startsWith(u'[') && domain.endsWith(u']')) {
        QStringView literal = domain.mid(1, domain.size() - 2);
        QHostAddress address;
        if (literal.startsWith(u"IPv6:", Qt::CaseInsensitive))
            return address.setAddress(literal.mid(5).toString()) && address.protocol() == QAbstractSocket::IPv6Protocol;
        return address.setAddress(literal.toString()) && address.protocol() == QAbstractSocket::IPv4Protocol;
    }
    return isValidHostName(domain);
}

// RFC 2047 "B" encoded-words, each holding whole characters (never half a UTF-8 sequence).
QList<QByteArray> encodedWords(const QString &text)
{
    QList<QByteArray> words;
    QByteArray chunk;
    const auto flush = [&] {
        if (!chunk.isEmpty())
            words.append(QByteArray("=?UTF-8?B?") + chunk.toBase64() + QByteArray("?="));
        chunk.clear();
    };
    for (qsizetype i = 0; i < text.size();) {
        const qsizetype n = (text.at(i).isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) ? 2 : 1;
        const QByteArray utf8 = QStringView(text).mid(i, n).toUtf8();
        if (chunk.size() + utf8.size() > kEncodedWordBytes)
            flush();
        chunk += utf8;
        i += n;
    }
    flush();
    return words;
}

// Words of an unstructured value; a space between two of them is where the header may fold.
QList<QByteArray> textTokens(const QString &text)
{
    if (text.isEmpty())
        return {};
    if (!isPrintableAscii(text) || text.contains(QLatin1String("=?")))
        return encodedWords(text);
    QList<QByteArray> tokens;
    for (const QStringView word : QStringView(text).split(u' '))
        tokens.append(word.toLatin1());
    return tokens;
}

// A display name as an RFC 5322 phrase: atoms, one quoted-string, or encoded-words.
QList<QByteArray> phraseTokens(const QString &name)
{
    if (!isPrintableAscii(name) || name.contains(QLatin1String("=?")))
        return encodedWords(name);
    const bool plainAtoms = !name.startsWith(QLatin1Char(' ')) && !name.endsWith(QLatin1Char(' '))
        && !name.contains(QLatin1String("  "))
        && std::all_of(name.begin(), name.end(), [](QChar c) { return c == QLatin1Char(' ') || isAtext(c.unicode()); });
    if (plainAtoms)
        return textTokens(name);
    QByteArray quoted("\"");
    for (const QChar c : name) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            quoted += '\\';
        quoted += char(c.unicode());
    }
    quoted += '"';
    return {quoted};
}

QList<QByteArray> mailboxListTokens(const QStringList &mailboxes)
{
    QList<QByteArray> tokens;
    for (qsizetype i = 0; i < mailboxes.size(); ++i) {
        const Mailbox mb = parseMailbox(headerSafe(mailboxes.at(i)));
        QByteArray address = mb.address.toUtf8();
        if (!mb.name.isEmpty()) {
            tokens.append(phraseTokens(mb.name));
            address = '<' + address + '>';
        }
        if (i + 1 < mailboxes.size())
            address += ',';
        tokens.append(address);
    }
    return tokens;
}

QByteArray foldedHeader(const char *name, const QList<QByteArray> &tokens)
{
    QByteArray out(name);
    out += ':';
    qsizetype lineLength = out.size();
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        const QByteArray &token = tokens.at(i);
        if (i > 0 && lineLength + 1 + token.size() > kMaxHeaderLine) {
            out += "\r\n ";
            lineLength = 1;
        } else {
            out += ' ';
            ++lineLength;
        }
        out += token;
        lineLength += token.size();
    }
    out += "\r\n";
    return out;
}

void appendQuotedPrintableLine(QByteArrayView line, QByteArray &out)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    qsizetype lineLength = 0;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const auto b = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        // Trailing white space would be lost in transport (RFC 2045 rule 3), so it is encoded.
        const bool literal = (b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !last);
        const qsizetype width = literal ? 1 : 3;
        // Leave room for the soft break's '=' unless this is the line's last character.
        if (lineLength + width > (last ? kMaxQpLine : kMaxQpLine - 1)) {
            out += "=\r\n";
            lineLength = 0;
        }
        if (literal) {
            out += char(b);
        } else {
            out += '=';
            out += hex[b >> 4];
            out += hex[b & 0xF];
        }
        lineLength += width;
    }
    out += "\r\n";
}

QByteArray messageIdOf(const Message &m)
{
    QString id = headerSafe(m.messageId).trimmed();
    if (id.isEmpty())
        return generateMessageId().toUtf8();
    if (!id.startsWith(QLatin1Char('<')))
        id = QLatin1Char('<') + id + QLatin1Char('>');
    return id.toUtf8();
}

bool isValidMessageId(const QString &messageId)
{
    QStringView id = QStringView(messageId).trimmed();
    if (id.startsWith(u'<') && id.endsWith(u'>'))
        id = id.mid(1, id.size() - 2);
    const qsizetype at = id.indexOf(u'@');
    return at > 0 && at + 1 < id.size() && isPrintableAscii(id) && !id.contains(u' ') && !id.contains(u'<') && !id.contains(u'>');
}

} // namespace

QString addressOf(const QString &mailbox)
{
    return parseMailbox(mailbox).address;
}

bool isValidAddress(const QString &address)
{
    if (address.size() > 254)
        return false;
    const qsizetype at = address.lastIndexOf(QLatin1Char('@'));
    if (at <= 0)
        return false;
    return isValidLocalPart(QStringView(address).left(at)) && isValidDomain(QStringView(address).mid(at + 1));
}

QByteArray rfc5322Date(const QDateTime &dateUtc)
{
    static constexpr const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // An invalid time would make an unparseable header; the send time is the best remaining answer.
    const QDateTime utc = (dateUtc.isValid() ? dateUtc : QDateTime::currentDateTimeUtc()).toUTC();
    const QDate d = utc.date();
    const QTime t = utc.time();
    return QString::asprintf("%s, %02d %s %04d %02d:%02d:%02d +0000", days[d.dayOfWeek() - 1], d.day(), months[d.month() - 1],
                             d.year(), t.hour(), t.minute(), t.second())
        .toLatin1();
}

QByteArray quotedPrintable(const QByteArray &utf8Text)
{
    QByteArray out;
    out.reserve(utf8Text.size() + utf8Text.size() / 8);
    // Any of CRLF, LF or CR ends a line; the output uses CRLF only and ends with one.
    qsizetype start = 0;
    const qsizetype n = utf8Text.size();
    while (start < n) {
        qsizetype end = start;
        while (end < n && utf8Text[end] != '\r' && utf8Text[end] != '\n')
            ++end;
        appendQuotedPrintableLine(QByteArrayView(utf8Text).sliced(start, end - start), out);
        if (end < n && utf8Text[end] == '\r' && end + 1 < n && utf8Text[end + 1] == '\n')
            ++end;
        start = end + 1;
    }
    return out;
}

QString generateMessageId()
{
    return QLatin1Char('<') + newId() + QLatin1String("@kyconnect.local>");
}

QByteArray toEml(const Message &m, const QDateTime &dateUtc)
{
    QByteArray eml;
    eml += "Date: " + rfc5322Date(dateUtc) + "\r\n";
    eml += foldedHeader("From", mailboxListTokens({m.from}));
    eml += foldedHeader("To", mailboxListTokens(m.to));
    eml += foldedHeader("Subject", textTokens(headerSafe(m.subject)));
    eml += "Message-ID: " + messageIdOf(m) + "\r\n";
    eml += "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=UTF-8\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n"
           "\r\n";
    eml += quotedPrintable(m.textBody.toUtf8());
    return eml;
}

Status validate(const Message &m)
{
    QList<FieldError> errors;
    const auto checkMailbox = [&errors](const QString &field, const QString &mailbox) {
        if (mailbox.trimmed().isEmpty())
            errors.append({field, QStringLiteral("is required")});
        else if (hasForbiddenCharacter(mailbox))
            errors.append({field, QStringLiteral("must not contain line breaks or control characters")});
        else if (!isValidAddress(addressOf(mailbox)))
            errors.append({field, QStringLiteral("is not a valid e-mail address")});
    };

    checkMailbox(QStringLiteral("from"), m.from);
    if (m.to.isEmpty())
        errors.append({QStringLiteral("to"), QStringLiteral("at least one recipient is required")});
    for (qsizetype i = 0; i < m.to.size(); ++i)
        checkMailbox(QStringLiteral("to[%1]").arg(i), m.to.at(i));
    if (hasForbiddenCharacter(m.subject))
        errors.append({QStringLiteral("subject"), QStringLiteral("must not contain line breaks or control characters")});
    if (hasForbiddenCharacter(m.messageId))
        errors.append({QStringLiteral("messageId"), QStringLiteral("must not contain line breaks or control characters")});
    else if (!m.messageId.isEmpty() && !isValidMessageId(m.messageId))
        errors.append({QStringLiteral("messageId"), QStringLiteral("is not a valid message id")});

    if (!errors.isEmpty())
        return fail(Error::validation(std::move(errors)));
    return {};
}

} // namespace kyc::mail

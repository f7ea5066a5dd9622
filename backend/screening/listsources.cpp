#include "backend/screening/listsources.h"

#include "backend/core/json.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

// Outside any namespace, as Qt requires: the table is compiled into the static kyc_screening library.
static void initListSourcesResource()
{
    Q_INIT_RESOURCE(listrefresh);
}

namespace kyc::screening {

namespace {

const QString kResource = QStringLiteral(":/kyc-list-refresh/list-sources.json");

Error invalid(const QString &field, const QString &message)
{
    return Error::validation(field, message);
}

// An integer setting of the table, within bounds.
Status readInt(const QJsonObject &o, const QString &key, qint64 min, qint64 max, const std::function<void(qint64)> &set)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return {};
    if (!json::isInteger(v) || v.toInteger() < min || v.toInteger() > max)
        return fail(invalid(key, QStringLiteral("%1 must be an integer from %2 to %3").arg(key).arg(min).arg(max)));
    set(v.toInteger());
    return {};
}

Result<ListSourceConfig> readSource(const QJsonObject &o, const QString &at)
{
    static const QRegularExpression idRe(QStringLiteral("^[a-z0-9][a-z0-9_.-]{0,63}$"));
    static const QRegularExpression fileRe(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"));
    ListSourceConfig s;
    s.source = o.value(QStringLiteral("source")).toString();
    if (!idRe.match(s.source).hasMatch())
        return fail(invalid(at + QStringLiteral(".source"),
                            QStringLiteral("a source id is lower-case letters, digits, '_', '.' or '-' (at most 64)")));
    s.title = o.value(QStringLiteral("title")).toString();
    const auto format = parseFormat(o.value(QStringLiteral("format")).toString());
    if (!format)
        return fail(invalid(at + QStringLiteral(".format"), QStringLiteral("unknown list format")));
    s.format = *format;
    if (o.contains(QStringLiteral("max_bytes"))) {
        const qint64 m = o.value(QStringLiteral("max_bytes")).toInteger(-1);
        if (m < 1)
            return fail(invalid(at + QStringLiteral(".max_bytes"), QStringLiteral("max_bytes must be a positive integer")));
        s.maxBytes = m;
    }
    const QJsonArray urls = o.value(QStringLiteral("urls")).toArray();
    if (urls.isEmpty())
        return fail(invalid(at + QStringLiteral(".urls"), QStringLiteral("a source needs at least one URL")));
    QSet<QString> names;
    for (qsizetype i = 0; i < urls.size(); ++i) {
        const QString field = QStringLiteral("%1.urls[%2]").arg(at).arg(i);
        ListSourceUrl u;
        if (urls[i].isString()) {
            u.url = QUrl(urls[i].toString(), QUrl::StrictMode);
        } else {
            const QJsonObject e = urls[i].toObject();
            u.url = QUrl(e.value(QStringLiteral("url")).toString(), QUrl::StrictMode);
            u.fileName = e.value(QStringLiteral("file")).toString();
        }
        if (!u.url.isValid() || u.url.host().isEmpty()
            || (u.url.scheme() != QStringLiteral("https") && u.url.scheme() != QStringLiteral("http")))
            return fail(invalid(field, QStringLiteral("an http or https URL is required")));
        if (u.fileName.isEmpty())
            u.fileName = u.url.fileName();
        if (!fileRe.match(u.fileName).hasMatch())
            return fail(
                invalid(field, QStringLiteral("the file name \"%1\" is not usable; give one with \"file\"").arg(u.fileName)));
        if (names.contains(u.fileName.toLower()))
            return fail(invalid(field, QStringLiteral("two URLs of the source are saved as %1").arg(u.fileName)));
        names.insert(u.fileName.toLower());
        s.urls << u;
    }
    const bool multiFile = s.format == ListFormat::OfacSdnCsv || s.format == ListFormat::OfacConsCsv;
    if (!multiFile && s.urls.size() != 1)
        return fail(invalid(at + QStringLiteral(".urls"),
                            QStringLiteral("%1 is one file: give exactly one URL").arg(formatName(s.format))));
    return s;
}

} // namespace

const ListSourceConfig *ListSourceTable::find(const QString &source) const
{
    for (const auto &s : sources) {
        if (s.source == source)
            return &s;
    }
    return nullptr;
}

Result<ListSourceTable> parseListSources(const QByteArray &json)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return fail(invalid(QStringLiteral("sources"),
                            QStringLiteral("not a JSON object: %1 at offset %2").arg(error.errorString()).arg(error.offset)));
    const QJsonObject root = doc.object();
    ListSourceTable t;
    const Status settings[] = {
        readInt(root, QStringLiteral("max_bytes"), 1, qint64(1) << 40, [&](qint64 v) { t.maxBytes = v; }),
        readInt(root, QStringLiteral("timeout_seconds"), 1, 3600, [&](qint64 v) { t.timeoutMs = int(v * 1000); }),
        readInt(root, QStringLiteral("attempts"), 1, 10, [&](qint64 v) { t.attempts = int(v); }),
        readInt(root, QStringLiteral("retry_delay_ms"), 0, 600'000, [&](qint64 v) { t.retryDelayMs = int(v); }),
        readInt(root, QStringLiteral("failure_backoff_minutes"), 1, 7 * 24 * 60,
                [&](qint64 v) { t.failureBackoffMinutes = int(v); }),
    };
    for (const auto &s : settings) {
        if (!s)
            return fail(s.error());
    }
    const QJsonValue sources = root.value(QStringLiteral("sources"));
    if (!sources.isArray())
        return fail(invalid(QStringLiteral("sources"), QStringLiteral("\"sources\" must be an array")));
    QSet<QString> ids;
    const QJsonArray list = sources.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString at = QStringLiteral("sources[%1]").arg(i);
        if (!list[i].isObject())
            return fail(invalid(at, QStringLiteral("each source is an object")));
        auto s = readSource(list[i].toObject(), at);
        if (!s)
            return fail(s.error());
        if (ids.contains(s->source))
            return fail(invalid(at + QStringLiteral(".source"), QStringLiteral("%1 is listed twice").arg(s->source)));
        ids.insert(s->source);
        t.sources << *s;
    }
    return t;
}

Result<ListSourceTable> defaultListSources()
{
    initListSourcesResource();
    QFile f(kResource);
    if (!f.open(QIODevice::ReadOnly))
        return fail(Error::internal(QStringLiteral("the built-in list source table is missing")));
    return parseListSources(f.readAll());
}

Result<ListSourceTable> readListSourcesFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(invalid(QStringLiteral("KYCONNECT_LIST_SOURCES_FILE"),
                            QStringLiteral("cannot read %1: %2").arg(path, f.errorString())));
    auto t = parseListSources(f.readAll());
    if (!t) {
        const FieldError first = t.error().fields.value(0);
        return fail(invalid(QStringLiteral("KYCONNECT_LIST_SOURCES_FILE"),
                            QStringLiteral("%1: %2 %3").arg(path, first.field, first.message)));
    }
    t->explicitSources = true;
    return t;
}

} // namespace kyc::screening

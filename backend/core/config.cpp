#include "backend/core/config.h"

#include <QUrl>

namespace kyc {

namespace {

Result<qint64> parsePositive(const QString &name, const QString &text, qint64 min, qint64 max)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max)
        return fail(Error::validation(name, QStringLiteral("%1 must be an integer from %2 to %3").arg(name).arg(min).arg(max)));
    return v;
}

} // namespace

Result<RateRule> parseRateRule(const QString &text)
{
    const auto parts = text.split(u'/');
    if (parts.size() != 2)
        return fail(
            Error::validation(QStringLiteral("rate"), QStringLiteral("a rate limit is written LIMIT/SECONDS, e.g. 100/60")));
    auto limit = parsePositive(QStringLiteral("limit"), parts[0], 0, 100'000'000);
    auto window = parsePositive(QStringLiteral("window"), parts[1], 1, 31 * 24 * 3600);
    if (!limit)
        return fail(limit.error());
    if (!window)
        return fail(window.error());
    return RateRule{int(*limit), int(*window)};
}

Result<quint16> parsePort(const QString &text)
{
    auto v = parsePositive(QStringLiteral("port"), text, 0, 65535);
    if (!v)
        return fail(v.error());
    return quint16(*v);
}

QString Config::publicBaseUrl() const
{
    if (!publicUrl.isEmpty())
        return publicUrl;
    const QString h = host.contains(u':') ? u'[' + host + u']' : host;
    return QStringLiteral("http://%1:%2").arg(h).arg(port);
}

Result<Config> Config::fromEnvironment(const QProcessEnvironment &env)
{
    Config c;
    auto get = [&](const char *name) { return env.value(QLatin1String("KYCONNECT_") + QLatin1String(name)); };
    if (const auto v = get("HOST"); !v.isEmpty())
        c.host = v;
    if (const auto v = get("PORT"); !v.isEmpty()) {
        auto p = parsePort(v);
        if (!p)
            return fail(p.error());
        c.port = *p;
    }
    if (const auto v = get("DATA_DIR"); !v.isEmpty())
        c.dataDir = v;
    if (const auto v = get("KEY_STORE").trimmed().toLower(); !v.isEmpty()) {
        if (v == QStringLiteral("auto"))
            c.keyStore = KeyStore::Auto;
        else if (v == QStringLiteral("keychain"))
            c.keyStore = KeyStore::Keychain;
        else if (v == QStringLiteral("file"))
            c.keyStore = KeyStore::File;
        else
            return fail(Error::validation(QStringLiteral("KYCONNECT_KEY_STORE"),
                                          QStringLiteral("KYCONNECT_KEY_STORE must be auto, keychain or file")));
    }
    c.smtpHost = get("SMTP_HOST");
    c.smtpUser = get("SMTP_USER");
    c.smtpPassword = get("SMTP_PASSWORD");
    c.smtpCaFile = get("SMTP_CA_FILE");
    if (const auto v = get("MAIL_FROM"); !v.isEmpty())
        c.mailFrom = v;
    c.listSourcesFile = get("LIST_SOURCES_FILE").trimmed();
    c.trustedProxies = get("TRUSTED_PROXIES").trimmed(); // parsed (and refused if malformed) by the API server
    if (const auto v = get("PUBLIC_URL"); !v.isEmpty()) {
        // Pre-signed URLs are built on it: an absolute http(s) URL, optionally with a path prefix.
        const QUrl url(v.trimmed(), QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || (scheme != QStringLiteral("http") && scheme != QStringLiteral("https")) || url.host().isEmpty()
            || url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
            return fail(Error::validation(QStringLiteral("KYCONNECT_PUBLIC_URL"),
                                          QStringLiteral("KYCONNECT_PUBLIC_URL must be an http or https URL without query, "
                                                         "fragment or credentials, e.g. https://kyc.example.com")));
        c.publicUrl = url.toString(QUrl::FullyEncoded);
        while (c.publicUrl.endsWith(u'/'))
            c.publicUrl.chop(1);
    }
    if (const auto v = get("SMTP_PORT"); !v.isEmpty()) {
        auto p = parsePort(v);
        if (!p)
            return fail(Error::validation(QStringLiteral("KYCONNECT_SMTP_PORT"), p.error().fields.value(0).message));
        c.smtpPort = *p;
    }

    struct IntSetting {
        const char *env;
        qint64 min;
        qint64 max;
        std::function<void(qint64)> set;
    };
    const IntSetting ints[] = {
        {"BODY_LIMIT", 1024, qint64(1) << 32, [&](qint64 v) { c.bodyLimitBytes = v; }},
        {"MAX_CONNECTIONS", 1, 100'000, [&](qint64 v) { c.maxConnections = int(v); }},
        {"HEADER_TIMEOUT_MS", 100, 3'600'000, [&](qint64 v) { c.headerTimeoutMs = int(v); }},
        {"IDLE_TIMEOUT_MS", 100, 3'600'000, [&](qint64 v) { c.idleTimeoutMs = int(v); }},
        {"AUDIT_CHECKPOINT_MINUTES", 0, 7 * 24 * 60, [&](qint64 v) { c.auditCheckpointMinutes = int(v); }},
        {"LIST_REFRESH_HOURS", 0, 24 * 366, [&](qint64 v) { c.listRefreshHours = int(v); }},
        {"LIST_MAX_AGE_HOURS", 0, 24 * 366, [&](qint64 v) { c.listMaxAgeHours = int(v); }},
        {"STORAGE_MAX_BYTES", 1, qint64(1) << 32, [&](qint64 v) { c.storageMaxBytes = v; }},
        {"BUFFERED_BYTES_PER_CLIENT", 1024, qint64(1) << 40, [&](qint64 v) { c.bufferedBytesPerClient = v; }},
        {"BUFFERED_BYTES_TOTAL", 1024, qint64(1) << 40, [&](qint64 v) { c.bufferedBytesTotal = v; }},
    };
    for (const auto &s : ints) {
        const auto v = get(s.env);
        if (v.isEmpty())
            continue;
        auto parsed = parsePositive(QLatin1String("KYCONNECT_") + QLatin1String(s.env), v, s.min, s.max);
        if (!parsed)
            return fail(parsed.error());
        s.set(*parsed);
    }

    struct RateSetting {
        const char *env;
        RateRule *rule;
    };
    const RateSetting rates[] = {{"RATE_GENERAL", &c.generalRate},
                                 {"RATE_LOGIN", &c.loginRate},
                                 {"RATE_FORGOT_PASSWORD", &c.forgotPasswordRate},
                                 {"RATE_ONBOARDING", &c.onboardingRate}};
    for (const auto &r : rates) {
        const auto v = get(r.env);
        if (v.isEmpty())
            continue;
        auto parsed = parseRateRule(v);
        if (!parsed)
            return fail(
                Error::validation(QLatin1String("KYCONNECT_") + QLatin1String(r.env), parsed.error().fields.value(0).message));
        *r.rule = *parsed;
    }
    return c;
}

} // namespace kyc

#include "backend/identity/settings.h"

#include "backend/core/json.h"
#include "backend/core/validation.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace kyc::identity {

QJsonObject FirmSettings::toJson() const
{
    return {
        {QStringLiteral("risk_thresholds"),
         QJsonObject{{QStringLiteral("medium"), riskMediumThreshold}, {QStringLiteral("high"), riskHighThreshold}}},
        {QStringLiteral("screening_match_threshold"), screeningMatchThreshold},
        {QStringLiteral("screening_lists"), QJsonArray::fromStringList(screeningLists)},
        {QStringLiteral("four_eyes_enabled"), fourEyes},
        {QStringLiteral("mfa_required"), mfaRequired},
        {QStringLiteral("data_retention_days"), dataRetentionDays},
        {QStringLiteral("default_currency"), defaultCurrency},
    };
}

FirmSettings FirmSettings::fromStored(const QJsonObject &o)
{
    auto r = FirmSettings{}.patched(o);
    return r ? *r : FirmSettings{};
}

Result<FirmSettings> FirmSettings::patched(const QJsonObject &patch) const
{
    FirmSettings s = *this;
    QList<FieldError> errors;
    auto err = [&](const QString &field, const QString &message) { errors << FieldError{field, message}; };
    static const QStringList known = {QStringLiteral("risk_thresholds"), QStringLiteral("screening_match_threshold"),
                                      QStringLiteral("screening_lists"), QStringLiteral("four_eyes_enabled"),
                                      QStringLiteral("mfa_required"),    QStringLiteral("data_retention_days"),
                                      QStringLiteral("default_currency")};
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (!known.contains(it.key()))
            err(it.key(), QStringLiteral("%1 is not a setting").arg(it.key()));
    }
    if (patch.contains(QStringLiteral("risk_thresholds"))) {
        const QJsonValue v = patch.value(QStringLiteral("risk_thresholds"));
        if (!v.isObject()) {
            err(QStringLiteral("risk_thresholds"), QStringLiteral("risk_thresholds must be an object {medium, high}"));
        } else {
            const QJsonObject t = v.toObject();
            for (auto it = t.begin(); it != t.end(); ++it) {
                if (it.key() != QStringLiteral("medium") && it.key() != QStringLiteral("high"))
                    err(QStringLiteral("risk_thresholds"), QStringLiteral("risk_thresholds.%1 is not a threshold").arg(it.key()));
            }
            for (const auto &[key, target] : {std::pair{QStringLiteral("medium"), &s.riskMediumThreshold},
                                              std::pair{QStringLiteral("high"), &s.riskHighThreshold}}) {
                if (!t.contains(key))
                    continue;
                const QJsonValue n = t.value(key);
                if (!json::isInteger(n) || n.toInteger() < 0 || n.toInteger() > 100)
                    err(QStringLiteral("risk_thresholds"),
                        QStringLiteral("risk_thresholds.%1 must be an integer from 0 to 100").arg(key));
                else
                    *target = int(n.toInteger());
            }
            if (s.riskMediumThreshold >= s.riskHighThreshold)
                err(QStringLiteral("risk_thresholds"),
                    QStringLiteral("risk_thresholds.medium must be below risk_thresholds.high"));
        }
    }
    if (patch.contains(QStringLiteral("screening_match_threshold"))) {
        const QJsonValue v = patch.value(QStringLiteral("screening_match_threshold"));
        if (!v.isDouble() || v.toDouble() < 0.5 || v.toDouble() > 1.0)
            err(QStringLiteral("screening_match_threshold"),
                QStringLiteral("screening_match_threshold must be a number from 0.5 to 1"));
        else
            s.screeningMatchThreshold = v.toDouble();
    }
    if (patch.contains(QStringLiteral("screening_lists"))) {
        const QJsonValue v = patch.value(QStringLiteral("screening_lists"));
        static const QRegularExpression name(QStringLiteral("^(firm:)?[a-z0-9_]{1,64}$")); // firm: a firm's own list
        QStringList lists;
        bool ok = v.isArray() && !v.toArray().isEmpty() && v.toArray().size() <= 50;
        for (const auto &e : v.toArray()) {
            ok = ok && e.isString() && name.match(e.toString()).hasMatch();
            if (ok && !lists.contains(e.toString()))
                lists << e.toString();
        }
        if (!ok)
            err(QStringLiteral("screening_lists"),
                QStringLiteral("screening_lists must be a non-empty array of list names (lower case letters, digits, _; "
                               "a firm's own list: firm:<name>)"));
        else
            s.screeningLists = lists;
    }
    for (const auto &[key, target] : {std::pair{QStringLiteral("four_eyes_enabled"), &s.fourEyes},
                                      std::pair{QStringLiteral("mfa_required"), &s.mfaRequired}}) {
        if (!patch.contains(key))
            continue;
        if (!patch.value(key).isBool())
            err(key, QStringLiteral("%1 must be true or false").arg(key));
        else
            *target = patch.value(key).toBool();
    }
    if (patch.contains(QStringLiteral("data_retention_days"))) {
        const QJsonValue v = patch.value(QStringLiteral("data_retention_days"));
        if (!json::isInteger(v) || v.toInteger() < 365 || v.toInteger() > 36500)
            err(QStringLiteral("data_retention_days"),
                QStringLiteral("data_retention_days must be an integer from 365 to 36500"));
        else
            s.dataRetentionDays = int(v.toInteger());
    }
    if (patch.contains(QStringLiteral("default_currency"))) {
        const QJsonValue v = patch.value(QStringLiteral("default_currency"));
        if (!v.isString() || !isCurrencyCode(v.toString()))
            err(QStringLiteral("default_currency"), QStringLiteral("default_currency must be an ISO 4217 code such as EUR"));
        else
            s.defaultCurrency = v.toString();
    }
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    return s;
}

} // namespace kyc::identity

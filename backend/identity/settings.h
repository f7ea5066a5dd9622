#pragma once

#include "backend/core/result.h"

#include <QJsonObject>
#include <QStringList>

namespace kyc::identity {

// A firm's settings, typed, with the defaults a new firm starts from.
struct FirmSettings {
    int riskMediumThreshold = 40; // risk score (0–100) from which a case is medium risk
    int riskHighThreshold = 70; // … and high risk
    double screeningMatchThreshold = 0.80; // chosen by the evaluation (README, bench_screening)
    QStringList screeningLists = {QStringLiteral("sanctions"), QStringLiteral("pep"), QStringLiteral("adverse_media")};
    bool fourEyes = true; // high-risk approvals need a second, different approver
    bool mfaRequired = false;
    int dataRetentionDays = 1825; // five years, the usual AML record-keeping minimum
    QString defaultCurrency = QStringLiteral("EUR");

    [[nodiscard]] QJsonObject toJson() const;
    // Reads stored settings; unknown or bad stored values fall back to defaults.
    [[nodiscard]] static FirmSettings fromStored(const QJsonObject &o);
    // Applies a PATCH: every field validated, unknown fields refused, nothing applied on error.
    [[nodiscard]] Result<FirmSettings> patched(const QJsonObject &patch) const;
};

} // namespace kyc::identity

#include "backend/screening/importlimits.h"

#include <QJsonObject>

namespace kyc::screening {

qint64 ImportLimits::value(ImportLimit limit) const
{
    switch (limit) {
    case ImportLimit::FileSize: return maxFileBytes;
    case ImportLimit::Depth: return maxDepth;
    case ImportLimit::Records: return maxRecords;
    case ImportLimit::FieldLength: return maxFieldChars;
    case ImportLimit::LineLength: return maxLineChars;
    case ImportLimit::FieldsPerRecord: return maxFieldsPerRecord;
    case ImportLimit::NamesPerEntity: return maxNamesPerEntity;
    }
    return 0;
}

QString importLimitName(ImportLimit limit)
{
    switch (limit) {
    case ImportLimit::FileSize: return QStringLiteral("file size");
    case ImportLimit::Depth: return QStringLiteral("nesting depth");
    case ImportLimit::Records: return QStringLiteral("record count");
    case ImportLimit::FieldLength: return QStringLiteral("field length");
    case ImportLimit::LineLength: return QStringLiteral("line length");
    case ImportLimit::FieldsPerRecord: return QStringLiteral("fields per record");
    case ImportLimit::NamesPerEntity: return QStringLiteral("names per entity");
    }
    return {};
}

QString importLimitKey(ImportLimit limit)
{
    return importLimitName(limit).replace(u' ', u'_');
}

namespace {

QString unit(ImportLimit limit)
{
    switch (limit) {
    case ImportLimit::FileSize: return QStringLiteral("bytes");
    case ImportLimit::Depth: return QStringLiteral("levels");
    case ImportLimit::Records: return QStringLiteral("records");
    case ImportLimit::FieldLength:
    case ImportLimit::LineLength: return QStringLiteral("characters");
    case ImportLimit::FieldsPerRecord: return QStringLiteral("fields");
    case ImportLimit::NamesPerEntity: return QStringLiteral("names");
    }
    return {};
}

} // namespace

Error importLimitError(const QString &where, ImportLimit limit, const ImportLimits &limits)
{
    Error e = Error::make(ErrorCode::Validation,
                          QStringLiteral("%1: over the %2 limit (%3 %4)")
                              .arg(where, importLimitName(limit))
                              .arg(limits.value(limit))
                              .arg(unit(limit)));
    e.extra.insert(QStringLiteral("limit"), importLimitKey(limit));
    e.extra.insert(QStringLiteral("max"), limits.value(limit));
    return e;
}

} // namespace kyc::screening

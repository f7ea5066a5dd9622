#include "backend/screening/import_formats.h"
#include "backend/screening/importers.h"

namespace kyc::screening {

namespace {

struct FormatInfo {
    ListFormat format;
    const char16_t *name;
    const char16_t *source;
};

constexpr FormatInfo kFormats[] = {
    {ListFormat::OfacSdnCsv, u"ofac_sdn_csv", u"ofac_sdn"},
    {ListFormat::OfacConsCsv, u"ofac_cons_csv", u"ofac_cons"},
    {ListFormat::UnXml, u"un_xml", u"un"},
    {ListFormat::EuFsfXml, u"eu_fsf_xml", u"eu_fsf"},
    {ListFormat::UkXml, u"uk_xml", u"uk_hmt"},
    {ListFormat::BisDplTxt, u"bis_dpl_txt", u"us_bis_dpl"},
    {ListFormat::CslCsv, u"csl_csv", u"us_csl"},
    {ListFormat::FtmJson, u"ftm_json", u"opensanctions"},
};

const FormatInfo &info(ListFormat f)
{
    for (const FormatInfo &i : kFormats) {
        if (i.format == f)
            return i;
    }
    return kFormats[0];
}

} // namespace

QString formatName(ListFormat f)
{
    return QString::fromUtf16(info(f).name);
}

QString formatSource(ListFormat f)
{
    return QString::fromUtf16(info(f).source);
}

std::optional<ListFormat> parseFormat(const QString &name)
{
    const QString n = name.trimmed().toLower();
    for (const FormatInfo &i : kFormats) {
        if (n == QStringView(i.name))
            return i.format;
    }
    return std::nullopt;
}

Result<ImportResult> importList(ListFormat format, const QStringList &files, const ImportProgress &progress,
                                const ImportLimits &limits)
{
    if (files.isEmpty())
        return fail(ErrorCode::Validation, QStringLiteral("no file given for %1").arg(formatName(format)));
    const bool multiFile = format == ListFormat::OfacSdnCsv || format == ListFormat::OfacConsCsv;
    if (!multiFile && files.size() != 1)
        return fail(ErrorCode::Validation,
                    QStringLiteral("%1 is imported from exactly one file, %2 given").arg(formatName(format)).arg(files.size()));

    std::vector<detail::InputFile> inputs;
    inputs.reserve(std::size_t(files.size()));
    qint64 total = 0;
    for (const QString &path : files) {
        auto file = detail::readInputFile(path, limits);
        if (!file)
            return fail(file.error());
        total += file->bytes.size();
        inputs.push_back(std::move(*file));
    }

    detail::ProgressReporter reporter(progress, total);
    reporter.start();
    Result<ImportResult> result = [&]() -> Result<ImportResult> {
        switch (format) {
        case ListFormat::OfacSdnCsv:
        case ListFormat::OfacConsCsv: return detail::importOfacCsv(format, inputs, reporter);
        case ListFormat::UnXml: return detail::importUnXml(inputs.front(), reporter);
        case ListFormat::EuFsfXml: return detail::importEuFsfXml(inputs.front(), reporter);
        case ListFormat::UkXml: return detail::importUkXml(inputs.front(), reporter);
        case ListFormat::BisDplTxt: return detail::importBisDplTxt(inputs.front(), reporter);
        case ListFormat::CslCsv: return detail::importCslCsv(inputs.front(), reporter);
        case ListFormat::FtmJson: return detail::importFtmJson(inputs.front(), reporter);
        }
        return fail(ErrorCode::Validation, QStringLiteral("unknown list format"));
    }();
    if (!result)
        return result;
    if (auto s = detail::checkEntityLimits(*result, limits); !s)
        return fail(s.error());
    reporter.finish();
    return result;
}

namespace detail {

void addProblem(ImportResult &result, const InputFile &file, qint64 line, const QString &message)
{
    result.problems.append(ImportProblem{line, file.fileName + QStringLiteral(": ") + message});
}

bool mostlyMalformed(qint64 records, qint64 problems)
{
    return records >= 4 && problems * 2 > records;
}

} // namespace detail

} // namespace kyc::screening

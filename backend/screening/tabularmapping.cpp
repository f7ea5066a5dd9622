#include "backend/screening/tabularmapping.h"

#include "backend/core/json.h"
#include "backend/screening/import_common.h"

#include <QDate>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringDecoder>

#include <cmath>
#include <limits>

// Resources in a static library must be registered by name before first use.
static void initScreeningSourceResources()
{
    static const bool registered = [] {
        Q_INIT_RESOURCE(screening_sources);
        return true;
    }();
    Q_UNUSED(registered);
}

namespace kyc::screening::detail {

namespace {

const QString kResourceDir = QStringLiteral(":/screening/sources");

// --- record paths --------------------------------------------------------------------------------

QString scalarText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String: return v.toString();
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (d == double(qint64(d)) && std::abs(d) < 9e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    default: return {};
    }
}

void appendScalars(const QJsonValue &v, QStringList &out)
{
    if (v.isArray()) {
        for (const QJsonValue &item : v.toArray())
            appendScalars(item, out);
        return;
    }
    const QString s = scalarText(v);
    if (!s.isEmpty())
        out.append(s);
}

struct PathStep {
    QString name; // empty: stay on the current value
    QList<int> indexes; // kAll = every element
};
constexpr int kAll = std::numeric_limits<int>::min();

QList<PathStep> parsePath(QStringView path)
{
    QList<PathStep> steps;
    for (QStringView part : path.split(u'.')) {
        PathStep step;
        const qsizetype bracket = part.indexOf(u'[');
        step.name = (bracket < 0 ? part : part.first(bracket)).toString();
        QStringView rest = bracket < 0 ? QStringView() : part.sliced(bracket);
        while (rest.startsWith(u'[')) {
            const qsizetype close = rest.indexOf(u']');
            if (close < 0)
                break;
            const QStringView index = rest.sliced(1, close - 1);
            step.indexes.append(index == u"*" ? kAll : index.toInt());
            rest = rest.sliced(close + 1);
        }
        steps.append(step);
    }
    return steps;
}

void collect(const QJsonValue &value, const QList<PathStep> &steps, qsizetype at, QStringList &out)
{
    if (at == steps.size()) {
        appendScalars(value, out);
        return;
    }
    const PathStep &step = steps[at];
    QList<QJsonValue> current;
    current.append(step.name.isEmpty() ? value : value.toObject().value(step.name));
    for (int index : step.indexes) {
        QList<QJsonValue> next;
        for (const QJsonValue &v : std::as_const(current)) {
            if (!v.isArray()) {
                if (index == kAll || index == 0 || index == -1)
                    next.append(v); // a single value is a one-element list
                continue;
            }
            const QJsonArray a = v.toArray();
            if (index == kAll) {
                for (const QJsonValue &item : a)
                    next.append(item);
            } else {
                const qsizetype i = index < 0 ? a.size() + index : index;
                if (i >= 0 && i < a.size())
                    next.append(a.at(i));
            }
        }
        current = next;
    }
    for (const QJsonValue &v : std::as_const(current)) {
        if (!v.isUndefined() && !v.isNull())
            collect(v, steps, at + 1, out);
    }
}

QStringList pathValues(const TabularRecord &record, const QString &path)
{
    QStringList out;
    if (path == u"$file") {
        out.append(record.fileName);
    } else if (path == u"$line") {
        out.append(QString::number(record.line));
    } else if (record.object.contains(path)) {
        appendScalars(record.object.value(path), out); // a CSV column whose name has a dot in it
    } else {
        collect(QJsonValue(record.object), parsePath(path), 0, out);
    }
    return out;
}

// "{a} {b}" → the placeholders, in order; "{{" and "}}" are literal braces.
QStringList placeholders(const QString &text)
{
    QStringList out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == u'{') {
            if (i + 1 < text.size() && text[i + 1] == u'{') {
                ++i;
                continue;
            }
            const qsizetype close = text.indexOf(u'}', i);
            if (close < 0)
                break;
            QString path = text.sliced(i + 1, close - i - 1).trimmed();
            if (path.endsWith(u'!'))
                path.chop(1);
            out.append(path);
            i = close;
        }
    }
    return out;
}

// A template is empty when all its placeholders are, so "Party: {party}" gives nothing without a party, or when
// a required placeholder ("{nickname!} {last}") is.
QString renderTemplate(const QString &text, const TabularRecord &record)
{
    QString out;
    bool anyValue = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if ((c == u'{' || c == u'}') && i + 1 < text.size() && text[i + 1] == c) {
            out += c;
            ++i;
            continue;
        }
        if (c != u'{') {
            out += c;
            continue;
        }
        const qsizetype close = text.indexOf(u'}', i);
        if (close < 0) {
            out += text.sliced(i);
            break;
        }
        QString path = text.sliced(i + 1, close - i - 1).trimmed();
        const bool required = path.endsWith(u'!');
        if (required)
            path.chop(1);
        const QStringList values = pathValues(record, path);
        QStringList clean;
        for (const QString &v : values) {
            if (!v.trimmed().isEmpty())
                clean.append(v.trimmed());
        }
        if (!clean.isEmpty())
            anyValue = true;
        else if (required)
            return {};
        out += clean.join(QStringLiteral(", "));
        i = close;
    }
    return anyValue ? out.simplified() : QString();
}

// --- mapping documents ---------------------------------------------------------------------------

class MappingParser
{
public:
    QString error;

    bool fail(const QString &where, const QString &message)
    {
        if (error.isEmpty())
            error = where + QStringLiteral(": ") + message;
        return false;
    }

    bool checkKeys(const QJsonObject &o, const QString &where, const QStringList &allowed)
    {
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!allowed.contains(it.key()))
                return fail(where, QStringLiteral("unknown key \"%1\"").arg(it.key()));
        }
        return true;
    }

    QStringList stringList(const QJsonValue &v, const QString &where)
    {
        QStringList out;
        if (v.isString()) {
            out.append(v.toString());
        } else if (v.isArray()) {
            for (const QJsonValue &item : v.toArray()) {
                if (!item.isString())
                    fail(where, QStringLiteral("expected strings"));
                out.append(item.toString());
            }
        } else if (!v.isUndefined() && !v.isNull()) {
            fail(where, QStringLiteral("expected a string or a list of strings"));
        }
        return out;
    }

    std::optional<QRegularExpression> regex(const QJsonValue &v, const QString &where)
    {
        if (!v.isString()) {
            fail(where, QStringLiteral("expected a regular expression"));
            return std::nullopt;
        }
        QRegularExpression re(v.toString(), QRegularExpression::UseUnicodePropertiesOption);
        if (!re.isValid()) {
            fail(where, QStringLiteral("bad regular expression: %1").arg(re.errorString()));
            return std::nullopt;
        }
        return re;
    }

    static const QStringList &valueKeys()
    {
        static const QStringList keys{QStringLiteral("field"),   QStringLiteral("template"),   QStringLiteral("constant"),
                                      QStringLiteral("split"),   QStringLiteral("replace"),    QStringLiteral("match"),
                                      QStringLiteral("skip"),    QStringLiteral("map"),        QStringLiteral("mapOnly"),
                                      QStringLiteral("default"), QStringLiteral("fixMojibake")};
        return keys;
    }

    // A string is a field path, or a template when it has a placeholder (or a constant when `constants`).
    ValueSpec value(const QJsonValue &v, const QString &where, const QStringList &extraKeys = {}, bool constants = false)
    {
        ValueSpec spec;
        if (v.isString()) {
            const QString s = v.toString();
            if (constants) {
                spec.kind = ValueSpec::Kind::Constant;
                spec.constants = {s};
            } else if (s.contains(u'{')) {
                spec.kind = ValueSpec::Kind::Template;
                spec.text = s;
            } else {
                spec.kind = ValueSpec::Kind::Field;
                spec.fields = {s};
            }
            return spec;
        }
        if (!v.isObject()) {
            fail(where, QStringLiteral("expected a field, a template or an object"));
            return spec;
        }
        const QJsonObject o = v.toObject();
        if (!checkKeys(o, where, valueKeys() + extraKeys))
            return spec;
        const int sources = int(o.contains(u"field")) + int(o.contains(u"template")) + int(o.contains(u"constant"));
        if (sources != 1) {
            fail(where, QStringLiteral("give exactly one of field, template or constant"));
            return spec;
        }
        if (o.contains(u"field")) {
            spec.kind = ValueSpec::Kind::Field;
            spec.fields = stringList(o.value(u"field"), where);
        } else if (o.contains(u"template")) {
            spec.kind = ValueSpec::Kind::Template;
            spec.text = o.value(u"template").toString();
        } else {
            spec.kind = ValueSpec::Kind::Constant;
            spec.constants = stringList(o.value(u"constant"), where);
        }
        spec.separators = stringList(o.value(u"split"), where);
        for (const QJsonValue &r : o.value(u"replace").toArray()) {
            const QJsonArray pair = r.toArray();
            if (pair.size() != 2 || !pair[1].isString()) {
                fail(where, QStringLiteral("replace takes [regex, replacement] pairs"));
                continue;
            }
            if (auto re = regex(pair[0], where))
                spec.replace.append({*re, pair[1].toString()});
        }
        if (o.contains(u"match"))
            spec.match = regex(o.value(u"match"), where);
        for (const QString &s : stringList(o.value(u"skip"), where))
            spec.skip.append(s.trimmed().toLower());
        const QJsonObject map = o.value(u"map").toObject();
        for (auto it = map.begin(); it != map.end(); ++it)
            spec.map.insert(it.key().trimmed().toLower(), it.value().toString());
        spec.mapOnly = o.value(u"mapOnly").toBool(false);
        if (o.contains(u"default"))
            spec.fallback = o.value(u"default").toString();
        spec.fixMojibake = o.value(u"fixMojibake").toBool(false);
        return spec;
    }

    QList<QJsonValue> items(const QJsonValue &v)
    {
        QList<QJsonValue> out;
        if (v.isArray()) {
            for (const QJsonValue &item : v.toArray())
                out.append(item);
        } else if (!v.isUndefined() && !v.isNull()) {
            out.append(v);
        }
        return out;
    }

    DateRule dateRule(const QJsonValue &v, const QString &where, const QString &defaultLabel)
    {
        DateRule rule;
        rule.value = value(v, where, {QStringLiteral("formats"), QStringLiteral("label")});
        const QJsonObject o = v.toObject();
        rule.label = o.value(u"label").toString(defaultLabel);
        rule.noYearLabel = rule.label + QStringLiteral(" (no year)");
        QStringList patterns = stringList(o.value(u"formats"), where);
        if (patterns.isEmpty())
            patterns.append(QStringLiteral("ISO"));
        for (const QString &p : std::as_const(patterns)) {
            auto form = dateForm(p);
            if (!form)
                fail(where, QStringLiteral("bad date form \"%1\"").arg(p));
            else
                rule.forms.append(*form);
        }
        return rule;
    }

    static std::optional<DateForm> dateForm(const QString &pattern)
    {
        DateForm form;
        form.pattern = pattern;
        if (pattern == u"ISO") {
            form.iso = true;
            form.regex = QRegularExpression(QStringLiteral("^(\\d{4})(?:-(\\d{2})(?:-(\\d{2}))?)?(?:[T ]\\S*)?$"));
            form.yearGroup = 1;
            form.monthGroup = 2;
            form.dayGroup = 3;
            return form;
        }
        QString re = QStringLiteral("^");
        int group = 0;
        qsizetype i = 0;
        auto take = [&](QStringView token) {
            if (QStringView(pattern).sliced(i).startsWith(token)) {
                i += token.size();
                return true;
            }
            return false;
        };
        while (i < pattern.size()) {
            if (take(u"YYYY")) {
                re += QStringLiteral("(\\d{4})");
                form.yearGroup = ++group;
            } else if (take(u"Mon")) {
                re += QStringLiteral("(\\p{L}{3,})\\.?");
                form.monthNameGroup = ++group;
            } else if (take(u"MM") || take(u"M")) {
                re += QStringLiteral("(\\d{1,2})");
                form.monthGroup = ++group;
            } else if (take(u"DD") || take(u"D")) {
                re += QStringLiteral("(\\d{1,2})");
                form.dayGroup = ++group;
            } else if (pattern[i] == u' ') {
                re += QStringLiteral("\\s*");
                ++i;
            } else {
                re += QRegularExpression::escape(pattern.sliced(i, 1));
                ++i;
            }
        }
        re += u'$';
        form.regex
            = QRegularExpression(re, QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
        if (form.yearGroup == 0 && form.monthGroup == 0 && form.monthNameGroup == 0)
            return std::nullopt;
        return form;
    }

    bool parseInto(TabularMapping &m, const QJsonObject &o)
    {
        static const QStringList topKeys{
            QStringLiteral("id"),
            QStringLiteral("title"),
            QStringLiteral("category"),
            QStringLiteral("description"),
            QStringLiteral("defaultFiles"),
            QStringLiteral("format"),
            QStringLiteral("reader"),
            QStringLiteral("files"),
            QStringLiteral("recordId"),
            QStringLiteral("recordIdHash"),
            QStringLiteral("mergeKey"),
            QStringLiteral("type"),
            QStringLiteral("names"),
            QStringLiteral("birthDates"),
            QStringLiteral("gender"),
            QStringLiteral("countries"),
            QStringLiteral("identifiers"),
            QStringLiteral("addresses"),
            QStringLiteral("programs"),
            QStringLiteral("positions"),
            QStringLiteral("topics"),
            QStringLiteral("remarks"),
            QStringLiteral("extract"),
            QStringLiteral("listedOn"),
            QStringLiteral("publicationDate"),
            QStringLiteral("$comment"),
        };
        static const QRegularExpression idPattern(QStringLiteral("^[a-z][a-z0-9_]{1,63}$"));
        m.id = o.value(u"id").toString();
        const QString where = m.id.isEmpty() ? QStringLiteral("mapping") : m.id;
        if (!checkKeys(o, where, topKeys))
            return false;
        if (!idPattern.match(m.id).hasMatch())
            return fail(where, QStringLiteral("the id must be snake_case"));
        m.title = o.value(u"title").toString();
        m.category = o.value(u"category").toString();
        if (m.category != u"pep" && m.category != u"adverse")
            return fail(where, QStringLiteral("category must be \"pep\" or \"adverse\""));
        m.description = o.value(u"description").toString();
        m.defaultFiles = stringList(o.value(u"defaultFiles"), where);
        const QString format = o.value(u"format").toString();
        if (format == u"csv")
            m.format = TabularFormat::Csv;
        else if (format == u"tsv")
            m.format = TabularFormat::Tsv;
        else if (format == u"jsonl")
            m.format = TabularFormat::JsonLines;
        else if (format == u"json")
            m.format = TabularFormat::JsonArray;
        else if (format == u"yaml")
            m.format = TabularFormat::Yaml;
        else
            return fail(where, QStringLiteral("format must be csv, tsv, jsonl, json or yaml"));
        m.reader.delimiter = m.format == TabularFormat::Tsv ? u'\t' : u',';

        const QJsonObject reader = o.value(u"reader").toObject();
        if (!checkKeys(reader, where + QStringLiteral(".reader"),
                       {QStringLiteral("delimiter"), QStringLiteral("multiline"), QStringLiteral("skipRows"),
                        QStringLiteral("header"), QStringLiteral("skipAfterHeader"), QStringLiteral("footerRows"),
                        QStringLiteral("columns"), QStringLiteral("records"), QStringLiteral("lenientQuotes")}))
            return false;
        if (const QString d = reader.value(u"delimiter").toString(); !d.isEmpty())
            m.reader.delimiter = d == u"\\t" ? QChar(u'\t') : d.front();
        m.reader.multiline = reader.value(u"multiline").toBool(true);
        m.reader.skipRows = reader.value(u"skipRows").toInt(0);
        m.reader.header = reader.value(u"header").toBool(true);
        m.reader.skipAfterHeader = reader.value(u"skipAfterHeader").toInt(0);
        m.reader.footerRows = reader.value(u"footerRows").toInt(0);
        m.reader.lenientQuotes = reader.value(u"lenientQuotes").toBool(false);
        m.reader.columns = stringList(reader.value(u"columns"), where + QStringLiteral(".reader.columns"));
        m.reader.recordPath = reader.value(u"records").toString();
        if (!m.reader.header && m.reader.columns.isEmpty() && (m.format == TabularFormat::Csv || m.format == TabularFormat::Tsv))
            return fail(where, QStringLiteral("a file without a header needs reader.columns"));

        for (const QJsonValue &v : items(o.value(u"recordId")))
            m.idParts.append(value(v, where + QStringLiteral(".recordId")));
        m.idHash = o.value(u"recordIdHash").toBool(false);
        for (const QJsonValue &v : items(o.value(u"mergeKey")))
            m.mergeKey.append(value(v, where + QStringLiteral(".mergeKey")));

        const QJsonValue type = o.value(u"type");
        if (type.isString()) {
            bool ok = false;
            m.type.fallback = entityTypeFromName(type.toString(), &ok);
            if (!ok)
                return fail(where, QStringLiteral("unknown entity type \"%1\"").arg(type.toString()));
        } else if (type.isObject()) {
            const QJsonObject t = type.toObject();
            if (t.contains(u"field") || t.contains(u"template") || t.contains(u"constant"))
                m.type.value
                    = value(type, where + QStringLiteral(".type"), {QStringLiteral("default"), QStringLiteral("personIfName")});
            else if (!checkKeys(t, where + QStringLiteral(".type"), {QStringLiteral("default"), QStringLiteral("personIfName")}))
                return false;
            bool ok = true;
            if (t.contains(u"default"))
                m.type.fallback = entityTypeFromName(t.value(u"default").toString(), &ok);
            if (!ok)
                return fail(where, QStringLiteral("unknown entity type \"%1\"").arg(t.value(u"default").toString()));
            for (const QString &target : std::as_const(m.type.value.map)) {
                (void)entityTypeFromName(target, &ok);
                if (!ok)
                    return fail(where, QStringLiteral("unknown entity type \"%1\" in type.map").arg(target));
            }
            if (t.contains(u"personIfName"))
                m.type.personIfName = regex(t.value(u"personIfName"), where + QStringLiteral(".type.personIfName"));
        }

        const QStringList nameKeys{QStringLiteral("role"), QStringLiteral("order")};
        for (const QJsonValue &v : items(o.value(u"names"))) {
            NameRule rule;
            rule.value = value(v, where + QStringLiteral(".names"), nameKeys);
            const QString role = v.toObject().value(u"role").toString(QStringLiteral("alias"));
            rule.role = role == u"primary" ? NameRole::Primary : role == u"weak" ? NameRole::Weak : NameRole::Alias;
            if (role != u"primary" && role != u"weak" && role != u"alias")
                return fail(where, QStringLiteral("a name's role is primary, alias or weak"));
            const QString order = v.toObject().value(u"order").toString(QStringLiteral("as_published"));
            if (order != u"as_published" && order != u"comma_inverted")
                return fail(where, QStringLiteral("a name's order is as_published or comma_inverted"));
            rule.order = order == u"comma_inverted" ? NameOrder::CommaInverted : NameOrder::AsPublished;
            m.names.append(rule);
        }
        if (m.names.isEmpty())
            return fail(where, QStringLiteral("a mapping needs names"));

        for (const QJsonValue &v : items(o.value(u"birthDates")))
            m.birthDates.append(dateRule(v, where + QStringLiteral(".birthDates"), QStringLiteral("Date of birth")));
        if (o.contains(u"gender"))
            m.gender = value(o.value(u"gender"), where + QStringLiteral(".gender"));
        for (const QJsonValue &v : items(o.value(u"countries"))) {
            CountryRule rule;
            rule.value = value(v, where + QStringLiteral(".countries"), {QStringLiteral("as"), QStringLiteral("label")});
            const QString as = v.toObject().value(u"as").toString(QStringLiteral("code"));
            if (as != u"code" && as != u"name")
                return fail(where, QStringLiteral("countries.as is code or name"));
            rule.names = as == u"name";
            rule.label = v.toObject().value(u"label").toString(QStringLiteral("Country"));
            m.countries.append(rule);
        }
        for (const QJsonValue &v : items(o.value(u"identifiers"))) {
            IdentifierRule rule;
            rule.value = value(v, where + QStringLiteral(".identifiers"), {QStringLiteral("kind"), QStringLiteral("country")});
            rule.kind = v.toObject().value(u"kind").toString(QStringLiteral("other"));
            rule.country = v.toObject().value(u"country").toString();
            m.identifiers.append(rule);
        }
        for (const QJsonValue &v : items(o.value(u"addresses")))
            m.addresses.append(value(v, where + QStringLiteral(".addresses")));
        for (const QJsonValue &v : items(o.value(u"programs")))
            m.programs.append(value(v, where + QStringLiteral(".programs")));
        for (const QJsonValue &v : items(o.value(u"positions")))
            m.positions.append(value(v, where + QStringLiteral(".positions")));
        for (const QJsonValue &v : items(o.value(u"topics")))
            m.topics.append(value(v, where + QStringLiteral(".topics"), {}, true));
        for (const QJsonValue &v : items(o.value(u"remarks"))) {
            LabelledRule rule;
            rule.value = value(v, where + QStringLiteral(".remarks"), {QStringLiteral("label")});
            rule.label = v.toObject().value(u"label").toString();
            m.remarks.append(rule);
        }
        for (const QJsonValue &v : items(o.value(u"extract"))) {
            if (!parseExtract(m, v, where + QStringLiteral(".extract")))
                return false;
        }
        for (const QJsonValue &v : items(o.value(u"listedOn")))
            m.listedOn.append(dateRule(v, where + QStringLiteral(".listedOn"), QStringLiteral("Listed on")));
        if (o.contains(u"publicationDate"))
            m.publicationDate = dateRule(o.value(u"publicationDate"), where + QStringLiteral(".publicationDate"),
                                         QStringLiteral("Publication date"));
        return error.isEmpty();
    }

    static std::optional<ExtractTarget> extractTarget(const QString &name)
    {
        if (name == u"alias")
            return ExtractTarget::Alias;
        if (name == u"weak_alias")
            return ExtractTarget::WeakAlias;
        if (name == u"identifier")
            return ExtractTarget::Identifier;
        if (name == u"remark")
            return ExtractTarget::Remark;
        if (name == u"drop")
            return ExtractTarget::Drop;
        return std::nullopt;
    }

    bool parseExtract(TabularMapping &m, const QJsonValue &v, const QString &where)
    {
        ExtractRule rule;
        rule.value = value(v, where, {QStringLiteral("parts"), QStringLiteral("rest"), QStringLiteral("restLabel")});
        const QJsonObject o = v.toObject();
        for (const QJsonValue &pv : o.value(u"parts").toArray()) {
            const QJsonObject p = pv.toObject();
            if (!checkKeys(p, where,
                           {QStringLiteral("regex"), QStringLiteral("group"), QStringLiteral("to"), QStringLiteral("kind"),
                            QStringLiteral("country"), QStringLiteral("label")}))
                return false;
            ExtractPart part;
            const auto re = regex(p.value(u"regex"), where);
            if (!re)
                return false;
            part.regex = *re;
            part.group = p.value(u"group").toInt(0);
            if (part.group > part.regex.captureCount())
                return fail(where, QStringLiteral("group %1 is not in the regular expression").arg(part.group));
            const auto target = extractTarget(p.value(u"to").toString());
            if (!target)
                return fail(where, QStringLiteral("\"to\" is alias, weak_alias, identifier, remark or drop"));
            part.target = *target;
            part.kind = p.value(u"kind").toString(QStringLiteral("other"));
            part.country = p.value(u"country").toString();
            part.label = p.value(u"label").toString();
            rule.parts.append(part);
        }
        const auto rest = extractTarget(o.value(u"rest").toString(QStringLiteral("drop")));
        if (!rest || *rest == ExtractTarget::Identifier)
            return fail(where, QStringLiteral("\"rest\" is alias, weak_alias, remark or drop"));
        rule.rest = *rest;
        rule.restLabel = o.value(u"restLabel").toString();
        m.extract.append(rule);
        return true;
    }
};

} // namespace

// --- values --------------------------------------------------------------------------------------

QStringList ValueSpec::values(const TabularRecord &record) const
{
    QStringList raw;
    switch (kind) {
    case Kind::None: return {};
    case Kind::Field:
        for (const QString &f : fields)
            raw += pathValues(record, f);
        break;
    case Kind::Template: raw.append(renderTemplate(text, record)); break;
    case Kind::Constant: raw = constants; break;
    }
    QStringList split;
    for (const QString &r : std::as_const(raw)) {
        if (separators.isEmpty()) {
            split.append(r);
            continue;
        }
        QStringList parts{r};
        for (const QString &sep : separators) {
            QStringList next;
            for (const QString &p : std::as_const(parts))
                next += p.split(sep);
            parts = next;
        }
        split += parts;
    }
    QStringList out;
    for (QString v : std::as_const(split)) {
        if (fixMojibake)
            v = repairMojibake(v);
        v = v.trimmed();
        for (const auto &[re, replacement] : replace)
            v.replace(re, replacement);
        v = v.trimmed();
        if (v.isEmpty() || skip.contains(v.toLower()))
            continue;
        if (match && !match->match(v).hasMatch())
            continue;
        if (!map.isEmpty()) {
            const auto it = map.constFind(v.toLower());
            if (it != map.cend())
                v = *it;
            else if (fallback)
                v = *fallback;
            else if (mapOnly)
                continue;
        }
        if (!v.isEmpty() && !out.contains(v))
            out.append(v);
    }
    if (out.isEmpty() && fallback && !fallback->isEmpty())
        out.append(*fallback);
    return out;
}

QString ValueSpec::first(const TabularRecord &record) const
{
    const QStringList v = values(record);
    return v.isEmpty() ? QString() : v.first();
}

QStringList ValueSpec::columns() const
{
    QStringList paths = kind == Kind::Field ? fields : kind == Kind::Template ? placeholders(text) : QStringList();
    QStringList out;
    for (const QString &p : std::as_const(paths)) {
        if (!p.startsWith(u'$'))
            out.append(p);
    }
    return out;
}

QStringList TabularMapping::columns() const
{
    QStringList out;
    auto add = [&](const ValueSpec &s) {
        for (const QString &c : s.columns())
            addUnique(out, c);
    };
    for (const ValueSpec &s : idParts)
        add(s);
    for (const ValueSpec &s : mergeKey)
        add(s);
    add(type.value);
    for (const NameRule &r : names)
        add(r.value);
    for (const DateRule &r : birthDates)
        add(r.value);
    add(gender);
    for (const CountryRule &r : countries)
        add(r.value);
    for (const IdentifierRule &r : identifiers)
        add(r.value);
    for (const QList<ValueSpec> *list : {&addresses, &programs, &positions, &topics}) {
        for (const ValueSpec &s : *list)
            add(s);
    }
    for (const LabelledRule &r : remarks)
        add(r.value);
    for (const ExtractRule &r : extract)
        add(r.value);
    for (const DateRule &r : listedOn)
        add(r.value);
    add(publicationDate.value);
    return out;
}

// --- dates ---------------------------------------------------------------------------------------

ParsedDate parseDateForms(const QString &raw, const QList<DateForm> &forms)
{
    const QString text = raw.trimmed();
    for (const DateForm &form : forms) {
        const QRegularExpressionMatch m = form.regex.match(text);
        if (!m.hasMatch())
            continue;
        auto number = [&](int group) { return group > 0 && m.hasCaptured(group) ? m.captured(group).toInt() : 0; };
        BirthDate d;
        d.year = number(form.yearGroup);
        d.month = form.monthNameGroup > 0 ? monthFromName(m.captured(form.monthNameGroup)) : number(form.monthGroup);
        d.day = number(form.dayGroup);
        if (form.monthNameGroup > 0 && d.month == 0)
            continue;
        if (d.month < 0 || d.month > 12 || d.day < 0 || d.day > 31 || (d.day > 0 && d.month == 0))
            continue;
        if (form.yearGroup == 0) {
            if (d.day > 0 && !QDate(2000, d.month, d.day).isValid())
                continue;
            return ParsedDate{DateParse::NoYear, d};
        }
        if (d.year < 1500 || d.year > 2200)
            continue;
        if (d.day > 0 && !QDate(d.year, d.month, d.day).isValid())
            continue;
        return ParsedDate{DateParse::Date, d};
    }
    return {};
}

// --- mapping sets --------------------------------------------------------------------------------

Result<TabularMappingSet> TabularMappingSet::fromJson(const QJsonObject &json)
{
    MappingParser parser;
    TabularMappingSet set;
    QJsonObject base = json;
    base.remove(QStringLiteral("files"));
    if (!parser.parseInto(set.m_base, base))
        return fail(ErrorCode::Validation, QStringLiteral("mapping %1").arg(parser.error));
    for (const QJsonValue &f : json.value(u"files").toArray()) {
        const QJsonObject file = f.toObject();
        const QString where = set.m_base.id + QStringLiteral(".files");
        if (!parser.checkKeys(file, where, {QStringLiteral("match"), QStringLiteral("set"), QStringLiteral("$comment")}))
            return fail(ErrorCode::Validation, QStringLiteral("mapping %1").arg(parser.error));
        QJsonObject merged = base;
        const QJsonObject overrides = file.value(u"set").toObject();
        for (auto it = overrides.begin(); it != overrides.end(); ++it) {
            if (it.key() == u"id" || it.key() == u"category" || it.key() == u"files")
                return fail(ErrorCode::Validation,
                            QStringLiteral("mapping %1: a file cannot change \"%2\"").arg(where, it.key()));
            merged.insert(it.key(), it.value());
        }
        TabularMapping mapping;
        if (!parser.parseInto(mapping, merged))
            return fail(ErrorCode::Validation, QStringLiteral("mapping %1").arg(parser.error));
        const QRegularExpression pattern(QRegularExpression::wildcardToRegularExpression(file.value(u"match").toString()),
                                         QRegularExpression::CaseInsensitiveOption);
        set.m_files.append({pattern, mapping});
    }
    return set;
}

Result<TabularMappingSet> TabularMappingSet::fromBytes(QByteArrayView json)
{
    const ImportLimits limits;
    auto doc = json::parse(json, json::JsonLimits{limits.maxDepth, limits.maxFieldChars, limits.maxFieldsPerRecord});
    if (!doc)
        return fail(ErrorCode::Validation, QStringLiteral("the mapping is not JSON: %1").arg(doc.error().message));
    if (!doc->isObject())
        return fail(ErrorCode::Validation, QStringLiteral("the mapping is not a JSON object"));
    return fromJson(doc->object());
}

const TabularMapping &TabularMappingSet::forFile(const QString &fileName) const
{
    for (const auto &[pattern, mapping] : m_files) {
        if (pattern.match(fileName).hasMatch())
            return mapping;
    }
    return m_base;
}

QStringList tabularMappingIds()
{
    initScreeningSourceResources();
    QStringList ids;
    const QDir dir(kResourceDir);
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        ids.append(QFileInfo(name).completeBaseName());
    return ids;
}

Result<TabularMappingSet> loadTabularMapping(const QString &id)
{
    initScreeningSourceResources();
    static const QRegularExpression idPattern(QStringLiteral("^[a-z][a-z0-9_]{1,63}$"));
    if (!idPattern.match(id).hasMatch())
        return fail(ErrorCode::Validation, QStringLiteral("unknown tabular source \"%1\"").arg(id));
    QFile file(kResourceDir + u'/' + id + QStringLiteral(".json"));
    if (!file.open(QIODevice::ReadOnly))
        return fail(ErrorCode::Validation, QStringLiteral("unknown tabular source \"%1\"").arg(id));
    auto set = TabularMappingSet::fromBytes(file.readAll());
    if (!set)
        return fail(ErrorCode::Validation, QStringLiteral("mapping %1: %2").arg(id, set.error().message));
    if (set && set->base().id != id)
        return fail(ErrorCode::Validation, QStringLiteral("mapping %1.json declares the id %2").arg(id, set->base().id));
    return set;
}

// --- text repair ---------------------------------------------------------------------------------

QString repairMojibake(const QString &text)
{
    // What Windows-1252 makes of 0x80-0x9F (0 where it leaves the byte undefined, read as a C1 control).
    static const char16_t cp1252[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    QByteArray bytes;
    bytes.reserve(text.size());
    bool high = false;
    for (QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 0x80) {
            bytes.append(char(u));
            continue;
        }
        int byte = -1;
        if (u <= 0xFF)
            byte = u; // Latin-1, C1 controls included

        for (int i = 0; byte < 0 && i < 32; ++i) {
            if (cp1252[i] == u)
                byte = 0x80 + i;
        }
        if (byte < 0)
            return text; // a character Windows-1252 cannot give: not mojibake
        bytes.append(char(byte));
        high = true;
    }
    if (!high)
        return text;
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString repaired = utf8.decode(bytes);
    return utf8.hasError() ? text : repaired;
}

EntityType entityTypeFromName(const QString &name, bool *ok)
{
    const QString n = name.trimmed().toLower();
    if (ok)
        *ok = true;
    if (n == u"person" || n == u"individual")
        return EntityType::Person;
    if (n == u"organization" || n == u"organisation" || n == u"company" || n == u"legal_entity")
        return EntityType::Organization;
    if (n == u"vessel")
        return EntityType::Vessel;
    if (n == u"aircraft")
        return EntityType::Aircraft;
    if (ok)
        *ok = n == u"unknown";
    return EntityType::Unknown;
}

} // namespace kyc::screening::detail

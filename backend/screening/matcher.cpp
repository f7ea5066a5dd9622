#include "backend/screening/matcher.h"

#include "backend/screening/nameindex.h"
#include "backend/screening/normalizer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QLocale>
#include <QMutex>
#include <QMutexLocker>
#include <QSet>
#include <QtConcurrent/QtConcurrentMap>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

namespace kyc::screening {

namespace {

constexpr double kDefaultThreshold = 0.80;
constexpr double kQueryShare = 0.6; // nameScore = 0.6·coverQ + 0.4·coverN
constexpr double kOneTokenCap = 0.5;
constexpr double kOrderPenalty = 0.03;
constexpr double kWeakAlias = 0.95;
constexpr double kUnmatchedCountry = 0.25; // weight share of a country's name left unmatched on either side
constexpr double kJoinedMin = 0.92; // Jaro-Winkler of a token against 2–3 joined tokens of the other side
constexpr double kJoinedTypo = 0.95; // whole names equal without spaces but for one edit
constexpr double kCandidateShare = 0.3;
constexpr int kMaxCandidates = 400;

struct QueryToken {
    QString text;
    QString phonetic;
    int vocabId = -1;
    float weight = 1; // rarity; 0 for company forms
    bool known = false; // in the vocabulary (else: weight resolved against its partner)
    bool form = false;
    QHash<int, TokenSimilarity> sims; // vocabulary id -> similarity, per query
};

struct PreparedQuery {
    NormalizedName norm;
    std::vector<QueryToken> tokens; // NormalizedName::allTokens
    int significant = 0;
};

enum class OptionKind : std::uint8_t { Pair, Joined, Split };

struct Option {
    int q0 = 0, q1 = 0; // query tokens [q0, q1)
    int n0 = 0, n1 = 0; // name tokens [n0, n1)
    float sim = 0;
    float weight = 0; // tie-break: total weight covered
    OptionKind kind = OptionKind::Pair;
    TokenMatchKind tokenKind = TokenMatchKind::None;
};

struct NameScore {
    double score = 0;
    QList<TokenPair> pairs;
};

enum class DobOutcome { Exact = 0, Year, YearDayMismatch, Near, Mismatch, Unknown };

DobOutcome compareDates(const BirthDate &q, const BirthDate &e)
{
    if (!q.isValid() || !e.isValid())
        return DobOutcome::Unknown;
    const int qy0 = q.year, qy1 = std::max(q.year, q.toYear);
    const int ey0 = e.year, ey1 = std::max(e.year, e.toYear);
    if (qy0 <= ey1 && ey0 <= qy1) {
        const bool ranges = qy1 > qy0 || ey1 > ey0;
        if (ranges || q.month == 0 || e.month == 0)
            return DobOutcome::Year;
        if (q.month == e.month && (q.day == 0 || e.day == 0 || q.day == e.day))
            return q.day > 0 && e.day > 0 ? DobOutcome::Exact : DobOutcome::Year;
        if (q.day > 0 && e.day > 0 && q.day == e.month && q.month == e.day)
            return DobOutcome::Year; // day and month swapped (US vs European order)
        return DobOutcome::YearDayMismatch;
    }
    const int gap = qy0 > ey1 ? qy0 - ey1 : ey0 - qy1;
    return gap <= 1 ? DobOutcome::Near : DobOutcome::Mismatch;
}

QString canonicalCountryKey(const QString &s)
{
    QString out;
    for (const QChar c : s.normalized(QString::NormalizationForm_KD)) {
        if (c.unicode() < 0x80 && c.isLetter())
            out.append(c.toLower());
    }
    return out;
}

const QHash<QString, QString> &countryTable()
{
    // An immutable lookup table, built once (thread-safe static initialisation).
    static const QHash<QString, QString> table = [] {
        QHash<QString, QString> t;
        for (int i = int(QLocale::AnyTerritory) + 1; i <= int(QLocale::LastTerritory); ++i) {
            const auto territory = QLocale::Territory(i);
            const QString code = QLocale::territoryToCode(territory);
            if (code.size() != 2)
                continue;
            t.insert(canonicalCountryKey(QLocale::territoryToString(territory)), code);
        }
        const char *const aliases[][2] = {
            {"United States of America", "US"},
            {"USA", "US"},
            {"United Kingdom of Great Britain and Northern Ireland", "GB"},
            {"Great Britain", "GB"},
            {"UK", "GB"},
            {"England", "GB"},
            {"Russian Federation", "RU"},
            {"Iran (Islamic Republic of)", "IR"},
            {"Islamic Republic of Iran", "IR"},
            {"Syrian Arab Republic", "SY"},
            {"Democratic People's Republic of Korea", "KP"},
            {"Korea, North", "KP"},
            {"North Korea", "KP"},
            {"Republic of Korea", "KR"},
            {"Korea, South", "KR"},
            {"South Korea", "KR"},
            {"Viet Nam", "VN"},
            {"Lao People's Democratic Republic", "LA"},
            {"United Republic of Tanzania", "TZ"},
            {"Bolivia (Plurinational State of)", "BO"},
            {"Venezuela (Bolivarian Republic of)", "VE"},
            {"Republic of Moldova", "MD"},
            {"The former Yugoslav Republic of Macedonia", "MK"},
            {"North Macedonia", "MK"},
            {"Democratic Republic of the Congo", "CD"},
            {"Congo, Democratic Republic of the", "CD"},
            {"Republic of the Congo", "CG"},
            {"Congo", "CG"},
            {"Cote d'Ivoire", "CI"},
            {"Ivory Coast", "CI"},
            {"Turkiye", "TR"},
            {"Czechia", "CZ"},
            {"State of Palestine", "PS"},
            {"Palestine", "PS"},
            {"Occupied Palestinian Territory", "PS"},
            {"Libyan Arab Jamahiriya", "LY"},
            {"Micronesia (Federated States of)", "FM"},
            {"Burma", "MM"},
            {"Myanmar", "MM"},
            {"Kosovo", "XK"},
            {"Hong Kong", "HK"},
            {"Macau", "MO"},
            {"Macao", "MO"},
            {"Taiwan", "TW"},
            {"Eswatini", "SZ"},
            {"Swaziland", "SZ"},
            {"Cabo Verde", "CV"},
            {"Timor-Leste", "TL"},
            {"East Timor", "TL"},
            {"Vatican City", "VA"},
            {"Holy See", "VA"},
            {"Bosnia and Herzegovina", "BA"},
            {"Trinidad and Tobago", "TT"},
            {"Saint Kitts and Nevis", "KN"},
            {"Antigua and Barbuda", "AG"},
            {"Sao Tome and Principe", "ST"},
            {"Brunei Darussalam", "BN"},
            {"Gambia", "GM"},
            {"The Gambia", "GM"},
            {"Bahamas", "BS"},
            {"Netherlands", "NL"},
            {"Sudan", "SD"},
            {"South Sudan", "SS"},
        };
        for (const auto &a : aliases)
            t.insert(canonicalCountryKey(QString::fromLatin1(a[0])), QString::fromLatin1(a[1]));
        return t;
    }();
    return table;
}

} // namespace

QString countryCode(const QString &codeOrName)
{
    const QString s = codeOrName.trimmed();
    if (s.size() == 2 && s.at(0).isLetter() && s.at(1).isLetter())
        return s.toUpper();
    if (s.isEmpty())
        return {};
    return countryTable().value(canonicalCountryKey(s));
}

BirthDate parseBirthDate(const QString &text)
{
    struct Group {
        int value;
        qsizetype length;
    };
    QList<Group> groups;
    for (qsizetype i = 0; i < text.size();) {
        if (!text.at(i).isDigit()) {
            ++i;
            continue;
        }
        qsizetype j = i;
        int v = 0;
        while (j < text.size() && text.at(j).isDigit() && j - i < 8)
            v = v * 10 + text.at(j++).digitValue();
        groups.append({v, j - i});
        i = j;
    }
    BirthDate b;
    const auto valid = [](const BirthDate &d) {
        return d.year >= 1800 && d.year <= 2100 && d.month >= 0 && d.month <= 12 && d.day >= 0 && d.day <= 31;
    };
    if (groups.size() == 1 && groups[0].length == 4) {
        b.year = groups[0].value;
    } else if (groups.size() == 2 && groups[0].length == 4 && groups[1].length == 4) {
        b.year = groups[0].value;
        b.toYear = groups[1].value > b.year ? groups[1].value : 0;
    } else if (groups.size() == 2 && groups[0].length == 4) {
        b.year = groups[0].value;
        b.month = groups[1].value;
    } else if (groups.size() == 3 && groups[0].length == 4) {
        b = {groups[0].value, groups[1].value, groups[2].value, 0};
    } else if (groups.size() == 3 && groups[2].length == 4) {
        b = {groups[2].value, groups[1].value, groups[0].value, 0};
    } else {
        for (const Group &g : std::as_const(groups)) {
            if (g.length == 4 && g.value >= 1800 && g.value <= 2100) {
                b.year = g.value;
                break;
            }
        }
    }
    return valid(b) ? b : BirthDate{};
}

// Per-query working memory, sized to the index and kept clean between queries (only touched slots are reset),
// so a query does not allocate and clear half a megabyte.
struct Workspace {
    struct Acc {
        float total = 0;
        float best = 0;
        int stamp = -1;
    };
    std::vector<Acc> acc;
    std::vector<int> touched;
    NameIndex::Scratch scratch;
    std::vector<std::pair<int, TokenSimilarity>> hits;
};

struct Matcher::Impl {
    QList<Entity> entities;
    Normalizer normalizer;
    NameIndex index;
    std::vector<std::pair<int, int>> entityNames; // entity -> [first name id, end)
    bool anyOwned = false; // some entity belongs to a firm-private list: every query filters by owner
    // Vocabulary tokens that are a country's name ("iran", "cuba", not codes such as "al"): left out by the one who
    // screens more often than any other word ("Bank Melli" for BANK MELLI IRAN), so unmatched they weigh less.
    std::vector<char> countryToken;
    // Workspaces are the only mutable state: taken and returned under a mutex, one per concurrent query.
    mutable QMutex workspaceMutex;
    mutable std::vector<std::unique_ptr<Workspace>> workspaces;

    std::unique_ptr<Workspace> takeWorkspace() const
    {
        {
            QMutexLocker lock(&workspaceMutex);
            if (!workspaces.empty()) {
                auto w = std::move(workspaces.back());
                workspaces.pop_back();
                return w;
            }
        }
        auto w = std::make_unique<Workspace>();
        w->acc.resize(std::size_t(index.nameCount()));
        return w;
    }

    void returnWorkspace(std::unique_ptr<Workspace> w) const
    {
        for (const int id : w->touched)
            w->acc[std::size_t(id)] = Workspace::Acc{};
        w->touched.clear();
        QMutexLocker lock(&workspaceMutex);
        if (workspaces.size() < 16)
            workspaces.push_back(std::move(w));
    }

    explicit Impl(QList<Entity> list)
        : entities(std::move(list))
        , index(entities, normalizer)
    {
        entityNames.assign(std::size_t(entities.size()), {0, 0});
        anyOwned = std::any_of(entities.cbegin(), entities.cend(), [](const Entity &e) { return !e.owner.isEmpty(); });
        for (int id = 0; id < int(index.nameCount()); ++id) {
            auto &range = entityNames[std::size_t(index.name(id).entity)];
            if (range.first == range.second)
                range = {id, id + 1};
            else
                range.second = id + 1;
        }
        countryToken.assign(std::size_t(index.vocabularySize()), 0);
        for (int v = 0; v < int(index.vocabularySize()); ++v) {
            const QString &text = index.token(v).text;
            countryToken[std::size_t(v)] = text.size() >= 4 && !countryCode(text).isEmpty();
        }
    }

    PreparedQuery prepare(const Query &q) const;
    TokenSimilarity similarity(QueryToken &qt, int vocabId) const;
    NameScore scoreName(PreparedQuery &pq, int nameId, bool explain) const;
    double applyQualifiers(const Query &q, const PreparedQuery &pq, const Entity &e, double score, bool identifierHit,
                           double threshold, QList<Qualifier> *out) const;
};

PreparedQuery Matcher::Impl::prepare(const Query &q) const
{
    PreparedQuery pq;
    pq.norm = normalizer.normalize(q.name, q.type);
    pq.tokens.reserve(std::size_t(pq.norm.allTokens.size()));
    for (qsizetype i = 0; i < pq.norm.allTokens.size(); ++i) {
        QueryToken t;
        t.text = pq.norm.allTokens.at(i);
        t.phonetic = phoneticKey(t.text);
        t.form = pq.norm.formMask.value(i);
        t.vocabId = index.tokenId(t.text);
        t.known = t.vocabId >= 0;
        t.weight = t.form ? 0.0f : (t.known ? index.token(t.vocabId).weight : NameIndex::unknownTokenWeight());
        if (!t.form)
            ++pq.significant;
        pq.tokens.push_back(std::move(t));
    }
    return pq;
}

TokenSimilarity Matcher::Impl::similarity(QueryToken &qt, int vocabId) const
{
    const auto it = qt.sims.constFind(vocabId);
    if (it != qt.sims.cend())
        return it.value();
    const NameIndex::Token &tok = index.token(vocabId);
    const TokenSimilarity s = tokenSimilarity(qt.text, qt.phonetic, tok.text, tok.phonetic);
    qt.sims.insert(vocabId, s);
    return s;
}

NameScore Matcher::Impl::scoreName(PreparedQuery &pq, int nameId, bool explain) const
{
    const NameIndex::IndexedName &nm = index.name(nameId);
    const int m = int(pq.tokens.size());
    const int k = int(nm.tokens.size());
    std::vector<float> nameW(std::size_t(k), 0.0f);
    for (int j = 0; j < k; ++j)
        nameW[std::size_t(j)] = nm.formMask.value(j) ? 0.0f : index.token(nm.tokens[j]).weight;

    std::vector<Option> options;
    options.reserve(std::size_t(m * k + 4));
    for (int i = 0; i < m; ++i) {
        QueryToken &qt = pq.tokens[std::size_t(i)];
        if (qt.form)
            continue;
        for (int j = 0; j < k; ++j) {
            if (nm.formMask.value(j))
                continue;
            const int vid = nm.tokens[j];
            const TokenSimilarity s = vid == qt.vocabId ? TokenSimilarity{1.0f, TokenMatchKind::Exact} : similarity(qt, vid);
            if (s.kind == TokenMatchKind::None || s.kind == TokenMatchKind::Part)
                continue;
            options.push_back({i, i + 1, j, j + 1, s.similarity, qt.weight + nameW[std::size_t(j)], OptionKind::Pair, s.kind});
        }
    }

    // Joined: one query token against 2–3 adjacent name tokens ("JSCARGUMENT" ~ "JSC ARGUMENT"), and split: one
    // name token against 2–3 adjacent query tokens. Company forms may take part but are never required.
    QString concat;
    for (int i = 0; i < m; ++i) {
        const QueryToken &qt = pq.tokens[std::size_t(i)];
        if (qt.form || qt.text.size() < 4)
            continue;
        for (int j = 0; j + 1 < k; ++j) {
            qsizetype len = 0;
            for (int L = 1; L <= 3 && j + L <= k; ++L) {
                len += index.token(nm.tokens[j + L - 1]).text.size();
                if (L < 2 || len + 1 < qt.text.size())
                    continue;
                if (len > qt.text.size() + 1)
                    break;
                // Cheap gate before Jaro-Winkler: same first letter, and same last letter or same first three.
                const QString &first = index.token(nm.tokens[j]).text;
                if (first.front() != qt.text.front())
                    break;
                if (index.token(nm.tokens[j + L - 1]).text.back() != qt.text.back()
                    && !(first.size() >= 3 && QStringView(qt.text).first(3) == QStringView(first).first(3)))
                    continue;
                concat.clear();
                float w = 0;
                for (int t = j; t < j + L; ++t) {
                    concat += index.token(nm.tokens[t]).text;
                    w += nameW[std::size_t(t)];
                }
                if (w <= 0)
                    continue;
                const double jw = jaroWinkler(qt.text, concat);
                if (jw >= kJoinedMin)
                    options.push_back({i, i + 1, j, j + L, float(jw), qt.weight + w, OptionKind::Joined, TokenMatchKind::None});
            }
        }
    }
    for (int j = 0; j < k; ++j) {
        if (nm.formMask.value(j))
            continue;
        const QString &nt = index.token(nm.tokens[j]).text;
        if (nt.size() < 4)
            continue;
        for (int i = 0; i + 1 < m; ++i) {
            qsizetype len = 0;
            for (int L = 1; L <= 3 && i + L <= m; ++L) {
                len += pq.tokens[std::size_t(i + L - 1)].text.size();
                if (L < 2 || len + 1 < nt.size())
                    continue;
                if (len > nt.size() + 1)
                    break;
                const QString &first = pq.tokens[std::size_t(i)].text;
                if (first.front() != nt.front())
                    break;
                if (pq.tokens[std::size_t(i + L - 1)].text.back() != nt.back()
                    && !(first.size() >= 3 && QStringView(nt).first(3) == QStringView(first).first(3)))
                    continue;
                concat.clear();
                float w = 0;
                for (int t = i; t < i + L; ++t) {
                    concat += pq.tokens[std::size_t(t)].text;
                    w += pq.tokens[std::size_t(t)].form ? 0.0f : 1.0f;
                }
                if (w <= 0)
                    continue;
                const double jw = jaroWinkler(concat, nt);
                if (jw >= kJoinedMin)
                    options.push_back(
                        {i, i + L, j, j + 1, float(jw), w + nameW[std::size_t(j)], OptionKind::Split, TokenMatchKind::None});
            }
        }
    }

    std::sort(options.begin(), options.end(), [](const Option &a, const Option &b) {
        if (a.sim != b.sim)
            return a.sim > b.sim;
        if (a.weight != b.weight)
            return a.weight > b.weight;
        return (a.q1 - a.q0) + (a.n1 - a.n0) > (b.q1 - b.q0) + (b.n1 - b.n0);
    });
    std::vector<char> usedQ(std::size_t(m), 0), usedN(std::size_t(k), 0);
    std::vector<const Option *> chosen;
    for (const Option &o : options) {
        bool free = true;
        for (int i = o.q0; i < o.q1 && free; ++i)
            free = !usedQ[std::size_t(i)];
        for (int j = o.n0; j < o.n1 && free; ++j)
            free = !usedN[std::size_t(j)];
        if (!free)
            continue;
        for (int i = o.q0; i < o.q1; ++i)
            usedQ[std::size_t(i)] = 1;
        for (int j = o.n0; j < o.n1; ++j)
            usedN[std::size_t(j)] = 1;
        chosen.push_back(&o);
    }

    // Coverage on both sides, weighted by rarity. An unknown query token (a typo, a spelling the lists do not
    // use) weighs as much as the name token(s) it matched, or 1 when it matched nothing.
    std::vector<float> queryW(std::size_t(m), 0.0f);
    for (int i = 0; i < m; ++i) {
        const QueryToken &qt = pq.tokens[std::size_t(i)];
        queryW[std::size_t(i)] = qt.form ? 0.0f : qt.weight;
    }
    double matchedQ = 0, matchedN = 0;
    bool allNameCovered = true;
    for (const Option *o : chosen) {
        float partner = 0;
        for (int j = o->n0; j < o->n1; ++j)
            partner = std::max(partner, nameW[std::size_t(j)]);
        for (int i = o->q0; i < o->q1; ++i) {
            const QueryToken &qt = pq.tokens[std::size_t(i)];
            if (!qt.form && !qt.known)
                queryW[std::size_t(i)] = partner;
            matchedQ += double(o->sim) * double(queryW[std::size_t(i)]);
        }
        for (int j = o->n0; j < o->n1; ++j)
            matchedN += double(o->sim) * double(nameW[std::size_t(j)]);
    }
    double totalQ = 0, totalN = 0;
    for (int i = 0; i < m; ++i) {
        const QueryToken &qt = pq.tokens[std::size_t(i)];
        const bool leftOut = !usedQ[std::size_t(i)] && qt.known && countryToken[std::size_t(qt.vocabId)];
        totalQ += double(queryW[std::size_t(i)]) * (leftOut ? kUnmatchedCountry : 1.0);
    }
    for (int j = 0; j < k; ++j) {
        const bool leftOut = !usedN[std::size_t(j)] && countryToken[std::size_t(nm.tokens[j])];
        totalN += double(nameW[std::size_t(j)]) * (leftOut ? kUnmatchedCountry : 1.0);
        if (!nm.formMask.value(j) && !usedN[std::size_t(j)])
            allNameCovered = false;
    }
    const double coverQ = totalQ > 0 ? matchedQ / totalQ : 0;
    const double coverN = totalN > 0 ? matchedN / totalN : 0;
    double score = kQueryShare * coverQ + (1.0 - kQueryShare) * coverN;

    // Order: a small factor for pairs out of order ("Un Kim Jong" vs "Kim Jong Un").
    if (chosen.size() >= 2) {
        std::vector<const Option *> byQuery = chosen;
        std::sort(byQuery.begin(), byQuery.end(), [](const Option *a, const Option *b) { return a->q0 < b->q0; });
        int inversions = 0;
        for (std::size_t a = 0; a < byQuery.size(); ++a) {
            for (std::size_t b = a + 1; b < byQuery.size(); ++b)
                inversions += byQuery[a]->n0 > byQuery[b]->n0 ? 1 : 0;
        }
        const double pairs = double(byQuery.size() * (byQuery.size() - 1) / 2);
        score *= 1.0 - kOrderPenalty * double(inversions) / pairs;
    }
    if (pq.significant == 1 && nm.significantTokens >= 2 && !allNameCovered)
        score = std::min(score, kOneTokenCap);
    if (nm.weak)
        score *= kWeakAlias;

    // The whole name joined without spaces, in order: catches spacing and hyphen differences the token
    // alignment cannot see ("CHANG MYONGC-HIN" vs "CHANG MYONG-CHIN"), and one typo on top.
    double joinedSim = 0;
    const QString &qj = pq.norm.joined;
    if (qj == nm.joined || pq.norm.allJoined() == nm.allJoined || qj == nm.allJoined || pq.norm.allJoined() == nm.joined)
        joinedSim = 1.0;
    else if (qj.size() >= 8 && nm.joined.size() >= 8 && editDistanceAtMostOne(qj, nm.joined))
        joinedSim = kJoinedTypo;
    if (joinedSim > 0 && nm.weak)
        joinedSim *= kWeakAlias;
    const bool wholeJoined = joinedSim > score;
    if (wholeJoined)
        score = joinedSim;

    NameScore out;
    out.score = std::clamp(score, 0.0, 1.0);
    if (!explain)
        return out;
    if (wholeJoined) {
        QStringList qs, ns;
        for (const QueryToken &t : pq.tokens)
            qs.append(t.text);
        for (const int id : nm.tokens)
            ns.append(index.token(id).text);
        out.pairs.append({qs.join(QLatin1Char(' ')), ns.join(QLatin1Char('+')), joinedSim / (nm.weak ? kWeakAlias : 1.0),
                          QStringLiteral("joined")});
        return out;
    }

    std::vector<const Option *> byQuery = chosen;
    std::sort(byQuery.begin(), byQuery.end(),
              [](const Option *a, const Option *b) { return a->q0 != b->q0 ? a->q0 < b->q0 : a->n0 < b->n0; });
    for (const Option *o : byQuery) {
        TokenPair p;
        QStringList qs, ns;
        for (int i = o->q0; i < o->q1; ++i)
            qs.append(pq.tokens[std::size_t(i)].text);
        for (int j = o->n0; j < o->n1; ++j)
            ns.append(index.token(nm.tokens[j]).text);
        p.queryToken = qs.join(QLatin1Char(' '));
        p.nameToken = ns.join(QLatin1Char('+'));
        p.similarity = double(o->sim);
        p.how = o->kind == OptionKind::Joined ? QStringLiteral("joined")
            : o->kind == OptionKind::Split    ? QStringLiteral("split")
                                              : tokenMatchKindName(o->tokenKind);
        out.pairs.append(p);
    }
    for (int i = 0; i < m; ++i) {
        if (!usedQ[std::size_t(i)] && !pq.tokens[std::size_t(i)].form)
            out.pairs.append({pq.tokens[std::size_t(i)].text, QString(), 0.0, QStringLiteral("unmatched")});
    }
    for (int j = 0; j < k; ++j) {
        if (!usedN[std::size_t(j)] && !nm.formMask.value(j))
            out.pairs.append({QString(), index.token(nm.tokens[j]).text, 0.0, QStringLiteral("unmatched")});
    }
    return out;
}

double Matcher::Impl::applyQualifiers(const Query &q, const PreparedQuery &pq, const Entity &e, double score, bool identifierHit,
                                      double threshold, QList<Qualifier> *out) const
{
    const auto apply = [&](const char *kind, const char *outcome, double after) {
        after = std::clamp(after, 0.0, 1.0);
        if (out)
            out->append({QString::fromLatin1(kind), QString::fromLatin1(outcome), after - score});
        score = after;
    };

    if (q.birthDate.isValid()) {
        DobOutcome best = DobOutcome::Unknown;
        for (const BirthDate &b : e.birthDates)
            best = std::min(best, compareDates(q.birthDate, b));
        switch (best) {
        case DobOutcome::Exact: apply("birth_date", "exact", score + 0.35 * (1.0 - score)); break;
        case DobOutcome::Year: apply("birth_date", "year", score + 0.15 * (1.0 - score)); break;
        case DobOutcome::YearDayMismatch: apply("birth_date", "year_day_mismatch", score * 0.95); break;
        case DobOutcome::Near: apply("birth_date", "near", score * 0.93); break;
        case DobOutcome::Mismatch: apply("birth_date", "mismatch", score * 0.70); break;
        case DobOutcome::Unknown: break;
        }
    }

    const QString qc = countryCode(q.country);
    if (!qc.isEmpty() && !e.countries.isEmpty()) {
        const bool same = std::any_of(e.countries.cbegin(), e.countries.cend(),
                                      [&](const QString &c) { return c.compare(qc, Qt::CaseInsensitive) == 0; });
        if (same)
            apply("country", "match", score + 0.10 * (1.0 - score));
        else
            apply("country", "mismatch", score * 0.95);
    }

    const QString qg = q.gender.trimmed().toLower();
    if ((qg == QLatin1String("male") || qg == QLatin1String("female")) && !e.gender.isEmpty()) {
        if (e.gender.compare(qg, Qt::CaseInsensitive) == 0)
            apply("gender", "match", score);
        else
            apply("gender", "mismatch", score * 0.85);
    }

    // A type mismatch lowers the score but never hides a name that matches on its own (a bank screened with the
    // pane's default type "person" must still be found): above the threshold it keeps part of its distance to it,
    // so mismatched entities stay in their order, below every typed match of the same name; below the threshold
    // (only seen with a lower one) it is a plain factor.
    const auto mismatch = [&](const char *outcome, double keep, double factor) {
        apply("type", outcome, score >= threshold ? threshold + (score - threshold) * keep : score * factor);
    };
    if (q.type != EntityType::Unknown && e.type != EntityType::Unknown) {
        if (q.type == e.type)
            apply("type", "match", score);
        else if ((q.type == EntityType::Person) != (e.type == EntityType::Person))
            mismatch("mismatch", 0.5, 0.60);
        else
            mismatch("mismatch", 0.75, 0.85);
    } else if (q.type == EntityType::Unknown && pq.norm.isOrganization && e.type == EntityType::Person) {
        mismatch("inferred_mismatch", 0.75, 0.85);
    }

    if (identifierHit)
        apply("identifier", "exact", 1.0);
    return score;
}

Matcher::Matcher(QList<Entity> entities)
    : d(std::make_unique<Impl>(std::move(entities)))
{
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher &&) noexcept = default;
Matcher &Matcher::operator=(Matcher &&) noexcept = default;

double Matcher::defaultThreshold()
{
    return kDefaultThreshold;
}

qsizetype Matcher::entityCount() const
{
    return d->entities.size();
}

qsizetype Matcher::nameCount() const
{
    return d->index.nameCount();
}

qsizetype Matcher::vocabularySize() const
{
    return d->index.vocabularySize();
}

const QList<Entity> &Matcher::entities() const
{
    return d->entities;
}

QList<Match> Matcher::screen(const Query &q, int maxResults) const
{
    const double threshold = q.threshold < 0 ? kDefaultThreshold : q.threshold;
    const NameIndex &index = d->index;
    PreparedQuery pq = d->prepare(q);

    // Identifiers are decisive on their own.
    QSet<int> identifierEntities;
    for (const Identifier &id : q.identifiers) {
        const QString v = normalizeIdentifier(id.value);
        if (v.size() >= 4) {
            for (const int e : index.entitiesWithIdentifier(v))
                identifierEntities.insert(e);
        }
    }
    if (pq.significant == 0 && identifierEntities.isEmpty())
        return {};

    // Candidate generation: rarity-weighted share of the query each name could match.
    std::unique_ptr<Workspace> workspace = d->takeWorkspace();
    std::vector<Workspace::Acc> &acc = workspace->acc;
    std::vector<int> &touched = workspace->touched;
    NameIndex::Scratch &scratch = workspace->scratch;
    std::vector<std::pair<int, TokenSimilarity>> &hits = workspace->hits;
    double totalWeight = 0;
    for (int i = 0; i < int(pq.tokens.size()); ++i) {
        QueryToken &qt = pq.tokens[std::size_t(i)];
        if (qt.form)
            continue;
        totalWeight += double(qt.weight);
        index.similarTokens(qt.text, qt.phonetic, scratch, hits);
        for (const auto &[vid, sim] : hits) {
            if (sim.kind != TokenMatchKind::Part)
                qt.sims.insert(vid, sim);
            const float contribution = qt.weight * sim.similarity;
            for (const int nameId : index.token(vid).names) {
                Workspace::Acc &a = acc[std::size_t(nameId)];
                if (a.stamp != i) {
                    if (a.stamp < 0)
                        touched.push_back(nameId);
                    a.stamp = i;
                    a.best = contribution;
                    a.total += contribution;
                } else if (contribution > a.best) {
                    a.total += contribution - a.best;
                    a.best = contribution;
                }
            }
        }
    }
    const bool restricted = !q.sources.isEmpty() || q.entityIds || d->anyOwned;
    auto allowed = [&](int nameId) {
        const Entity &e = d->entities.at(index.name(nameId).entity);
        return (e.owner.isEmpty() || e.owner == q.firmId) && (q.sources.isEmpty() || q.sources.contains(e.source))
            && (!q.entityIds || q.entityIds->contains(e.id));
    };
    std::vector<std::pair<float, int>> ranked;
    ranked.reserve(touched.size());
    const float minimum = float(kCandidateShare * totalWeight);
    for (const int nameId : touched) {
        if (acc[std::size_t(nameId)].total >= minimum && (!restricted || allowed(nameId)))
            ranked.emplace_back(acc[std::size_t(nameId)].total, nameId);
    }
    if (ranked.size() > std::size_t(kMaxCandidates)) {
        std::nth_element(ranked.begin(), ranked.begin() + kMaxCandidates, ranked.end(),
                         [](const auto &a, const auto &b) { return a.first > b.first; });
        ranked.resize(std::size_t(kMaxCandidates));
    }
    std::vector<int> candidates;
    candidates.reserve(ranked.size() + 8);
    for (const auto &r : ranked)
        candidates.push_back(r.second);
    d->returnWorkspace(std::move(workspace));
    for (const QString &joined : {pq.norm.joined, pq.norm.allJoined()}) {
        if (joined.isEmpty())
            continue;
        if (const QList<int> *names = index.namesWithJoined(joined))
            candidates.insert(candidates.end(), names->cbegin(), names->cend());
    }
    for (const int e : std::as_const(identifierEntities)) {
        const auto range = d->entityNames[std::size_t(e)];
        for (int id = range.first; id < range.second; ++id)
            candidates.push_back(id);
    }
    if (restricted)
        candidates.erase(std::remove_if(candidates.begin(), candidates.end(), [&](int nameId) { return !allowed(nameId); }),
                         candidates.end());
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    // Full scoring; the best name per entity.
    QHash<int, std::pair<double, int>> bestPerEntity; // entity -> (name score, name id)
    for (const int nameId : candidates) {
        const double s = d->scoreName(pq, nameId, false).score;
        const int e = index.name(nameId).entity;
        auto it = bestPerEntity.find(e);
        if (it == bestPerEntity.end())
            bestPerEntity.insert(e, {s, nameId});
        else if (s > it->first)
            *it = {s, nameId};
    }

    struct Ranked {
        double score;
        double nameScore;
        int entity;
        int nameId;
    };
    std::vector<Ranked> results;
    for (auto it = bestPerEntity.cbegin(); it != bestPerEntity.cend(); ++it) {
        const Entity &e = d->entities.at(it.key());
        const double score = d->applyQualifiers(q, pq, e, it->first, identifierEntities.contains(it.key()), threshold, nullptr);
        if (score >= threshold && score > 0)
            results.push_back({score, it->first, it.key(), it->second});
    }
    std::sort(results.begin(), results.end(), [&](const Ranked &a, const Ranked &b) {
        if (a.score != b.score)
            return a.score > b.score;
        if (a.nameScore != b.nameScore)
            return a.nameScore > b.nameScore;
        return d->entities.at(a.entity).id < d->entities.at(b.entity).id;
    });
    if (maxResults >= 0 && results.size() > std::size_t(maxResults))
        results.resize(std::size_t(maxResults));

    QList<Match> out;
    out.reserve(qsizetype(results.size()));
    for (const Ranked &r : results) {
        Match m;
        m.entity = &d->entities.at(r.entity);
        m.nameIndex = index.name(r.nameId).nameIndex;
        const NameScore ns = d->scoreName(pq, r.nameId, true);
        m.nameScore = ns.score;
        m.tokens = ns.pairs;
        m.score = d->applyQualifiers(q, pq, *m.entity, ns.score, identifierEntities.contains(r.entity), threshold, &m.qualifiers);
        out.append(std::move(m));
    }
    return out;
}

QList<QList<Match>> Matcher::screenMany(const QList<Query> &queries, int maxResults) const
{
    std::function<QList<Match>(const Query &)> one = [this, maxResults](const Query &q) { return screen(q, maxResults); };
    return QtConcurrent::blockingMapped<QList<QList<Match>>>(queries, one);
}

// ---- evaluation ----

namespace {

struct EvalRow {
    Query query;
    QStringList expected;
};

Result<QList<EvalRow>> readRows(const QString &path, bool positives)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(ErrorCode::NotFound, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    QList<EvalRow> rows;
    qint64 line = 0;
    while (!f.atEnd()) {
        const QByteArray raw = f.readLine().trimmed();
        ++line;
        if (raw.isEmpty())
            continue;
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(raw, &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject())
            return fail(ErrorCode::Validation, QStringLiteral("%1:%2: %3").arg(path).arg(line).arg(err.errorString()));
        const QJsonObject o = doc.object();
        EvalRow row;
        row.query.name = o.value(QLatin1String("query")).toString();
        row.query.type = EntityType::Person;
        row.query.birthDate = parseBirthDate(o.value(QLatin1String("birth_date")).toString());
        row.query.country = o.value(QLatin1String("nationality")).toString();
        row.query.gender = o.value(QLatin1String("gender")).toString();
        row.query.threshold = 0;
        if (positives) {
            for (const QJsonValue v : o.value(QLatin1String("expected_un_reference")).toArray())
                row.expected.append(v.toString());
            if (row.expected.isEmpty())
                return fail(ErrorCode::Validation, QStringLiteral("%1:%2: no expected_un_reference").arg(path).arg(line));
        }
        if (row.query.name.isEmpty())
            return fail(ErrorCode::Validation, QStringLiteral("%1:%2: no query").arg(path).arg(line));
        rows.append(row);
    }
    return rows;
}

bool isExpected(const Entity &e, const QStringList &refs)
{
    const QString native = e.id.section(QLatin1Char(':'), 1);
    return std::any_of(refs.cbegin(), refs.cend(),
                       [&](const QString &r) { return e.id == QStringLiteral("un:") + r || native == r || e.id == r; });
}

QString describe(const Match &m)
{
    return QStringLiteral("%1 \"%2\" %3").arg(m.entity->id, m.entity->names.value(m.nameIndex).full).arg(m.score, 0, 'f', 3);
}

} // namespace

QString EvalResult::summary() const
{
    QString s;
    s += QStringLiteral("threshold %1\n").arg(threshold, 0, 'f', 3);
    s += QStringLiteral("positives %1: found %2 (recall %3), top-1 %4 (%5), missed %6\n")
             .arg(positives)
             .arg(truePositives)
             .arg(recall, 0, 'f', 4)
             .arg(top1)
             .arg(top1Accuracy, 0, 'f', 4)
             .arg(falseNegatives);
    s += QStringLiteral("negatives %1: false positives %2 (rate %3), true negatives %4\n")
             .arg(negatives)
             .arg(falsePositives)
             .arg(falsePositiveRate, 0, 'f', 4)
             .arg(trueNegatives);
    s += QStringLiteral("confusion: TP %1  FN %2  FP %3  TN %4\n")
             .arg(truePositives)
             .arg(falseNegatives)
             .arg(falsePositives)
             .arg(trueNegatives);
    s += QStringLiteral("latency per query: p50 %1 ms, p99 %2 ms\n").arg(p50Ms, 0, 'f', 3).arg(p99Ms, 0, 'f', 3);
    s += QStringLiteral("threshold  recall  top1    fp-rate\n");
    for (const EvalPoint &p : sweep)
        s += QStringLiteral("%1      %2  %3  %4\n")
                 .arg(p.threshold, 0, 'f', 3)
                 .arg(p.recall, 0, 'f', 4)
                 .arg(p.top1, 0, 'f', 4)
                 .arg(p.falsePositiveRate, 0, 'f', 4);
    return s;
}

Result<EvalResult> evaluate(const Matcher &matcher, const QString &positivesPath, const QString &negativesPath)
{
    QList<EvalRow> positives, negatives;
    if (!positivesPath.isEmpty()) {
        auto rows = readRows(positivesPath, true);
        if (!rows)
            return fail(rows.error());
        positives = *rows;
    }
    if (!negativesPath.isEmpty()) {
        auto rows = readRows(negativesPath, false);
        if (!rows)
            return fail(rows.error());
        negatives = *rows;
    }

    EvalResult r;
    r.threshold = Matcher::defaultThreshold();
    std::vector<double> latencies;
    QElapsedTimer timer;
    // Per positive: the score of the expected entity (or -1) and whether it came first; per negative: the top score.
    std::vector<std::pair<double, bool>> positiveScores;
    std::vector<double> negativeScores;
    for (const EvalRow &row : std::as_const(positives)) {
        timer.start();
        const QList<Match> matches = matcher.screen(row.query, 50);
        latencies.push_back(double(timer.nsecsElapsed()) / 1e6);
        // Top-1 is judged among the answer key's list (the UN), so the same person on another list ranking
        // level with or above the UN entry is not an error.
        double found = -1;
        bool first = false;
        bool otherUnEntryFirst = false;
        for (qsizetype i = 0; i < matches.size(); ++i) {
            const Entity &e = *matches.at(i).entity;
            if (isExpected(e, row.expected)) {
                found = matches.at(i).score;
                first = !otherUnEntryFirst;
                break;
            }
            if (e.source == QLatin1String("un") || e.id.startsWith(QLatin1String("un:")))
                otherUnEntryFirst = true;
        }
        positiveScores.emplace_back(found, first);
        if (found < r.threshold && r.misses.size() < 100)
            r.misses.append(QStringLiteral("%1 -> expected %2 (score %3), best %4")
                                .arg(row.query.name, row.expected.join(QLatin1Char('/')))
                                .arg(found, 0, 'f', 3)
                                .arg(matches.isEmpty() ? QStringLiteral("none") : describe(matches.first())));
    }
    for (const EvalRow &row : std::as_const(negatives)) {
        timer.start();
        const QList<Match> matches = matcher.screen(row.query, 50);
        latencies.push_back(double(timer.nsecsElapsed()) / 1e6);
        const double top = matches.isEmpty() ? -1 : matches.first().score;
        negativeScores.push_back(top);
        if (top >= r.threshold && r.falsePositiveExamples.size() < 100)
            r.falsePositiveExamples.append(QStringLiteral("%1 -> %2").arg(row.query.name, describe(matches.first())));
    }

    const auto figures = [&](double t) {
        EvalPoint p;
        p.threshold = t;
        int found = 0, top = 0, fp = 0;
        for (const auto &[score, first] : positiveScores) {
            found += score >= t ? 1 : 0;
            top += score >= t && first ? 1 : 0;
        }
        for (const double s : negativeScores)
            fp += s >= t ? 1 : 0;
        p.recall = positiveScores.empty() ? 0 : double(found) / double(positiveScores.size());
        p.top1 = positiveScores.empty() ? 0 : double(top) / double(positiveScores.size());
        p.falsePositiveRate = negativeScores.empty() ? 0 : double(fp) / double(negativeScores.size());
        return std::tuple{p, found, top, fp};
    };
    const auto [point, found, top, fp] = figures(r.threshold);
    r.positives = int(positiveScores.size());
    r.truePositives = found;
    r.top1 = top;
    r.falseNegatives = r.positives - found;
    r.negatives = int(negativeScores.size());
    r.falsePositives = fp;
    r.trueNegatives = r.negatives - fp;
    r.recall = point.recall;
    r.top1Accuracy = point.top1;
    r.falsePositiveRate = point.falsePositiveRate;
    for (int step = 0; step <= 14; ++step)
        r.sweep.append(std::get<0>(figures(0.60 + 0.025 * step)));
    if (!latencies.empty()) {
        std::sort(latencies.begin(), latencies.end());
        r.p50Ms = latencies[latencies.size() / 2];
        r.p99Ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    }
    return r;
}

} // namespace kyc::screening

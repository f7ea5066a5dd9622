#include "backend/screening/nameindex.h"

#include <algorithm>
#include <cmath>

namespace kyc::screening {

namespace {

constexpr int kAlphabet = 37; // '$' padding, a-z, 0-9
constexpr int kTrigramCodes = kAlphabet * kAlphabet * kAlphabet;
constexpr std::uint16_t kEvaluated = 0xFFFF;

int charCode(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'a' && u <= u'z')
        return 1 + (u - u'a');
    if (u >= u'0' && u <= u'9')
        return 27 + (u - u'0');
    return 0;
}

// Unique trigram codes of "$token$".
void trigramsOf(const QString &token, std::vector<int> &codes)
{
    codes.clear();
    const qsizetype n = token.size();
    if (n == 0)
        return;
    const auto at = [&](qsizetype i) { return i < 0 || i >= n ? 0 : charCode(token.at(i)); };
    for (qsizetype i = -1; i <= n - 2; ++i)
        codes.push_back((at(i) * kAlphabet + at(i + 1)) * kAlphabet + at(i + 2));
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
}

} // namespace

bool editDistanceAtMostOne(QStringView a, QStringView b)
{
    if (a.size() > b.size())
        std::swap(a, b);
    const qsizetype la = a.size(), lb = b.size();
    if (lb - la > 1)
        return false;
    qsizetype i = 0;
    while (i < la && a[i] == b[i])
        ++i;
    if (i == la)
        return true; // equal, or b has one more character at the end
    if (la == lb) {
        // one substitution, or one transposition of neighbours
        if (a.sliced(i + 1) == b.sliced(i + 1))
            return true;
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && a.sliced(i + 2) == b.sliced(i + 2);
    }
    return a.sliced(i) == b.sliced(i + 1); // one insertion
}

bool isDoubledLetterVariant(QStringView a, QStringView b)
{
    if (a.size() > b.size())
        std::swap(a, b);
    if (b.size() != a.size() + 1)
        return false;
    qsizetype i = 0;
    while (i < a.size() && a[i] == b[i])
        ++i;
    // b[i] is the extra letter: it must repeat its neighbour.
    const bool doubled = (i > 0 && b[i] == b[i - 1]) || (i + 1 < b.size() && b[i] == b[i + 1]);
    return doubled && a.sliced(i) == b.sliced(i + 1);
}

QString tokenMatchKindName(TokenMatchKind kind)
{
    switch (kind) {
    case TokenMatchKind::Exact: return QStringLiteral("exact");
    case TokenMatchKind::JaroWinkler: return QStringLiteral("jaro_winkler");
    case TokenMatchKind::Phonetic: return QStringLiteral("phonetic");
    case TokenMatchKind::Initial: return QStringLiteral("initial");
    case TokenMatchKind::Part: return QStringLiteral("part");
    case TokenMatchKind::None: break;
    }
    return QStringLiteral("none");
}

TokenSimilarity tokenSimilarity(QStringView a, QStringView phoneticA, QStringView b, QStringView phoneticB)
{
    if (a == b)
        return {1.0f, TokenMatchKind::Exact};
    const qsizetype la = a.size();
    const qsizetype lb = b.size();
    if (la == 0 || lb == 0)
        return {};
    if (la == 1 || lb == 1) {
        if (la != lb && a.front() == b.front())
            return {0.35f, TokenMatchKind::Initial};
        return {};
    }
    const double jw = jaroWinkler(a, b);
    const qsizetype minLen = std::min(la, lb);
    // Short tokens and tokens that start differently need to be closer: "anna" is not "banna".
    double jwMin = minLen >= 5 ? 0.88 : (minLen == 4 ? 0.90 : 0.93);
    if (a.front() != b.front())
        jwMin += 0.04;
    const bool phonetic = phoneticA.size() >= 2 && phoneticA == phoneticB;
    if (jw >= jwMin)
        return {float(phonetic ? (jw + 1.0) / 2.0 : jw), TokenMatchKind::JaroWinkler};
    if (isDoubledLetterVariant(a, b))
        return {0.95f, TokenMatchKind::Phonetic}; // "yyu"/"yu", "sson"/"son": spelled twice, sounds once
    // A phonetic key of 3+ consonants is specific enough to vouch for spellings Jaro-Winkler finds far apart
    // ("hsyn" ~ "hussein"); a two-consonant key needs the spellings close; a one-consonant key vouches for nothing.
    if (phonetic && (phoneticA.size() >= 3 ? jw >= 0.55 : (jw >= 0.7 || editDistanceAtMostOne(a, b))))
        return {float((jw + 1.0) / 2.0), TokenMatchKind::Phonetic};
    return {};
}

NameIndex::NameIndex(const QList<Entity> &entities, const Normalizer &normalizer)
    : m_trigrams(kTrigramCodes)
{
    std::vector<int> lastEntity;
    const auto intern = [&](const QString &text) {
        const auto it = m_tokenIds.constFind(text);
        if (it != m_tokenIds.cend())
            return it.value();
        const int id = int(m_tokens.size());
        m_tokens.push_back(Token{text, phoneticKey(text), 1.0f, 0, 0, {}});
        lastEntity.push_back(-1);
        m_tokenIds.insert(text, id);
        return id;
    };

    for (qsizetype ei = 0; ei < entities.size(); ++ei) {
        const Entity &e = entities.at(ei);
        for (qsizetype ni = 0; ni < e.names.size(); ++ni) {
            const Name &n = e.names.at(ni);
            if (n.full.trimmed().isEmpty())
                continue;
            const NormalizedName nn = normalizer.normalize(n.full, e.type);
            if (nn.tokens.isEmpty())
                continue;
            const int nameId = int(m_names.size());
            IndexedName in;
            in.entity = int(ei);
            in.nameIndex = int(ni);
            in.weak = n.weak;
            in.isOrganization = nn.isOrganization;
            in.formMask = nn.formMask;
            in.significantTokens = int(nn.tokens.size());
            in.joined = nn.joined;
            in.allJoined = nn.allJoined();
            for (qsizetype k = 0; k < nn.allTokens.size(); ++k) {
                const int id = intern(nn.allTokens.at(k));
                in.tokens.append(id);
                if (nn.formMask.value(k))
                    continue; // a company form never pairs with a query token: no postings, no rarity
                Token &tok = m_tokens[std::size_t(id)];
                if (tok.names.isEmpty() || tok.names.last() != nameId)
                    tok.names.append(nameId);
                if (lastEntity[std::size_t(id)] != int(ei)) {
                    lastEntity[std::size_t(id)] = int(ei);
                    ++tok.entityCount;
                }
            }
            m_joined[nn.joined].append(nameId);
            const QString all = nn.allJoined();
            if (all != nn.joined)
                m_joined[all].append(nameId);
            m_names.push_back(std::move(in));
        }
        for (const Identifier &id : e.identifiers) {
            const QString v = normalizeIdentifier(id.value);
            if (v.size() < 4)
                continue;
            QList<int> &list = m_identifiers[v];
            if (list.isEmpty() || list.last() != int(ei))
                list.append(int(ei));
        }
    }

    // Rarity: (ln(1 + E/df) / ln(1 + E))^1.5 over entity document frequency, so aliases repeating a token
    // do not make it look common. A token of one entity weighs ~1, one in 1% of entities ~0.3, in 10% ~0.1.
    const double e = double(std::max<qsizetype>(1, entities.size()));
    const double maxIdf = std::log(1.0 + e);
    std::vector<int> codes;
    for (std::size_t id = 0; id < m_tokens.size(); ++id) {
        Token &tok = m_tokens[id];
        const double idf = std::log(1.0 + e / double(std::max(1, tok.entityCount)));
        tok.weight = float(std::clamp(std::pow(idf / maxIdf, 1.5), 0.02, 1.0));
        if (!tok.phonetic.isEmpty())
            m_phonetic[tok.phonetic].append(int(id));
        trigramsOf(tok.text, codes);
        tok.trigramCount = std::uint8_t(std::min<std::size_t>(codes.size(), 255));
        for (const int c : codes)
            m_trigrams[std::size_t(c)].push_back(int(id));
    }
}

void NameIndex::similarTokens(const QString &text, const QString &phonetic, Scratch &scratch,
                              std::vector<std::pair<int, TokenSimilarity>> &out) const
{
    out.clear();
    if (text.isEmpty())
        return;
    if (scratch.counts.size() != m_tokens.size())
        scratch.counts.assign(m_tokens.size(), 0);
    scratch.touched.clear();

    const int self = tokenId(text);
    if (self >= 0) {
        out.emplace_back(self, TokenSimilarity{1.0f, TokenMatchKind::Exact});
        scratch.counts[std::size_t(self)] = kEvaluated;
        scratch.touched.push_back(self);
    }

    // Trigrams: only for tokens of 3+ letters; shorter ones are too common to be found this way.
    if (text.size() >= 3) {
        std::vector<int> codes;
        trigramsOf(text, codes);
        const int nq = int(codes.size());
        const std::size_t firstTrigramTouch = scratch.touched.size();
        for (const int c : codes) {
            for (const int id : m_trigrams[std::size_t(c)]) {
                std::uint16_t &count = scratch.counts[std::size_t(id)];
                if (count == kEvaluated)
                    continue;
                if (count++ == 0)
                    scratch.touched.push_back(id);
            }
        }
        for (std::size_t k = firstTrigramTouch; k < scratch.touched.size(); ++k) {
            const int id = scratch.touched[k];
            std::uint16_t &count = scratch.counts[std::size_t(id)];
            const int shared = count;
            const Token &tok = m_tokens[std::size_t(id)];
            const int minN = std::min(nq, int(tok.trigramCount));
            if (shared * 3 < minN + 2) {
                count = 0; // not evaluated: the phonetic pass may still want it
                continue;
            }
            count = kEvaluated;
            const TokenSimilarity s = tokenSimilarity(text, phonetic, tok.text, tok.phonetic);
            if (s.kind != TokenMatchKind::None) {
                out.emplace_back(id, s);
            } else if (minN >= 3 && double(shared) >= 0.7 * minN && std::abs(tok.text.size() - text.size()) >= 2) {
                out.emplace_back(id, TokenSimilarity{0.5f, TokenMatchKind::Part});
            }
        }
    }

    if (!phonetic.isEmpty()) {
        const auto it = m_phonetic.constFind(phonetic);
        if (it != m_phonetic.cend()) {
            for (const int id : it.value()) {
                std::uint16_t &count = scratch.counts[std::size_t(id)];
                if (count == kEvaluated)
                    continue;
                count = kEvaluated;
                scratch.touched.push_back(id);
                const Token &tok = m_tokens[std::size_t(id)];
                const TokenSimilarity s = tokenSimilarity(text, phonetic, tok.text, tok.phonetic);
                if (s.kind != TokenMatchKind::None)
                    out.emplace_back(id, s);
            }
        }
    }

    for (const int id : scratch.touched)
        scratch.counts[std::size_t(id)] = 0;
    scratch.touched.clear();
}

const QList<int> *NameIndex::namesWithJoined(const QString &joined) const
{
    const auto it = m_joined.constFind(joined);
    return it == m_joined.cend() ? nullptr : &it.value();
}

} // namespace kyc::screening

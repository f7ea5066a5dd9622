#pragma once

#include "backend/screening/entity.h"
#include "backend/screening/normalizer.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringView>

#include <cstdint>
#include <utility>
#include <vector>

namespace kyc::screening {

// How two normalised tokens agree.
enum class TokenMatchKind : std::uint8_t { None, Exact, JaroWinkler, Phonetic, Initial, Part };

struct TokenSimilarity {
    float similarity = 0; // 0–1
    TokenMatchKind kind = TokenMatchKind::None;
};

[[nodiscard]] QString tokenMatchKindName(TokenMatchKind kind);

// True when the longer token is the shorter one with one letter doubled ("hassan"/"hasan").
[[nodiscard]] bool isDoubledLetterVariant(QStringView a, QStringView b);

// Damerau-Levenshtein distance <= 1 (one substitution, insertion, deletion or neighbour transposition).
[[nodiscard]] bool editDistanceAtMostOne(QStringView a, QStringView b); // "exact", "jaro_winkler", "phonetic", "initial", "part"

// The similarity of two normalised tokens, given their phonetic keys:
//   equal -> 1 (exact);
//   one is a single letter and the other starts with it -> 0.35 (initial: "J" ~ "John" counts, but little);
//   one letter doubled in one of them only ("hasan"/"hassan", "yyu"/"yu") -> 0.95 (phonetic);
//   Jaro-Winkler >= 0.88 (tokens of 5+ letters), 0.90 (4 letters), 0.93 (shorter), each +0.04 when the first
//     letters differ -> the Jaro-Winkler value, raised halfway to 1 when the phonetic keys agree too;
//   same phonetic key of 3+ consonants and Jaro-Winkler >= 0.55, or of 2 consonants and Jaro-Winkler >= 0.7 or
//     one edit apart -> halfway between the Jaro-Winkler value and 1 (phonetic);
//   otherwise 0.
[[nodiscard]] TokenSimilarity tokenSimilarity(QStringView a, QStringView phoneticA, QStringView b, QStringView phoneticB);

// The in-memory index over every name of every entity: a vocabulary of distinct tokens with their rarity
// weight and postings (the names containing them), and three ways into the vocabulary for a query token:
// the token itself, its phonetic key and its character trigrams. Immutable once built, so any number of
// threads may read it at once.
class NameIndex
{
public:
    struct IndexedName {
        int entity = 0; // position in the entity list
        int nameIndex = 0; // position in Entity::names
        bool weak = false;
        bool isOrganization = false;
        QList<int> tokens; // vocabulary ids of NormalizedName::allTokens
        QList<bool> formMask; // aligned with tokens: company forms (weight 0, never required)
        int significantTokens = 0; // tokens that are not company forms
        QString joined; // NormalizedName::joined
        QString allJoined; // NormalizedName::allJoined()
    };

    struct Token {
        QString text;
        QString phonetic;
        float weight = 1; // rarity: 1 for a token of one entity, near 0 for "mohammed", "trading", "al"
        int entityCount = 0; // entities whose names contain the token
        std::uint8_t trigramCount = 0;
        QList<int> names; // ascending name ids
    };

    // Caller-owned working memory for similarTokens(), so the index itself never changes.
    struct Scratch {
        std::vector<std::uint16_t> counts;
        std::vector<int> touched;
    };

    NameIndex(const QList<Entity> &entities, const Normalizer &normalizer);

    [[nodiscard]] qsizetype nameCount() const { return qsizetype(m_names.size()); }
    [[nodiscard]] qsizetype vocabularySize() const { return qsizetype(m_tokens.size()); }
    [[nodiscard]] const IndexedName &name(int id) const { return m_names[std::size_t(id)]; }
    [[nodiscard]] const Token &token(int id) const { return m_tokens[std::size_t(id)]; }
    [[nodiscard]] int tokenId(const QString &text) const { return m_tokenIds.value(text, -1); }
    // The weight of a token the corpus has never seen (the rarest possible).
    [[nodiscard]] static float unknownTokenWeight() { return 1.0f; }

    // Vocabulary tokens similar to `text` (exact, same phonetic key, or sharing enough trigrams and passing
    // tokenSimilarity(); tokens that contain or are contained in `text` come back as Part, for joined tokens).
    void similarTokens(const QString &text, const QString &phonetic, Scratch &scratch,
                       std::vector<std::pair<int, TokenSimilarity>> &out) const;
    // Names whose tokens, joined without spaces (with or without company forms), equal `joined`.
    [[nodiscard]] const QList<int> *namesWithJoined(const QString &joined) const;
    // Entities carrying an identifier whose normalizeIdentifier() value is `normalized`.
    [[nodiscard]] QList<int> entitiesWithIdentifier(const QString &normalized) const { return m_identifiers.value(normalized); }

private:
    std::vector<IndexedName> m_names;
    std::vector<Token> m_tokens;
    QHash<QString, int> m_tokenIds;
    QHash<QString, QList<int>> m_phonetic; // key -> token ids
    std::vector<std::vector<int>> m_trigrams; // trigram code -> token ids
    QHash<QString, QList<int>> m_joined; // joined name -> name ids
    QHash<QString, QList<int>> m_identifiers; // normalised identifier -> entity positions
};

} // namespace kyc::screening

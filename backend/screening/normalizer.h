#pragma once

#include "backend/screening/entity.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <memory>

namespace kyc::screening {

// A name reduced to the form the matcher compares: lower-case ASCII tokens in "First Last" order,
// without honorifics and (for organisations) without company forms.
struct NormalizedName {
    QStringList tokens; // matching tokens, in order
    QString joined; // tokens joined without spaces ("jsc argument" -> "argument", "j s c" -> "jsc")
    bool isOrganization = false;
    // Every token before company-form removal, in order, and which of them are company forms. Joined-token
    // matching looks at these so "JSCARGUMENT" can meet "JSC ARGUMENT".
    QStringList allTokens;
    QList<bool> formMask; // aligned with allTokens; all false when nothing was removed
    QStringList forms; // canonical company forms that were removed: "llc", "jsc", "ltd", "inc", "co", ...
    [[nodiscard]] QString allJoined() const { return allTokens.join(QString()); }
};

// Turns any published or typed name into a NormalizedName:
//   1. non-ASCII text goes through ICU "Russian-Latin/BGN; Greek-Latin/BGN; Any-Latin; Latin-ASCII" (BGN/PCGN
//      is how sanctions lists romanise Cyrillic and Greek; Any-Latin does Arabic, Han, Hangul, kana, Indic…;
//      Latin-ASCII the diacritics, ß, ø, ı…) then NFKD with combining marks removed; apostrophes vanish
//      (O'Brien -> obrien), other punctuation and hyphens separate tokens; single letters that spell a company
//      form join up ("L.L.C." -> llc);
//   2. "LAST, First" becomes "First LAST" (not for organisations, nor "ACME, Inc.", nor "SMITH, John, Jr.");
//   3. persons: honorifics (Mr, Mrs, Dr, Prof, Sheikh, Haji, Mullah, General…) and generational suffixes
//      (Jr, Sr, II, III) are dropped;
//   4. organisations (hint, or an unambiguous marker such as LLC, OOO, GmbH, "joint stock company", bank,
//      trading, or an ambiguous form closing a longer name: "Siemens AG", "Delta SA"): company forms are removed and remembered
//      in canonical form, so "OOO Romashka", "Romashka LLC" and "Romashka Limited Liability Company" all give the tokens
//      {"romashka"}. A name made only of forms ("CORP") keeps them as tokens.
//
// Thread safety: normalize() is const and may be called from any number of threads at once. ICU transliterators
// are not thread-safe, so the Normalizer keeps a small mutex-protected pool of them: a caller takes one,
// uses it and puts it back (cloning a new one when all are busy). ASCII input never touches ICU.
class Normalizer
{
public:
    Normalizer();
    ~Normalizer();
    Normalizer(const Normalizer &) = delete;
    Normalizer &operator=(const Normalizer &) = delete;
    Normalizer(Normalizer &&) noexcept;
    Normalizer &operator=(Normalizer &&) noexcept;

    [[nodiscard]] NormalizedName normalize(const QString &name, EntityType hint = EntityType::Unknown) const;
    // Only step 1: the text in lower-case ASCII letters, digits and single spaces.
    [[nodiscard]] QString toAscii(const QString &text) const;
    // False when ICU could not create its transliterator (normalize() then strips to ASCII without it).
    [[nodiscard]] bool hasTransliterator() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// A consonant-skeleton phonetic key tuned for transliterated personal and company names (Arabic, Persian,
// Slavic, Turkic, English spellings of the same name). Not Double Metaphone, but in its spirit:
//   - input is folded to lower-case ASCII letters; a token containing digits is returned unchanged;
//   - digraphs: sch/sh -> s, tch/tsch/ch -> c, zh/dzh/dj -> j, kh/gh/ck/q/g/hard c -> k, ph/v -> f but an
//     initial v or w -> v, th -> t, dh/d -> t, z/soft c (before e, i, y) -> s, x -> ks;
//   - a leading vowel (a e i o u y) becomes "a", an initial h is kept; other vowels and non-initial w/y/h
//     are dropped;
//   - a consonant code already emitted just before (even across vowels) is not repeated, so vowel-less
//     transliterations meet their vowelled spellings (Arabic "mhmd" and Mohammed both give "mt").
// Smith/Smyth -> "smt", Mohammed/Muhammad/Mohamed/Mehmet -> "mt", Ahmed/Ahmet/Ahmad -> "amt",
// Hussein/Husayn/"hsyn" -> "hsn", Qaddafi/Gaddafi/Kadhafi -> "ktf", Walid/Valid -> "vlt", Abdullah/Abdulah -> "abtl".
// Like any consonant skeleton it also joins names of one root (Mahmoud "mt"), which is why the matcher gives a
// phonetic agreement only partial credit, halfway between the spellings' Jaro-Winkler similarity and 1.
[[nodiscard]] QString phoneticKey(const QString &token);

// Jaro-Winkler similarity (prefix scale 0.1, prefix up to 4, boost only above 0.7), case-sensitive.
// MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.840, DIXON/DICKSONX 0.813.
[[nodiscard]] double jaroWinkler(QStringView a, QStringView b);

// Identifier values compared after removing everything but letters and digits, upper-cased
// ("AB 123-456" == "ab123456"; crypto addresses keep their case-insensitive form).
[[nodiscard]] QString normalizeIdentifier(const QString &value);

} // namespace kyc::screening

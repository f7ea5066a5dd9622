#include "backend/screening/normalizer.h"

#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <array>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>
#include <vector>

namespace kyc::screening {

namespace {

// Tables are small and built once per Normalizer (not process-wide state).
struct Phrase {
    QStringList words;
    QString canonical;
};

QStringList words(const char *text)
{
    return QString::fromLatin1(text).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

bool isApostrophe(char16_t c)
{
    switch (c) {
    case u'\'':
    case u'`':
    case 0x00B4: // acute accent
    case 0x02B9: // modifier prime
    case 0x02BB: // turned comma (ʻ)
    case 0x02BC: // modifier apostrophe (ʼ)
    case 0x02BE: // right half ring (ʾ, hamza)
    case 0x02BF: // left half ring (ʿ, ayn)
    case 0x2018:
    case 0x2019:
    case 0x201B:
    case 0x2032: return true;
    default: return false;
    }
}

bool isAsciiAlnum(char16_t c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
}

// Lower-case ASCII letters, digits, single spaces, and commas (kept for "LAST, First").
QString foldAscii(const QString &text, bool keepCommas)
{
    QString out;
    out.reserve(text.size());
    bool pendingSpace = false;
    for (const QChar qc : text) {
        const char16_t c = qc.unicode();
        if (isAsciiAlnum(c)) {
            if (pendingSpace && !out.isEmpty() && !out.endsWith(QLatin1Char(',')))
                out.append(QLatin1Char(' '));
            pendingSpace = false;
            out.append(QChar(c >= u'A' && c <= u'Z' ? char16_t(c + 32) : c));
        } else if (isApostrophe(c) || qc.category() == QChar::Mark_NonSpacing || qc.category() == QChar::Mark_SpacingCombining
                   || qc.category() == QChar::Mark_Enclosing || qc.category() == QChar::Other_Format) {
            // O'Brien -> obrien; combining marks left after NFKD vanish
        } else if (keepCommas && (c == u',' || c == 0x060C /* Arabic comma */ || c == 0x3001)) {
            if (!out.isEmpty() && !out.endsWith(QLatin1Char(',')))
                out.append(QLatin1Char(','));
            pendingSpace = false;
        } else {
            pendingSpace = true;
        }
    }
    while (out.endsWith(QLatin1Char(',')))
        out.chop(1);
    return out;
}

bool isAscii(const QString &s)
{
    return std::all_of(s.cbegin(), s.cend(), [](QChar c) { return c.unicode() < 0x80; });
}

// Korean names as the sanctions lists spell them (McCune-Reischauer without its diacritics, as DPRK
// names are published: 김정은 -> "kim jong un", 최룡해 -> "choe ryong hae", 박봉주 -> "pak pong ju"), one token
// per syllable. ICU's Hangul-Latin gives the South Korean Revised Romanization ("gim jeong-eun"), which
// no list uses for these names. The lone syllable 이/리 is "ri", as the DPRK writes that surname.
QString romanizeHangul(const QString &text)
{
    static const char *const initials[19]
        = {"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"};
    static const char *const medials[21] = {"a",  "ae", "ya", "yae", "o",  "e",  "yo", "ye", "o",  "wa", "wae",
                                            "oe", "yo", "u",  "wo",  "we", "wi", "yu", "u",  "ui", "i"};
    static const char *const finals[28] = {"",  "k", "k", "k", "n", "n", "n", "t",  "l", "k", "l", "l", "l", "l",
                                           "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"};
    bool any = false;
    for (const QChar c : text)
        any = any || (c.unicode() >= 0xAC00 && c.unicode() <= 0xD7A3);
    if (!any)
        return text;
    QString out;
    bool previousSyllable = false;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 0xAC00 || u > 0xD7A3) {
            out += c;
            previousSyllable = false;
            continue;
        }
        const int index = u - 0xAC00;
        if (previousSyllable)
            out += u' ';
        out += QLatin1String(initials[index / 588]) + QLatin1String(medials[(index % 588) / 28])
            + QLatin1String(finals[index % 28]);
        previousSyllable = true;
    }
    // A surname 이 / 리 on its own.
    static const QRegularExpression loneI(QStringLiteral("(^|\\s)i(?=\\s|$)"));
    out.replace(loneI, QStringLiteral("\\1ri"));
    return out;
}

} // namespace

struct Normalizer::Impl {
    std::unique_ptr<icu::Transliterator> prototype;
    mutable QMutex poolMutex;
    mutable std::vector<std::unique_ptr<icu::Transliterator>> pool;

    QHash<QString, QString> forms; // token -> canonical form, unambiguous in an organisation's name
    QHash<QString, QString> ambiguousForms; // only at the edge of the name (SA, AG, AO, CO, AS, PT…)
    QSet<QString> leadingForms; // ambiguous forms that lead a company's name: AO, PT
    QList<Phrase> formPhrases; // multi-word forms, longest first
    QSet<QString> orgMarkers; // words that make an untyped name an organisation's
    QSet<QString> honorifics;
    QList<QStringList> honorificPhrases;
    QSet<QString> suffixes; // generational: jr, sr, ii, iii, iv

    std::unique_ptr<icu::Transliterator> acquire() const
    {
        {
            QMutexLocker lock(&poolMutex);
            if (!pool.empty()) {
                auto t = std::move(pool.back());
                pool.pop_back();
                return t;
            }
        }
        return std::unique_ptr<icu::Transliterator>(prototype->clone());
    }

    void release(std::unique_ptr<icu::Transliterator> t) const
    {
        QMutexLocker lock(&poolMutex);
        if (pool.size() < 16)
            pool.push_back(std::move(t));
    }

    QString transliterate(const QString &text) const
    {
        QString s = romanizeHangul(text);
        // Arabic ta marbuta is a final vowel in Latin spellings (Usama, Hamza), not ICU's "t".
        s.replace(QChar(0x0629), QLatin1Char('a'));
        if (prototype) {
            std::unique_ptr<icu::Transliterator> t = acquire();
            if (t) {
                icu::UnicodeString u(reinterpret_cast<const char16_t *>(s.utf16()), static_cast<int32_t>(s.size()));
                t->transliterate(u);
                s = QString(reinterpret_cast<const QChar *>(u.getBuffer()), u.length());
                release(std::move(t));
            }
        }
        return s.normalized(QString::NormalizationForm_KD);
    }

    QString asciiWithCommas(const QString &text) const { return foldAscii(isAscii(text) ? text : transliterate(text), true); }

    void buildTables();

    // Replaces a run of single letters that spells a key of `table` with that key.
    static void mergeLetterRuns(QStringList &tokens, const QHash<QString, QString> &table)
    {
        for (qsizetype i = 0; i < tokens.size(); ++i) {
            qsizetype j = i;
            QString run;
            while (j < tokens.size() && tokens.at(j).size() == 1)
                run += tokens.at(j++);
            if (j - i >= 2 && table.contains(run)) {
                tokens.remove(i, j - i);
                tokens.insert(i, run);
            }
        }
    }
};

void Normalizer::Impl::buildTables()
{
    const auto addForms = [](QHash<QString, QString> &into, const char *list, const char *canonical) {
        for (const QString &w : words(list))
            into.insert(w, QString::fromLatin1(canonical));
    };
    addForms(forms, "ltd limited ltda pte pty pvt bhd sdn", "ltd");
    addForms(forms, "llc ooo tov gmbh sarl srl sro kft doo fze fzco fzc fzllc mchj", "llc");
    addForms(forms, "llp lllp", "lp");
    addForms(forms, "inc incorporated corp corporation", "inc");
    addForms(forms, "jsc pjsc ojsc cjsc oao zao pao aozt zat pat aktiengesellschaft", "jsc");
    addForms(forms, "plc", "plc");
    addForms(forms, "company cie", "co");
    // Russian legal forms spelled out in Latin letters, in the spellings the lists use.
    addForms(forms, "obshchestvo obshestvo obschestvo obshhestvo", "co");
    addForms(forms, "ogranichennoy ogranichennoi ogranichennoj otvetstvennostyu otvetstvennostiu otvetstvennostju", "llc");
    addForms(forms, "aktsionernoe aktsionernoye akcionernoe otkrytoe otkrytoye zakrytoe zakrytoye publichnoe publichnoye", "jsc");
    addForms(ambiguousForms, "sa ag ao as asa ab oy oyj nv se spa sas", "jsc");
    addForms(ambiguousForms, "bv sl", "llc");
    addForms(ambiguousForms, "lp", "lp");
    addForms(ambiguousForms, "co", "co");
    addForms(ambiguousForms, "pt kg", "ltd");
    addForms(ambiguousForms, "cv sapi", "jsc"); // S.A. de C.V., S.A.P.I. de C.V.
    addForms(ambiguousForms, "rl", "llc"); // S. de R.L.
    addForms(ambiguousForms, "s de", ""); // connectors inside spelled-out forms, only next to other forms
    leadingForms = {QStringLiteral("ao"), QStringLiteral("pt")};

    const auto addPhrase = [this](const char *text, const char *canonical) {
        formPhrases.append({words(text), QString::fromLatin1(canonical)});
    };
    addPhrase("obshchestvo s ogranichennoy otvetstvennostyu", "llc");
    addPhrase("public joint stock company", "jsc");
    addPhrase("open joint stock company", "jsc");
    addPhrase("closed joint stock company", "jsc");
    addPhrase("joint stock company", "jsc");
    addPhrase("limited liability company", "llc");
    addPhrase("limited liability partnership", "lp");
    addPhrase("public limited company", "plc");
    addPhrase("limited partnership", "lp");
    addPhrase("aktsionernoe obshchestvo", "jsc");
    addPhrase("societa per azioni", "jsc");
    addPhrase("sociedad anonima", "jsc");
    addPhrase("societe anonyme", "jsc");
    addPhrase("sendirian berhad", "ltd");
    addPhrase("private limited", "ltd");
    std::stable_sort(formPhrases.begin(), formPhrases.end(),
                     [](const Phrase &a, const Phrase &b) { return a.words.size() > b.words.size(); });

    for (auto it = forms.cbegin(); it != forms.cend(); ++it)
        orgMarkers.insert(it.key());
    for (const QString &w :
         words("bank banka banco banque trading group holding holdings industries industrial enterprise enterprises "
               "international shipping airlines airline airways establishment foundation organization organisation "
               "institute ministry university association factory logistics petroleum services technologies technology "
               "committee agency"))
        orgMarkers.insert(w);

    for (const QString &w :
         words("mr mrs ms miss mx messrs dr doctor prof professor sir dame madam madame mme mlle monsieur herr frau "
               "sheikh shaikh sheik shaykh cheikh sheikha haji hajji hadji hajj alhaji alhaj mullah mulla mollah "
               "maulana mawlana maulvi mawlawi maulavi moulvi rev reverend pastor hon honourable honorable excellency "
               "gen general col colonel capt captain lt ltc cmdr maj brig sgt adm admiral engr"))
        honorifics.insert(w);
    honorificPhrases = {words("his excellency"), words("her excellency"), words("his highness"), words("her highness"),
                        words("his royal highness")};
    for (const QString &w : words("jr sr ii iii iv"))
        suffixes.insert(w);
}

Normalizer::Normalizer()
    : d(std::make_unique<Impl>())
{
    UErrorCode status = U_ZERO_ERROR;
    // BGN/PCGN for Cyrillic and Greek first: the romanisation sanctions lists use (Vladimirovich, Yelena,
    // Khrushchev), where Any-Latin alone gives the scholarly one (Vladimirovič -> vladimirovic).
    const icu::UnicodeString id(u"Russian-Latin/BGN; Greek-Latin/BGN; Any-Latin; Latin-ASCII");
    d->prototype.reset(icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
    if (U_FAILURE(status)) {
        status = U_ZERO_ERROR;
        d->prototype.reset(
            icu::Transliterator::createInstance(icu::UnicodeString(u"Any-Latin; Latin-ASCII"), UTRANS_FORWARD, status));
        if (U_FAILURE(status))
            d->prototype.reset();
    }
    d->buildTables();
}

Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer &&) noexcept = default;
Normalizer &Normalizer::operator=(Normalizer &&) noexcept = default;

bool Normalizer::hasTransliterator() const
{
    return d->prototype != nullptr;
}

QString Normalizer::toAscii(const QString &text) const
{
    return foldAscii(isAscii(text) ? text : d->transliterate(text), false);
}

NormalizedName Normalizer::normalize(const QString &name, EntityType hint) const
{
    NormalizedName out;
    const QString ascii = d->asciiWithCommas(name);

    // "LAST, First" -> "First LAST". Trailing parts that are only suffixes (Jr) stay at the end; a trailing
    // part made of company forms ("ACME, Inc.") means there is nothing to invert.
    QList<QStringList> parts;
    for (const QString &p : ascii.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        QStringList t = p.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (!t.isEmpty())
            parts.append(t);
    }
    QStringList tokens;
    const bool invertible = hint == EntityType::Person || hint == EntityType::Unknown;
    if (parts.size() >= 2 && invertible) {
        const auto all = [](const QStringList &part, auto pred) { return std::all_of(part.cbegin(), part.cend(), pred); };
        QList<QStringList> tail;
        bool formTail = false;
        while (parts.size() > 1) {
            const QStringList &last = parts.last();
            const bool suffix = all(last, [&](const QString &w) { return d->suffixes.contains(w); });
            const bool form = all(last, [&](const QString &w) { return d->forms.contains(w) || d->ambiguousForms.contains(w); });
            if (!suffix && !form)
                break;
            formTail = formTail || form;
            tail.prepend(parts.takeLast());
        }
        if (parts.size() == 2 && !formTail)
            std::swap(parts[0], parts[1]);
        parts.append(tail);
    }
    for (const QStringList &p : std::as_const(parts))
        tokens.append(p);

    // "L.L.C.", "P.J.S.C." -> one token when the letters spell an unambiguous company form.
    d->mergeLetterRuns(tokens, d->forms);

    // Organisation or not.
    bool org = hint == EntityType::Organization;
    if (hint == EntityType::Unknown) {
        for (const QString &t : std::as_const(tokens)) {
            if (d->orgMarkers.contains(t)) {
                org = true;
                break;
            }
        }
        // "Siemens AG", "Banco Delta SA", "PT Pertamina": an ambiguous form at the edge of a longer name.
        if (!org && tokens.size() >= 2) {
            QStringList probe = tokens;
            d->mergeLetterRuns(probe, d->ambiguousForms); // "S.A."
            org = probe.size() >= 2
                && ((d->ambiguousForms.contains(probe.last()) && !d->ambiguousForms.value(probe.last()).isEmpty())
                    || d->leadingForms.contains(probe.first()));
        }
        if (!org) {
            for (const Phrase &ph : std::as_const(d->formPhrases)) {
                for (qsizetype i = 0; !org && i + ph.words.size() <= tokens.size(); ++i)
                    org = std::equal(ph.words.cbegin(), ph.words.cend(), tokens.cbegin() + i);
            }
        }
    }
    out.isOrganization = org;

    if (!org && (hint == EntityType::Person || hint == EntityType::Unknown) && tokens.size() > 1) {
        // Honorifics anywhere, generational suffixes at the end; never down to nothing.
        QStringList kept;
        for (qsizetype i = 0; i < tokens.size(); ++i) {
            bool phrase = false;
            for (const QStringList &ph : std::as_const(d->honorificPhrases)) {
                if (i + ph.size() <= tokens.size() && std::equal(ph.cbegin(), ph.cend(), tokens.cbegin() + i)) {
                    i += ph.size() - 1;
                    phrase = true;
                    break;
                }
            }
            if (!phrase && !d->honorifics.contains(tokens.at(i)))
                kept.append(tokens.at(i));
        }
        while (kept.size() > 1 && d->suffixes.contains(kept.last()))
            kept.removeLast();
        if (!kept.isEmpty())
            tokens = kept;
    }

    if (org)
        d->mergeLetterRuns(tokens, d->ambiguousForms); // "S.A.", "N.V."
    out.allTokens = tokens;
    out.formMask = QList<bool>(tokens.size(), false);
    if (org) {
        QList<bool> mask(tokens.size(), false);
        QStringList found(tokens.size());
        for (const Phrase &ph : std::as_const(d->formPhrases)) {
            for (qsizetype i = 0; i + ph.words.size() <= tokens.size(); ++i) {
                if (std::equal(ph.words.cbegin(), ph.words.cend(), tokens.cbegin() + i)
                    && std::none_of(mask.cbegin() + i, mask.cbegin() + i + ph.words.size(), [](bool b) { return b; })) {
                    for (qsizetype k = 0; k < ph.words.size(); ++k)
                        mask[i + k] = true;
                    found[i] = ph.canonical;
                }
            }
        }
        for (qsizetype i = 0; i < tokens.size(); ++i) {
            const auto it = d->forms.constFind(tokens.at(i));
            if (!mask.at(i) && it != d->forms.cend()) {
                mask[i] = true;
                found[i] = it.value();
            }
        }
        // Ambiguous forms only where every token before or every token after is already a form.
        for (bool changed = true; changed;) {
            changed = false;
            for (qsizetype i = 0; i < tokens.size(); ++i) {
                const auto it = d->ambiguousForms.constFind(tokens.at(i));
                if (mask.at(i) || it == d->ambiguousForms.cend())
                    continue;
                const bool before = std::all_of(mask.cbegin(), mask.cbegin() + i, [](bool b) { return b; });
                const bool after = std::all_of(mask.cbegin() + i + 1, mask.cend(), [](bool b) { return b; });
                if (before || after) {
                    mask[i] = true;
                    found[i] = it.value();
                    changed = true;
                }
            }
        }
        if (std::any_of(mask.cbegin(), mask.cend(), [](bool b) { return !b; })) {
            out.formMask = mask;
            QStringList kept;
            for (qsizetype i = 0; i < tokens.size(); ++i) {
                if (mask.at(i)) {
                    if (!found.at(i).isEmpty() && !out.forms.contains(found.at(i)))
                        out.forms.append(found.at(i));
                } else {
                    kept.append(tokens.at(i));
                }
            }
            tokens = kept;
        }
    }
    out.tokens = tokens;
    out.joined = tokens.join(QString());
    return out;
}

QString phoneticKey(const QString &token)
{
    QByteArray w;
    w.reserve(token.size());
    bool digits = false;
    for (const QChar qc : token) {
        const char16_t c = qc.unicode();
        if (c >= u'A' && c <= u'Z')
            w.append(char(c + 32));
        else if (c >= u'a' && c <= u'z')
            w.append(char(c));
        else if (c >= u'0' && c <= u'9')
            digits = true;
    }
    if (digits)
        return token.toLower();
    if (w.isEmpty())
        return {};

    const auto isVowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; };
    const qsizetype n = w.size();
    const auto at = [&](qsizetype i) { return i < n ? w.at(i) : '\0'; };

    QString key;
    key.reserve(n);
    char last = 0; // last consonant code emitted
    const auto put = [&](char code) {
        if (code != last)
            key.append(QLatin1Char(code));
        last = code;
    };

    qsizetype i = 0;
    if (isVowel(w.at(0))) {
        key.append(QLatin1Char('a'));
        while (i < n && isVowel(w.at(i)))
            ++i;
    } else if (w.at(0) == 'h' && n > 1) {
        put('h');
        i = 1;
    } else if (w.at(0) == 'w' || w.at(0) == 'v') {
        put('v'); // Walid/Valid, but not Wang/Fang
        i = 1;
    }
    for (; i < n; ++i) {
        const char c = w.at(i);
        const char next = at(i + 1);
        if (isVowel(c))
            continue;
        switch (c) {
        case 's':
            if (next == 'c' && at(i + 2) == 'h') {
                put('s');
                i += 2;
            } else if (next == 'h') {
                put('s');
                ++i;
            } else {
                put('s');
            }
            break;
        case 't':
            if (next == 's' && at(i + 2) == 'c' && at(i + 3) == 'h') {
                put('c');
                i += 3;
            } else if (next == 'c' && at(i + 2) == 'h') {
                put('c');
                i += 2;
            } else if (next == 'h') {
                put('t');
                ++i;
            } else {
                put('t');
            }
            break;
        case 'c':
            if (next == 'h') {
                put('c');
                ++i;
            } else if (next == 'k') {
                put('k');
                ++i;
            } else if (next == 'e' || next == 'i' || next == 'y') {
                put('s');
            } else {
                put('k');
            }
            break;
        case 'd':
            if (next == 'z' && at(i + 2) == 'h') {
                put('j');
                i += 2;
            } else if (next == 'j') {
                put('j');
                ++i;
            } else if (next == 'h') {
                put('t');
                ++i;
            } else {
                put('t');
            }
            break;
        case 'z':
            if (next == 'h') {
                put('j');
                ++i;
            } else {
                put('s');
            }
            break;
        case 'k':
        case 'g':
        case 'q':
            if (next == 'h')
                ++i;
            put('k');
            break;
        case 'p':
            if (next == 'h') {
                put('f');
                ++i;
            } else {
                put('p');
            }
            break;
        case 'v':
        case 'f': put('f'); break;
        case 'x':
            put('k');
            put('s');
            break;
        case 'h':
        case 'w': break; // silent or vowel-like inside a name; transparent for doubled consonants
        default: put(c); break;
        }
    }
    return key;
}

double jaroWinkler(QStringView a, QStringView b)
{
    const qsizetype la = a.size();
    const qsizetype lb = b.size();
    if (la == 0 && lb == 0)
        return 1.0;
    if (la == 0 || lb == 0)
        return 0.0;
    if (a == b)
        return 1.0;

    const char16_t *pa = a.utf16();
    const char16_t *pb = b.utf16();
    const qsizetype range = std::max<qsizetype>(0, std::max(la, lb) / 2 - 1);
    // Names are short: flags on the stack, on the heap only for long strings.
    std::array<char, 128> stackFlags{};
    std::vector<char> heapFlags;
    char *flags = stackFlags.data();
    if (la + lb > qsizetype(stackFlags.size())) {
        heapFlags.assign(std::size_t(la + lb), 0);
        flags = heapFlags.data();
    }
    char *fa = flags;
    char *fb = flags + la;

    qsizetype matches = 0;
    for (qsizetype i = 0; i < la; ++i) {
        const qsizetype lo = std::max<qsizetype>(0, i - range);
        const qsizetype hi = std::min(lb - 1, i + range);
        for (qsizetype j = lo; j <= hi; ++j) {
            if (!fb[j] && pa[i] == pb[j]) {
                fa[i] = 1;
                fb[j] = 1;
                ++matches;
                break;
            }
        }
    }
    if (matches == 0)
        return 0.0;
    qsizetype transpositions = 0;
    for (qsizetype i = 0, j = 0; i < la; ++i) {
        if (!fa[i])
            continue;
        while (!fb[j])
            ++j;
        if (pa[i] != pb[j])
            ++transpositions;
        ++j;
    }
    const double m = double(matches);
    const double jaro = (m / double(la) + m / double(lb) + (m - double(transpositions) / 2.0) / m) / 3.0;
    if (jaro <= 0.7)
        return jaro;
    qsizetype prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && pa[prefix] == pb[prefix])
        ++prefix;
    return jaro + double(prefix) * 0.1 * (1.0 - jaro);
}

QString normalizeIdentifier(const QString &value)
{
    QString out;
    out.reserve(value.size());
    for (const QChar c : value) {
        if (c.isLetterOrNumber())
            out.append(c.toUpper());
    }
    return out;
}

} // namespace kyc::screening

// Name normalisation for screening: transliteration, diacritics, "LAST, First", honorifics, company forms,
// punctuation; Jaro-Winkler reference values; phonetic keys.
#include "backend/screening/normalizer.h"

#include <QtConcurrent/QtConcurrentMap>
#include <QtTest>

using namespace kyc::screening;

Q_DECLARE_METATYPE(kyc::screening::EntityType)

class TestNormalizer final : public QObject
{
    Q_OBJECT

private slots:
    void normalize_data();
    void normalize();
    void companyFormsAreEquivalent_data();
    void companyFormsAreEquivalent();
    void formsKeptWhenNothingElse();
    void joinedKeepsForms();
    void organisationDetection_data();
    void organisationDetection();
    void jaroWinklerReference_data();
    void jaroWinklerReference();
    void phoneticEqual_data();
    void phoneticEqual();
    void phoneticDifferent_data();
    void phoneticDifferent();
    void identifiers();
    void concurrentUse();

private:
    Normalizer m_normalizer;
};

void TestNormalizer::normalize_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<EntityType>("hint");
    QTest::addColumn<QString>("expected"); // tokens joined by one space

    const auto U = EntityType::Unknown;
    const auto P = EntityType::Person;
    const auto O = EntityType::Organization;
    // Diacritics and case
    QTest::newRow("umlaut") << QStringLiteral("Müller") << U << QStringLiteral("muller");
    QTest::newRow("turkish") << QStringLiteral("ŞAHİN") << U << QStringLiteral("sahin");
    QTest::newRow("turkish dotless i") << QStringLiteral("Işık Yılmaz") << U << QStringLiteral("isik yilmaz");
    QTest::newRow("french") << QStringLiteral("François Hollande") << U << QStringLiteral("francois hollande");
    QTest::newRow("portuguese") << QStringLiteral("ESTÊVÃO NA MENA") << U << QStringLiteral("estevao na mena");
    QTest::newRow("sharp s") << QStringLiteral("Straße") << U << QStringLiteral("strasse");
    QTest::newRow("nordic") << QStringLiteral("Søren Ørsted") << U << QStringLiteral("soren orsted");
    QTest::newRow("polish") << QStringLiteral("Łukasz Łódź") << U << QStringLiteral("lukasz lodz");
    QTest::newRow("decomposed") << QStringLiteral("Mu\u0308ller") << U << QStringLiteral("muller");
    QTest::newRow("fullwidth") << QStringLiteral("ＡＢＣ Ｌｔｄ") << O << QStringLiteral("abc");
    // Scripts
    QTest::newRow("cyrillic") << QStringLiteral("Владимир Путин") << U << QStringLiteral("vladimir putin");
    QTest::newRow("cyrillic order") << QStringLiteral("ПУТИН, Владимир Владимирович") << P
                                    << QStringLiteral("vladimir vladimirovich putin");
    QTest::newRow("ukrainian") << QStringLiteral("Зеленський") << U << QStringLiteral("zelenskiy");
    QTest::newRow("cyrillic bgn") << QStringLiteral("Елена Хрущёва") << U << QStringLiteral("yelena khrushcheva");
    QTest::newRow("greek") << QStringLiteral("Αλέξης Τσίπρας") << U << QStringLiteral("alexis tsipras");
    QTest::newRow("arabic") << QStringLiteral("محمد") << U << QStringLiteral("mhmd");
    QTest::newRow("arabic ta marbuta") << QStringLiteral("أسامة بن لادن") << U << QStringLiteral("asama bn ladn");
    QTest::newRow("arabic ayn") << QStringLiteral("عبد الله") << U << QStringLiteral("bd allh");
    QTest::newRow("persian") << QStringLiteral("حسین موسوی") << U << QStringLiteral("hsyn mwswy");
    QTest::newRow("chinese") << QStringLiteral("习近平") << U << QStringLiteral("xi jin ping");
    QTest::newRow("chinese traditional") << QStringLiteral("金正恩") << U << QStringLiteral("jin zheng en");
    // Korean as the lists spell DPRK names (McCune-Reischauer without diacritics), a token per syllable.
    QTest::newRow("korean") << QStringLiteral("김정은") << U << QStringLiteral("kim jong un");
    QTest::newRow("korean choe") << QStringLiteral("최룡해") << U << QStringLiteral("choe ryong hae");
    QTest::newRow("korean final consonants") << QStringLiteral("박봉주") << U << QStringLiteral("pak pong ju");
    QTest::newRow("korean ri") << QStringLiteral("리 병철") << U << QStringLiteral("ri pyong chol");
    QTest::newRow("japanese kana") << QStringLiteral("トヨタ") << O << QStringLiteral("toyota");
    // "LAST, First"
    QTest::newRow("last first") << QStringLiteral("PUTIN, Vladimir") << U << QStringLiteral("vladimir putin");
    QTest::newRow("last first ofac") << QStringLiteral("AL-SHANTI, Jamileh Abdullah") << P
                                     << QStringLiteral("jamileh abdullah al shanti");
    QTest::newRow("last first suffix") << QStringLiteral("SMITH, John, Jr.") << U << QStringLiteral("john smith");
    QTest::newRow("last first arabic comma") << QStringLiteral("SALEK, ABDULHAI") << P << QStringLiteral("abdulhai salek");
    QTest::newRow("company comma") << QStringLiteral("ACME, Inc.") << U << QStringLiteral("acme");
    QTest::newRow("company comma org") << QStringLiteral("ANGLO-CARIBBEAN CO., LTD.") << O << QStringLiteral("anglo caribbean");
    QTest::newRow("org not inverted") << QStringLiteral("BANK MELLI, BRANCH TEHRAN") << O
                                      << QStringLiteral("bank melli branch tehran");
    QTest::newRow("three parts") << QStringLiteral("A, B, C") << U << QStringLiteral("a b c");
    // Honorifics
    QTest::newRow("mr") << QStringLiteral("Mr. John Smith") << U << QStringLiteral("john smith");
    QTest::newRow("mrs") << QStringLiteral("Mrs Jane Doe") << P << QStringLiteral("jane doe");
    QTest::newRow("dr prof") << QStringLiteral("Prof. Dr. Hans Meier") << U << QStringLiteral("hans meier");
    QTest::newRow("sheikh") << QStringLiteral("Sheikh Mohammed bin Rashid") << P << QStringLiteral("mohammed bin rashid");
    QTest::newRow("haji") << QStringLiteral("Haji Khairullah Haqqani") << U << QStringLiteral("khairullah haqqani");
    QTest::newRow("his excellency") << QStringLiteral("His Excellency Ali Khan") << U << QStringLiteral("ali khan");
    QTest::newRow("general") << QStringLiteral("Gen. Min Aung Hlaing") << P << QStringLiteral("min aung hlaing");
    QTest::newRow("only an honorific") << QStringLiteral("Doctor") << U << QStringLiteral("doctor");
    QTest::newRow("honorific kept for orgs") << QStringLiteral("Dr Oetker GmbH") << U << QStringLiteral("dr oetker");
    // Punctuation and hyphens
    QTest::newRow("hyphen") << QStringLiteral("AL-QAIDA") << U << QStringLiteral("al qaida");
    QTest::newRow("double hyphen") << QStringLiteral("ABDUL--HAQ WASSIQ") << U << QStringLiteral("abdul haq wassiq");
    QTest::newRow("apostrophe") << QStringLiteral("O'Brien") << U << QStringLiteral("obrien");
    QTest::newRow("typographic apostrophe") << QStringLiteral("SA’D AL-TIKRITI") << U << QStringLiteral("sad al tikriti");
    QTest::newRow("ayn mark") << QStringLiteral("‘ABD AL-RAHMAN") << U << QStringLiteral("abd al rahman");
    QTest::newRow("initials") << QStringLiteral("J.P. Morgan") << P << QStringLiteral("j p morgan");
    QTest::newRow("dotted form") << QStringLiteral("Acme L.L.C.") << U << QStringLiteral("acme");
    QTest::newRow("dotted ambiguous form") << QStringLiteral("Banco Delta S.A.") << U << QStringLiteral("banco delta");
    QTest::newRow("spaces") << QStringLiteral("  JAN   MOHAMMAD  ") << U << QStringLiteral("jan mohammad");
    QTest::newRow("brackets") << QStringLiteral("ABDUL (ABD) RAHMAN") << U << QStringLiteral("abdul abd rahman");
    QTest::newRow("digits") << QStringLiteral("7 STAR SHIPPING") << O << QStringLiteral("7 star shipping");
    QTest::newRow("empty") << QString() << U << QString();
    QTest::newRow("punctuation only") << QStringLiteral("-- , --") << U << QString();
}

void TestNormalizer::normalize()
{
    QFETCH(QString, input);
    QFETCH(EntityType, hint);
    QFETCH(QString, expected);
    const NormalizedName n = m_normalizer.normalize(input, hint);
    QCOMPARE(n.tokens.join(QLatin1Char(' ')), expected);
    QCOMPARE(n.joined, expected.remove(QLatin1Char(' ')));
    QCOMPARE(n.formMask.size(), n.allTokens.size());
}

void TestNormalizer::companyFormsAreEquivalent_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<QString>("tokens");

    QTest::newRow("OOO/LLC") << QStringLiteral("OOO Romashka") << QStringLiteral("Romashka LLC") << QStringLiteral("romashka");
    QTest::newRow("Cyrillic OOO") << QStringLiteral("ООО «Ромашка»") << QStringLiteral("Romashka, L.L.C.")
                                  << QStringLiteral("romashka");
    QTest::newRow("long form") << QStringLiteral("Romashka Limited Liability Company") << QStringLiteral("OOO ROMASHKA")
                               << QStringLiteral("romashka");
    QTest::newRow("JSC/PJSC") << QStringLiteral("JSC ARGUMENT") << QStringLiteral("Argument PJSC") << QStringLiteral("argument");
    QTest::newRow("OAO/ZAO/PAO") << QStringLiteral("OAO Gazprom") << QStringLiteral("PAO GAZPROM") << QStringLiteral("gazprom");
    QTest::newRow("joint stock company") << QStringLiteral("Public Joint Stock Company Sberbank")
                                         << QStringLiteral("Sberbank PJSC") << QStringLiteral("sberbank");
    QTest::newRow("Ltd/Limited") << QStringLiteral("Acme Ltd") << QStringLiteral("ACME LIMITED") << QStringLiteral("acme");
    QTest::newRow("Co Ltd") << QStringLiteral("Acme Co., Ltd.") << QStringLiteral("Acme Company Limited")
                            << QStringLiteral("acme");
    QTest::newRow("GmbH/AG") << QStringLiteral("Siemens AG") << QStringLiteral("Siemens GmbH") << QStringLiteral("siemens");
    QTest::newRow("SA") << QStringLiteral("Banco Delta SA") << QStringLiteral("BANCO DELTA S.A.")
                        << QStringLiteral("banco delta");
    QTest::newRow("Inc/Corp") << QStringLiteral("XYZ Trading Corp") << QStringLiteral("XYZ TRADING CORPORATION")
                              << QStringLiteral("xyz trading");
    QTest::newRow("Russian spelled out") << QStringLiteral("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU MANOMETR")
                                         << QStringLiteral("Manometr OOO") << QStringLiteral("manometr");
    QTest::newRow("Russian AO spelled out") << QStringLiteral("AKTSIONERNOE OBSHCHESTVO TESTPRIBOR")
                                            << QStringLiteral("AO Testpribor") << QStringLiteral("testpribor");
    QTest::newRow("Mexican") << QStringLiteral("CHIHUAHUA FOODS S.A. DE C.V.") << QStringLiteral("Chihuahua Foods SA")
                             << QStringLiteral("chihuahua foods");
    QTest::newRow("FZE") << QStringLiteral("Gulf Star FZE") << QStringLiteral("GULF STAR FZCO") << QStringLiteral("gulf star");
}

void TestNormalizer::companyFormsAreEquivalent()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(QString, tokens);
    const NormalizedName na = m_normalizer.normalize(a);
    const NormalizedName nb = m_normalizer.normalize(b);
    QVERIFY(na.isOrganization);
    QVERIFY(nb.isOrganization);
    QCOMPARE(na.tokens.join(QLatin1Char(' ')), tokens);
    QCOMPARE(nb.tokens.join(QLatin1Char(' ')), tokens);
    QVERIFY(!na.forms.isEmpty());
    QVERIFY(!nb.forms.isEmpty());
}

void TestNormalizer::formsKeptWhenNothingElse()
{
    const NormalizedName corp = m_normalizer.normalize(QStringLiteral("CORP"));
    QCOMPARE(corp.tokens, QStringList{QStringLiteral("corp")});
    QVERIFY(corp.forms.isEmpty());
    const NormalizedName llc = m_normalizer.normalize(QStringLiteral("LLC Ltd"), EntityType::Organization);
    QCOMPARE(llc.tokens, (QStringList{QStringLiteral("llc"), QStringLiteral("ltd")}));
    // Ambiguous forms are forms only at an edge of the name.
    const NormalizedName sa = m_normalizer.normalize(QStringLiteral("Banco SA Delta Ltd"));
    QCOMPARE(sa.tokens, (QStringList{QStringLiteral("banco"), QStringLiteral("sa"), QStringLiteral("delta")}));
    // A person is never stripped of "forms".
    const NormalizedName person = m_normalizer.normalize(QStringLiteral("Maria Ag"), EntityType::Person);
    QCOMPARE(person.tokens, (QStringList{QStringLiteral("maria"), QStringLiteral("ag")}));
}

void TestNormalizer::joinedKeepsForms()
{
    const NormalizedName n = m_normalizer.normalize(QStringLiteral("JSC ARGUMENT"));
    QCOMPARE(n.joined, QStringLiteral("argument"));
    QCOMPARE(n.allJoined(), QStringLiteral("jscargument"));
    QCOMPARE(n.allTokens, (QStringList{QStringLiteral("jsc"), QStringLiteral("argument")}));
    QCOMPARE(n.formMask, (QList<bool>{true, false}));
    QCOMPARE(n.forms, QStringList{QStringLiteral("jsc")});
    const NormalizedName one = m_normalizer.normalize(QStringLiteral("JSCARGUMENT"));
    QCOMPARE(one.joined, QStringLiteral("jscargument"));
}

void TestNormalizer::organisationDetection_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<EntityType>("hint");
    QTest::addColumn<bool>("organization");
    QTest::newRow("person") << QStringLiteral("John Smith") << EntityType::Unknown << false;
    QTest::newRow("bank") << QStringLiteral("Bank Melli Iran") << EntityType::Unknown << true;
    QTest::newRow("llc") << QStringLiteral("Romashka LLC") << EntityType::Unknown << true;
    QTest::newRow("phrase") << QStringLiteral("Romashka Joint Stock Company") << EntityType::Unknown << true;
    QTest::newRow("hint") << QStringLiteral("Hamas") << EntityType::Organization << true;
    QTest::newRow("person hint wins") << QStringLiteral("Trading Bank") << EntityType::Person << false;
    QTest::newRow("vessel") << QStringLiteral("Ever Given") << EntityType::Vessel << false;
}

void TestNormalizer::organisationDetection()
{
    QFETCH(QString, input);
    QFETCH(EntityType, hint);
    QFETCH(bool, organization);
    QCOMPARE(m_normalizer.normalize(input, hint).isOrganization, organization);
}

void TestNormalizer::jaroWinklerReference_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<double>("expected");
    // Winkler (1990) / Wikipedia reference values, three decimals.
    QTest::newRow("MARTHA/MARHTA") << QStringLiteral("MARTHA") << QStringLiteral("MARHTA") << 0.961;
    QTest::newRow("DWAYNE/DUANE") << QStringLiteral("DWAYNE") << QStringLiteral("DUANE") << 0.840;
    QTest::newRow("DIXON/DICKSONX") << QStringLiteral("DIXON") << QStringLiteral("DICKSONX") << 0.813;
    QTest::newRow("JELLYFISH/SMELLYFISH") << QStringLiteral("JELLYFISH") << QStringLiteral("SMELLYFISH") << 0.896;
    QTest::newRow("identical") << QStringLiteral("PUTIN") << QStringLiteral("PUTIN") << 1.0;
    QTest::newRow("disjoint") << QStringLiteral("ABC") << QStringLiteral("XYZ") << 0.0;
    QTest::newRow("empty both") << QString() << QString() << 1.0;
    QTest::newRow("empty one") << QStringLiteral("A") << QString() << 0.0;
    QTest::newRow("symmetric") << QStringLiteral("MARHTA") << QStringLiteral("MARTHA") << 0.961;
}

void TestNormalizer::jaroWinklerReference()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(double, expected);
    QVERIFY2(qAbs(jaroWinkler(a, b) - expected) < 0.0015, qPrintable(QString::number(jaroWinkler(a, b), 'f', 4)));
}

void TestNormalizer::phoneticEqual_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    const auto row
        = [](const char *a, const char *b) { QTest::addRow("%s/%s", a, b) << QString::fromLatin1(a) << QString::fromLatin1(b); };
    row("smith", "smyth");
    row("mohammed", "muhammad");
    row("mohammed", "mohamed");
    row("mohammad", "mehmet");
    row("mohammed", "mhmd"); // vowel-less Arabic transliteration
    row("ahmed", "ahmet");
    row("ahmad", "ahmed");
    row("hussein", "husayn");
    row("hussein", "hsyn");
    row("qaddafi", "gaddafi");
    row("qadhafi", "kadhafi");
    row("walid", "valid");
    row("abdullah", "abdulah");
    row("yusuf", "yousef");
    row("schmidt", "shmidt");
    row("catherine", "katherine");
    row("musawi", "mwswy");
    row("KHALID", "khaled");
}

void TestNormalizer::phoneticEqual()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QVERIFY(!phoneticKey(a).isEmpty());
    QCOMPARE(phoneticKey(a), phoneticKey(b));
}

void TestNormalizer::phoneticDifferent_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::newRow("smith/jones") << QStringLiteral("smith") << QStringLiteral("jones");
    QTest::newRow("putin/ivanov") << QStringLiteral("putin") << QStringLiteral("ivanov");
    QTest::newRow("hassan/ali") << QStringLiteral("hassan") << QStringLiteral("ali");
    QTest::newRow("digits") << QStringLiteral("747") << QStringLiteral("737");
    QTest::newRow("wang/fang") << QStringLiteral("wang") << QStringLiteral("fang");
}

void TestNormalizer::phoneticDifferent()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QVERIFY(phoneticKey(a) != phoneticKey(b));
}

void TestNormalizer::identifiers()
{
    QCOMPARE(normalizeIdentifier(QStringLiteral("AB 123-456")), QStringLiteral("AB123456"));
    QCOMPARE(normalizeIdentifier(QStringLiteral("imo 9187629")), QStringLiteral("IMO9187629"));
    QCOMPARE(normalizeIdentifier(QStringLiteral(" 0x2426…ACdCe ")), QStringLiteral("0X2426ACDCE"));
}

void TestNormalizer::concurrentUse()
{
    // One Normalizer shared by many threads: the ICU transliterator pool must give the same answers.
    QStringList inputs;
    for (int i = 0; i < 200; ++i) {
        inputs << QStringLiteral("Владимир Путин %1").arg(i) << QStringLiteral("محمد بن سلمان") << QStringLiteral("习近平")
               << QStringLiteral("Müller GmbH");
    }
    QStringList serial;
    for (const QString &s : std::as_const(inputs))
        serial << m_normalizer.normalize(s).tokens.join(QLatin1Char(' '));
    std::function<QString(const QString &)> fn
        = [this](const QString &s) { return m_normalizer.normalize(s).tokens.join(QLatin1Char(' ')); };
    const QStringList parallel = QtConcurrent::blockingMapped<QStringList>(inputs, fn);
    QCOMPARE(parallel, serial);
}

QTEST_GUILESS_MAIN(TestNormalizer)
#include "tst_normalizer.moc"

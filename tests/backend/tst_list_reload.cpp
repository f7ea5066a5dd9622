// A list version written by another process (the admin CLI on the data directory of a running server) is
// what the running server screens against next (issue 8, wrong answer 3): two Backends on one SQLite file,
// one imports, the other screens, sees the new version recorded and the removed entities gone.
#include "backend/identity/accountservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString kOfac = u"/data/sanctions/ofac_sdn_csv/%1_full/sdn.csv"_s;

screening::ScreenInput organisation(const QString &name)
{
    screening::ScreenInput in;
    in.name = name;
    in.type = screening::EntityType::Organization;
    return in;
}

bool hasEntity(const screening::Screening &s, const QString &entityId)
{
    for (const auto &m : s.matches) {
        if (m.entityId == entityId)
            return true;
    }
    return false;
}

} // namespace

class TestListReload : public QObject
{
    Q_OBJECT

private slots:
    void serverSeesVersionsWrittenByAnotherProcess()
    {
        test::TempBackend server; // the running server
        QVERIFY(server.ok());
        Config config = test::testConfig();
        config.dataDir = server.dataDir();
        FakeClock cliClock;
        auto cli = Backend::open(config, cliClock); // the admin CLI on the same data directory
        QVERIFY2(cli, cli ? "" : qPrintable(cli.error().message));

        auto firm = server.backend().accounts().createFirm(
            {u"Reload Firm"_s, u"GB"_s, {}, u"owner@reload.test"_s, u"correct horse battery staple"_s, u"Owner"_s, {}});
        QVERIFY(firm);
        const Actor analyst = test::userActor(firm->first.id, firm->second.id, Role::Owner);
        auto &screening = server.backend().screening();
        QCOMPARE(server.backend().screening().loadedEntities(), 0);

        // A new source, written by the CLI: the server screens against it (not "not loaded").
        auto older = (*cli)->screening().importList(Actor::system(), u"ofac_sdn_csv"_s,
                                                    {test::sharedDir() + kOfac.arg(u"2024-04-26"_s)}, {}, {}, u"2024-04-26"_s);
        QVERIFY2(older, older ? "" : qPrintable(older.error().message));
        screening::ScreenInput only = organisation(u"AEROCARIBBEAN AIRLINES"_s);
        only.lists = {u"ofac_sdn"_s};
        auto first = screening.screen(analyst, only);
        QVERIFY2(first, first ? "" : qPrintable(first.error().message));
        QVERIFY(hasEntity(*first, u"ofac_sdn:36"_s));
        QCOMPARE(first->lists.first().toObject().value(u"version_id"_s).toString(), older->id);

        // A newer version from the CLI: the server records it and no longer matches what it removed.
        auto newer = (*cli)->screening().importList(Actor::system(), u"ofac_sdn_csv"_s,
                                                    {test::sharedDir() + kOfac.arg(u"2024-05-03"_s)}, {}, {}, u"2024-05-03"_s);
        QVERIFY2(newer, newer ? "" : qPrintable(newer.error().message));
        QVERIFY(newer->removed > 0);
        QSqlQuery q(server.backend().database().connection());
        q.prepare(u"SELECT entity_id, data FROM list_entities WHERE version_id = ? AND entity_id NOT IN "
                  "(SELECT entity_id FROM list_entities WHERE version_id = ?) ORDER BY entity_id"_s);
        q.addBindValue(older->id);
        q.addBindValue(newer->id);
        QVERIFY(q.exec());
        int removedChecked = 0;
        while (q.next()) {
            const QString entityId = q.value(0).toString();
            const QJsonObject data = QJsonDocument::fromJson(q.value(1).toString().toUtf8()).object();
            const QJsonObject primary = data.value(u"names"_s).toArray().first().toObject();
            screening::ScreenInput removed = organisation(primary.value(u"name"_s).toString());
            removed.type = data.value(u"type"_s).toString() == u"person"_s ? screening::EntityType::Person
                                                                           : screening::EntityType::Organization;
            removed.lists = {u"ofac_sdn"_s};
            auto s = screening.screen(analyst, removed);
            QVERIFY2(s, s ? "" : qPrintable(s.error().message));
            QVERIFY2(!hasEntity(*s, entityId), qPrintable(entityId + u" was removed but still matches"_s));
            QCOMPARE(s->lists.first().toObject().value(u"version_id"_s).toString(), newer->id);
            ++removedChecked;
        }
        QCOMPARE(qint64(removedChecked), newer->removed);
        auto lists = screening.lists(analyst);
        QVERIFY(lists);
        QCOMPARE(lists->size(), 1);
        QCOMPARE(lists->first().id, newer->id);
    }
};

QTEST_GUILESS_MAIN(TestListReload)
#include "tst_list_reload.moc"

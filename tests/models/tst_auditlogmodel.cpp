// AuditLogModel over a real audit log: paging of 100 rows newest first, the data of every column,
// filters, and tenant isolation between the platform chain and firm chains, all under
// QAbstractItemModelTester.
#include "backend/audit/auditlog.h"
#include "models/auditlogmodel.h"
#include "tests/testsupport/testsupport.h"

#include <QAbstractItemModelTester>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace kyc;
using kyc::models::AuditLogModel;

namespace {

constexpr int kPlatformEvents = 250;
constexpr int kFirmAEvents = 30;
constexpr int kFirmBEvents = 20;
const QString kFirmA = QStringLiteral("firm-a");
const QString kFirmB = QStringLiteral("firm-b");
const QString kLogin = QStringLiteral("user.login");
const QString kCaseUpdate = QStringLiteral("case.update");

// Platform event n (1-based): every 10th is a system event without an entity, every 5th a login.
audit::NewEvent platformEvent(int n)
{
    audit::NewEvent e;
    const bool system = n % 10 == 0;
    e.actorType = system ? QStringLiteral("system") : QStringLiteral("user");
    e.actorId = system ? QString() : QStringLiteral("u-%1").arg(n % 7);
    e.action = n % 5 == 0 ? kLogin : kCaseUpdate;
    if (!system) {
        e.entityType = QStringLiteral("case");
        e.entityId = QStringLiteral("c-%1").arg(n);
    }
    e.ip = QStringLiteral("10.0.%1.%2").arg(n / 200).arg(n % 200);
    e.details = QJsonObject{{QStringLiteral("n"), n}};
    return e;
}

// Firm events use the same actions as platform events, so only the chain keeps them apart.
audit::NewEvent firmEvent(const QString &firm, int n)
{
    audit::NewEvent e;
    e.firmId = firm;
    e.actorType = QStringLiteral("user");
    e.actorId = QStringLiteral("%1-user").arg(firm);
    e.action = n % 2 == 0 ? kLogin : kCaseUpdate;
    e.entityType = QStringLiteral("case");
    e.entityId = QStringLiteral("%1-c-%2").arg(firm).arg(n);
    e.ip = QStringLiteral("192.0.2.%1").arg(n);
    return e;
}

} // namespace

class TestAuditLogModel final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void pagesOfOneHundredNewestFirst();
    void reentrantFetchMoreIsGuarded();
    void dataForEachColumn();
    void headers();
    void invalidIndexesAndParents();
    void filterOnActionNarrowsTotal();
    void filterOnActorAndEntity();
    void platformModelNeverShowsFirmEvents();
    void firmModelShowsOnlyThatFirm();
    void firmFilterStaysInsideTheFirm();
    void refreshPicksUpNewEvents();

private:
    // Builds a model and attaches a tester at once, so every change the test makes is checked.
    AuditLogModel *makeModel(const QString &firmId);
    void attachTester(AuditLogModel *model);
    void fetchAll(AuditLogModel *model);

    std::unique_ptr<test::TempBackend> m_tb;
    QSet<QString> m_platformIds;
    QSet<QString> m_firmAIds;
    QSet<QString> m_firmBIds;
    QHash<qint64, audit::Event> m_platformBySequence;
    QDateTime m_start;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
    std::vector<std::unique_ptr<AuditLogModel>> m_models;
};

void TestAuditLogModel::initTestCase()
{
    m_tb = std::make_unique<test::TempBackend>();
    QVERIFY(m_tb->ok());
    m_start = m_tb->clock().now();
    auto &log = m_tb->backend().audit();
    int a = 0;
    int b = 0;
    // Interleaved, so the firm chains are written while the platform chain grows.
    for (int n = 1; n <= kPlatformEvents; ++n) {
        m_tb->clock().advanceMs(1000);
        auto e = log.append(platformEvent(n));
        QVERIFY2(e.has_value(), qPrintable(e ? QString() : e.error().message));
        QCOMPARE(e->sequence, qint64(n));
        m_platformIds.insert(e->id);
        m_platformBySequence.insert(e->sequence, *e);
        if (n % 8 == 0 && a < kFirmAEvents) {
            auto fa = log.append(firmEvent(kFirmA, ++a));
            QVERIFY(fa.has_value());
            m_firmAIds.insert(fa->id);
        }
        if (n % 12 == 0 && b < kFirmBEvents) {
            auto fb = log.append(firmEvent(kFirmB, ++b));
            QVERIFY(fb.has_value());
            m_firmBIds.insert(fb->id);
        }
    }
    QCOMPARE(a, kFirmAEvents);
    QCOMPARE(b, kFirmBEvents);
}

void TestAuditLogModel::init()
{
    QVERIFY(m_tb && m_tb->ok());
}

void TestAuditLogModel::cleanup()
{
    // Testers first: they watch the models' signals.
    m_testers.clear();
    m_models.clear();
}

AuditLogModel *TestAuditLogModel::makeModel(const QString &firmId)
{
    m_models.push_back(std::make_unique<AuditLogModel>(m_tb->backend().audit(), firmId));
    AuditLogModel *model = m_models.back().get();
    attachTester(model);
    // Back to the state a view first sees: nothing fetched yet (the tester fetched while attaching).
    model->refresh();
    return model;
}

void TestAuditLogModel::attachTester(AuditLogModel *model)
{
    m_testers.push_back(
        std::make_unique<QAbstractItemModelTester>(model, QAbstractItemModelTester::FailureReportingMode::QtTest));
    // Qt 6.4's tester runs its checks, fetchMore included, from its modelReset slot before it has
    // recorded the end of the reset, so a model that is fetchable after a reset gets a false
    // "rowsAboutToBeInserted during reset" report. The tests drive fetchMore themselves instead.
    m_testers.back()->setUseFetchMore(false);
}

void TestAuditLogModel::fetchAll(AuditLogModel *model)
{
    int guard = 0;
    while (model->canFetchMore({}) && ++guard < 1000)
        model->fetchMore({});
    QVERIFY(!model->canFetchMore({}));
}

void TestAuditLogModel::pagesOfOneHundredNewestFirst()
{
    m_models.push_back(std::make_unique<AuditLogModel>(m_tb->backend().audit(), QString()));
    AuditLogModel *model = m_models.back().get();
    // The state right after construction, before anything has asked for rows.
    QCOMPARE(model->rowCount(), 0);
    QVERIFY(model->canFetchMore({}));
    QCOMPARE(model->total(), qint64(kPlatformEvents));
    attachTester(model);
    model->refresh();
    QCOMPARE(model->rowCount(), 0);
    QVERIFY(model->canFetchMore({}));
    QCOMPARE(model->total(), qint64(kPlatformEvents));

    QSignalSpy inserted(model, &QAbstractItemModel::rowsInserted);
    QVERIFY(inserted.isValid());
    const QList<std::pair<int, int>> pages{{0, 99}, {100, 199}, {200, 249}};
    for (const auto &[first, last] : pages) {
        QVERIFY(model->canFetchMore({}));
        model->fetchMore({});
        QCOMPARE(model->rowCount(), last + 1);
        QCOMPARE(inserted.count(), 1);
        const QList<QVariant> args = inserted.takeFirst();
        QVERIFY(!args.at(0).value<QModelIndex>().isValid());
        QCOMPARE(args.at(1).toInt(), first);
        QCOMPARE(args.at(2).toInt(), last);
    }
    QCOMPARE(model->rowCount(), kPlatformEvents);
    QVERIFY(!model->canFetchMore({}));
    QCOMPARE(model->total(), qint64(kPlatformEvents));

    // Newest first: row r holds sequence 250 - r.
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->data(model->index(r, AuditLogModel::Sequence)).toLongLong(), qint64(kPlatformEvents - r));
    QCOMPARE(model->eventAt(0).sequence, qint64(250));
    QCOMPARE(model->eventAt(kPlatformEvents - 1).sequence, qint64(1));

    // Past the end, fetchMore is a no-op.
    model->fetchMore({});
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(model->rowCount(), kPlatformEvents);
}

void TestAuditLogModel::reentrantFetchMoreIsGuarded()
{
    AuditLogModel *model = makeModel(QString());
    // Views call fetchMore again while rows are being inserted; each explicit call is still one page.
    int reentered = 0;
    auto again = [&] {
        ++reentered;
        model->fetchMore({});
    };
    connect(model, &QAbstractItemModel::rowsAboutToBeInserted, this, again);
    connect(model, &QAbstractItemModel::rowsInserted, this, again);
    QSignalSpy inserted(model, &QAbstractItemModel::rowsInserted);

    model->fetchMore({});
    QCOMPARE(model->rowCount(), 100);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(reentered, 2);
    model->fetchMore({});
    QCOMPARE(model->rowCount(), 200);
    model->fetchMore({});
    QCOMPARE(model->rowCount(), 250);
    QCOMPARE(inserted.count(), 3);
    QCOMPARE(reentered, 6);
    QVERIFY(!model->canFetchMore({}));
    disconnect(model, nullptr, this, nullptr);
}

void TestAuditLogModel::dataForEachColumn()
{
    AuditLogModel *model = makeModel(QString());
    QCOMPARE(model->columnCount(), int(AuditLogModel::ColumnCount));
    fetchAll(model);
    QCOMPARE(model->rowCount(), kPlatformEvents);

    const QRegularExpression isoUtc(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"));
    for (int r = 0; r < model->rowCount(); ++r) {
        const qint64 seq = kPlatformEvents - r;
        const audit::Event &expected = m_platformBySequence.value(seq);
        QCOMPARE(expected.sequence, seq);
        auto cell = [&](int column, int role = Qt::DisplayRole) { return model->data(model->index(r, column), role); };

        QCOMPARE(cell(AuditLogModel::Sequence).toLongLong(), seq);

        const QString time = cell(AuditLogModel::Time).toString();
        QVERIFY2(isoUtc.match(time).hasMatch(), qPrintable(time));
        // The fake clock moved one second before each platform event.
        QCOMPARE(QDateTime::fromString(time, Qt::ISODateWithMs), m_start.addSecs(seq));

        const QString actor = cell(AuditLogModel::Actor).toString();
        if (seq % 10 == 0)
            QCOMPARE(actor, QStringLiteral("system"));
        else
            QCOMPARE(actor, QStringLiteral("user:u-%1").arg(seq % 7));

        QCOMPARE(cell(AuditLogModel::Action).toString(), seq % 5 == 0 ? kLogin : kCaseUpdate);

        const QString entity = cell(AuditLogModel::Entity).toString();
        if (seq % 10 == 0)
            QVERIFY2(entity.isEmpty(), qPrintable(entity));
        else
            QCOMPARE(entity, QStringLiteral("case c-%1").arg(seq));

        QCOMPARE(cell(AuditLogModel::Ip).toString(), QStringLiteral("10.0.%1.%2").arg(seq / 200).arg(seq % 200));

        const QString shortHash = cell(AuditLogModel::Hash).toString();
        QCOMPARE(shortHash.size(), 16);
        QCOMPARE(shortHash, expected.hash.left(16));
        const QString fullHash = cell(AuditLogModel::Hash, Qt::ToolTipRole).toString();
        QCOMPARE(fullHash, expected.hash);
        QCOMPARE(fullHash.size(), 64);

        QCOMPARE(model->eventAt(r).id, expected.id);
    }
    // Roles the model does not provide stay empty.
    QVERIFY(!model->data(model->index(0, AuditLogModel::Action), Qt::EditRole).isValid());
    QVERIFY(!model->data(model->index(0, AuditLogModel::Action), Qt::ToolTipRole).isValid());
}

void TestAuditLogModel::headers()
{
    AuditLogModel *model = makeModel(QString());
    QSet<QString> seen;
    for (int c = 0; c < AuditLogModel::ColumnCount; ++c) {
        const QString h = model->headerData(c, Qt::Horizontal).toString();
        QVERIFY2(!h.isEmpty(), qPrintable(QString::number(c)));
        seen.insert(h);
    }
    QCOMPARE(seen.size(), int(AuditLogModel::ColumnCount));
    QVERIFY(model->headerData(AuditLogModel::Sequence, Qt::Horizontal).toString().contains(QLatin1String("Seq")));
    QVERIFY(model->headerData(AuditLogModel::Time, Qt::Horizontal).toString().contains(QLatin1String("UTC")));
}

void TestAuditLogModel::invalidIndexesAndParents()
{
    AuditLogModel *model = makeModel(QString());
    model->fetchMore({});
    const int rows = model->rowCount();
    QCOMPARE(rows, AuditLogModel::kPageSize);
    QVERIFY(!model->index(rows, 0).isValid());
    QVERIFY(!model->index(0, AuditLogModel::ColumnCount).isValid());
    // A table: no row has children, and nothing can be fetched below a row.
    const QModelIndex first = model->index(0, 0);
    QCOMPARE(model->rowCount(first), 0);
    QCOMPARE(model->columnCount(first), 0);
    QVERIFY(!model->canFetchMore(first));
    model->fetchMore(first);
    QCOMPARE(model->rowCount(), rows);
}

void TestAuditLogModel::filterOnActionNarrowsTotal()
{
    AuditLogModel *model = makeModel(QString());
    QCOMPARE(model->total(), qint64(kPlatformEvents));

    audit::Filter f;
    f.action = kLogin;
    model->setFilter(f);
    QCOMPARE(model->total(), qint64(kPlatformEvents / 5));
    fetchAll(model);
    QCOMPARE(model->rowCount(), kPlatformEvents / 5);
    for (int r = 0; r < model->rowCount(); ++r) {
        QCOMPARE(model->data(model->index(r, AuditLogModel::Action)).toString(), kLogin);
        // Still newest first: 250, 245, 240, …
        QCOMPARE(model->eventAt(r).sequence, qint64(kPlatformEvents - 5 * r));
        QVERIFY(model->eventAt(r).firmId.isEmpty());
    }

    f.action = QStringLiteral("no.such.action");
    model->setFilter(f);
    QCOMPARE(model->total(), qint64(0));
    QCOMPARE(model->rowCount(), 0);
    QVERIFY(!model->canFetchMore({}));

    model->setFilter(audit::Filter{});
    QCOMPARE(model->total(), qint64(kPlatformEvents));
}

void TestAuditLogModel::filterOnActorAndEntity()
{
    AuditLogModel *model = makeModel(QString());
    audit::Filter f;
    f.entityType = QStringLiteral("case");
    f.entityId = QStringLiteral("c-17");
    model->setFilter(f);
    QCOMPARE(model->total(), qint64(1));
    fetchAll(model);
    QCOMPARE(model->rowCount(), 1);
    QCOMPARE(model->eventAt(0).sequence, qint64(17));

    audit::Filter byActor;
    byActor.actorId = QStringLiteral("u-3");
    model->setFilter(byActor);
    qint64 expected = 0;
    for (int n = 1; n <= kPlatformEvents; ++n)
        expected += (n % 10 != 0 && n % 7 == 3) ? 1 : 0;
    QCOMPARE(model->total(), expected);
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(expected));
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->data(model->index(r, AuditLogModel::Actor)).toString(), QStringLiteral("user:u-3"));
}

void TestAuditLogModel::platformModelNeverShowsFirmEvents()
{
    AuditLogModel *model = makeModel(QString());
    fetchAll(model);
    QCOMPARE(model->rowCount(), kPlatformEvents);
    for (int r = 0; r < model->rowCount(); ++r) {
        const audit::Event &e = model->eventAt(r);
        QVERIFY(e.firmId.isEmpty());
        QCOMPARE(e.chain, audit::kPlatformChain);
        QVERIFY(m_platformIds.contains(e.id));
        QVERIFY(!m_firmAIds.contains(e.id));
        QVERIFY(!m_firmBIds.contains(e.id));
    }
}

void TestAuditLogModel::firmModelShowsOnlyThatFirm()
{
    AuditLogModel *a = makeModel(kFirmA);
    QCOMPARE(a->total(), qint64(kFirmAEvents));
    fetchAll(a);
    QCOMPARE(a->rowCount(), kFirmAEvents);
    QSet<QString> seen;
    for (int r = 0; r < a->rowCount(); ++r) {
        const audit::Event &e = a->eventAt(r);
        QCOMPARE(e.firmId, kFirmA);
        QCOMPARE(e.chain, kFirmA);
        // Each firm has its own chain, numbered from 1.
        QCOMPARE(e.sequence, qint64(kFirmAEvents - r));
        QVERIFY(m_firmAIds.contains(e.id));
        seen.insert(e.id);
    }
    QCOMPARE(seen, m_firmAIds);

    AuditLogModel *b = makeModel(kFirmB);
    QCOMPARE(b->total(), qint64(kFirmBEvents));
    fetchAll(b);
    QCOMPARE(b->rowCount(), kFirmBEvents);
    for (int r = 0; r < b->rowCount(); ++r) {
        QCOMPARE(b->eventAt(r).firmId, kFirmB);
        QVERIFY(m_firmBIds.contains(b->eventAt(r).id));
    }

    AuditLogModel *none = makeModel(QStringLiteral("firm-without-events"));
    QCOMPARE(none->total(), qint64(0));
    QCOMPARE(none->rowCount(), 0);
    QVERIFY(!none->canFetchMore({}));
}

void TestAuditLogModel::firmFilterStaysInsideTheFirm()
{
    // The platform chain has 50 logins; firm A's filtered view must show only its own 15.
    AuditLogModel *a = makeModel(kFirmA);
    audit::Filter f;
    f.action = kLogin;
    a->setFilter(f);
    QCOMPARE(a->total(), qint64(kFirmAEvents / 2));
    fetchAll(a);
    QCOMPARE(a->rowCount(), kFirmAEvents / 2);
    for (int r = 0; r < a->rowCount(); ++r) {
        QCOMPARE(a->eventAt(r).firmId, kFirmA);
        QCOMPARE(a->eventAt(r).action, kLogin);
    }

    // Looking for another firm's entity from inside firm A finds nothing.
    audit::Filter other;
    other.entityType = QStringLiteral("case");
    other.entityId = QStringLiteral("%1-c-1").arg(kFirmB);
    a->setFilter(other);
    QCOMPARE(a->total(), qint64(0));
    QCOMPARE(a->rowCount(), 0);

    // And the platform model does not find a firm's entity either.
    AuditLogModel *platform = makeModel(QString());
    platform->setFilter(other);
    QCOMPARE(platform->total(), qint64(0));
    QCOMPARE(platform->rowCount(), 0);
}

void TestAuditLogModel::refreshPicksUpNewEvents()
{
    // Own backend, so the shared fixture stays at 250 events.
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto &log = tb.backend().audit();
    for (int n = 1; n <= 5; ++n)
        QVERIFY(log.append(platformEvent(n)).has_value());

    auto model = std::make_unique<AuditLogModel>(log, QString());
    QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    tester.setUseFetchMore(false);
    fetchAll(model.get());
    QCOMPARE(model->rowCount(), 5);

    QVERIFY(log.append(platformEvent(6)).has_value());
    QVERIFY(log.append(firmEvent(kFirmA, 1)).has_value());
    QCOMPARE(model->rowCount(), 5); // nothing moves until asked
    model->refresh();
    QCOMPARE(model->total(), qint64(6));
    fetchAll(model.get());
    QCOMPARE(model->rowCount(), 6);
    QCOMPARE(model->eventAt(0).sequence, qint64(6));
}

QTEST_GUILESS_MAIN(TestAuditLogModel)
#include "tst_auditlogmodel.moc"

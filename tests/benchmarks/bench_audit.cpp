// Audit trail throughput: appends one transaction each (target ≥ 5 000/s) and verification of a
// 1 000 000-event chain (target ≤ 2 s).
#include "backend/storage/rowreader.h"
#include "tests/testsupport/testsupport.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace kyc;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const qint64 appends = argc > 1 ? QByteArray(argv[1]).toLongLong() : 100'000;
    const qint64 verifyCount = argc > 2 ? QByteArray(argv[2]).toLongLong() : 1'000'000;

    test::TempBackend tb;
    if (!tb.ok())
        return 2;
    auto &log = tb.backend().audit();
    const QString firm = QStringLiteral("7d0c2f8e-3d1e-4f55-8f1a-0c9b8a7d6e5f");
    auto event = [&](qint64 i) {
        return audit::NewEvent{firm,
                               QStringLiteral("user"),
                               QStringLiteral("0b8e3c1a-5f7d-4a2b-9c6e-1d2f3a4b5c6d"),
                               QStringLiteral("case.update"),
                               QStringLiteral("case"),
                               QStringLiteral("c-%1").arg(i),
                               QStringLiteral("127.0.0.1"),
                               QJsonObject{{QStringLiteral("field"), QStringLiteral("status")},
                                           {QStringLiteral("before"), QStringLiteral("in_review")},
                                           {QStringLiteral("after"), QStringLiteral("approved")}}};
    };

    QElapsedTimer t;
    t.start();
    for (qint64 i = 0; i < appends; ++i) {
        if (!log.append(event(i))) {
            std::fprintf(stderr, "append failed\n");
            return 1;
        }
    }
    const double appendSecs = double(t.nsecsElapsed()) / 1e9;
    std::printf("audit append (one transaction each): %lld events in %.2f s = %.0f events/s (target >= 5000/s)\n",
                static_cast<long long>(appends), appendSecs, double(appends) / appendSecs);

    // Grow the chain to the verification size in large transactions (setup, not measured).
    for (qint64 done = appends; done < verifyCount;) {
        storage::Transaction tx(tb.backend().database());
        if (!tx.begin())
            return 1;
        const qint64 end = std::min(verifyCount, done + 100'000);
        for (; done < end; ++done) {
            if (!log.append(event(done)))
                return 1;
        }
        if (!tx.commit())
            return 1;
    }
    // For reading the figure: the cost of the bare row scan, which no verifier can beat.
    t.restart();
    qint64 rows = 0;
    (void)storage::forEachRow(tb.backend().database(),
                              QStringLiteral("SELECT id, chain, sequence, occurred_at, firm_id, actor_type, actor_id, action, "
                                             "entity_type, entity_id, ip, details, prev_hash, hash FROM audit_events "
                                             "WHERE chain = ? ORDER BY sequence"),
                              {firm}, [&](const storage::RawRow &) { return ++rows > 0; });
    std::printf("(bare row scan of %lld events: %.2f s)\n", static_cast<long long>(rows), double(t.nsecsElapsed()) / 1e9);

    t.restart();
    auto r = log.verifyChain(firm);
    const double verifySecs = double(t.nsecsElapsed()) / 1e9;
    if (!r || !r->valid) {
        std::fprintf(stderr, "verification failed\n");
        return 1;
    }
    std::printf("audit verify: %lld events in %.2f s = %.0f events/s (target: 1000000 in <= 2 s)\n",
                static_cast<long long>(r->checked), verifySecs, double(r->checked) / verifySecs);
    return 0;
}

// The contract (ENDPOINTS.md), the registered routes, the OpenAPI document and the Postman
// collection must describe exactly the same 96 operations.
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/openapi.h"
#include "tests/testsupport/testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QtTest>

using namespace kyc;
using namespace kyc::http;

namespace {

struct Row {
    int number = 0;
    QString category;
    QString method;
    QString path;
    QString auth;
    QString key() const { return method + u' ' + path; }
    bool operator==(const Row &o) const = default;
};

QString describe(const Row &r)
{
    return QStringLiteral("#%1 [%2] %3 %4 (%5)").arg(r.number).arg(r.category, r.method, r.path, r.auth);
}

QList<Row> contractRows()
{
    QFile f(test::sharedDir() + QStringLiteral("/api/ENDPOINTS.md"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<Row> rows;
    QString category;
    static const QRegularExpression heading(QStringLiteral("^## (.+?) — "));
    static const QRegularExpression row(QStringLiteral("^\\| (\\d+) \\| (\\w+) \\| (\\S+) \\| (.+?) \\| .* \\|$"));
    for (const auto &line : QString::fromUtf8(f.readAll()).split(u'\n')) {
        if (const auto m = heading.match(line); m.hasMatch()) {
            category = m.captured(1);
            continue;
        }
        if (const auto m = row.match(line); m.hasMatch()) {
            QString auth = m.captured(4);
            auth.replace(QStringLiteral("\\|"), QStringLiteral("|"));
            rows << Row{m.captured(1).toInt(), category, m.captured(2), m.captured(3), auth};
        }
    }
    return rows;
}

QStringList diff(const QList<Row> &expected, const QList<Row> &actual)
{
    QStringList out;
    for (qsizetype i = 0; i < std::max(expected.size(), actual.size()); ++i) {
        const Row e = expected.value(i), a = actual.value(i);
        if (!(e == a))
            out << QStringLiteral("contract %1 ≠ actual %2").arg(describe(e), describe(a));
    }
    return out;
}

} // namespace

class TestContract : public QObject
{
    Q_OBJECT

    FakeClock m_clock;
    Config m_config;
    std::unique_ptr<ApiRouter> m_router;
    QList<Row> m_contract;
    QJsonObject m_openApi;

private slots:
    void initTestCase()
    {
        m_contract = contractRows();
        QCOMPARE(m_contract.size(), 96);
        m_router = std::make_unique<ApiRouter>(m_config, m_clock);
        for (auto &c :
             makeAllControllers(HealthDeps{QStringLiteral("0.1.0"), [] { return qint64(0); }, {}, m_router.get()}, nullptr))
            m_router->addController(std::move(c));
        QStringList missing;
        m_openApi = buildOpenApi(m_router->controllers(), operationDocs(), QStringLiteral("0.1.0"), &missing);
        QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("routes without documentation: ") + missing.join(u", ")));
    }

    void routesMatchContract()
    {
        QList<Row> routes;
        int n = 0;
        for (const auto &c : m_router->controllers()) {
            for (const auto &r : c.routes)
                routes << Row{++n, c.category, QString::fromLatin1(methodName(r.method)), r.path, r.auth};
        }
        const QStringList d = diff(m_contract, routes);
        QVERIFY2(d.isEmpty(), qPrintable(d.join(u'\n')));
        QCOMPARE(m_router->controllers().size(), 15);
    }

    void openApiMatchesContract()
    {
        QList<Row> ops;
        const QJsonObject paths = m_openApi.value(QStringLiteral("paths")).toObject();
        for (auto p = paths.begin(); p != paths.end(); ++p) {
            QString contractPath = p.key();
            contractPath.replace(QRegularExpression(QStringLiteral("\\{(\\w+)\\}")), QStringLiteral(":\\1"));
            const QJsonObject item = p.value().toObject();
            for (auto m = item.begin(); m != item.end(); ++m) {
                const QJsonObject op = m.value().toObject();
                ops << Row{op.value(QStringLiteral("x-contract-number")).toInt(),
                           op.value(QStringLiteral("tags")).toArray().first().toString(), m.key().toUpper(), contractPath,
                           op.value(QStringLiteral("x-auth")).toString()};
            }
        }
        std::sort(ops.begin(), ops.end(), [](const Row &a, const Row &b) { return a.number < b.number; });
        const QStringList d = diff(m_contract, ops);
        QVERIFY2(d.isEmpty(), qPrintable(d.join(u'\n')));

        // Every documented path parameter exists in the path, and every operation has an id,
        // a summary, a success response and the contract's error body for its errors.
        QSet<QString> ids;
        for (auto p = paths.begin(); p != paths.end(); ++p) {
            for (const auto &opValue : p.value().toObject()) {
                const QJsonObject op = opValue.toObject();
                const QString id = op.value(QStringLiteral("operationId")).toString();
                QVERIFY2(!id.isEmpty() && !ids.contains(id), qPrintable(id));
                ids.insert(id);
                QVERIFY(!op.value(QStringLiteral("summary")).toString().isEmpty());
                const QJsonObject responses = op.value(QStringLiteral("responses")).toObject();
                bool success = false;
                for (auto r = responses.begin(); r != responses.end(); ++r) {
                    if (r.key().startsWith(u'2'))
                        success = true;
                    else
                        QVERIFY2(r.value()
                                     .toObject()
                                     .value(QStringLiteral("$ref"))
                                     .toString()
                                     .startsWith(QStringLiteral("#/components/responses/")),
                                 qPrintable(id + u' ' + r.key()));
                }
                QVERIFY2(success, qPrintable(id));
                QVERIFY2(responses.contains(QStringLiteral("500")), qPrintable(id));
            }
        }
    }

    void postmanMatchesOpenApi()
    {
        const QJsonObject collection = buildPostmanCollection(m_openApi);
        const QJsonArray folders = collection.value(QStringLiteral("item")).toArray();
        QCOMPARE(folders.size(), 15);
        QList<Row> requests;
        int n = 0;
        for (const auto &f : folders) {
            const QJsonObject folder = f.toObject();
            for (const auto &i : folder.value(QStringLiteral("item")).toArray()) {
                const QJsonObject req = i.toObject().value(QStringLiteral("request")).toObject();
                QStringList segs;
                for (const auto &s : req.value(QStringLiteral("url")).toObject().value(QStringLiteral("path")).toArray())
                    segs << s.toString();
                const Row &c = m_contract.value(n);
                requests << Row{++n, folder.value(QStringLiteral("name")).toString(),
                                req.value(QStringLiteral("method")).toString(), u'/' + segs.join(u'/'), c.auth};
                QVERIFY(req.value(QStringLiteral("url"))
                            .toObject()
                            .value(QStringLiteral("raw"))
                            .toString()
                            .startsWith(QStringLiteral("{{KYCONNECT_BASE_URL}}/")));
            }
        }
        const QStringList d = diff(m_contract, requests);
        QVERIFY2(d.isEmpty(), qPrintable(d.join(u'\n')));
        QStringList vars;
        for (const auto &v : collection.value(QStringLiteral("variable")).toArray())
            vars << v.toObject().value(QStringLiteral("key")).toString();
        QCOMPARE(vars,
                 (QStringList{QStringLiteral("KYCONNECT_BASE_URL"), QStringLiteral("KYCONNECT_JWT"),
                              QStringLiteral("KYCONNECT_API_KEY")}));
    }

    // The document the server serves is the one checked above, and it is valid JSON on the wire.
    void servedDocumentIsTheSame()
    {
        test::TestServer server;
        QVERIFY(server.port());
        QNetworkAccessManager nam;
        QNetworkReply *reply
            = nam.get(QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/health/openapi.json").arg(server.port()))));
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(10000));
        const QJsonObject served = QJsonDocument::fromJson(reply->readAll()).object();
        reply->deleteLater();
        QCOMPARE(served.value(QStringLiteral("paths")), m_openApi.value(QStringLiteral("paths")));
        QCOMPARE(served.value(QStringLiteral("openapi")).toString(), QStringLiteral("3.0.3"));
    }
};

QTEST_GUILESS_MAIN(TestContract)
#include "tst_contract.moc"

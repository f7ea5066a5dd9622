// Our HS256 tokens against a standard implementation, in both directions: the npm package
// jsonwebtoken (v9) run under Node. Skipped only when node/npm are missing or the package cannot be
// installed (no network).
#include "backend/security/crypto.h"
#include "backend/security/jwt.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QLockFile>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

using namespace kyc;
using namespace kyc::crypto;

namespace {

const QString kIssuer = QStringLiteral("kyconnect");

// Reads one JSON request from stdin, answers one JSON line. The secret travels as hex so that any
// byte value survives.
const char *const kNodeScript = R"JS(
const jwt = require(process.env.KYC_JWT_MODULE);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const secret = Buffer.from(req.secretHex, 'hex');
  let out;
  try {
    if (req.op === 'verify') {
      const claims = jwt.verify(req.token, secret, { algorithms: ['HS256'], issuer: 'kyconnect' });
      out = { ok: true, claims };
    } else if (req.op === 'sign') {
      const token = jwt.sign(req.payload, secret, { algorithm: req.alg || 'HS256', issuer: 'kyconnect', expiresIn: 900 });
      out = { ok: true, token };
    } else {
      out = { ok: false, error: 'unknown op' };
    }
  } catch (e) {
    out = { ok: false, error: String(e && e.name) + ': ' + String(e && e.message) };
  }
  process.stdout.write(JSON.stringify(out));
});
)JS";

QJsonObject ourClaims(qint64 now)
{
    return QJsonObject{{QStringLiteral("sub"), QStringLiteral("8d0f6a52-2c1e-4c1b-9a57-0a1f3e0c9b11")},
                       {QStringLiteral("firm"), QStringLiteral("1b4e28ba-2fa1-11d2-883f-0016d3cca427")},
                       {QStringLiteral("role"), QStringLiteral("compliance_officer")},
                       {QStringLiteral("sid"), QStringLiteral("f47ac10b-58cc-4372-a567-0e02b2c3d479")},
                       {QStringLiteral("jti"), QStringLiteral("6ba7b810-9dad-11d1-80b4-00c04fd430c8")},
                       {QStringLiteral("name"), QStringLiteral("Zoë Ørsted 日本 🔑 \"quoted\" \\ / <tag>")},
                       {QStringLiteral("iss"), kIssuer},
                       {QStringLiteral("iat"), now},
                       {QStringLiteral("exp"), now + 900}};
}

} // namespace

class TestJwtInterop final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void oursVerifiedByNode();
    void nodeRejectsOursWithOtherSecret();
    void nodeSignedVerifiedByOurs();
    void oursRejectBadNodeTokens();

private:
    // Runs the Node script with `request` (plus the secret) and returns its JSON answer.
    QJsonObject node(QJsonObject request, const QByteArray &secret);

    QString m_node;
    QString m_module;
    QByteArray m_secret;
};

void TestJwtInterop::initTestCase()
{
    m_node = QStandardPaths::findExecutable(QStringLiteral("node"));
    const QString npm = QStandardPaths::findExecutable(QStringLiteral("npm"));
    if (m_node.isEmpty() || npm.isEmpty())
        QSKIP("node and npm are needed for the interoperability test");

    const QString prefix = QDir::tempPath() + QStringLiteral("/kyc-jwt-interop");
    QVERIFY(QDir().mkpath(prefix));
    m_module = prefix + QStringLiteral("/node_modules/jsonwebtoken");

    // One installer at a time when several test runs share the directory.
    QLockFile lock(prefix + QStringLiteral("/.install.lock"));
    lock.setStaleLockTime(10 * 60 * 1000);
    QVERIFY(lock.tryLock(5 * 60 * 1000));

    auto installedVersion = [this] {
        QFile f(m_module + QStringLiteral("/package.json"));
        if (!f.open(QIODevice::ReadOnly))
            return QString();
        return QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("version")).toString();
    };
    if (!installedVersion().startsWith(QLatin1String("9."))) {
        QProcess install;
        install.setProgram(npm);
        install.setArguments({QStringLiteral("install"), QStringLiteral("--no-audit"), QStringLiteral("--no-fund"),
                              QStringLiteral("--loglevel=error"), QStringLiteral("--fetch-retries=1"),
                              QStringLiteral("--fetch-timeout=60000"), QStringLiteral("--prefix"), prefix,
                              QStringLiteral("jsonwebtoken@9")});
        install.setProcessChannelMode(QProcess::MergedChannels);
        install.start();
        const bool finished = install.waitForStarted(30000) && install.waitForFinished(200000);
        const QByteArray log = install.readAll();
        if (!finished) {
            install.kill();
            install.waitForFinished(5000);
        }
        if (!finished || install.exitStatus() != QProcess::NormalExit || install.exitCode() != 0
            || !installedVersion().startsWith(QLatin1String("9."))) {
            qWarning().noquote() << "npm install jsonwebtoken@9 failed:" << log.right(2000);
            QSKIP("npm install jsonwebtoken@9 failed (no network?)");
        }
    }
    qInfo().noquote() << "jsonwebtoken" << installedVersion() << "under" << m_node;

    auto secret = randomBytes(32);
    QVERIFY(secret.has_value());
    m_secret = *secret;
}

QJsonObject TestJwtInterop::node(QJsonObject request, const QByteArray &secret)
{
    request.insert(QLatin1String("secretHex"), QString::fromLatin1(secret.toHex()));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KYC_JWT_MODULE"), m_module);
    p.setProcessEnvironment(env);
    p.setProgram(m_node);
    p.setArguments({QStringLiteral("-e"), QString::fromUtf8(kNodeScript)});
    p.start();
    if (!p.waitForStarted(10000))
        return {{QStringLiteral("ok"), false}, {QStringLiteral("error"), QStringLiteral("node did not start")}};
    p.write(QJsonDocument(request).toJson(QJsonDocument::Compact));
    p.closeWriteChannel();
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished(5000);
        return {{QStringLiteral("ok"), false}, {QStringLiteral("error"), QStringLiteral("node timed out")}};
    }
    const QByteArray out = p.readAllStandardOutput();
    const QJsonDocument doc = QJsonDocument::fromJson(out);
    if (!doc.isObject())
        return {{QStringLiteral("ok"), false},
                {QStringLiteral("error"), QString::fromUtf8(out + p.readAllStandardError()).left(2000)}};
    return doc.object();
}

void TestJwtInterop::oursVerifiedByNode()
{
    const QJsonObject claims = ourClaims(QDateTime::currentSecsSinceEpoch());
    const QString token = signJwt(claims, m_secret);
    QVERIFY(!token.isEmpty());

    const QJsonObject answer
        = node({{QStringLiteral("op"), QStringLiteral("verify")}, {QStringLiteral("token"), token}}, m_secret);
    QVERIFY2(answer.value(QLatin1String("ok")).toBool(), qPrintable(answer.value(QLatin1String("error")).toString()));
    QCOMPARE(answer.value(QLatin1String("claims")).toObject(), claims);
}

void TestJwtInterop::nodeRejectsOursWithOtherSecret()
{
    const QString token = signJwt(ourClaims(QDateTime::currentSecsSinceEpoch()), m_secret);
    QByteArray other = m_secret;
    other[0] = char(other.at(0) ^ 1);
    const QJsonObject answer = node({{QStringLiteral("op"), QStringLiteral("verify")}, {QStringLiteral("token"), token}}, other);
    QVERIFY(!answer.value(QLatin1String("ok")).toBool());
    QVERIFY2(answer.value(QLatin1String("error")).toString().contains(QLatin1String("invalid signature")),
             qPrintable(answer.value(QLatin1String("error")).toString()));

    // And node agrees that a token for another issuer is not ours.
    QJsonObject foreignClaims = ourClaims(QDateTime::currentSecsSinceEpoch());
    foreignClaims.insert(QLatin1String("iss"), QStringLiteral("someone-else"));
    const QString foreign = signJwt(foreignClaims, m_secret);
    const QJsonObject wrongIssuer
        = node({{QStringLiteral("op"), QStringLiteral("verify")}, {QStringLiteral("token"), foreign}}, m_secret);
    QVERIFY(!wrongIssuer.value(QLatin1String("ok")).toBool());
}

void TestJwtInterop::nodeSignedVerifiedByOurs()
{
    QJsonObject payload = ourClaims(0);
    payload.remove(QLatin1String("iss"));
    payload.remove(QLatin1String("iat"));
    payload.remove(QLatin1String("exp"));

    const qint64 before = QDateTime::currentSecsSinceEpoch();
    const QJsonObject answer
        = node({{QStringLiteral("op"), QStringLiteral("sign")}, {QStringLiteral("payload"), payload}}, m_secret);
    const qint64 after = QDateTime::currentSecsSinceEpoch();
    QVERIFY2(answer.value(QLatin1String("ok")).toBool(), qPrintable(answer.value(QLatin1String("error")).toString()));
    const QString token = answer.value(QLatin1String("token")).toString();
    QCOMPARE(token.count(u'.'), 2);

    auto verified = verifyJwt(token, m_secret, JwtCheck{kIssuer, after, 0});
    QVERIFY2(verified.has_value(), qPrintable(verified ? QString() : verified.error().message));
    for (auto it = payload.begin(); it != payload.end(); ++it)
        QCOMPARE(verified->value(it.key()), it.value());
    QCOMPARE(verified->value(QLatin1String("iss")).toString(), kIssuer);
    const qint64 iat = verified->value(QLatin1String("iat")).toInteger();
    QVERIFY(iat >= before && iat <= after);
    QCOMPARE(verified->value(QLatin1String("exp")).toInteger(), iat + 900);

    // Node's token expires for us exactly when node says it does.
    QVERIFY(verifyJwt(token, m_secret, JwtCheck{kIssuer, iat + 899, 0}).has_value());
    QVERIFY(!verifyJwt(token, m_secret, JwtCheck{kIssuer, iat + 900, 0}).has_value());
}

void TestJwtInterop::oursRejectBadNodeTokens()
{
    const QJsonObject payload{{QStringLiteral("sub"), QStringLiteral("user-1")}};
    const qint64 now = QDateTime::currentSecsSinceEpoch();

    // Signed by node with another secret.
    QByteArray other = m_secret;
    other[31] = char(other.at(31) ^ 0x80);
    const QJsonObject signedOther
        = node({{QStringLiteral("op"), QStringLiteral("sign")}, {QStringLiteral("payload"), payload}}, other);
    QVERIFY2(signedOther.value(QLatin1String("ok")).toBool(), qPrintable(signedOther.value(QLatin1String("error")).toString()));
    auto r1 = verifyJwt(signedOther.value(QLatin1String("token")).toString(), m_secret, JwtCheck{kIssuer, now, 0});
    QVERIFY(!r1.has_value());
    QCOMPARE(r1.error().code, ErrorCode::Unauthenticated);

    // Signed by node with the right secret but HS512: a valid token, not an algorithm we accept.
    const QJsonObject hs512 = node({{QStringLiteral("op"), QStringLiteral("sign")},
                                    {QStringLiteral("payload"), payload},
                                    {QStringLiteral("alg"), QStringLiteral("HS512")}},
                                   m_secret);
    QVERIFY2(hs512.value(QLatin1String("ok")).toBool(), qPrintable(hs512.value(QLatin1String("error")).toString()));
    auto r2 = verifyJwt(hs512.value(QLatin1String("token")).toString(), m_secret, JwtCheck{kIssuer, now, 0});
    QVERIFY(!r2.has_value());
    QCOMPARE(r2.error().code, ErrorCode::Unauthenticated);

    // Node signs with issuer kyconnect; we expect another issuer.
    const QJsonObject good
        = node({{QStringLiteral("op"), QStringLiteral("sign")}, {QStringLiteral("payload"), payload}}, m_secret);
    QVERIFY(good.value(QLatin1String("ok")).toBool());
    // Node stamped iat after `now` was read: check against the current time, allowing the
    // second that may have ticked meanwhile.
    const qint64 later = QDateTime::currentSecsSinceEpoch();
    QVERIFY(verifyJwt(good.value(QLatin1String("token")).toString(), m_secret, JwtCheck{kIssuer, later, 2}).has_value());
    QVERIFY(!verifyJwt(good.value(QLatin1String("token")).toString(), m_secret, JwtCheck{QStringLiteral("other"), later, 2})
                 .has_value());
}

QTEST_GUILESS_MAIN(TestJwtInterop)
#include "tst_jwtinterop.moc"

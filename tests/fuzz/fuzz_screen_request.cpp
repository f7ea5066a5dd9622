// libFuzzer target: JSON request validation at the controller level: the bodies of POST /aml/screen and
// POST /aml/screen/batch, as an analyst of a real firm (so the service's own subject and list checks run after
// the controller's), parsed by core/json as the router does. No answer may be a 500.
#include "backend/backend.h"
#include "backend/core/clock.h"
#include "backend/core/config.h"
#include "backend/core/json.h"
#include "backend/http/controllers/controllers.h"
#include "backend/identity/accountservice.h"
#include "tests/fuzz/fuzzsupport.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <cstdio>

namespace {

struct World {
    QTemporaryDir dir;
    kyc::SystemClock clock;
    std::unique_ptr<kyc::Backend> backend;
    kyc::http::Handler screen;
    kyc::http::Handler batch;
    kyc::Actor analyst;
};

World *world()
{
    static World *w = [] {
        auto *out = new World;
        kyc::Config config;
        config.dataDir = out->dir.path();
        auto b = kyc::Backend::open(config, out->clock);
        if (!b)
            qFatal("cannot open a backend: %s", qPrintable(b.error().message));
        out->backend = std::move(*b);
        auto firm = out->backend->accounts().createFirm({QStringLiteral("Fuzz Ltd"),
                                                         QStringLiteral("GB"),
                                                         {},
                                                         QStringLiteral("owner@fuzz.test"),
                                                         QStringLiteral("fuzz fuzz fuzz fuzz"),
                                                         QStringLiteral("Fuzz Owner"),
                                                         {}});
        if (!firm)
            qFatal("cannot create the firm: %s", qPrintable(firm.error().message));
        auto analyst = out->backend->accounts().createUser(kyc::Actor::system(firm->first.id),
                                                           QStringLiteral("analyst@fuzz.test"), QStringLiteral("Ana Lyst"),
                                                           kyc::Role::Analyst, QStringLiteral("fuzz fuzz fuzz fuzz"));
        if (!analyst)
            qFatal("cannot create the analyst: %s", qPrintable(analyst.error().message));
        out->analyst.kind = kyc::Actor::Kind::User;
        out->analyst.firmId = firm->first.id;
        out->analyst.userId = analyst->id;
        out->analyst.role = kyc::Role::Analyst;
        const kyc::http::Controller c = kyc::http::makeScreeningController(out->backend.get());
        for (const kyc::http::Route &r : c.routes) {
            if (r.method == kyc::http::Method::Post && r.path == QStringLiteral("/aml/screen"))
                out->screen = r.handler;
            if (r.method == kyc::http::Method::Post && r.path == QStringLiteral("/aml/screen/batch"))
                out->batch = r.handler;
        }
        if (!out->screen || !out->batch)
            qFatal("the screening routes moved");
        return out;
    }();
    return w;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    (void)world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc;
    auto doc = json::parse(fuzz::bytesOf(data, size));
    if (!doc || !doc->isObject())
        return 0;
    http::ApiRequest r;
    r.method = http::Method::Post;
    r.json = doc->object();
    r.authenticated = true;
    r.actor = world()->analyst;
    const http::ApiResponse screened = world()->screen(r);
    if (screened.status >= 500) {
        std::fprintf(stderr, "POST /aml/screen answered %d: %s\n", screened.status, screened.body.constData());
        __builtin_trap();
    }
    const http::ApiResponse batched = world()->batch(r);
    if (batched.status >= 500) {
        std::fprintf(stderr, "POST /aml/screen/batch answered %d: %s\n", batched.status, batched.body.constData());
        __builtin_trap();
    }
    return 0;
}

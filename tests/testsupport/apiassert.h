#pragma once

// Checks shared by the API tests: an answer's status and, for errors, the contract's body; and a row count.

#include "backend/storage/database.h"
#include "tests/testsupport/rawhttp.h"

#include <QString>
#include <QVariantList>

namespace kyc::test {

// Empty when `r` has `status` and, for errors, the contract's error body: JSON with statusCode (= status), the
// reason phrase as error, message an array of field messages for 400 and a string otherwise, and no SQL or
// source file names; otherwise what is wrong.
[[nodiscard]] QString errorMismatch(const HttpResult &r, int status);

// The field messages of a 400 answer, joined with "; ".
[[nodiscard]] QString messages(const HttpResult &r);

// The first column of the first row of `sql` on this thread's connection; -1 when the query fails.
[[nodiscard]] qint64 count(storage::Database &db, const QString &sql, const QVariantList &binds = {});

// The single-use token of the newest mail to an address (of `kind` when given), read from the .eml drop in
// `dataDir`/outbox (the database keeps no token once a mail is delivered); empty when there is none.
[[nodiscard]] QString mailedToken(storage::Database &db, const QString &dataDir, const QString &to, const QString &kind = {});

} // namespace kyc::test

#define EXPECT(r, status)                                                                                                        \
    do {                                                                                                                         \
        const QString why_ = ::kyc::test::errorMismatch((r), (status));                                                          \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                                              \
    } while (false)

#include "tests/testsupport/rawdb.h"

#include <QDebug>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>

namespace kyc::test {

namespace {
bool run(QSqlQuery &q, const QString &sql, const QVariantList &binds)
{
    if (!q.prepare(sql))
        return false;
    for (const auto &b : binds)
        q.addBindValue(b);
    return q.exec();
}
} // namespace

RawDb::RawDb(const QString &filePath)
    : m_name(QStringLiteral("rawdb-") + QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
    db.setDatabaseName(filePath);
    m_open = db.open();
}

RawDb::~RawDb()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_name);
}

QString RawDb::exec(const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    return run(q, sql, binds) ? QString() : q.lastError().text() + QStringLiteral(" [") + sql + u']';
}

QVariant RawDb::scalar(const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    if (!run(q, sql, binds) || !q.next())
        return {};
    return q.value(0);
}

QStringList RawDb::column(const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    QStringList out;
    if (run(q, sql, binds)) {
        while (q.next())
            out << q.value(0).toString();
    }
    return out;
}

QList<QVariantList> RawDb::rows(const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    QList<QVariantList> out;
    if (!run(q, sql, binds)) {
        qWarning().noquote() << sql << q.lastError().text();
        return out;
    }
    while (q.next()) {
        QVariantList row;
        for (int i = 0; i < q.record().count(); ++i)
            row << q.value(i);
        out << row;
    }
    return out;
}

} // namespace kyc::test

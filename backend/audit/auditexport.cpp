#include "backend/audit/auditexport.h"

#include "backend/core/json.h"

#include <QIODevice>
#include <QJsonDocument>
#include <QSqlError>

namespace kyc::audit {

const QStringList &csvColumns()
{
    static const QStringList cols
        = {QStringLiteral("sequence"),    QStringLiteral("id"),         QStringLiteral("chain"),    QStringLiteral("occurred_at"),
           QStringLiteral("firm_id"),     QStringLiteral("actor_type"), QStringLiteral("actor_id"), QStringLiteral("action"),
           QStringLiteral("entity_type"), QStringLiteral("entity_id"),  QStringLiteral("ip"),       QStringLiteral("details"),
           QStringLiteral("prev_hash"),   QStringLiteral("hash")};
    return cols;
}

QByteArray csvLine(const QStringList &cells)
{
    // RFC 4180: quote a cell holding a comma, quote, CR or LF; double the quotes inside. A cell that
    // starts with a spreadsheet formula character is quoted as well, never altered (hashes must hold).
    QByteArray line;
    bool first = true;
    for (const auto &cell : cells) {
        if (!first)
            line.append(',');
        first = false;
        const QByteArray c = cell.toUtf8();
        const bool quote = c.contains(',') || c.contains('"') || c.contains('\n') || c.contains('\r');
        if (quote) {
            line.append('"');
            line.append(QByteArray(c).replace("\"", "\"\""));
            line.append('"');
        } else {
            line.append(c);
        }
    }
    line.append("\r\n");
    return line;
}

Result<qint64> AuditLog::exportTo(QIODevice &out, const QString &chain, ExportFormat format, const ExportRange &range,
                                  const Progress &progress)
{
    QString where = QStringLiteral(" WHERE chain = ?");
    QVariantList binds{chain};
    if (range.fromSequence) {
        where += QStringLiteral(" AND sequence >= ?");
        binds << *range.fromSequence;
    }
    if (range.toSequence) {
        where += QStringLiteral(" AND sequence <= ?");
        binds << *range.toSequence;
    }
    if (range.from.isValid()) {
        where += QStringLiteral(" AND occurred_at >= ?");
        binds << isoUtc(range.from);
    }
    if (range.to.isValid()) {
        where += QStringLiteral(" AND occurred_at <= ?");
        binds << isoUtc(range.to);
    }
    QSqlDatabase conn = m_db.connection();
    qint64 total = 0;
    {
        QSqlQuery c(conn);
        c.prepare(QStringLiteral("SELECT COUNT(*) FROM audit_events") + where);
        for (const auto &b : binds)
            c.addBindValue(b);
        if (!c.exec() || !c.next())
            return fail(Error::internal(c.lastError().text()));
        total = c.value(0).toLongLong();
    }
    QSqlQuery q(conn);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, chain, sequence, occurred_at, firm_id, actor_type, actor_id, action, entity_type, "
                             "entity_id, ip, details, prev_hash, hash FROM audit_events")
              + where + QStringLiteral(" ORDER BY sequence"));
    for (const auto &b : binds)
        q.addBindValue(b);
    if (!q.exec())
        return fail(Error::internal(q.lastError().text()));

    if (format == ExportFormat::Csv)
        out.write(csvLine(csvColumns()));
    qint64 n = 0;
    auto cell = [&](int i) { return q.value(i).isNull() ? QString() : q.value(i).toString(); };
    while (q.next()) {
        if (format == ExportFormat::Csv) {
            out.write(csvLine({cell(2), cell(0), cell(1), cell(3), cell(4), cell(5), cell(6), cell(7), cell(8), cell(9), cell(10),
                               cell(11), cell(12), cell(13)}));
        } else {
            Event e;
            e.id = cell(0);
            e.chain = cell(1);
            e.sequence = q.value(2).toLongLong();
            e.occurredAt = cell(3);
            e.firmId = cell(4);
            e.actorType = cell(5);
            e.actorId = cell(6);
            e.action = cell(7);
            e.entityType = cell(8);
            e.entityId = cell(9);
            e.ip = cell(10);
            e.details = QJsonDocument::fromJson(cell(11).toUtf8()).object();
            e.prevHash = cell(12);
            e.hash = cell(13);
            QByteArray line = json::canonical(toJson(e));
            line.append('\n');
            out.write(line);
        }
        ++n;
        if (progress && n % 10000 == 0)
            progress(n, total);
    }
    if (progress)
        progress(n, total);
    return n;
}

} // namespace kyc::audit

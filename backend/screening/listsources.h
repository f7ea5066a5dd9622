#pragma once

#include "backend/core/result.h"
#include "backend/screening/importers.h"

#include <QList>
#include <QString>
#include <QUrl>

namespace kyc::screening {

// One file of a list: where it is downloaded from and the name it is saved (and imported) under. The
// OFAC CSV importers recognise their parts by file name, so the name matters.
struct ListSourceUrl {
    QUrl url;
    QString fileName;
};

// Where one list is published.
struct ListSourceConfig {
    QString source; // the list source id of its versions ("ofac_sdn", "un", …)
    QString title;
    ListFormat format = ListFormat::UnXml;
    QList<ListSourceUrl> urls;
    qint64 maxBytes = 0; // per file; 0: the table's
};

// The table of list sources and the download policy (resources/screening/list-sources.json, or the
// file named by KYCONNECT_LIST_SOURCES_FILE, same shape):
//
//   {"max_bytes": 209715200, "timeout_seconds": 120, "attempts": 3, "retry_delay_ms": 2000,
//    "failure_backoff_minutes": 15,
//    "sources": [{"source": "un", "format": "un_xml", "title": "…",
//                 "urls": ["https://…/consolidated.xml"]},
//                {"source": "eu_fsf", "format": "eu_fsf_xml",
//                 "urls": [{"url": "https://…/content?token=…", "file": "eu_fsf.xml"}]}]}
//
// Every top-level setting is optional. A URL given as a string is saved under its path's base name.
struct ListSourceTable {
    QList<ListSourceConfig> sources;
    // Read from KYCONNECT_LIST_SOURCES_FILE: every source is refreshed, even one never imported. The
    // built-in table only refreshes sources that are already loaded.
    bool explicitSources = false;
    qint64 maxBytes = 200LL * 1024 * 1024; // per downloaded file
    int timeoutMs = 120'000; // a request with no data moving for this long is abandoned
    int attempts = 3; // tries per file within one refresh (transient failures only)
    int retryDelayMs = 2'000; // before the second try; doubled for each further one
    int failureBackoffMinutes = 15; // after a failed refresh; doubled per consecutive failure

    [[nodiscard]] const ListSourceConfig *find(const QString &source) const;
};

[[nodiscard]] Result<ListSourceTable> parseListSources(const QByteArray &json);
// The built-in table of official download URLs.
[[nodiscard]] Result<ListSourceTable> defaultListSources();
// A table from a file; its sources are explicit (refreshed before a first import).
[[nodiscard]] Result<ListSourceTable> readListSourcesFile(const QString &path);

} // namespace kyc::screening

#include "ui/screeningpane.h"

#include "backend/backend.h"
#include "backend/screening/listrefresher.h"
#include "models/screeningmodels.h"

#include <QComboBox>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <type_traits>

namespace kyc::ui {

using models::AlertTableModel;
using models::ListTableModel;
using models::MatchTableModel;
using screening::ListRefreshStatus;
using screening::ListVersion;
using screening::MonitoringAlert;
using screening::Screening;

namespace {

// What the Lists tab reads in one trip off the GUI thread.
struct LoadedLists {
    Result<QList<ListVersion>> versions;
    Result<QList<ListRefreshStatus>> status;
};

// The service's message, with the fields it names (validation errors say what to change there).
QString describe(const Error &e)
{
    QStringList fields;
    for (const auto &f : e.fields)
        fields << f.message;
    return fields.isEmpty() ? e.message : e.message + QStringLiteral(": ") + fields.join(QStringLiteral("; "));
}

QString statusLabel(const QString &status)
{
    if (status == QStringLiteral("clear"))
        return ScreeningPane::tr("clear");
    if (status == QStringLiteral("potential_match"))
        return ScreeningPane::tr("potential match");
    if (status == QStringLiteral("confirmed_match"))
        return ScreeningPane::tr("confirmed match");
    if (status == QStringLiteral("false_positive"))
        return ScreeningPane::tr("false positive");
    return status;
}

QString outcomeLabel(const QString &outcome)
{
    if (outcome == QStringLiteral("imported"))
        return ScreeningPane::tr("new version imported");
    if (outcome == QStringLiteral("unchanged"))
        return ScreeningPane::tr("unchanged (same checksum as the serving version)");
    if (outcome == QStringLiteral("not_modified"))
        return ScreeningPane::tr("not modified since the last download");
    if (outcome == QStringLiteral("failed"))
        return ScreeningPane::tr("refresh failed");
    if (outcome == QStringLiteral("interrupted"))
        return ScreeningPane::tr("refresh interrupted");
    return outcome;
}

QString summary(const Screening &s)
{
    QStringList lists;
    for (const auto &v : s.lists) {
        const QJsonObject l = v.toObject();
        const QString date = l.value(QStringLiteral("publication_date")).toString();
        const QString source = l.value(QStringLiteral("source")).toString();
        lists << (date.isEmpty() ? source : QStringLiteral("%1 (%2)").arg(source, date));
    }
    const QString name = s.subject.value(QStringLiteral("name")).toString();
    const QString against = lists.isEmpty() ? ScreeningPane::tr("no list loaded") : lists.join(QStringLiteral(", "));
    QString text = s.matches.isEmpty()
        ? ScreeningPane::tr("No match: %1 is clear against %2.").arg(name, against)
        : ScreeningPane::tr("%n match(es) for %1 against %2 — status: %3.", nullptr, int(s.matches.size()))
              .arg(name, against, statusLabel(s.status));
    if (s.suppressed > 0)
        text += u' ' + ScreeningPane::tr("%n hit(s) hidden: resolved as false positive before.", nullptr, s.suppressed);
    return text;
}

} // namespace

ScreeningPane::ScreeningPane(Backend &backend, Actor actor, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_actor(std::move(actor))
    , m_chooser(std::make_unique<DialogImportChooser>(m_actor.kind == Actor::Kind::System || m_actor.platformAdmin
                                                          ? ImportScope::OfficialAllowed
                                                          : ImportScope::FirmListsOnly))
    , m_matchModel(new MatchTableModel(this))
    , m_listModel(new ListTableModel(this))
    , m_alertModel(new AlertTableModel(this))
{
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("screeningTabs"));
    m_tabs->addTab(buildScreenTab(), tr("&Screen"));
    m_tabs->addTab(buildListsTab(), tr("&Lists"));
    m_tabs->addTab(buildAlertsTab(), tr("Monitoring &alerts"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);

    connect(this, &ScreeningPane::importProgress, this, &ScreeningPane::showImportProgress, Qt::QueuedConnection);
    // Emitted on the refresher's thread (a refresh asked for here, or a scheduled one): queued to this one.
    connect(&m_backend.listRefresher(), &screening::ListRefresher::refreshed, this, &ScreeningPane::onRefreshed,
            Qt::QueuedConnection);
    connect(m_alertModel, &AlertTableModel::fetchRequested, this, &ScreeningPane::fetchAlertPage);

    if (!hasFirm()) {
        // The window has no sign-in yet; screenings, resolutions and alerts belong to a firm.
        const QString notice = tr("Screening needs a firm: this window acts without a signed-in firm user, so only the "
                                  "lists can be managed here.");
        for (QWidget *w :
             std::initializer_list<QWidget *>{m_name, m_type, m_birthDate, m_country, m_screenButton, m_reason, m_alertFilter})
            w->setEnabled(false);
        m_screenStatus->setText(notice);
        m_alertsStatus->setText(notice);
    }
    updateResolveButtons();
    reloadLists();
    reloadAlerts();
}

ScreeningPane::~ScreeningPane()
{
    for (auto &f : m_running)
        f.waitForFinished();
}

template <typename Work, typename Done>
void ScreeningPane::run(Work work, Done done)
{
    using T = std::invoke_result_t<Work>;
    // The watcher is a child of the pane: once the pane is gone, `done` is never called.
    auto *watcher = new QFutureWatcher<T>(this);
    connect(watcher, &QFutureWatcher<T>::finished, this, [watcher, done = std::move(done)]() mutable {
        watcher->deleteLater();
        done(watcher->result());
    });
    QFuture<T> future = QtConcurrent::run(std::move(work));
    m_running.removeIf([](const QFuture<void> &f) { return f.isFinished(); });
    m_running.append(QFuture<void>(future));
    watcher->setFuture(future);
}

// --- Screen ------------------------------------------------------------------------------------------

QWidget *ScreeningPane::buildScreenTab()
{
    auto *tab = new QWidget;
    m_name = new QLineEdit(tab);
    m_name->setObjectName(QStringLiteral("subjectName"));
    m_name->setPlaceholderText(tr("Full name of the person or company"));
    m_name->setClearButtonEnabled(true);
    m_type = new QComboBox(tab);
    m_type->setObjectName(QStringLiteral("subjectType"));
    m_type->addItem(tr("Person"), int(screening::EntityType::Person));
    m_type->addItem(tr("Organization"), int(screening::EntityType::Organization));
    m_birthDate = new QLineEdit(tab);
    m_birthDate->setObjectName(QStringLiteral("birthDate"));
    m_birthDate->setPlaceholderText(tr("YYYY[-MM[-DD]]"));
    m_birthDate->setToolTip(tr("Optional birth date: YYYY, YYYY-MM or YYYY-MM-DD"));
    m_birthDate->setMaxLength(10);
    m_country = new QLineEdit(tab);
    m_country->setObjectName(QStringLiteral("country"));
    m_country->setPlaceholderText(tr("e.g. GB"));
    m_country->setToolTip(tr("Optional country: ISO 3166-1 alpha-2 code"));
    m_country->setMaxLength(2);
    m_country->setMaximumWidth(m_country->fontMetrics().horizontalAdvance(QStringLiteral("MMMMMM")));
    m_screenButton = new QPushButton(tr("Screen"), tab);
    m_screenButton->setObjectName(QStringLiteral("screenButton"));
    m_screenButton->setDefault(true);
    m_screenStatus = new QLabel(tab);
    m_screenStatus->setObjectName(QStringLiteral("screenStatus"));
    m_screenStatus->setWordWrap(true);
    m_screenStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);

    for (QLineEdit *e : {m_name, m_birthDate, m_country})
        connect(e, &QLineEdit::returnPressed, this, &ScreeningPane::screen);
    connect(m_screenButton, &QPushButton::clicked, this, &ScreeningPane::screen);

    auto *subject = new QHBoxLayout;
    const auto labelled = [&](const QString &text, QWidget *field, int stretch) {
        auto *label = new QLabel(text, tab);
        label->setBuddy(field);
        subject->addWidget(label);
        subject->addWidget(field, stretch);
    };
    labelled(tr("&Name:"), m_name, 3);
    labelled(tr("&Type:"), m_type, 0);
    labelled(tr("&Born:"), m_birthDate, 1);
    labelled(tr("&Country:"), m_country, 0);
    subject->addWidget(m_screenButton);

    m_matchView = new QTableView(tab);
    m_matchView->setObjectName(QStringLiteral("matches"));
    m_matchView->setModel(m_matchModel);
    m_matchView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_matchView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_matchView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_matchView->verticalHeader()->hide();
    m_matchView->horizontalHeader()->setStretchLastSection(true);
    m_matchView->setSortingEnabled(true);
    m_matchView->sortByColumn(MatchTableModel::Score, Qt::DescendingOrder);
    connect(m_matchView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ScreeningPane::showSelectedMatch);

    m_explanation = new QTextBrowser(tab);
    m_explanation->setObjectName(QStringLiteral("explanation"));
    m_explanation->setOpenLinks(false);
    m_reason = new QLineEdit(tab);
    m_reason->setObjectName(QStringLiteral("reason"));
    m_reason->setPlaceholderText(tr("Reason for the decision (required)"));
    m_truePositive = new QPushButton(tr("Confirm match"), tab);
    m_truePositive->setObjectName(QStringLiteral("truePositiveButton"));
    m_truePositive->setToolTip(tr("Resolve as a true positive: the subject is the listed party."));
    m_falsePositive = new QPushButton(tr("False positive"), tab);
    m_falsePositive->setObjectName(QStringLiteral("falsePositiveButton"));
    m_falsePositive->setToolTip(tr("Resolve as a false positive: remembered, so this entry no longer matches this subject "
                                   "unless the listing changes."));
    m_resolveMessage = new QLabel(tab);
    m_resolveMessage->setObjectName(QStringLiteral("resolveMessage"));
    m_resolveMessage->setWordWrap(true);
    connect(m_truePositive, &QPushButton::clicked, this, [this] { resolveSelected(Resolution::TruePositive); });
    connect(m_falsePositive, &QPushButton::clicked, this, [this] { resolveSelected(Resolution::FalsePositive); });

    auto *resolveBar = new QHBoxLayout;
    resolveBar->addWidget(m_reason, 1);
    resolveBar->addWidget(m_truePositive);
    resolveBar->addWidget(m_falsePositive);
    auto *detail = new QWidget(tab);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(m_explanation, 1);
    detailLayout->addLayout(resolveBar);
    detailLayout->addWidget(m_resolveMessage);

    auto *splitter = new QSplitter(Qt::Horizontal, tab);
    splitter->addWidget(m_matchView);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(subject);
    layout->addWidget(m_screenStatus);
    layout->addWidget(splitter, 1);
    return tab;
}

QString ScreeningPane::screenStatusText() const
{
    return m_screenStatus->text();
}

QString ScreeningPane::resolveMessage() const
{
    return m_resolveMessage->text();
}

QString ScreeningPane::explanationText() const
{
    return m_explanation->toPlainText();
}

void ScreeningPane::screen()
{
    if (!hasFirm() || !m_screenButton->isEnabled())
        return; // one screening at a time from the form
    screening::ScreenInput in;
    in.name = m_name->text().simplified();
    in.type = screening::EntityType(m_type->currentData().toInt());
    in.birthDate = m_birthDate->text().trimmed();
    in.country = m_country->text().trimmed().toUpper();
    m_screenButton->setEnabled(false);
    m_screenStatus->setText(tr("Screening %1…").arg(in.name));
    auto &service = m_backend.screening();
    run([&service, actor = m_actor, in] { return service.screen(actor, in); },
        [this](const Result<Screening> &r) {
            m_screenButton->setEnabled(true);
            if (!r) {
                m_screenStatus->setText(tr("Not screened: %1").arg(describe(r.error())));
                emit screened(false);
                return;
            }
            showScreening(*r);
            emit screened(true);
        });
}

void ScreeningPane::showScreening(const Screening &s, const QString &selectMatchId)
{
    m_current = s;
    m_matchModel->setMatches(s.matches);
    m_matchView->resizeColumnsToContents();
    m_screenStatus->setText(summary(s));
    m_resolveMessage->clear();
    const int row = selectMatchId.isEmpty() ? 0 : m_matchModel->rowOf(selectMatchId);
    if (row >= 0 && row < m_matchModel->rowCount())
        m_matchView->selectRow(row);
    showSelectedMatch();
}

QString ScreeningPane::selectedMatchId() const
{
    const QModelIndexList rows = m_matchView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return m_matchModel->matchAt(rows.first().row()).id;
}

void ScreeningPane::showSelectedMatch()
{
    const int row = m_matchModel->rowOf(selectedMatchId());
    if (row < 0) {
        m_explanation->setHtml(QStringLiteral("<p>%1</p>").arg(tr("Select a match to see why it matched.").toHtmlEscaped()));
    } else {
        m_explanation->setHtml(MatchTableModel::explanationHtml(m_matchModel->matchAt(row)));
    }
    updateResolveButtons();
}

void ScreeningPane::updateResolveButtons()
{
    const int row = m_matchModel->rowOf(selectedMatchId());
    const bool open = hasFirm() && !m_resolving && row >= 0 && m_matchModel->matchAt(row).resolution.isEmpty();
    m_truePositive->setEnabled(open);
    m_falsePositive->setEnabled(open);
}

void ScreeningPane::resolveSelected(Resolution resolution)
{
    const QString matchId = selectedMatchId();
    const QString screeningId = m_current.id;
    if (matchId.isEmpty() || screeningId.isEmpty()) {
        m_resolveMessage->setText(tr("Select a match to resolve first."));
        emit resolved(false);
        return;
    }
    const QString code
        = resolution == Resolution::TruePositive ? QStringLiteral("true_positive") : QStringLiteral("false_positive");
    m_resolving = true;
    updateResolveButtons();
    m_resolveMessage->setText(tr("Resolving…"));
    auto &service = m_backend.screening();
    run([&service, actor = m_actor, screeningId, matchId, code,
         reason = m_reason->text()] { return service.resolve(actor, screeningId, matchId, code, reason); },
        [this, screeningId, matchId, resolution](const Result<Screening> &r) {
            m_resolving = false;
            if (!r) {
                m_resolveMessage->setText(tr("Not resolved: %1").arg(describe(r.error())));
                updateResolveButtons();
                emit resolved(false);
                return;
            }
            if (m_current.id == screeningId) {
                m_current = *r;
                for (const auto &m : r->matches)
                    m_matchModel->updateMatch(m);
                m_screenStatus->setText(summary(*r));
            }
            m_reason->clear();
            m_resolveMessage->setText(resolution == Resolution::TruePositive ? tr("Resolved as a true positive.")
                                                                             : tr("Resolved as a false positive."));
            showSelectedMatch();
            reloadAlerts(); // an alert is open until its match is resolved
            emit resolved(true);
        });
}

// --- Lists -------------------------------------------------------------------------------------------

QWidget *ScreeningPane::buildListsTab()
{
    auto *tab = new QWidget;
    m_importButton = new QPushButton(tr("Import list…"), tab);
    m_importButton->setObjectName(QStringLiteral("importButton"));
    auto *reload = new QPushButton(tr("Reload"), tab);
    m_refreshSource = new QComboBox(tab);
    m_refreshSource->setObjectName(QStringLiteral("refreshSource"));
    m_refreshSource->setToolTip(tr("Sources with an official download URL"));
    m_refreshSource->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_refreshButton = new QPushButton(tr("Refresh now"), tab);
    m_refreshButton->setObjectName(QStringLiteral("refreshButton"));
    m_refreshButton->setEnabled(false);
    m_importProgress = new QProgressBar(tab);
    m_importProgress->setObjectName(QStringLiteral("importProgress"));
    m_importProgress->setVisible(false);
    m_importResult = new QLabel(tab);
    m_importResult->setObjectName(QStringLiteral("importResult"));
    m_importResult->setWordWrap(true);
    m_importResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_listsStatus = new QLabel(tab);
    m_listsStatus->setObjectName(QStringLiteral("listsStatus"));
    m_listsStatus->setWordWrap(true);

    m_listView = new QTableView(tab);
    m_listView->setObjectName(QStringLiteral("lists"));
    m_listView->setModel(m_listModel);
    m_listView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_listView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_listView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_listView->verticalHeader()->hide();
    m_listView->horizontalHeader()->setStretchLastSection(true);

    connect(m_importButton, &QPushButton::clicked, this, &ScreeningPane::chooseAndImport);
    connect(reload, &QPushButton::clicked, this, &ScreeningPane::reloadLists);
    connect(m_refreshButton, &QPushButton::clicked, this, [this] { refreshSource(m_refreshSource->currentData().toString()); });
    // Selecting a refreshable list picks it for "Refresh now".
    connect(m_listView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
        if (current.isValid()) {
            if (const int i = m_refreshSource->findData(m_listModel->rowAt(current.row()).source); i >= 0)
                m_refreshSource->setCurrentIndex(i);
        }
    });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_importButton);
    bar->addWidget(reload);
    bar->addStretch(1);
    bar->addWidget(new QLabel(tr("Official source:"), tab));
    bar->addWidget(m_refreshSource);
    bar->addWidget(m_refreshButton);
    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(bar);
    layout->addWidget(m_importProgress);
    layout->addWidget(m_importResult);
    layout->addWidget(m_listView, 1);
    layout->addWidget(m_listsStatus);
    return tab;
}

QString ScreeningPane::importResultText() const
{
    return m_importResult->text();
}

void ScreeningPane::reloadLists()
{
    const quint64 generation = ++m_listGeneration;
    auto &service = m_backend.screening();
    auto &refresher = m_backend.listRefresher();
    run(
        [&service, &refresher, actor = m_actor] {
            return LoadedLists{service.lists(actor), refresher.status()};
        },
        [this, generation](const LoadedLists &loaded) {
            if (generation != m_listGeneration)
                return; // a later reload is on its way
            if (!loaded.versions) {
                m_listsStatus->setText(tr("The lists could not be read: %1").arg(describe(loaded.versions.error())));
                emit listsReloaded(false);
                return;
            }
            const QList<ListRefreshStatus> statuses = loaded.status ? *loaded.status : QList<ListRefreshStatus>{};
            m_listModel->setRows(models::mergeListRows(*loaded.versions, statuses));
            m_listView->resizeColumnsToContents();

            const QString chosen = m_refreshSource->currentData().toString();
            m_refreshSource->clear();
            for (const auto &s : statuses) {
                if (!s.urls.isEmpty())
                    m_refreshSource->addItem(s.title.isEmpty() ? s.source : QStringLiteral("%1 — %2").arg(s.source, s.title),
                                             s.source);
            }
            if (const int i = m_refreshSource->findData(chosen); i >= 0)
                m_refreshSource->setCurrentIndex(i);
            m_refreshButton->setEnabled(m_refreshSource->count() > 0 && !m_refreshing);

            qint64 entities = 0;
            for (const auto &v : *loaded.versions)
                entities += v.entityCount;
            QStringList stale, failing;
            for (const auto &s : statuses) {
                if (s.stale)
                    stale << s.source;
                if (s.loaded && s.failing)
                    failing << tr("%1 (next retry %2)")
                                   .arg(s.source, s.nextAttemptAt.isEmpty() ? tr("not scheduled") : s.nextAttemptAt);
            }
            QString text = tr("%n list(s) loaded, %1 entities.", nullptr, int(loaded.versions->size())).arg(entities);
            if (!stale.isEmpty())
                text += u' ' + tr("Stale: %1.").arg(stale.join(QStringLiteral(", ")));
            if (!failing.isEmpty()) // a failing refresh is never shown as current
                text += u' ' + tr("Refresh failing: %1.").arg(failing.join(QStringLiteral(", ")));
            if (!loaded.status)
                text += u' ' + tr("Refresh status unavailable: %1").arg(describe(loaded.status.error()));
            m_listsStatus->setText(text);
            emit listsReloaded(true);
        });
}

void ScreeningPane::setImportChooser(std::unique_ptr<ImportChooser> chooser)
{
    m_chooser = std::move(chooser);
}

void ScreeningPane::chooseAndImport()
{
    if (m_importing || !m_chooser)
        return;
    if (const auto request = m_chooser->choose(this))
        importList(request->format, request->files, request->source);
}

bool ScreeningPane::importList(const QString &format, const QStringList &files, const QString &source)
{
    if (m_importing) {
        m_importResult->setText(tr("An import is already running."));
        return false;
    }
    m_importing = true;
    m_importButton->setEnabled(false);
    m_importProgress->setRange(0, 0); // busy until the first figures arrive
    m_importProgress->setVisible(true);
    m_importResult->setToolTip(QString());
    m_importResult->setText(tr("Importing %1…").arg(source.isEmpty() ? format : source));
    auto &service = m_backend.screening();
    ScreeningPane *self = this; // alive until this import ends: the destructor waits for it
    run(
        [&service, actor = m_actor, format, files, source, self] {
            return service.importList(actor, format, files, source,
                                      [self](qint64 done, qint64 total) { emit self->importProgress(done, total); });
        },
        [this](const Result<ListVersion> &r) {
            m_importing = false;
            m_importButton->setEnabled(true);
            m_importProgress->setVisible(false);
            if (!r) {
                m_importResult->setText(tr("Import failed: %1").arg(describe(r.error())));
                emit importFinished(false);
                return;
            }
            const ListVersion &v = *r;
            QString text = tr("Imported %1 version %2 (%3, published %4): %5 entities, %6 names; changes since the previous "
                              "version: %7 added, %8 changed, %9 removed.")
                               .arg(v.source)
                               .arg(v.version)
                               .arg(v.format, v.publicationDate.isEmpty() ? tr("date unknown") : v.publicationDate)
                               .arg(v.entityCount)
                               .arg(v.nameCount)
                               .arg(v.added)
                               .arg(v.changed)
                               .arg(v.removed);
            text += u' ' + tr("%n problem(s) in the files.", nullptr, int(v.problemCount));
            text += u' ' + tr("%n monitoring alert(s) raised.", nullptr, int(v.alerts));
            m_importResult->setText(text);
            QStringList problems;
            for (qsizetype i = 0; i < v.problems.size() && i < 20; ++i) {
                const QJsonObject p = v.problems.at(i).toObject();
                problems << tr("line %1: %2")
                                .arg(p.value(QStringLiteral("line")).toInteger())
                                .arg(p.value(QStringLiteral("message")).toString());
            }
            m_importResult->setToolTip(problems.join(u'\n'));
            reloadLists();
            reloadAlerts();
            emit importFinished(true);
        });
    return true;
}

void ScreeningPane::showImportProgress(qint64 done, qint64 total)
{
    if (!m_importing)
        return; // a late report of an import that already ended
    if (total <= 0) {
        m_importProgress->setRange(0, 0);
        return;
    }
    // Per mille: byte counts overflow an int for files over 2 GiB.
    m_importProgress->setRange(0, 1000);
    m_importProgress->setValue(int(std::clamp<qint64>(done, 0, total) * 1000 / total));
}

void ScreeningPane::refreshSource(const QString &source)
{
    if (source.isEmpty())
        return;
    // Only queues the work (the refresher has its own thread), so the GUI thread may call it.
    if (auto s = m_backend.listRefresher().refreshLater(m_actor, source); !s) {
        m_importResult->setText(s.error().message);
        return;
    }
    m_refreshing = true;
    m_refreshButton->setEnabled(false);
    m_importResult->setToolTip(QString());
    m_importResult->setText(tr("Refreshing %1 from its official URL…").arg(source));
}

void ScreeningPane::onRefreshed(const QString &source, const QString &outcome, const QString &detail)
{
    m_refreshing = false;
    m_refreshButton->setEnabled(m_refreshSource->count() > 0);
    if (!m_importing) {
        const QString text = tr("%1: %2").arg(source, outcomeLabel(outcome));
        m_importResult->setText(detail.isEmpty() ? text : tr("%1 — %2").arg(text, detail));
    }
    reloadLists();
    if (outcome == QStringLiteral("imported"))
        reloadAlerts();
    emit refreshFinished(source, outcome);
}

// --- Alerts ------------------------------------------------------------------------------------------

QWidget *ScreeningPane::buildAlertsTab()
{
    auto *tab = new QWidget;
    m_alertFilter = new QComboBox(tab);
    m_alertFilter->setObjectName(QStringLiteral("alertFilter"));
    m_alertFilter->addItem(tr("Open"), QStringLiteral("open"));
    m_alertFilter->addItem(tr("Resolved"), QStringLiteral("resolved"));
    m_alertFilter->addItem(tr("All"), QString());
    auto *reload = new QPushButton(tr("Reload"), tab);
    m_alertsStatus = new QLabel(tab);
    m_alertsStatus->setObjectName(QStringLiteral("alertsStatus"));
    m_alertsStatus->setWordWrap(true);

    m_alertView = new QTableView(tab);
    m_alertView->setObjectName(QStringLiteral("alerts"));
    m_alertView->setModel(m_alertModel);
    m_alertView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_alertView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_alertView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_alertView->verticalHeader()->hide();
    m_alertView->horizontalHeader()->setStretchLastSection(true);
    m_alertView->setToolTip(tr("Double-click an alert to open its screening."));

    connect(m_alertFilter, &QComboBox::currentIndexChanged, this, &ScreeningPane::reloadAlerts);
    connect(reload, &QPushButton::clicked, this, &ScreeningPane::reloadAlerts);
    connect(m_alertView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) { openAlert(index.row()); });

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Show:"), tab));
    bar->addWidget(m_alertFilter);
    bar->addWidget(reload);
    bar->addWidget(m_alertsStatus, 1);
    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(bar);
    layout->addWidget(m_alertView, 1);
    return tab;
}

void ScreeningPane::reloadAlerts()
{
    if (!hasFirm()) {
        emit alertsReloaded(false);
        return;
    }
    const quint64 generation = ++m_alertGeneration;
    screening::AlertFilter filter;
    filter.status = m_alertFilter->currentData().toString();
    auto &service = m_backend.screening();
    run(
        [&service, actor = m_actor, filter] {
            return service.alerts(actor, filter, PageRequest{1, AlertTableModel::kPageSize});
        },
        [this, generation](const Result<Page<MonitoringAlert>> &r) {
            if (generation != m_alertGeneration)
                return;
            if (!r) {
                m_alertsStatus->setText(tr("The alerts could not be read: %1").arg(describe(r.error())));
                emit alertsReloaded(false);
                return;
            }
            m_alertModel->setFirstPage(*r);
            m_alertView->resizeColumnsToContents();
            m_alertsStatus->setText(tr("%n alert(s).", nullptr, int(r->total)));
            emit alertsReloaded(true);
        });
}

void ScreeningPane::fetchAlertPage(int page)
{
    const quint64 generation = m_alertGeneration;
    screening::AlertFilter filter;
    filter.status = m_alertFilter->currentData().toString();
    auto &service = m_backend.screening();
    run(
        [&service, actor = m_actor, filter, page] {
            return service.alerts(actor, filter, PageRequest{page, AlertTableModel::kPageSize});
        },
        [this, generation](const Result<Page<MonitoringAlert>> &r) {
            if (generation != m_alertGeneration)
                return; // the filter changed: setFirstPage() started over
            if (r)
                m_alertModel->appendPage(*r);
            else
                m_alertModel->fetchFailed();
        });
}

void ScreeningPane::openAlert(int row)
{
    if (row < 0 || row >= m_alertModel->rowCount())
        return;
    const MonitoringAlert alert = m_alertModel->alertAt(row);
    auto &service = m_backend.screening();
    run([&service, actor = m_actor, id = alert.screeningId] { return service.screening(actor, id); },
        [this, matchId = alert.matchId](const Result<Screening> &r) {
            if (!r) {
                m_alertsStatus->setText(tr("The screening could not be opened: %1").arg(describe(r.error())));
                emit alertOpened(false);
                return;
            }
            showScreening(*r, matchId);
            m_tabs->setCurrentIndex(0);
            emit alertOpened(true);
        });
}

} // namespace kyc::ui

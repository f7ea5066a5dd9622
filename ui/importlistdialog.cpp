#include "ui/importlistdialog.h"

#include "backend/screening/import_tabular.h"
#include "backend/screening/importers.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

namespace kyc::ui {

namespace {

// A combo entry's data: the format name and, for the tabular mappings, the source id.
QStringList entryData(const QString &format, const QString &source = {})
{
    return {format, source};
}

} // namespace

std::optional<ImportRequest> DialogImportChooser::choose(QWidget *parent)
{
    ImportListDialog dialog(parent, m_scope);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return dialog.request();
}

ImportListDialog::ImportListDialog(QWidget *parent, ImportScope scope)
    : QDialog(parent)
    , m_format(new QComboBox(this))
    , m_target(new QComboBox(this))
    , m_name(new QLineEdit(QStringLiteral("watchlist"), this))
    , m_hint(new QLabel(this))
    , m_files(new QListWidget(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Import list"));
    using screening::ListFormat;
    const std::pair<ListFormat, QString> formats[] = {
        {ListFormat::UnXml, tr("UN Security Council consolidated list (XML)")},
        {ListFormat::OfacSdnCsv, tr("OFAC SDN list (legacy CSV set: sdn.csv, add, alt, comments)")},
        {ListFormat::OfacConsCsv, tr("OFAC consolidated non-SDN list (legacy CSV set: cons_prim.csv, …)")},
        {ListFormat::EuFsfXml, tr("EU financial sanctions file (FSF XML)")},
        {ListFormat::UkXml, tr("UK sanctions list (XML)")},
        {ListFormat::BisDplTxt, tr("US BIS Denied Persons List (text)")},
        {ListFormat::CslCsv, tr("US Consolidated Screening List (CSV)")},
        {ListFormat::FtmJson, tr("OpenSanctions / FollowTheMoney entities (JSON)")},
    };
    for (const auto &[format, title] : formats)
        m_format->addItem(tr("%1 — %2").arg(title, screening::formatName(format)), entryData(screening::formatName(format)));
    m_format->insertSeparator(m_format->count());
    for (const auto &t : screening::tabularSources()) {
        const QString kind = t.category == QStringLiteral("pep") ? tr("PEP") : tr("Adverse media");
        m_format->addItem(tr("%1: %2 — %3").arg(kind, t.title, t.id), entryData(QStringLiteral("tabular"), t.id));
    }
    m_hint->setWordWrap(true);
    // A firm's own list (its watchlist, its blocklist) is seen only by the firm; official lists are shared by
    // every firm and only a platform admin replaces them.
    m_target->addItem(tr("This firm's own list (only this firm sees it)"), false);
    if (scope == ImportScope::OfficialAllowed)
        m_target->addItem(tr("Official list for every firm (platform admin)"), true);
    m_target->setObjectName(QStringLiteral("importTarget"));
    m_name->setObjectName(QStringLiteral("firmListName"));
    m_name->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[a-z0-9_]{1,48}")), m_name));
    m_name->setPlaceholderText(tr("e.g. watchlist"));
    connect(m_target, &QComboBox::currentIndexChanged, this, &ImportListDialog::updateState);
    connect(m_name, &QLineEdit::textChanged, this, &ImportListDialog::updateState);

    auto *add = new QPushButton(tr("Add files…"), this);
    auto *remove = new QPushButton(tr("Remove"), this);
    connect(add, &QPushButton::clicked, this, &ImportListDialog::addFiles);
    connect(remove, &QPushButton::clicked, this, &ImportListDialog::removeSelectedFiles);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ImportListDialog::updateState);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_files->setSelectionMode(QAbstractItemView::ExtendedSelection);

    auto *fileButtons = new QVBoxLayout;
    fileButtons->addWidget(add);
    fileButtons->addWidget(remove);
    fileButtons->addStretch(1);
    auto *files = new QHBoxLayout;
    files->addWidget(m_files, 1);
    files->addLayout(fileButtons);
    auto *form = new QFormLayout;
    form->addRow(tr("Import as:"), m_target);
    form->addRow(tr("List name: firm:"), m_name);
    form->addRow(tr("Format or mapping:"), m_format);
    form->addRow(QString(), m_hint);
    form->addRow(tr("Files:"), files);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_buttons);
    resize(640, 360);
    updateState();
}

ImportRequest ImportListDialog::request() const
{
    const QStringList entry = m_format->currentData().toStringList();
    ImportRequest r;
    r.format = entry.value(0);
    r.source = entry.value(1);
    if (!m_target->currentData().toBool()) {
        // The firm's own list: named firm:<name>; a tabular one keeps its mapping in the format.
        if (r.format == QStringLiteral("tabular"))
            r.format = QStringLiteral("tabular:") + r.source;
        r.source = QStringLiteral("firm:") + m_name->text();
    }
    for (int i = 0; i < m_files->count(); ++i)
        r.files << m_files->item(i)->text();
    return r;
}

void ImportListDialog::setTarget(bool official, const QString &firmListName)
{
    const int i = m_target->findData(official);
    if (i >= 0)
        m_target->setCurrentIndex(i);
    if (!firmListName.isEmpty())
        m_name->setText(firmListName);
    updateState();
}

bool ImportListDialog::selectFormat(const QString &format, const QString &source)
{
    const int i = m_format->findData(entryData(format, source));
    if (i < 0)
        return false;
    m_format->setCurrentIndex(i);
    return true;
}

void ImportListDialog::setFiles(const QStringList &files)
{
    m_files->clear();
    m_files->addItems(files);
    updateState();
}

void ImportListDialog::addFiles()
{
    const QString start
        = m_files->count() ? QFileInfo(m_files->item(m_files->count() - 1)->text()).absolutePath() : QDir::homePath();
    const QStringList picked = QFileDialog::getOpenFileNames(
        this, tr("Files of the list"), start,
        tr("List files (*.xml *.csv *.tsv *.txt *.json *.jsonl *.ndjson *.yaml *.yml);;All files (*)"));
    for (const auto &f : picked) {
        if (m_files->findItems(f, Qt::MatchExactly).isEmpty())
            m_files->addItem(f);
    }
    updateState();
}

void ImportListDialog::removeSelectedFiles()
{
    qDeleteAll(m_files->selectedItems());
    updateState();
}

void ImportListDialog::updateState()
{
    const QStringList entry = m_format->currentData().toStringList();
    if (entry.value(0) == QStringLiteral("tabular")) {
        QStringList names;
        if (const auto t = screening::tabularSource(entry.value(1))) {
            for (const auto &f : t->defaultFiles)
                names << QFileInfo(f).fileName();
        }
        m_hint->setText(names.isEmpty() ? QString() : tr("The mapping reads: %1").arg(names.join(QStringLiteral(", "))));
    } else if (entry.value(0).startsWith(QLatin1String("ofac_"))) {
        m_hint->setText(tr("Select every file of the set; they are recognised by name."));
    } else {
        m_hint->clear();
    }
    const bool firmList = !m_target->currentData().toBool();
    m_name->setEnabled(firmList);
    m_buttons->button(QDialogButtonBox::Ok)
        ->setEnabled(m_files->count() > 0 && !entry.value(0).isEmpty() && (!firmList || m_name->hasAcceptableInput()));
}

} // namespace kyc::ui

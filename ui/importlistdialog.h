#pragma once

#include <QDialog>
#include <QStringList>

#include <optional>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;

namespace kyc::ui {

// What to import: a list format name (un_xml, ofac_sdn_csv, …) with its files, or "tabular" with the id of
// a shipped PEP or adverse-media mapping as the source. A firm's own list has a "firm:<name>" source (and a
// tabular one the format "tabular:<mapping>").
struct ImportRequest {
    QString format;
    QString source;
    QStringList files;
};

// How the Screening pane asks what to import. The pane owns one; tests that go through the "Import list…"
// action inject their own instead of driving a modal dialog.
class ImportChooser
{
public:
    virtual ~ImportChooser() = default;
    [[nodiscard]] virtual std::optional<ImportRequest> choose(QWidget *parent) = 0;
};

// Whom the dialog imports for: official lists are the platform's (platform admins only); everybody else
// imports the firm's own lists.
enum class ImportScope { FirmListsOnly, OfficialAllowed };

// The default chooser: ImportListDialog, run modally.
class DialogImportChooser final : public ImportChooser
{
public:
    explicit DialogImportChooser(ImportScope scope = ImportScope::FirmListsOnly)
        : m_scope(scope)
    {
    }
    [[nodiscard]] std::optional<ImportRequest> choose(QWidget *parent) override;

private:
    ImportScope m_scope;
};

// A format (or PEP/adverse-media mapping) and the files to read with it (picked with QFileDialog).
class ImportListDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImportListDialog)
public:
    explicit ImportListDialog(QWidget *parent = nullptr, ImportScope scope = ImportScope::FirmListsOnly);

    [[nodiscard]] ImportRequest request() const;
    // The firm list's name after "firm:" (lower-case letters, digits, '_'); imports as an official list when
    // the scope allows it and `official` is set.
    void setTarget(bool official, const QString &firmListName = {});
    // Selects the entry of that format (and, for "tabular", that source); false when there is none.
    bool selectFormat(const QString &format, const QString &source = {});
    void setFiles(const QStringList &files);

private:
    void addFiles();
    void removeSelectedFiles();
    void updateState();

    QComboBox *m_format;
    QComboBox *m_target;
    QLineEdit *m_name;
    QLabel *m_hint;
    QListWidget *m_files;
    QDialogButtonBox *m_buttons;
};

} // namespace kyc::ui

// The module rules of ARCHITECTURE.md, checked on the sources: the domain stays free of GUI and
// HTTP-server code, and the GUI never reaches into the HTTP adapter.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QtTest>

namespace {

struct Include {
    QString file; // relative to the source tree
    int line = 0;
    QString header; // as written between <> or ""
};

QString sourceRoot()
{
    return QDir(QStringLiteral(KYC_SOURCE_DIR)).absolutePath();
}

// Every #include of every *.h / *.cpp below `dir` (relative to the source tree).
QList<Include> includesUnder(const QString &dir, int *fileCount = nullptr)
{
    static const QRegularExpression includeLine(QStringLiteral("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]"));
    const QDir root(sourceRoot());
    QList<Include> out;
    int files = 0;
    QDirIterator it(root.filePath(dir), {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
            continue;
        ++files;
        const QString rel = root.relativeFilePath(path);
        int n = 0;
        while (!f.atEnd()) {
            ++n;
            const QString text = QString::fromUtf8(f.readLine());
            const auto m = includeLine.match(text);
            if (m.hasMatch())
                out.append({rel, n, m.captured(1).trimmed()});
        }
    }
    if (fileCount)
        *fileCount = files;
    return out;
}

// Headers of QtGui and QtWidgets that code might include by class name.
const QStringList &guiAndWidgetsClasses()
{
    static const QStringList names{
        // QtWidgets
        QStringLiteral("QAbstractButton"),
        QStringLiteral("QAbstractItemDelegate"),
        QStringLiteral("QAbstractItemView"),
        QStringLiteral("QAbstractScrollArea"),
        QStringLiteral("QAbstractSlider"),
        QStringLiteral("QAbstractSpinBox"),
        QStringLiteral("QApplication"),
        QStringLiteral("QBoxLayout"),
        QStringLiteral("QButtonGroup"),
        QStringLiteral("QCalendarWidget"),
        QStringLiteral("QCheckBox"),
        QStringLiteral("QColorDialog"),
        QStringLiteral("QComboBox"),
        QStringLiteral("QCommandLinkButton"),
        QStringLiteral("QCompleter"),
        QStringLiteral("QDateEdit"),
        QStringLiteral("QDateTimeEdit"),
        QStringLiteral("QDesktopWidget"),
        QStringLiteral("QDial"),
        QStringLiteral("QDialog"),
        QStringLiteral("QDialogButtonBox"),
        QStringLiteral("QDockWidget"),
        QStringLiteral("QDoubleSpinBox"),
        QStringLiteral("QErrorMessage"),
        QStringLiteral("QFileDialog"),
        QStringLiteral("QFileSystemModel"),
        QStringLiteral("QFontComboBox"),
        QStringLiteral("QFontDialog"),
        QStringLiteral("QFormLayout"),
        QStringLiteral("QFrame"),
        QStringLiteral("QGraphicsScene"),
        QStringLiteral("QGraphicsView"),
        QStringLiteral("QGridLayout"),
        QStringLiteral("QGroupBox"),
        QStringLiteral("QHBoxLayout"),
        QStringLiteral("QHeaderView"),
        QStringLiteral("QInputDialog"),
        QStringLiteral("QItemDelegate"),
        QStringLiteral("QLabel"),
        QStringLiteral("QLayout"),
        QStringLiteral("QLCDNumber"),
        QStringLiteral("QLineEdit"),
        QStringLiteral("QListView"),
        QStringLiteral("QListWidget"),
        QStringLiteral("QMainWindow"),
        QStringLiteral("QMdiArea"),
        QStringLiteral("QMenu"),
        QStringLiteral("QMenuBar"),
        QStringLiteral("QMessageBox"),
        QStringLiteral("QPlainTextEdit"),
        QStringLiteral("QProgressBar"),
        QStringLiteral("QProgressDialog"),
        QStringLiteral("QPushButton"),
        QStringLiteral("QRadioButton"),
        QStringLiteral("QRubberBand"),
        QStringLiteral("QScrollArea"),
        QStringLiteral("QScrollBar"),
        QStringLiteral("QSizePolicy"),
        QStringLiteral("QSlider"),
        QStringLiteral("QSpinBox"),
        QStringLiteral("QSplashScreen"),
        QStringLiteral("QSplitter"),
        QStringLiteral("QStackedLayout"),
        QStringLiteral("QStackedWidget"),
        QStringLiteral("QStatusBar"),
        QStringLiteral("QStyle"),
        QStringLiteral("QStyledItemDelegate"),
        QStringLiteral("QStyleOption"),
        QStringLiteral("QSystemTrayIcon"),
        QStringLiteral("QTabBar"),
        QStringLiteral("QTableView"),
        QStringLiteral("QTableWidget"),
        QStringLiteral("QTabWidget"),
        QStringLiteral("QTextBrowser"),
        QStringLiteral("QTextEdit"),
        QStringLiteral("QTimeEdit"),
        QStringLiteral("QToolBar"),
        QStringLiteral("QToolButton"),
        QStringLiteral("QToolTip"),
        QStringLiteral("QTreeView"),
        QStringLiteral("QTreeWidget"),
        QStringLiteral("QUndoView"),
        QStringLiteral("QVBoxLayout"),
        QStringLiteral("QWhatsThis"),
        QStringLiteral("QWidget"),
        QStringLiteral("QWidgetAction"),
        QStringLiteral("QWizard"),
        // QtGui
        QStringLiteral("QAction"),
        QStringLiteral("QActionGroup"),
        QStringLiteral("QBitmap"),
        QStringLiteral("QBrush"),
        QStringLiteral("QClipboard"),
        QStringLiteral("QColor"),
        QStringLiteral("QColorSpace"),
        QStringLiteral("QCursor"),
        QStringLiteral("QDesktopServices"),
        QStringLiteral("QDoubleValidator"),
        QStringLiteral("QDrag"),
        QStringLiteral("QFont"),
        QStringLiteral("QFontDatabase"),
        QStringLiteral("QFontInfo"),
        QStringLiteral("QFontMetrics"),
        QStringLiteral("QFontMetricsF"),
        QStringLiteral("QGradient"),
        QStringLiteral("QGuiApplication"),
        QStringLiteral("QIcon"),
        QStringLiteral("QImage"),
        QStringLiteral("QImageReader"),
        QStringLiteral("QImageWriter"),
        QStringLiteral("QIntValidator"),
        QStringLiteral("QKeyEvent"),
        QStringLiteral("QKeySequence"),
        QStringLiteral("QLinearGradient"),
        QStringLiteral("QMatrix4x4"),
        QStringLiteral("QMouseEvent"),
        QStringLiteral("QMovie"),
        QStringLiteral("QOffscreenSurface"),
        QStringLiteral("QOpenGLContext"),
        QStringLiteral("QPageLayout"),
        QStringLiteral("QPageSize"),
        QStringLiteral("QPaintDevice"),
        QStringLiteral("QPaintEvent"),
        QStringLiteral("QPainter"),
        QStringLiteral("QPainterPath"),
        QStringLiteral("QPalette"),
        QStringLiteral("QPdfWriter"),
        QStringLiteral("QPen"),
        QStringLiteral("QPicture"),
        QStringLiteral("QPixmap"),
        QStringLiteral("QPixmapCache"),
        QStringLiteral("QPolygon"),
        QStringLiteral("QPolygonF"),
        QStringLiteral("QRadialGradient"),
        QStringLiteral("QRasterWindow"),
        QStringLiteral("QRegion"),
        QStringLiteral("QRegularExpressionValidator"),
        QStringLiteral("QRgb"),
        QStringLiteral("QScreen"),
        QStringLiteral("QSessionManager"),
        QStringLiteral("QShortcut"),
        QStringLiteral("QStandardItem"),
        QStringLiteral("QStandardItemModel"),
        QStringLiteral("QStaticText"),
        QStringLiteral("QStyleHints"),
        QStringLiteral("QSurfaceFormat"),
        QStringLiteral("QSyntaxHighlighter"),
        QStringLiteral("QTextCharFormat"),
        QStringLiteral("QTextCursor"),
        QStringLiteral("QTextDocument"),
        QStringLiteral("QTextDocumentWriter"),
        QStringLiteral("QTextFormat"),
        QStringLiteral("QTextLayout"),
        QStringLiteral("QTextOption"),
        QStringLiteral("QTransform"),
        QStringLiteral("QUndoCommand"),
        QStringLiteral("QUndoStack"),
        QStringLiteral("QValidator"),
        QStringLiteral("QVector2D"),
        QStringLiteral("QVector3D"),
        QStringLiteral("QWindow"),
    };
    return names;
}

// True when the header belongs to QtGui or QtWidgets: a module path, the module header itself, a
// known class header, or its lower-case file form (<qwidget.h>).
bool isGuiOrWidgetsHeader(const QString &header)
{
    static const QRegularExpression module(
        QStringLiteral("^(QtGui|QtWidgets|QtOpenGL|QtOpenGLWidgets|QtSvg|QtPrintSupport)(/|$)"));
    if (module.match(header).hasMatch())
        return true;
    for (const auto &name : guiAndWidgetsClasses()) {
        if (header == name || header.compare(name.toLower() + QStringLiteral(".h"), Qt::CaseSensitive) == 0)
            return true;
    }
    return false;
}

bool isHttpServerHeader(const QString &header)
{
    static const QRegularExpression re(
        QStringLiteral("^(QtHttpServer(/|$)|QHttpServer|QAbstractHttpServer$|qhttpserver|qabstracthttpserver\\.h$)"));
    return re.match(header).hasMatch();
}

bool isHttpAdapterHeader(const QString &header)
{
    static const QRegularExpression re(QStringLiteral("(^|/)backend/http/"));
    return re.match(header).hasMatch();
}

QString describe(const QList<Include> &offenders)
{
    QStringList lines;
    for (const auto &i : offenders)
        lines << QStringLiteral("%1:%2: #include %3").arg(i.file).arg(i.line).arg(i.header);
    return lines.join(u'\n');
}

} // namespace

class TestArchitecture final : public QObject
{
    Q_OBJECT

private slots:
    void classifiers_data();
    void classifiers();
    void sourceTreeIsThere();
    void backendIncludesNoGuiOrWidgets();
    void onlyTheHttpAdapterIncludesHttpServer();
    void guiAndModelsDoNotIncludeTheHttpAdapter();
    void backendTargetsDoNotLinkGuiOrWidgets();
};

void TestArchitecture::classifiers_data()
{
    QTest::addColumn<QString>("header");
    QTest::addColumn<bool>("gui");
    QTest::addColumn<bool>("httpServer");
    QTest::addColumn<bool>("httpAdapter");

    QTest::newRow("QWidget") << QStringLiteral("QWidget") << true << false << false;
    QTest::newRow("QtWidgets/QTableView") << QStringLiteral("QtWidgets/QTableView") << true << false << false;
    QTest::newRow("QtWidgets module") << QStringLiteral("QtWidgets") << true << false << false;
    QTest::newRow("QtGui/QImage") << QStringLiteral("QtGui/QImage") << true << false << false;
    QTest::newRow("QtGui/qcolor.h") << QStringLiteral("QtGui/qcolor.h") << true << false << false;
    QTest::newRow("QApplication") << QStringLiteral("QApplication") << true << false << false;
    QTest::newRow("QGuiApplication") << QStringLiteral("QGuiApplication") << true << false << false;
    QTest::newRow("QImage") << QStringLiteral("QImage") << true << false << false;
    QTest::newRow("QPixmap") << QStringLiteral("QPixmap") << true << false << false;
    QTest::newRow("QColor") << QStringLiteral("QColor") << true << false << false;
    QTest::newRow("QFont") << QStringLiteral("QFont") << true << false << false;
    QTest::newRow("qwidget.h") << QStringLiteral("qwidget.h") << true << false << false;
    QTest::newRow("QHttpServer") << QStringLiteral("QHttpServer") << false << true << false;
    QTest::newRow("QHttpServerResponse") << QStringLiteral("QHttpServerResponse") << false << true << false;
    QTest::newRow("QAbstractHttpServer") << QStringLiteral("QAbstractHttpServer") << false << true << false;
    QTest::newRow("QtHttpServer/QHttpServer") << QStringLiteral("QtHttpServer/QHttpServer") << false << true << false;
    QTest::newRow("qhttpserverrequest.h") << QStringLiteral("qhttpserverrequest.h") << false << true << false;
    QTest::newRow("backend/http/apiserver.h") << QStringLiteral("backend/http/apiserver.h") << false << false << true;
    QTest::newRow("../backend/http/route.h") << QStringLiteral("../backend/http/route.h") << false << false << true;
    // What the domain may use.
    QTest::newRow("QString") << QStringLiteral("QString") << false << false << false;
    QTest::newRow("QtCore/QString") << QStringLiteral("QtCore/QString") << false << false << false;
    QTest::newRow("QSqlDatabase") << QStringLiteral("QSqlDatabase") << false << false << false;
    QTest::newRow("QTcpServer") << QStringLiteral("QTcpServer") << false << false << false;
    QTest::newRow("QAbstractTableModel") << QStringLiteral("QAbstractTableModel") << false << false << false;
    QTest::newRow("QtConcurrent/QtConcurrentRun") << QStringLiteral("QtConcurrent/QtConcurrentRun") << false << false << false;
    QTest::newRow("QJsonObject") << QStringLiteral("QJsonObject") << false << false << false;
    QTest::newRow("QCoreApplication") << QStringLiteral("QCoreApplication") << false << false << false;
    QTest::newRow("backend/audit/auditlog.h") << QStringLiteral("backend/audit/auditlog.h") << false << false << false;
    QTest::newRow("backend/core/http.h") << QStringLiteral("backend/core/http.h") << false << false << false;
}

void TestArchitecture::classifiers()
{
    QFETCH(QString, header);
    QFETCH(bool, gui);
    QFETCH(bool, httpServer);
    QFETCH(bool, httpAdapter);
    QCOMPARE(isGuiOrWidgetsHeader(header), gui);
    QCOMPARE(isHttpServerHeader(header), httpServer);
    QCOMPARE(isHttpAdapterHeader(header), httpAdapter);
}

void TestArchitecture::sourceTreeIsThere()
{
    // Guards the scans below against passing over an empty or misplaced tree.
    int backendFiles = 0;
    int httpFiles = 0;
    int uiFiles = 0;
    int modelFiles = 0;
    QVERIFY(!includesUnder(QStringLiteral("backend"), &backendFiles).isEmpty());
    (void)includesUnder(QStringLiteral("backend/http"), &httpFiles);
    (void)includesUnder(QStringLiteral("ui"), &uiFiles);
    (void)includesUnder(QStringLiteral("models"), &modelFiles);
    QVERIFY2(backendFiles >= 20, qPrintable(QString::number(backendFiles)));
    QVERIFY(httpFiles > 0);
    QVERIFY(httpFiles < backendFiles);
    QVERIFY(uiFiles > 0);
    QVERIFY(modelFiles > 0);
    // The adapter itself does include QtHttpServer, so the classifier sees real includes.
    bool sawHttpServer = false;
    for (const auto &i : includesUnder(QStringLiteral("backend/http")))
        sawHttpServer |= isHttpServerHeader(i.header);
    QVERIFY(sawHttpServer);
    // And the GUI does include Widgets headers.
    bool sawWidgets = false;
    for (const auto &i : includesUnder(QStringLiteral("ui")))
        sawWidgets |= isGuiOrWidgetsHeader(i.header);
    QVERIFY(sawWidgets);
}

void TestArchitecture::backendIncludesNoGuiOrWidgets()
{
    QList<Include> offenders;
    for (const auto &i : includesUnder(QStringLiteral("backend"))) {
        if (isGuiOrWidgetsHeader(i.header))
            offenders.append(i);
    }
    QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("backend/ includes QtGui/QtWidgets:\n") + describe(offenders)));
}

void TestArchitecture::onlyTheHttpAdapterIncludesHttpServer()
{
    QList<Include> offenders;
    const QStringList dirs{QStringLiteral("backend"), QStringLiteral("models"), QStringLiteral("ui")};
    for (const auto &dir : dirs) {
        for (const auto &i : includesUnder(dir)) {
            if (i.file.startsWith(QLatin1String("backend/http/")))
                continue;
            if (isHttpServerHeader(i.header))
                offenders.append(i);
        }
    }
    QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("QtHttpServer outside backend/http/:\n") + describe(offenders)));
}

void TestArchitecture::guiAndModelsDoNotIncludeTheHttpAdapter()
{
    QList<Include> offenders;
    const QStringList dirs{QStringLiteral("ui"), QStringLiteral("models")};
    for (const auto &dir : dirs) {
        for (const auto &i : includesUnder(dir)) {
            if (isHttpAdapterHeader(i.header))
                offenders.append(i);
        }
    }
    QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("ui/ or models/ include backend/http/:\n") + describe(offenders)));
}

void TestArchitecture::backendTargetsDoNotLinkGuiOrWidgets()
{
    // The same rule one level up: the CMake graph is the graph of ARCHITECTURE.md.
    static const QRegularExpression guiLink(QStringLiteral("Qt6?::(Gui|Widgets|OpenGL|OpenGLWidgets|Svg|PrintSupport)\\b"));
    static const QRegularExpression httpServerLink(QStringLiteral("Qt6?::HttpServer\\b"));
    const QDir root(sourceRoot());
    QStringList offenders;
    int seen = 0;
    QDirIterator it(root.filePath(QStringLiteral("backend")), {QStringLiteral("CMakeLists.txt"), QStringLiteral("*.cmake")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        ++seen;
        const QString rel = root.relativeFilePath(path);
        int n = 0;
        while (!f.atEnd()) {
            ++n;
            QString line = QString::fromUtf8(f.readLine());
            line = line.left(line.indexOf(u'#')); // comments may name what is forbidden
            if (guiLink.match(line).hasMatch())
                offenders << QStringLiteral("%1:%2: %3").arg(rel).arg(n).arg(line.trimmed());
            if (httpServerLink.match(line).hasMatch() && !rel.startsWith(QLatin1String("backend/http/")))
                offenders << QStringLiteral("%1:%2: %3").arg(rel).arg(n).arg(line.trimmed());
        }
    }
    QVERIFY(seen > 0);
    QVERIFY2(offenders.isEmpty(), qPrintable(offenders.join(u'\n')));
}

QTEST_GUILESS_MAIN(TestArchitecture)
#include "tst_architecture.moc"

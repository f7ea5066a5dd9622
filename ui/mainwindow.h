#pragma once

#include <QMainWindow>

class QLabel;
class QTabWidget;

namespace kyc {
class Backend;
struct Actor;
} // namespace kyc

namespace kyc::ui {

class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    enum class ApiState { Starting, Listening, Stopped, Failed };

    // Without a sign-in yet, the panes act as the system actor (no firm): lists can be managed, screening
    // needs the constructor below with a firm's actor.
    explicit MainWindow(Backend &backend, QWidget *parent = nullptr);
    // The panes act as `actor`, the signed-in user.
    MainWindow(Backend &backend, const Actor &actor, QWidget *parent = nullptr);

    // The status bar shows where the API answers and whether it is up.
    void setApiStatus(ApiState state, const QString &baseUrlOrReason);
    [[nodiscard]] QString apiStatusText() const;
    [[nodiscard]] QTabWidget *panes() const { return m_tabs; }

private:
    QTabWidget *m_tabs;
    QLabel *m_apiLabel;
};

} // namespace kyc::ui

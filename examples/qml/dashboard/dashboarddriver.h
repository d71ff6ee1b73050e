#ifndef DASHBOARDDRIVER_H
#define DASHBOARDDRIVER_H

#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

#include <functional>

QT_BEGIN_NAMESPACE
class QQuickWindow;
QT_END_NAMESPACE

// Watches the dashboard's real scene: items found by object name from the window, re-checked
// whenever one of the watched properties changes. It ends the application: exit code 0 once
// what it waits for is on screen, 1 when it is not in time.
class DashboardDriver : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardDriver)
public:
    explicit DashboardDriver(QQuickWindow *window, QObject *parent = nullptr);
    ~DashboardDriver() override;

    // Starts the producer on socketPath and waits until each figure shows a value that the
    // producer printed as sent, and the log has messages. atStartOnly: the producer publishes
    // at start-up only (before this window can have connected): the figures it shows then
    // are the ones the producer retained.
    void check(const QString &producer, const QString &socketPath, bool atStartOnly = false);
    // Waits until the chart has a long history, then saves the window to fileName.
    void takeScreenshot(const QString &fileName);

private Q_SLOTS:
    void evaluate();

private:
    QObject *item(const char *objectName) const;
    QString text(const char *objectName) const;
    void watch(const char *objectName, const char *property);
    void readProducer();
    void fail(const QString &why);

    QQuickWindow *m_window;
    QProcess m_producer;
    QHash<QString, QSet<QString>> m_expected;  // label -> the texts the producer's figures give
    std::function<bool()> m_ready;
    std::function<void()> m_finished;
    QTimer m_timeout;
};

#endif  // DASHBOARDDRIVER_H

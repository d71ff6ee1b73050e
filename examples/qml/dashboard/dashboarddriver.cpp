#include "dashboarddriver.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtQml/qqmlproperty.h>
#include <QtQuick/qquickwindow.h>

#include <cstdio>

static constexpr int TimeoutMs = 30000;
static constexpr const char *labels[] = {"loadLabel", "memoryLabel", "cpuLabel"};

DashboardDriver::DashboardDriver(QQuickWindow *window, QObject *parent)
    : QObject(parent), m_window(window)
{
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(TimeoutMs);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        QStringList shown;
        for (const char *label : labels)
            shown.append(QStringLiteral("%1 \"%2\"").arg(QLatin1String(label), text(label)));
        fail(QStringLiteral("not within %1 s; on screen: %2")
                     .arg(TimeoutMs / 1000)
                     .arg(shown.join(QStringLiteral(", "))));
    });
    m_producer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(&m_producer, &QProcess::readyReadStandardOutput, this, &DashboardDriver::readProducer);
    connect(&m_producer, &QProcess::finished, this, [this](int exitCode) {
        fail(QStringLiteral("the producer exited with code %1").arg(exitCode));
    });
    connect(&m_producer, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(m_producer.errorString());
    });
}

DashboardDriver::~DashboardDriver()
{
    m_producer.disconnect(this);
    m_producer.kill();
    m_producer.waitForFinished();
}

void DashboardDriver::check(const QString &producer, const QString &socketPath, bool atStartOnly)
{
    for (const char *label : labels)
        watch(label, "text");
    watch("log", "count");
    // At start-up the producer publishes load and memory (CPU use needs two samples).
    const int shown = atStartOnly ? 2 : 3;
    m_ready = [this, shown] {
        for (int i = 0; i < shown; ++i) {
            if (!m_expected.value(QLatin1String(labels[i])).contains(text(labels[i])))
                return false;
        }
        return item("log")->property("count").toInt() >= shown;
    };
    m_finished = [this] {
        std::printf("PASS: the dashboard shows the figures the producer sent:");
        for (const char *label : labels)
            std::printf(" %s \"%s\"", label, qPrintable(text(label)));
        std::printf("\n");
        QCoreApplication::exit(0);
    };
    m_producer.start(producer,
                     {socketPath, QStringLiteral("--interval"),
                      atStartOnly ? QStringLiteral("600000") : QStringLiteral("250")});
    m_timeout.start();
}

void DashboardDriver::takeScreenshot(const QString &fileName)
{
    watch("cpuBars", "count");
    m_ready = [this] { return item("cpuBars")->property("count").toInt() >= 30; };
    m_finished = [fileName, this] {
        // Positioners lay out the last change when the next frame is prepared: grab after it.
        connect(
                m_window, &QQuickWindow::frameSwapped, this,
                [fileName, this] {
                    if (!m_window->grabWindow().save(fileName))
                        return fail(QStringLiteral("cannot write %1").arg(fileName));
                    std::printf("wrote %s\n", qPrintable(fileName));
                    std::fflush(stdout);
                    QCoreApplication::exit(0);
                },
                Qt::SingleShotConnection);
        m_window->update();
    };
    m_timeout.start();
    evaluate();
}

void DashboardDriver::evaluate()
{
    if (!m_timeout.isActive() || !m_ready())
        return;
    m_timeout.stop();
    m_finished();
    std::fflush(stdout);
}

QObject *DashboardDriver::item(const char *objectName) const
{
    QObject *found = m_window->findChild<QObject *>(QLatin1String(objectName));
    if (!found)
        qFatal("Main.qml has no item named \"%s\"", objectName);
    return found;
}

QString DashboardDriver::text(const char *objectName) const
{
    return item(objectName)->property("text").toString();
}

void DashboardDriver::watch(const char *objectName, const char *property)
{
    QQmlProperty(item(objectName), QLatin1String(property))
            .connectNotifySignal(this, SLOT(evaluate()));
}

// The producer prints each message it sends: {"topic":"system.load","message":{...}}. Each
// gives the text its figure must show, formatted as Main.qml formats it.
void DashboardDriver::readProducer()
{
    while (m_producer.canReadLine()) {
        const QJsonObject line = QJsonDocument::fromJson(m_producer.readLine()).object();
        const QString topic = line.value(QLatin1String("topic")).toString();
        const QJsonObject message = line.value(QLatin1String("message")).toObject();
        const auto figure = [&message](const char *key, int decimals) {
            return QString::number(message.value(QLatin1String(key)).toDouble(), 'f', decimals);
        };
        if (topic == QLatin1String("system.load"))
            m_expected[QStringLiteral("loadLabel")].insert(figure("one", 2));
        else if (topic == QLatin1String("system.memory"))
            m_expected[QStringLiteral("memoryLabel")].insert(figure("usedPercent", 1) + " %");
        else if (topic == QLatin1String("system.cpu"))
            m_expected[QStringLiteral("cpuLabel")].insert(figure("percent", 0) + " %");
    }
    evaluate();
}

void DashboardDriver::fail(const QString &why)
{
    std::fprintf(stderr, "FAILED: %s\n", qPrintable(why));
    m_timeout.stop();
    QCoreApplication::exit(1);
}

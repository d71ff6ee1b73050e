#include "monitordriver.h"
#include "monitorwindow.h"

#include <SocketIpc/IpcMessageModel>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qprocess.h>
#include <QtWidgets/qabstractitemview.h>
#include <QtWidgets/qlineedit.h>
#include <QtWidgets/qpushbutton.h>

#include <cstdio>

static constexpr int StepTimeoutMs = 15000;

template<typename Widget>
static Widget *findWidget(MonitorWindow *window, const char *name)
{
    auto *widget = window->findChild<Widget *>(QLatin1String(name));
    if (!widget)
        qFatal("the monitor window has no widget named \"%s\"", name);
    return widget;
}

MonitorDriver::MonitorDriver(MonitorWindow *window, const QString &socketPath, QObject *parent)
    : QObject(parent),
      m_window(window),
      m_socketPath(socketPath),
      m_clients(findWidget<QAbstractItemView>(window, "clients")),
      m_log(findWidget<QAbstractItemView>(window, "log")),
      m_filter(findWidget<QLineEdit>(window, "filter")),
      m_topic(findWidget<QLineEdit>(window, "topic")),
      m_message(findWidget<QLineEdit>(window, "message")),
      m_sendButton(findWidget<QPushButton>(window, "sendButton")),
      m_broadcastButton(findWidget<QPushButton>(window, "broadcastButton"))
{
    // What the views show changes only through their models: re-check after each change.
    for (QAbstractItemView *view : {m_clients, m_log}) {
        const QAbstractItemModel *model = view->model();
        connect(model, &QAbstractItemModel::rowsInserted, this, &MonitorDriver::check,
                Qt::QueuedConnection);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &MonitorDriver::check,
                Qt::QueuedConnection);
        connect(model, &QAbstractItemModel::dataChanged, this, &MonitorDriver::check,
                Qt::QueuedConnection);
        connect(model, &QAbstractItemModel::layoutChanged, this, &MonitorDriver::check,
                Qt::QueuedConnection);
        connect(model, &QAbstractItemModel::modelReset, this, &MonitorDriver::check,
                Qt::QueuedConnection);
    }
    m_stepTimeout.setSingleShot(true);
    m_stepTimeout.setInterval(StepTimeoutMs);
    connect(&m_stepTimeout, &QTimer::timeout, this,
            [this] { fail(QStringLiteral("not within %1 s").arg(StepTimeoutMs / 1000)); });
}

MonitorDriver::~MonitorDriver()
{
    // The client processes end with the driver.
    for (QProcess *process : findChildren<QProcess *>()) {
        process->kill();
        process->waitForFinished();
    }
}

void MonitorDriver::runSelfTest()
{
    const QString greeting = QStringLiteral("hello from the form");
    const auto senders = [this](const QString &topic) {
        QStringList names;
        for (const QVariantMap &echo : echoes(topic))
            names.append(echo.value(QStringLiteral("from")).toString());
        names.sort();
        return names;
    };
    QList<Step> steps{
            {QStringLiteral("two client processes show in the client list, with their pids"),
             [this] {
                 m_alpha = startClient(QStringLiteral("alpha"), 0);
                 m_beta = startClient(QStringLiteral("beta"), 0);
             },
             [this] {
                 return m_clients->model()->rowCount() == 2 && rowOfPid(m_alpha) >= 0
                         && rowOfPid(m_beta) >= 0;
             }},
            {QStringLiteral("the log shows their hellos and readings"), nullptr,
             [this] {
                 return loggedMessages(QStringLiteral("hello")).size() == 2
                         && !loggedMessages(QStringLiteral("sensor.beta.temperature")).isEmpty();
             }},
            {QStringLiteral("the filter \"sensor.#\" keeps the readings and hides the hellos"),
             [this] { m_filter->setText(QStringLiteral("sensor.#")); },
             [this] {
                 return loggedMessages(QStringLiteral("hello")).isEmpty()
                         && !loggedMessages(QStringLiteral("sensor.alpha.humidity")).isEmpty();
             }},
            {QStringLiteral("a message sent from the form to the selected client reaches it"),
             [greeting, this] {
                 m_filter->setText(QStringLiteral("echo"));
                 m_clients->setCurrentIndex(m_clients->model()->index(rowOfPid(m_beta), 0));
                 if (!m_sendButton->isEnabled())
                     return fail(QStringLiteral("the Send button is disabled"));
                 m_topic->setText(QStringLiteral("greeting"));
                 m_message->setText(QStringLiteral("{\"text\": \"%1\"}").arg(greeting));
                 m_sendButton->click();
             },
             [greeting, this] {
                 const QList<QVariantMap> echoed = echoes(QStringLiteral("greeting"));
                 return echoed.size() == 1
                         && echoed.first().value(QStringLiteral("from")) == QLatin1String("beta")
                         && echoed.first()
                                    .value(QStringLiteral("message"))
                                    .toMap()
                                    .value(QStringLiteral("text"))
                         == greeting;
             }},
            // Each connection keeps its order: had alpha got the greeting too, its echo would
            // come before its echo of the broadcast.
            {QStringLiteral("a broadcast from the form reaches both, the greeting only beta"),
             [this] {
                 m_topic->setText(QStringLiteral("news"));
                 m_message->setText(QStringLiteral("[1, 2, 3]"));
                 m_broadcastButton->click();
             },
             [senders] {
                 return senders(QStringLiteral("news"))
                         == QStringList{QStringLiteral("alpha"), QStringLiteral("beta")}
                 && senders(QStringLiteral("greeting")) == QStringList{QStringLiteral("beta")};
             }},
            {QStringLiteral("a client leaves the list when its process dies"),
             [this] { m_alpha->kill(); },
             [this] { return m_clients->model()->rowCount() == 1 && rowOfPid(m_beta) == 0; }},
    };
    run(steps, [] {
        std::printf("PASS: every step of the self-test happened\n");
        QCoreApplication::exit(0);
    });
}

void MonitorDriver::takeScreenshot(const QString &fileName)
{
    QList<Step> steps{
            {QStringLiteral("three clients connect and send readings"),
             [this] {
                 startClient(QStringLiteral("kitchen"), 700);
                 startClient(QStringLiteral("garage"), 900);
                 startClient(QStringLiteral("attic"), 1100);
             },
             [this] {
                 return m_clients->model()->rowCount() == 3 && m_log->model()->rowCount() >= 30;
             }},
            {QStringLiteral("a message from the form reaches the selected client"),
             [this] {
                 m_clients->setCurrentIndex(m_clients->model()->index(1, 0));
                 m_sendButton->click();
             },
             [this] { return !echoes(m_topic->text()).isEmpty(); }},
    };
    run(steps, [fileName, this] {
        if (!m_window->grab().save(fileName))
            return fail(QStringLiteral("cannot write %1").arg(fileName));
        std::printf("wrote %s\n", qPrintable(fileName));
        QCoreApplication::exit(0);
    });
}

void MonitorDriver::run(const QList<Step> &steps, std::function<void()> finished)
{
    m_steps = steps;
    m_finished = std::move(finished);
    m_current = 0;
    startStep();
}

void MonitorDriver::startStep()
{
    std::printf("step %d: %s\n", m_current + 1, qPrintable(m_steps.at(m_current).what));
    std::fflush(stdout);
    m_stepTimeout.start();
    if (m_steps.at(m_current).act)
        m_steps.at(m_current).act();
    QMetaObject::invokeMethod(this, &MonitorDriver::check, Qt::QueuedConnection);
}

void MonitorDriver::check()
{
    if (m_current < 0 || m_current >= m_steps.size() || !m_steps.at(m_current).done())
        return;
    if (++m_current < m_steps.size())
        return startStep();
    m_stepTimeout.stop();
    m_current = -1;
    m_finished();
    std::fflush(stdout);
}

void MonitorDriver::fail(const QString &why)
{
    std::fprintf(stderr, "FAILED at step %d (%s): %s\n", m_current + 1,
                 m_current >= 0 ? qPrintable(m_steps.at(m_current).what) : "-", qPrintable(why));
    m_current = -1;
    m_stepTimeout.stop();
    QCoreApplication::exit(1);
}

QProcess *MonitorDriver::startClient(const QString &name, int intervalMs)
{
    auto *process = new QProcess(this);
    process->setProcessChannelMode(QProcess::ForwardedChannels);
    process->start(QCoreApplication::applicationFilePath(),
                   {QStringLiteral("--client"), m_socketPath, name, QString::number(intervalMs)});
    return process;
}

QList<QVariant> MonitorDriver::loggedMessages(const QString &topic) const
{
    QList<QVariant> messages;
    const QAbstractItemModel *model = m_log->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        if (index.data(IpcMessageModel::TopicRole).toString() == topic)
            messages.append(index.data(IpcMessageModel::MessageRole));
    }
    return messages;
}

QList<QVariantMap> MonitorDriver::echoes(const QString &topic) const
{
    QList<QVariantMap> found;
    for (const QVariant &echo : loggedMessages(QStringLiteral("echo"))) {
        if (echo.toMap().value(QStringLiteral("topic")).toString() == topic)
            found.append(echo.toMap());
    }
    return found;
}

int MonitorDriver::rowOfPid(const QProcess *process) const
{
    const QAbstractItemModel *model = m_clients->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, MonitorWindow::PidColumn).data().toLongLong() == process->processId())
            return row;
    }
    return -1;
}

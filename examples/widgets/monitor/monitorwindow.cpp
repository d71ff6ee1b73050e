#include "monitorwindow.h"

#include <SocketIpc/IpcTopic>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtGui/qfontdatabase.h>
#include <QtWidgets/qboxlayout.h>
#include <QtWidgets/qgridlayout.h>
#include <QtWidgets/qgroupbox.h>
#include <QtWidgets/qheaderview.h>
#include <QtWidgets/qlabel.h>
#include <QtWidgets/qlineedit.h>
#include <QtWidgets/qlistview.h>
#include <QtWidgets/qpushbutton.h>
#include <QtWidgets/qscrollbar.h>
#include <QtWidgets/qsplitter.h>
#include <QtWidgets/qstatusbar.h>
#include <QtWidgets/qtreeview.h>

#include <optional>

// Client ids are UUIDs; their first 8 digits are enough to tell clients apart on screen.
static QString shortId(const QString &clientId)
{
    return clientId.left(8);
}

// Any JSON value, not only objects and arrays: wrapped in an array on the way.
static QString toJson(const QVariant &value)
{
    const QByteArray json =
            QJsonDocument::fromVariant(QVariantList{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(json.sliced(1).chopped(1));
}

static std::optional<QVariant> fromJson(const QString &text, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson('[' + text.toUtf8() + ']', &parseError);
    if (parseError.error != QJsonParseError::NoError || document.array().size() != 1) {
        *error = text.trimmed().isEmpty() ? MonitorWindow::tr("type a JSON value")
                                          : parseError.errorString();
        return std::nullopt;
    }
    return document.array().first().toVariant();
}

void TopicFilterModel::setPattern(const QString &pattern)
{
    m_pattern = pattern.trimmed();
    invalidateFilter();
}

bool TopicFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_pattern.isEmpty())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    return IpcTopic::matches(m_pattern, index.data(IpcMessageModel::TopicRole).toString());
}

QVariant TopicFilterModel::data(const QModelIndex &index, int role) const
{
    if (role != Qt::DisplayRole)
        return QSortFilterProxyModel::data(index, role);
    // "12:04:05.120  3f0c6a5e  sensor.kitchen.temperature  {"celsius":21.5}"
    const QModelIndex source = mapToSource(index);
    return QStringLiteral("%1  %2  %3  %4")
            .arg(source.data(IpcMessageModel::TimestampRole).toDateTime().toString(u"HH:mm:ss.zzz"),
                 shortId(source.data(IpcMessageModel::ClientIdRole).toString()),
                 source.data(IpcMessageModel::TopicRole).toString().leftJustified(26),
                 toJson(source.data(IpcMessageModel::MessageRole)));
}

MonitorWindow::MonitorWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("SocketIpc monitor"));

    // Clients: one row per connection, added and removed by the server's signals.
    m_clients.setHorizontalHeaderLabels({tr("Client"), tr("PID"), tr("UID"), tr("Messages")});
    m_clientView = new QTreeView;
    m_clientView->setObjectName(QStringLiteral("clients"));
    m_clientView->setModel(&m_clients);
    m_clientView->setRootIsDecorated(false);
    m_clientView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_clientView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_clientView->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(&m_server, &IpcServer::clientConnected, this, &MonitorWindow::addClient);
    connect(&m_server, &IpcServer::clientDisconnected, this, &MonitorWindow::removeClient);
    connect(&m_server, &IpcServer::messageReceived, this,
            [this](const QString &, const QVariant &, const QString &clientId) {
                countMessage(clientId);
            });

    // The log: the server's messages, as the model records them, filtered by topic.
    m_log.setSource(&m_server);
    m_filteredLog.setSourceModel(&m_log);
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("filter"));
    m_filter->setPlaceholderText(tr("Filter by topic or pattern: sensor.#, *.*.humidity"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, &m_filteredLog, &TopicFilterModel::setPattern);
    m_logView = new QListView;
    m_logView->setObjectName(QStringLiteral("log"));
    m_logView->setModel(&m_filteredLog);
    m_logView->setUniformItemSizes(true);
    m_logView->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // Follow new messages unless the user has scrolled up to read older ones.
    connect(&m_filteredLog, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar *bar = m_logView->verticalScrollBar();
        m_followLog = bar->value() == bar->maximum();
    });
    connect(&m_filteredLog, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_followLog)
            m_logView->scrollToBottom();
    });

    // The form: a topic and a JSON value, to the selected client or to all.
    m_topic = new QLineEdit(QStringLiteral("config.interval"));
    m_topic->setObjectName(QStringLiteral("topic"));
    m_message = new QLineEdit(QStringLiteral("{\"ms\": 500}"));
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_sendButton = new QPushButton(tr("Send to selected"));
    m_sendButton->setObjectName(QStringLiteral("sendButton"));
    m_sendButton->setEnabled(false);
    m_broadcastButton = new QPushButton(tr("Broadcast"));
    m_broadcastButton->setObjectName(QStringLiteral("broadcastButton"));
    m_sendResult = new QLabel;
    m_sendResult->setObjectName(QStringLiteral("sendResult"));
    connect(m_sendButton, &QPushButton::clicked, this, [this] { sendFromForm(false); });
    connect(m_broadcastButton, &QPushButton::clicked, this, [this] { sendFromForm(true); });
    connect(m_clientView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { m_sendButton->setEnabled(!selectedClientId().isEmpty()); });

    // Layout: clients | log, and the form below.
    auto *clientsBox = new QGroupBox(tr("Connected clients"));
    (new QVBoxLayout(clientsBox))->addWidget(m_clientView);
    auto *logBox = new QGroupBox(tr("Messages"));
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->addWidget(m_filter);
    logLayout->addWidget(m_logView);
    auto *splitter = new QSplitter;
    splitter->addWidget(clientsBox);
    splitter->addWidget(logBox);
    splitter->setStretchFactor(1, 1);
    auto *sendBox = new QGroupBox(tr("Send"));
    auto *sendLayout = new QGridLayout(sendBox);
    sendLayout->addWidget(new QLabel(tr("Topic")), 0, 0);
    sendLayout->addWidget(new QLabel(tr("Message (JSON)")), 0, 1);
    sendLayout->addWidget(m_topic, 1, 0);
    sendLayout->addWidget(m_message, 1, 1);
    sendLayout->addWidget(m_sendButton, 1, 2);
    sendLayout->addWidget(m_broadcastButton, 1, 3);
    sendLayout->addWidget(m_sendResult, 2, 0, 1, 4);
    sendLayout->setColumnStretch(1, 1);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(splitter, 1);
    layout->addWidget(sendBox);
    setCentralWidget(central);

    m_status = new QLabel;
    statusBar()->addWidget(m_status);
    connect(&m_server, &IpcServer::listeningChanged, this, &MonitorWindow::updateStatus);
    connect(&m_server, &IpcServer::clientCountChanged, this, &MonitorWindow::updateStatus);
    connect(&m_server, &IpcServer::errorOccurred, this,
            [this](IpcError::Error, const QString &description, const QString &clientId) {
                const QString who = clientId.isEmpty() ? tr("server") : shortId(clientId);
                statusBar()->showMessage(tr("%1: %2").arg(who, description), 10000);
            });
    updateStatus();
}

bool MonitorWindow::listen(const QString &socketPath, QString *error)
{
    if (m_server.listen(socketPath))
        return true;
    *error = m_server.errorString();
    return false;
}

void MonitorWindow::addClient(const QString &clientId)
{
    const IpcPeerCredentials peer = m_server.peerCredentials(clientId);
    auto *id = new QStandardItem(shortId(clientId));
    id->setData(clientId, ClientIdRole);
    id->setToolTip(clientId);
    auto *messages = new QStandardItem;
    messages->setData(0, Qt::DisplayRole);
    m_clients.appendRow({id, new QStandardItem(QString::number(peer.pid())),
                         new QStandardItem(QString::number(peer.uid())), messages});
}

void MonitorWindow::removeClient(const QString &clientId)
{
    const int row = rowOf(clientId);
    if (row >= 0)
        m_clients.removeRow(row);
}

void MonitorWindow::countMessage(const QString &clientId)
{
    const int row = rowOf(clientId);
    if (row < 0)
        return;
    QStandardItem *messages = m_clients.item(row, MessagesColumn);
    messages->setData(messages->data(Qt::DisplayRole).toInt() + 1, Qt::DisplayRole);
}

int MonitorWindow::rowOf(const QString &clientId) const
{
    const QModelIndexList found = m_clients.match(m_clients.index(0, IdColumn), ClientIdRole,
                                                  clientId, 1, Qt::MatchExactly);
    return found.isEmpty() ? -1 : found.first().row();
}

QString MonitorWindow::selectedClientId() const
{
    const QModelIndexList rows = m_clientView->selectionModel()->selectedRows(IdColumn);
    return rows.isEmpty() ? QString() : rows.first().data(ClientIdRole).toString();
}

void MonitorWindow::sendFromForm(bool toEveryone)
{
    const QString topic = m_topic->text().trimmed();
    QString error;
    const std::optional<QVariant> message = fromJson(m_message->text(), &error);
    if (topic.isEmpty() || !message) {
        showSendResult(topic.isEmpty() ? tr("Type a topic.") : tr("Not JSON: %1.").arg(error),
                       false);
        return;
    }
    if (toEveryone) {
        m_server.broadcast(topic, *message);
        showSendResult(
                tr("Broadcast \"%1\" to %n client(s).", nullptr, m_server.clientCount()).arg(topic),
                true);
        return;
    }
    const QString clientId = selectedClientId();
    if (m_server.send(topic, *message, clientId))
        showSendResult(tr("Sent \"%1\" to %2.").arg(topic, shortId(clientId)), true);
    else
        showSendResult(m_server.errorString(), false);
}

void MonitorWindow::showSendResult(const QString &text, bool ok)
{
    m_sendResult->setText(text);
    m_sendResult->setStyleSheet(ok ? QString() : QStringLiteral("color: #b00020"));
}

void MonitorWindow::updateStatus()
{
    m_status->setText(m_server.isListening() ? tr("Listening on %1 · %n client(s)", nullptr,
                                                  m_server.clientCount())
                                                       .arg(m_server.address())
                                             : tr("Not listening"));
}

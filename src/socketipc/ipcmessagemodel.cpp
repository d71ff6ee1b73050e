#include "ipcmessagemodel.h"

#include "ipcendpoint.h"
#include "ipcendpoint_p.h"
#include "ipctopic.h"

#include <QtCore/qjsondocument.h>
#include <QtCore/qpointer.h>
#include <QtCore/qthread.h>

#include <deque>
#include <iterator>

namespace {
struct Entry
{
    QString topic;
    QVariant message;
    QString clientId;
    qint64 received;  // ms since the epoch: cheap to take per message, a QDateTime when asked
    QDateTime timestamp() const { return QDateTime::fromMSecsSinceEpoch(received); }
};
}  // namespace

class IpcMessageModelPrivate : public IpcDeferredWork
{
public:
    explicit IpcMessageModelPrivate(IpcMessageModel *q) : q(q) { }
    void append(const QString &topic, const QVariant &message, const QString &clientId);
    // The messages of a read, as rows: one insertion and at most one removal per read, so
    // that a view lays out once per read, not once per message.
    void flushDeferred() override;
    void trim();

    IpcMessageModel *const q;
    QPointer<QObject> source;
    QMetaObject::Connection messageConnection;
    QMetaObject::Connection destroyedConnection;
    QString topic;
    bool topicIsPattern = false;
    int maxCount = IpcMessageModel::DefaultMaxCount;
    std::deque<Entry> entries;  // cheap removal at the front, where the oldest are
    std::deque<Entry> arrived;  // not rows yet: waiting for the end of the read
};

void IpcMessageModelPrivate::append(const QString &messageTopic, const QVariant &message,
                                    const QString &clientId)
{
    if (!topic.isEmpty()
        && (topicIsPattern ? !IpcTopic::matches(topic, messageTopic) : messageTopic != topic))
        return;
    const bool first = arrived.empty();
    arrived.push_back({messageTopic, message, clientId, QDateTime::currentMSecsSinceEpoch()});
    // Rows beyond maxCount would be removed in the same breath: never inserted.
    if (maxCount > 0 && int(arrived.size()) > maxCount)
        arrived.pop_front();
    if (!first)
        return;
    auto *endpoint = qobject_cast<IpcEndpoint *>(source.data());
    if (endpoint && endpoint->thread() == QThread::currentThread()) {
        IpcEndpointPrivate::get(endpoint)->defer(q, this);  // at the end of the read
    } else {
        // A source in another thread: its messages come as queued calls, its reads are not
        // this thread's to wait for. Those already queued come before this: one insertion
        // for them all.
        QMetaObject::invokeMethod(q, [this] { flushDeferred(); }, Qt::QueuedConnection);
    }
}

void IpcMessageModelPrivate::flushDeferred()
{
    if (arrived.empty())
        return;
    // Taken first: a slot on the signals below may reach the event loop, where more arrive
    // (they wait for a flush of their own) or clear() runs.
    std::deque<Entry> batch = std::exchange(arrived, {});
    const int before = int(entries.size());
    const int added = int(batch.size());
    const int excess = maxCount > 0 ? qMax(0, before + added - maxCount) : 0;
    if (excess > 0) {
        q->beginRemoveRows({}, 0, excess - 1);
        entries.erase(entries.begin(), entries.begin() + excess);
        q->endRemoveRows();
    }
    const int row = int(entries.size());
    q->beginInsertRows({}, row, row + added - 1);
    std::move(batch.begin(), batch.end(), std::back_inserter(entries));
    q->endInsertRows();
    if (int(entries.size()) != before)
        emit q->countChanged();
}

void IpcMessageModelPrivate::trim()
{
    if (maxCount <= 0 || int(entries.size()) <= maxCount)
        return;
    const int excess = int(entries.size()) - maxCount;
    q->beginRemoveRows({}, 0, excess - 1);
    entries.erase(entries.begin(), entries.begin() + excess);
    q->endRemoveRows();
}

/*!
    \class IpcMessageModel
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcMessageModel
    \brief The \l [CPP] {IpcMessageModel} class is a list model of the messages a server or a client
    receives.

    It logs what its \l source receives (each message of \l [CPP]
    {IpcEndpoint::}{messageReceived()}), oldest first, for a \c ListView in QML or a \c QListView.
    It keeps at most \l maxCount rows, dropping the oldest, and with \l topic set only the messages
    of that topic or pattern.

    Rows arrive once per read, not once per message: the messages one read brings (what one
    event-loop turn received) become rows in one insertion, after at most one removal of the
    oldest rows that \l maxCount no longer allows, and messages that would be removed in the same
    read never become rows. A view lays out once per read, so a \c ListView keeps its frame rate
    while the source receives tens of thousands of messages a second. \l count and
    countChanged() follow the rows.

    \snippet ipcmessagemodel.cpp model

    Each row has the roles of \l Role, named \c topic, \c message, \c clientId and \c timestamp for
    QML delegates, and \c Qt::DisplayRole: \c {"topic: message"}, with the message as compact JSON
    (\c {sensor.cpu: {"load":0.5}}), for a \c QListView. get() returns a row as a map:

    \snippet ipcmessagemodel.cpp get

    In QML it is the \l [QML] {IpcMessageModel} type.
*/

/*!
    \enum IpcMessageModel::Role

    The roles of a row, besides \c Qt::DisplayRole. roleNames() gives each its QML name.

    \value TopicRole     The message's topic, a QString (\c topic).
    \value MessageRole   The message, a QVariant (\c message).
    \value ClientIdRole  The id of the client that sent it, when the source is a server;
                         empty on a client (\c clientId).
    \value TimestampRole When it was received, a QDateTime in local time (\c timestamp).
*/

/*!
    \variable IpcMessageModel::DefaultMaxCount

    The default of \l maxCount: 1000 rows.
*/

/*!
    \property IpcMessageModel::source
    \brief the server or client whose messages are logged.

    An \l [CPP] {IpcServer} or an \l [CPP] {IpcClient}; null by default. Setting another kind of
    object is refused with a warning, leaving the source as it was. Cleared (with sourceChanged())
    when the source is destroyed. The rows already logged stay when the source changes.
*/

/*!
    \property IpcMessageModel::topic
    \brief the topic whose messages are logged, or a pattern of topics.

    Patterns are those of \l [CPP] {IpcTopic}: \c * matches one dot-separated segment, \c # any
    number of them. Empty (the default) for all. A new filter applies to the messages that arrive
    afterwards: the rows already logged stay (clear() them, or filter a proxy model, to filter them
    again).
*/

/*!
    \property IpcMessageModel::count
    \brief the number of rows.
*/

/*!
    \property IpcMessageModel::maxCount
    \brief the most rows kept; 0 for no limit.

    Beyond it the oldest rows are removed. The default is \l DefaultMaxCount (1000); a negative
    value is taken as 0. Lowering it removes the oldest rows at once.
*/

/*!
    \fn void IpcMessageModel::sourceChanged()

    Emitted when \l source changes, including when the source is destroyed.
*/

/*!
    \fn void IpcMessageModel::topicChanged()

    Emitted when \l topic changes.
*/

/*!
    \fn void IpcMessageModel::countChanged()

    Emitted when \l count changes: when a message is logged, when maxCount removes rows and on
    clear().
*/

/*!
    \fn void IpcMessageModel::maxCountChanged()

    Emitted when \l maxCount changes.
*/

/*!
    Constructs an empty model with no source, a child of \a parent.
*/
IpcMessageModel::IpcMessageModel(QObject *parent)
    : QAbstractListModel(parent), d(std::make_unique<IpcMessageModelPrivate>(this))
{ }

/*!
    Destroys the model.
*/
IpcMessageModel::~IpcMessageModel() = default;

QObject *IpcMessageModel::source() const
{
    return d->source;
}

void IpcMessageModel::setSource(QObject *source)
{
    if (d->source == source)
        return;
    auto *endpoint = qobject_cast<IpcEndpoint *>(source);
    if (source && !endpoint) {
        qWarning("IpcMessageModel: the source must be an IpcServer or an IpcClient, not a %s",
                 source->metaObject()->className());
        return;
    }
    d->flushDeferred();  // what the old source's read brought: its rows now
    disconnect(d->messageConnection);
    disconnect(d->destroyedConnection);
    d->source = source;
    if (endpoint) {
        d->messageConnection =
                connect(endpoint, &IpcEndpoint::messageReceived, this,
                        [this](const QString &topic, const QVariant &message,
                               const QString &clientId) { d->append(topic, message, clientId); });
    }
    if (source) {
        d->destroyedConnection = connect(source, &QObject::destroyed, this, [this] {
            d->source = nullptr;
            d->flushDeferred();
            emit sourceChanged();
        });
    }
    emit sourceChanged();
}

QString IpcMessageModel::topic() const
{
    return d->topic;
}

void IpcMessageModel::setTopic(const QString &topic)
{
    if (d->topic == topic)
        return;
    d->topic = topic;
    d->topicIsPattern = IpcTopic::isPattern(topic);
    emit topicChanged();
}

int IpcMessageModel::count() const
{
    return int(d->entries.size());
}

int IpcMessageModel::maxCount() const
{
    return d->maxCount;
}

void IpcMessageModel::setMaxCount(int maxCount)
{
    maxCount = qMax(0, maxCount);
    if (d->maxCount == maxCount)
        return;
    d->maxCount = maxCount;
    const int before = count();
    if (maxCount > 0 && int(d->arrived.size()) > maxCount)
        d->arrived.erase(d->arrived.begin(), d->arrived.end() - maxCount);
    d->trim();
    emit maxCountChanged();
    if (count() != before)
        emit countChanged();
}

/*!
    Returns \a row as a map with the role names as keys: \c topic, \c message, \c clientId and
    \c timestamp. An empty map when \a row is out of range. Callable from QML.
*/
QVariantMap IpcMessageModel::get(int row) const
{
    if (row < 0 || row >= count())
        return {};
    const Entry &entry = d->entries[size_t(row)];
    return {{QStringLiteral("topic"), entry.topic},
            {QStringLiteral("message"), entry.message},
            {QStringLiteral("clientId"), entry.clientId},
            {QStringLiteral("timestamp"), entry.timestamp()}};
}

/*!
    \reimp

    Returns count() for the root (an invalid \a parent); 0 for any other parent, as a list has no
    children.
*/
int IpcMessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : count();
}

/*!
    \reimp

    Returns the \a role of the row at \a index: one of \l Role, or for \c Qt::DisplayRole
    \c {"topic: message"} with the message as compact JSON. An invalid QVariant for an invalid
    \a index or another role.
*/
QVariant IpcMessageModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &entry = d->entries[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        // For a QListView: "topic: message" with the message as compact JSON.
        return QStringLiteral("%1: %2").arg(
                entry.topic,
                QString::fromUtf8(QJsonDocument::fromVariant(QVariantList{entry.message})
                                          .toJson(QJsonDocument::Compact)
                                          .sliced(1)
                                          .chopped(1)));
    case TopicRole: return entry.topic;
    case MessageRole: return entry.message;
    case ClientIdRole: return entry.clientId;
    case TimestampRole: return entry.timestamp();
    default: return {};
    }
}

/*!
    \reimp

    Returns the base class's role names and those of \l Role: \c topic, \c message, \c clientId and
    \c timestamp.
*/
QHash<int, QByteArray> IpcMessageModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(TopicRole, "topic");
    names.insert(MessageRole, "message");
    names.insert(ClientIdRole, "clientId");
    names.insert(TimestampRole, "timestamp");
    return names;
}

/*!
    Removes every row (a model reset). Does nothing when there is none.
*/
void IpcMessageModel::clear()
{
    d->arrived.clear();
    if (d->entries.empty())
        return;
    beginResetModel();
    d->entries.clear();
    endResetModel();
    emit countChanged();
}

#include "ipcmessagemodel.h"

#include "ipcendpoint.h"
#include "ipctopic.h"

#include <QtCore/qjsondocument.h>
#include <QtCore/qpointer.h>

#include <deque>

namespace {
struct Entry
{
    QString topic;
    QVariant message;
    QString clientId;
    QDateTime timestamp;
};
}  // namespace

class IpcMessageModelPrivate
{
public:
    explicit IpcMessageModelPrivate(IpcMessageModel *q) : q(q) { }

    void append(const QString &topic, const QVariant &message, const QString &clientId);
    void trim();

    IpcMessageModel *const q;
    QPointer<QObject> source;
    QMetaObject::Connection messageConnection;
    QMetaObject::Connection destroyedConnection;
    QString topic;
    bool topicIsPattern = false;
    int maxCount = IpcMessageModel::DefaultMaxCount;
    std::deque<Entry> entries;  // cheap removal at the front, where the oldest are
};

void IpcMessageModelPrivate::append(const QString &messageTopic, const QVariant &message,
                                    const QString &clientId)
{
    if (!topic.isEmpty()
        && (topicIsPattern ? !IpcTopic::matches(topic, messageTopic) : messageTopic != topic))
        return;
    const int row = int(entries.size());
    q->beginInsertRows({}, row, row);
    entries.push_back({messageTopic, message, clientId, QDateTime::currentDateTime()});
    q->endInsertRows();
    trim();
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

IpcMessageModel::IpcMessageModel(QObject *parent)
    : QAbstractListModel(parent), d(std::make_unique<IpcMessageModelPrivate>(this))
{ }

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
    d->trim();
    emit maxCountChanged();
    if (count() != before)
        emit countChanged();
}

QVariantMap IpcMessageModel::get(int row) const
{
    if (row < 0 || row >= count())
        return {};
    const Entry &entry = d->entries[size_t(row)];
    return {{QStringLiteral("topic"), entry.topic},
            {QStringLiteral("message"), entry.message},
            {QStringLiteral("clientId"), entry.clientId},
            {QStringLiteral("timestamp"), entry.timestamp}};
}

int IpcMessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : count();
}

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
    case TimestampRole: return entry.timestamp;
    default: return {};
    }
}

QHash<int, QByteArray> IpcMessageModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(TopicRole, "topic");
    names.insert(MessageRole, "message");
    names.insert(ClientIdRole, "clientId");
    names.insert(TimestampRole, "timestamp");
    return names;
}

void IpcMessageModel::clear()
{
    if (d->entries.empty())
        return;
    beginResetModel();
    d->entries.clear();
    endResetModel();
    emit countChanged();
}

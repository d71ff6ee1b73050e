#include "ipctopic.h"
#include "ipctopic_p.h"

#include "ipcclient.h"
#include "ipcclient_p.h"
#include "ipcserver.h"
#include "ipcserver_p.h"

#include <QtCore/qvarlengtharray.h>

IpcTopic::IpcTopic(QObject *parent) : QObject(parent), d(std::make_unique<IpcTopicPrivate>()) { }

IpcTopic::IpcTopic(const QString &name, QObject *source, QObject *parent) : IpcTopic(parent)
{
    d->name = name;
    setSource(source);
}

IpcTopic::~IpcTopic()
{
    if (IpcTopicRegistry *registry = IpcTopicRegistry::of(d->source))
        registry->remove(this);
}

QObject *IpcTopic::source() const
{
    return d->source;
}

void IpcTopic::setSource(QObject *source)
{
    if (d->source == source)
        return;
    if (source && !IpcTopicRegistry::of(source)) {
        qWarning("IpcTopic: the source must be an IpcServer or an IpcClient, not a %s",
                 source->metaObject()->className());
        return;
    }
    if (IpcTopicRegistry *registry = IpcTopicRegistry::of(d->source))
        registry->remove(this);
    disconnect(d->sourceDestroyed);
    d->source = source;
    if (source) {
        d->sourceDestroyed = connect(source, &QObject::destroyed, this, [this] {
            d->source = nullptr;
            emit sourceChanged();
        });
        if (!d->name.isEmpty())
            IpcTopicRegistry::of(source)->add(this);
    }
    emit sourceChanged();
}

QString IpcTopic::name() const
{
    return d->name;
}

void IpcTopic::setName(const QString &name)
{
    if (d->name == name)
        return;
    IpcTopicRegistry *registry = IpcTopicRegistry::of(d->source);
    if (registry)
        registry->remove(this);
    d->name = name;
    if (registry && !name.isEmpty())
        registry->add(this);
    emit nameChanged();
}

QVariant IpcTopic::lastMessage() const
{
    return d->lastMessage;
}

QString IpcTopic::lastClientId() const
{
    return d->lastClientId;
}

int IpcTopic::count() const
{
    return d->count;
}

IpcTopicRegistry::~IpcTopicRegistry()
{
    // The source is going away: its topics (owned ones are its children and die next)
    // must not reach back into it.
    const auto topics = m_topics.values();
    m_topics.clear();
    m_owned.clear();
    for (IpcTopic *topic : topics) {
        QObject::disconnect(topic->d->sourceDestroyed);
        topic->d->source = nullptr;
        emit topic->sourceChanged();
    }
}

void IpcTopicRegistry::add(IpcTopic *topic)
{
    m_topics.insert(topic->name(), topic);
}

void IpcTopicRegistry::remove(IpcTopic *topic)
{
    m_topics.remove(topic->name(), topic);
    const auto owned = m_owned.constFind(topic->name());
    if (owned != m_owned.constEnd() && *owned == topic)
        m_owned.erase(owned);
}

void IpcTopicRegistry::deliver(const QString &topic, const QVariant &message,
                               const QString &clientId)
{
    auto [it, end] = m_topics.equal_range(topic);
    if (it == end)
        return;
    // A receiver may unsubscribe or delete topics: deliver to a snapshot.
    QVarLengthArray<QPointer<IpcTopic>, 4> targets;
    for (; it != end; ++it)
        targets.append(it.value());
    for (const QPointer<IpcTopic> &target : targets) {
        if (!target || target->name() != topic)
            continue;
        IpcTopicPrivate *d = target->d.get();
        d->lastMessage = message;
        d->lastClientId = clientId;
        ++d->count;
        emit target->messageReceived(message, clientId);
        if (target)
            emit target->lastMessageChanged();
        if (target)
            emit target->countChanged();
    }
}

IpcTopic *IpcTopicRegistry::owned(const QString &name, QObject *owner)
{
    IpcTopic *&topic = m_owned[name];
    if (!topic)
        topic = new IpcTopic(name, owner, owner);
    return topic;
}

IpcTopicRegistry *IpcTopicRegistry::of(QObject *source)
{
    if (!source)
        return nullptr;
    if (auto *server = qobject_cast<IpcServer *>(source))
        return server->d ? &server->d->topics : nullptr;
    if (auto *client = qobject_cast<IpcClient *>(source))
        return client->d ? &client->d->topics : nullptr;
    return nullptr;
}

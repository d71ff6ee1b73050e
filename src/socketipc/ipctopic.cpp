#include "ipctopic.h"
#include "ipctopic_p.h"

#include "ipcendpoint_p.h"

#include <QtCore/qvarlengtharray.h>

#include <functional>

/*!
    \class IpcTopic
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcTopic
    \brief The \l [CPP] {IpcTopic} class receives one topic's messages from a server or a client.

    An \l [CPP] {IpcTopic} subscribes to the messages of one topic, its \l name, from its \l source,
    a server (the messages its clients send) or a client (those its server sends). It keeps the
    latest one in \l lastMessage, counts them, and emits messageReceived() for each:

    \snippet ipctopic.cpp overview

    Use the source's own subscription, \l [CPP] {IpcEndpoint::}{topic()}, or make your own with a
    parent; several topics may share a name, and each of them receives every message on it. Deleting
    the object, or clearing its \l source or \l name, unsubscribes. The properties may be set in any
    order, as QML sets them: the subscription starts once both are set.

    Delivery costs a hash look-up, whatever the number of topics, so unrelated subscriptions cost
    nothing. Only messages reach a topic: requests go to handlers (\l
    [CPP] {IpcEndpoint::}{handle()}), never to topics.

    \section1 Retained values

    A client's topic gets the server's retained message on it (\l [CPP] {IpcServer::retain()}) when
    the client connects, before \l [CPP] {IpcClient::}{connected()} and before anything newer, so
    that it holds the current state at once. \l hasValue says whether it holds a value; when the
    server clears that retained message (\l [CPP] {IpcServer::}{clearRetained()}), the topic loses
    it: \l lastMessage becomes invalid and \l hasValue false.

    \section1 Patterns

    A name with a \c * or \c # segment is a pattern. Topics are dot-separated segments; \c * matches
    exactly one segment and \c # any number of them, none included: \c sensor.* matches
    \c sensor.cpu (not \c sensor, nor \c sensor.cpu.load), \c sensor.# matches all three, and
    \c #.error any topic whose last segment is \c error. A \c * or \c # inside a segment (\c sen*)
    is an ordinary character. A pattern topic receives every matching message; \l lastTopic and the
    third argument of messageReceived() say which topic it came on.

    \snippet ipctopic.cpp pattern

    Patterns sit in a tree walked by the topic's segments, so delivery does not look at unrelated
    subscriptions. matches() is the matcher on its own.

    \l [CPP] {IpcEndpoint::on()} connects a functor to a topic's (or pattern's) messages, through
    the source's own \l [CPP] {IpcTopic}, while a context object lives; \l [CPP] {IpcMessageModel}
    logs messages for a view.

    \section1 Bursts: one notification per read

    messageReceived() is emitted for every message, as it arrives, and the properties hold that
    message when it is: code that needs every message connects to it. The property notifications
    (lastMessageChanged(), countChanged(), hasValueChanged()) are emitted once per read instead,
    after the messages the read brought (what arrived in one event-loop turn, up to the read
    budget), on the newest values. So a dashboard whose \c Text is bound to lastMessage
    re-evaluates that binding once per read, not once per message, while a topic streams tens of
    thousands of messages a second; \l count still counts every one. Outside a read (nothing
    delivers there today) the notifications follow each message at once. On an \l [CPP] {IpcClient},
    the retained messages' notifications are emitted before \l [CPP] {IpcClient::}{connected()}.

    A subscriber that only wants the newest value sets \l conflate: messageReceived() then comes
    once per read too, with its newest message, and \l skippedCount counts the ones it did not
    deliver (as \c ZMQ_CONFLATE does for ZeroMQ):

    \snippet ipctopic.cpp conflate

    A topic lives in the thread of its source. In QML it is the \l [QML] {IpcTopic} type.

    \sa {Messaging: Topics, Requests and Retained State}
*/

/*!
    \property IpcTopic::source
    \brief the server or client whose messages this topic receives.

    An \l [CPP] {IpcServer} or an \l [CPP] {IpcClient}; null by default. Setting another kind of
    object is refused with a warning, leaving the source as it was. Cleared (with sourceChanged())
    when the source is destroyed; the topic stays usable. Setting null unsubscribes.
*/

/*!
    \property IpcTopic::name
    \brief the topic whose messages this object receives, or a pattern of topics.

    Empty by default; empty means no subscription. Renaming moves the subscription to the new name
    at once. lastMessage and count are kept.

    \sa isPattern()
*/

/*!
    \property IpcTopic::lastMessage
    \brief the latest message received.

    Invalid until a message arrives, and again when the server clears the retained message it held.
    It holds each message when messageReceived() is emitted for it; its notifier,
    lastMessageChanged(), comes once per read, after the read's messages (see
    \l {Bursts: one notification per read}), so a binding on it shows the newest.
*/

/*!
    \property IpcTopic::lastClientId
    \brief the id of the client that sent lastMessage, when the source is a server; empty on a
    client.

    Notified with lastMessageChanged().
*/

/*!
    \property IpcTopic::lastTopic
    \brief the topic lastMessage came on.

    \l name, unless \l name is a pattern: then the topic it matched. Notified with
    lastMessageChanged().
*/

/*!
    \property IpcTopic::count
    \brief the number of messages this object has received.

    Every message counts, conflated ones too. Not reset when \l name or \l source change.
    countChanged() is emitted once per read, after lastMessageChanged().
*/

/*!
    \property IpcTopic::conflate
    \brief whether messageReceived() comes at most once per read, with the newest message.

    False by default: messageReceived() for every message. True suits a subscriber that only
    shows the latest state: of the messages one read brings, messageReceived() delivers the
    newest, once, after the property notifications, and \l skippedCount counts the others.
    \l lastMessage and \l count follow every message either way.
*/

/*!
    \property IpcTopic::skippedCount
    \brief the number of messages conflation did not deliver to messageReceived().

    Zero until \l conflate is set; it then grows by all but one of the messages of each read
    that brings more than one. Together with the deliveries it adds up to the messages received
    while conflating.
*/

/*!
    \property IpcTopic::hasValue
    \brief whether lastMessage holds a value.

    True once a message arrived, or the server's retained message was delivered on connecting; false
    again when the server clears that retained message. False by default.
*/

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn void IpcTopic::messageReceived(const QVariant &message, const QString &clientId, const QString &topic)

    Emitted for each \a message on this topic as it arrives, with \l lastMessage and \l count
    already holding it; the property notifications follow once per read. With \l conflate set,
    emitted once per read instead, for its newest message, after the notifications.
    \a clientId names the sending client when the source is a server, and is empty on a client.
    \a topic is \l name, unless \l name is a pattern: then the topic that matched.

    The message comes first, unlike \l [CPP] {IpcEndpoint::messageReceived}(topic, message,
    clientId): here the topic is known, so it comes last, and a slot may take the message alone.
*/
// clang-format on

/*!
    \fn void IpcTopic::sourceChanged()

    Emitted when \l source changes, including when the source is destroyed.
*/

/*!
    \fn void IpcTopic::nameChanged()

    Emitted when \l name changes.
*/

/*!
    \fn void IpcTopic::lastMessageChanged()

    Emitted when \l lastMessage, \l lastClientId and \l lastTopic change: once per read that
    brought messages, after their messageReceived() signals, and when a cleared retained message
    takes the value away.
*/

/*!
    \fn void IpcTopic::conflateChanged()

    Emitted when \l conflate changes.
*/

/*!
    \fn void IpcTopic::skippedCountChanged()

    Emitted when \l skippedCount changes: at most once per read.
*/

/*!
    \fn void IpcTopic::countChanged()

    Emitted when \l count changes: once per read that brought messages.
*/

/*!
    \fn void IpcTopic::hasValueChanged()

    Emitted when \l hasValue changes: with the first message, and when the server clears the
    retained message the topic held.
*/

/*!
    Constructs a topic with no source and no name, a child of \a parent. It receives nothing until
    both are set.
*/
IpcTopic::IpcTopic(QObject *parent) : QObject(parent), d(std::make_unique<IpcTopicPrivate>()) { }

/*!
    Constructs a topic subscribed to \a name on \a source (an \l [CPP] {IpcServer} or an \l [CPP]
    {IpcClient}), a child of \a parent.
*/
IpcTopic::IpcTopic(const QString &name, QObject *source, QObject *parent) : IpcTopic(parent)
{
    d->name = name;
    setSource(source);
}

/*!
    Destroys the topic, which unsubscribes it.
*/
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
    const QPointer<IpcTopic> guard(this);
    emit sourceChanged();
    if (guard)  // what the old source's read had not notified yet
        IpcTopicRegistry::notifyChanges(this);
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
    const QPointer<IpcTopic> guard(this);
    emit nameChanged();
    if (guard)  // what the read under way had not notified yet
        IpcTopicRegistry::notifyChanges(this);
}

bool IpcTopic::conflate() const
{
    return d->conflate;
}

void IpcTopic::setConflate(bool conflate)
{
    if (d->conflate == conflate)
        return;
    d->conflate = conflate;
    const QPointer<IpcTopic> guard(this);
    emit conflateChanged();
    // Off in the middle of a read: the newest message so far goes now, before the read's
    // later messages do.
    if (guard && !conflate && std::exchange(d->pending, false)) {
        const QVariant message = std::exchange(d->pendingMessage, {});
        emit messageReceived(message, d->pendingClientId, d->pendingTopic);
    }
}

qint64 IpcTopic::skippedCount() const
{
    return d->skippedCount;
}

QVariant IpcTopic::lastMessage() const
{
    return d->lastMessage;
}

QString IpcTopic::lastClientId() const
{
    return d->lastClientId;
}

QString IpcTopic::lastTopic() const
{
    return d->lastTopic;
}

int IpcTopic::count() const
{
    return d->count;
}

bool IpcTopic::hasValue() const
{
    return d->hasValue;
}

namespace {

constexpr QChar Separator = u'.';

QList<QStringView> segmentsOf(QStringView name)
{
    QList<QStringView> segments;
    for (QStringView segment : name.tokenize(Separator))
        segments.append(segment);
    return segments;
}

bool matchFrom(const QList<QStringView> &pattern, qsizetype i, const QList<QStringView> &topic,
               qsizetype j)
{
    for (; i < pattern.size(); ++i, ++j) {
        if (pattern.at(i) == u"#") {
            for (qsizetype k = j; k <= topic.size(); ++k) {
                if (matchFrom(pattern, i + 1, topic, k))
                    return true;
            }
            return false;
        }
        if (j == topic.size() || (pattern.at(i) != u"*" && pattern.at(i) != topic.at(j)))
            return false;
    }
    return j == topic.size();
}

bool isWildcard(QStringView segment)
{
    return segment == u"*" || segment == u"#";
}

// Builds the chain of nodes for pattern's segments under root.
IpcPatternNode *nodeFor(IpcPatternNode *root, QStringView pattern)
{
    IpcPatternNode *node = root;
    for (QStringView segment : pattern.tokenize(Separator)) {
        std::unique_ptr<IpcPatternNode> *next;
        if (segment == u"*")
            next = &node->anyOne;
        else if (segment == u"#")
            next = &node->anyMore;
        else
            next = &node->children[segment.toString()];
        if (!*next)
            *next = std::make_unique<IpcPatternNode>();
        node = next->get();
    }
    return node;
}

// Removes topic from where pattern ends, and the branches that leaves empty.
bool prune(IpcPatternNode *node, const QList<QStringView> &segments, qsizetype i, IpcTopic *topic)
{
    if (i == segments.size()) {
        node->topics.removeOne(topic);
        return node->isEmpty();
    }
    const QStringView segment = segments.at(i);
    auto removeIfEmpty = [&](std::unique_ptr<IpcPatternNode> &child) {
        if (child && prune(child.get(), segments, i + 1, topic))
            child.reset();
    };
    if (segment == u"*") {
        removeIfEmpty(node->anyOne);
    } else if (segment == u"#") {
        removeIfEmpty(node->anyMore);
    } else {
        const auto it = node->children.find(segment.toString());
        if (it != node->children.end()) {
            removeIfEmpty(it->second);
            if (!it->second)
                node->children.erase(it);
        }
    }
    return node->isEmpty();
}

void collect(const IpcPatternNode &node, const QList<QStringView> &segments, qsizetype i,
             IpcTopicRegistry::Matches *out)
{
    if (node.anyMore) {
        // "#" takes none, one, ... or all of the remaining segments.
        for (qsizetype j = i; j <= segments.size(); ++j)
            collect(*node.anyMore, segments, j, out);
    }
    if (i == segments.size()) {
        for (IpcTopic *topic : node.topics) {
            if (!out->contains(topic))  // a pattern with two "#" can match in two ways
                out->append(topic);
        }
        return;
    }
    if (!node.children.empty()) {
        const auto it = node.children.find(segments.at(i).toString());
        if (it != node.children.end())
            collect(*it->second, segments, i + 1, out);
    }
    if (node.anyOne)
        collect(*node.anyOne, segments, i + 1, out);
}

}  // namespace

/*!
    Returns whether \a name is a pattern: whether one of its dot-separated segments is \c * or \c #.
*/
bool IpcTopic::isPattern(QStringView name)
{
    for (QStringView segment : name.tokenize(Separator)) {
        if (isWildcard(segment))
            return true;
    }
    return false;
}

/*!
    Returns whether \a topic matches \a pattern. A plain name matches only itself.

    \snippet ipctopic.cpp matches

    \sa isPattern()
*/
bool IpcTopic::matches(QStringView pattern, QStringView topic)
{
    if (!isPattern(pattern))
        return pattern == topic;
    return matchFrom(segmentsOf(pattern), 0, segmentsOf(topic), 0);
}

void IpcTopicRegistry::match(const IpcPatternNode &root, QStringView topic, Matches *out)
{
    collect(root, segmentsOf(topic), 0, out);
}

IpcTopicRegistry::~IpcTopicRegistry()
{
    // Deleted in the middle of a read: what the topics hold is notified below.
    const QList<QPointer<IpcTopic>> dirty = std::exchange(m_dirty, {});
    for (const QPointer<IpcTopic> &topic : dirty) {
        if (!topic)
            continue;
        IpcTopicPrivate *d = topic->d.get();
        d->queued = false;
        if (std::exchange(d->pending, false)) {
            ++d->skippedCount;
            d->skippedChanged = true;
            d->pendingMessage.clear();
        }
    }
    // The source is going away: its topics (owned ones are its children and die next)
    // must not reach back into it.
    QList<IpcTopic *> topics = m_topics.values();
    std::function<void(const IpcPatternNode &)> gather = [&](const IpcPatternNode &node) {
        topics += node.topics;
        for (const auto &child : node.children)
            gather(*child.second);
        if (node.anyOne)
            gather(*node.anyOne);
        if (node.anyMore)
            gather(*node.anyMore);
    };
    gather(m_patterns);
    m_topics.clear();
    m_patterns = IpcPatternNode();
    m_patternCount = 0;
    m_owned.clear();
    for (IpcTopic *topic : topics) {
        QObject::disconnect(topic->d->sourceDestroyed);
        topic->d->source = nullptr;
        emit topic->sourceChanged();
    }
    for (const QPointer<IpcTopic> &topic : dirty) {
        if (topic)
            notifyChanges(topic);
    }
}

void IpcTopicRegistry::add(IpcTopic *topic)
{
    if (IpcTopic::isPattern(topic->name())) {
        nodeFor(&m_patterns, topic->name())->topics.append(topic);
        ++m_patternCount;
        return;
    }
    m_topics.insert(topic->name(), topic);
}

void IpcTopicRegistry::remove(IpcTopic *topic)
{
    if (IpcTopic::isPattern(topic->name())) {
        prune(&m_patterns, segmentsOf(topic->name()), 0, topic);
        --m_patternCount;
    } else {
        m_topics.remove(topic->name(), topic);
    }
    const auto owned = m_owned.constFind(topic->name());
    if (owned != m_owned.constEnd() && *owned == topic)
        m_owned.erase(owned);
    IpcTopicPrivate *d = topic->d.get();
    if (std::exchange(d->queued, false))
        m_dirty.removeOne(topic);
    if (std::exchange(d->pending, false)) {  // unsubscribed before the read ended
        ++d->skippedCount;
        d->skippedChanged = true;
        d->pendingMessage.clear();
    }
}

void IpcTopicRegistry::queue(IpcTopic *topic)
{
    if (!std::exchange(topic->d->queued, true))
        m_dirty.append(topic);
}

bool IpcTopicRegistry::notifyChanges(IpcTopic *topic)
{
    const QPointer<IpcTopic> guard(topic);
    IpcTopicPrivate *d = topic->d.get();
    if (std::exchange(d->lastChanged, false)) {
        emit topic->lastMessageChanged();
        if (!guard)
            return false;
    }
    if (d->notifiedCount != d->count) {
        d->notifiedCount = d->count;
        emit topic->countChanged();
        if (!guard)
            return false;
    }
    if (d->notifiedHasValue != d->hasValue) {
        d->notifiedHasValue = d->hasValue;
        emit topic->hasValueChanged();
        if (!guard)
            return false;
    }
    if (std::exchange(d->skippedChanged, false)) {
        emit topic->skippedCountChanged();
        if (!guard)
            return false;
    }
    return true;
}

void IpcTopicRegistry::flush()
{
    if (m_dirty.isEmpty())
        return;
    // Taken out first: a slot may delete this registry's source, and with it this registry.
    const QList<QPointer<IpcTopic>> dirty = std::exchange(m_dirty, {});
    for (const QPointer<IpcTopic> &entry : dirty) {
        IpcTopic *target = entry;
        if (!target)
            continue;
        IpcTopicPrivate *d = target->d.get();
        d->queued = false;
        if (!notifyChanges(target) || !std::exchange(d->pending, false))
            continue;
        const QVariant message = std::exchange(d->pendingMessage, {});
        emit target->messageReceived(message, d->pendingClientId, d->pendingTopic);
    }
}

void IpcTopicRegistry::deliver(const QString &topic, const QVariant &message,
                               const QString &clientId)
{
    // A receiver may unsubscribe, rename or delete topics: deliver to a snapshot, and skip
    // what changed meanwhile.
    struct Target
    {
        QPointer<IpcTopic> topic;
        QString name;
    };
    QVarLengthArray<Target, 4> targets;
    for (auto [it, end] = m_topics.equal_range(topic); it != end; ++it)
        targets.append({it.value(), it.value()->name()});
    if (m_patternCount > 0) {
        Matches matched;
        match(m_patterns, topic, &matched);
        for (IpcTopic *target : matched)
            targets.append({target, target->name()});
    }
    const bool deferred = deferring();
    for (const Target &entry : targets) {
        IpcTopic *target = entry.topic;
        if (!target || target->name() != entry.name
            || IpcTopicRegistry::of(target->source()) != this)
            continue;
        IpcTopicPrivate *d = target->d.get();
        d->lastMessage = message;
        d->lastClientId = clientId;
        d->lastTopic = topic;
        ++d->count;
        d->hasValue = true;
        d->lastChanged = true;
        if (!deferred) {
            // Outside a read, nothing gathers them: the properties first, so that a handler
            // of messageReceived that reads a binding on lastMessage sees this message.
            if (notifyChanges(target))
                emit target->messageReceived(message, clientId, topic);
            continue;
        }
        // In a read: the notifications once, at its end (flush()); every message still
        // reaches messageReceived() now, unless the topic conflates.
        queue(target);
        if (!d->conflate) {
            emit target->messageReceived(message, clientId, topic);
            continue;
        }
        if (std::exchange(d->pending, true)) {
            ++d->skippedCount;
            d->skippedChanged = true;
        }
        d->pendingMessage = message;
        d->pendingClientId = clientId;
        d->pendingTopic = topic;
    }
}

void IpcTopicRegistry::forget(const QString &topic)
{
    QList<QPointer<IpcTopic>> targets;
    for (auto [it, end] = m_topics.equal_range(topic); it != end; ++it)
        targets.append(it.value());
    if (m_patternCount > 0) {
        Matches matched;
        match(m_patterns, topic, &matched);
        for (IpcTopic *target : matched)
            targets.append(target);
    }
    const bool deferred = deferring();
    for (const QPointer<IpcTopic> &target : std::as_const(targets)) {
        if (!target || !target->d->hasValue || target->d->lastTopic != topic)
            continue;
        IpcTopicPrivate *d = target->d.get();
        d->hasValue = false;
        d->lastMessage = QVariant();
        d->lastClientId.clear();
        d->lastTopic.clear();
        d->lastChanged = true;
        if (deferred)
            queue(target);
        else
            notifyChanges(target);
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
    auto *endpoint = qobject_cast<IpcEndpoint *>(source);
    IpcEndpointPrivate *d = endpoint ? IpcEndpointPrivate::get(endpoint) : nullptr;
    return d ? &d->topics : nullptr;  // null too while the endpoint is being destroyed
}

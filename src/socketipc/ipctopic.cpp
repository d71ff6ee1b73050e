#include "ipctopic.h"
#include "ipctopic_p.h"

#include "ipcendpoint_p.h"

#include <QtCore/qvarlengtharray.h>

#include <functional>

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

bool IpcTopic::isPattern(QStringView name)
{
    for (QStringView segment : name.tokenize(Separator)) {
        if (isWildcard(segment))
            return true;
    }
    return false;
}

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
        const bool first = !std::exchange(d->hasValue, true);
        // The properties first, so that a handler of messageReceived that reads a binding
        // on lastMessage sees this message, not the one before.
        emit target->lastMessageChanged();
        if (entry.topic)
            emit target->countChanged();
        if (entry.topic && first)
            emit target->hasValueChanged();
        if (entry.topic)
            emit target->messageReceived(message, clientId, topic);
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
    for (const QPointer<IpcTopic> &target : std::as_const(targets)) {
        if (!target || !target->d->hasValue || target->d->lastTopic != topic)
            continue;
        IpcTopicPrivate *d = target->d.get();
        d->hasValue = false;
        d->lastMessage = QVariant();
        d->lastClientId.clear();
        d->lastTopic.clear();
        emit target->lastMessageChanged();
        if (target)
            emit target->hasValueChanged();
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

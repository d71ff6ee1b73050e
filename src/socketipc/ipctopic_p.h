#ifndef IPCTOPIC_P_H
#define IPCTOPIC_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipctopic.h"

#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvarlengtharray.h>

#include <memory>
#include <unordered_map>

class IpcTopicPrivate
{
public:
    QPointer<QObject> source;
    QMetaObject::Connection sourceDestroyed;
    QString name;
    QVariant lastMessage;
    QString lastClientId;
    QString lastTopic;
    int count = 0;
    bool hasValue = false;
    bool conflate = false;
    qint64 skippedCount = 0;

    // Notifications wait for the end of a read (IpcTopicRegistry::flush()): what changed
    // since the last ones.
    bool queued = false;  // in the registry's dirty list
    bool lastChanged = false;
    bool skippedChanged = false;
    int notifiedCount = 0;
    bool notifiedHasValue = false;
    // conflate: the newest message of the read, for the one messageReceived() at its end.
    bool pending = false;
    QVariant pendingMessage;
    QString pendingClientId;
    QString pendingTopic;
};

// Patterns (IpcTopic::isPattern()) by their segments: a message's topic walks down the
// branches its segments name, so unrelated patterns are never looked at.
struct IpcPatternNode
{
    std::unordered_map<QString, std::unique_ptr<IpcPatternNode>> children;
    std::unique_ptr<IpcPatternNode> anyOne;   // "*"
    std::unique_ptr<IpcPatternNode> anyMore;  // "#"
    QList<IpcTopic *> topics;                 // the patterns that end here

    bool isEmpty() const { return children.empty() && !anyOne && !anyMore && topics.isEmpty(); }
};

// The topics subscribed to on one server or client. Delivery is one hash look-up for exact
// names, and a walk along the topic's segments for patterns, so unrelated subscriptions cost
// nothing.
class IpcTopicRegistry
{
public:
    IpcTopicRegistry() = default;
    ~IpcTopicRegistry();
    Q_DISABLE_COPY_MOVE(IpcTopicRegistry)

    void add(IpcTopic *topic);
    // Also drops what topic's notifications wait for here: notifyChanges() catches up.
    void remove(IpcTopic *topic);
    bool isEmpty() const { return m_topics.isEmpty() && m_patternCount == 0; }
    // While *readCounter is above zero (the owner's reads under way), deliver() and forget()
    // set the values at once and leave the property notifications (and a conflating topic's
    // messageReceived()) to flush(), at the end of the read.
    void setReadCounter(const int *readCounter) { m_reading = readCounter; }
    void deliver(const QString &topic, const QVariant &message, const QString &clientId);
    // The server cleared topic's retained message: subscriptions whose last message came on
    // topic hold no value any more.
    void forget(const QString &topic);
    void flush();
    // Emits the notifications of what changed since the last ones; false if topic was
    // deleted by a slot meanwhile.
    static bool notifyChanges(IpcTopic *topic);
    // The owner's own subscription to name, created on first use.
    IpcTopic *owned(const QString &name, QObject *owner);

    // The registry of an IpcServer or IpcClient; nullptr for any other object.
    static IpcTopicRegistry *of(QObject *source);

    using Matches = QVarLengthArray<IpcTopic *, 4>;
    // The patterns of root that match topic, each once.
    static void match(const IpcPatternNode &root, QStringView topic, Matches *out);

private:
    QMultiHash<QString, IpcTopic *> m_topics;  // exact names
    IpcPatternNode m_patterns;
    int m_patternCount = 0;
    QHash<QString, IpcTopic *> m_owned;
    const int *m_reading = nullptr;
    QList<QPointer<IpcTopic>> m_dirty;  // notifications waiting for the end of the read

    bool deferring() const { return m_reading && *m_reading > 0; }
    void queue(IpcTopic *topic);
};

#endif  // IPCTOPIC_P_H

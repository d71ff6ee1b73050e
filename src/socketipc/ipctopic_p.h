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

class IpcTopicPrivate
{
public:
    QPointer<QObject> source;
    QMetaObject::Connection sourceDestroyed;
    QString name;
    QVariant lastMessage;
    QString lastClientId;
    int count = 0;
};

// The topics subscribed to on one server or client. Delivery is one hash look-up, so
// unrelated subscriptions cost nothing.
class IpcTopicRegistry
{
public:
    IpcTopicRegistry() = default;
    ~IpcTopicRegistry();
    Q_DISABLE_COPY_MOVE(IpcTopicRegistry)

    void add(IpcTopic *topic);
    void remove(IpcTopic *topic);
    bool isEmpty() const { return m_topics.isEmpty(); }
    void deliver(const QString &topic, const QVariant &message, const QString &clientId);
    // The owner's own subscription to name, created on first use.
    IpcTopic *owned(const QString &name, QObject *owner);

    // The registry of an IpcServer or IpcClient; nullptr for any other object.
    static IpcTopicRegistry *of(QObject *source);

private:
    QMultiHash<QString, IpcTopic *> m_topics;
    QHash<QString, IpcTopic *> m_owned;
};

#endif  // IPCTOPIC_P_H

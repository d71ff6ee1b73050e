#ifndef IPCTOPIC_H
#define IPCTOPIC_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <memory>

class IpcTopicPrivate;

// One topic's messages from an IpcServer or an IpcClient (the source). Only messages whose
// topic equals name() reach it; delivery costs a hash look-up, whatever the number of
// topics. Deleting the object, or clearing source or name, unsubscribes.
class SOCKETIPC_EXPORT IpcTopic : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcTopic)
    Q_PROPERTY(QObject *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString name READ name WRITE setName NOTIFY nameChanged)
    Q_PROPERTY(QVariant lastMessage READ lastMessage NOTIFY lastMessageChanged)
    Q_PROPERTY(QString lastClientId READ lastClientId NOTIFY lastMessageChanged)
    // The topic lastMessage came with: name(), unless name() is a pattern.
    Q_PROPERTY(QString lastTopic READ lastTopic NOTIFY lastMessageChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    // Whether lastMessage holds a value: a message arrived, or the server's retained one was
    // delivered on connecting. False again when the server clears that retained message.
    Q_PROPERTY(bool hasValue READ hasValue NOTIFY hasValueChanged)
public:
    explicit IpcTopic(QObject *parent = nullptr);
    // Subscribes to name on source (an IpcServer or IpcClient); parented to parent.
    IpcTopic(const QString &name, QObject *source, QObject *parent = nullptr);
    ~IpcTopic() override;

    QObject *source() const;
    void setSource(QObject *source);
    QString name() const;
    void setName(const QString &name);

    QVariant lastMessage() const;
    QString lastClientId() const;  // the sender, when the source is a server
    QString lastTopic() const;
    int count() const;  // messages received since the subscription started
    bool hasValue() const;

    // Whether name has a "*" or "#" segment.
    static bool isPattern(QStringView name);
    // Whether topic matches pattern (a plain name matches only itself).
    static bool matches(QStringView pattern, QStringView topic);

Q_SIGNALS:
    // Message first, unlike IpcEndpoint::messageReceived(topic, message, clientId): the topic
    // is known here (it is name(), unless name() is a pattern), so it comes last, and a slot
    // may take the message alone.
    void messageReceived(const QVariant &message, const QString &clientId, const QString &topic);
    void sourceChanged();
    void nameChanged();
    void lastMessageChanged();
    void countChanged();
    void hasValueChanged();

private:
    friend class IpcTopicRegistry;
    std::unique_ptr<IpcTopicPrivate> d;
};

#endif  // IPCTOPIC_H

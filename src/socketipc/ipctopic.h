#ifndef IPCTOPIC_H
#define IPCTOPIC_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <memory>

class IpcTopicPrivate;

class SOCKETIPC_EXPORT IpcTopic : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcTopic)
    Q_PROPERTY(QObject *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString name READ name WRITE setName NOTIFY nameChanged)
    Q_PROPERTY(QVariant lastMessage READ lastMessage NOTIFY lastMessageChanged)
    Q_PROPERTY(QString lastClientId READ lastClientId NOTIFY lastMessageChanged)
    Q_PROPERTY(QString lastTopic READ lastTopic NOTIFY lastMessageChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(bool hasValue READ hasValue NOTIFY hasValueChanged)
    Q_PROPERTY(bool conflate READ conflate WRITE setConflate NOTIFY conflateChanged)
    Q_PROPERTY(qint64 skippedCount READ skippedCount NOTIFY skippedCountChanged)
public:
    explicit IpcTopic(QObject *parent = nullptr);
    IpcTopic(const QString &name, QObject *source, QObject *parent = nullptr);
    ~IpcTopic() override;

    QObject *source() const;
    void setSource(QObject *source);
    QString name() const;
    void setName(const QString &name);

    QVariant lastMessage() const;
    QString lastClientId() const;
    QString lastTopic() const;
    int count() const;
    bool hasValue() const;
    bool conflate() const;
    void setConflate(bool conflate);
    qint64 skippedCount() const;

    static bool isPattern(QStringView name);
    static bool matches(QStringView pattern, QStringView topic);

Q_SIGNALS:
    void messageReceived(const QVariant &message, const QString &clientId, const QString &topic);
    void sourceChanged();
    void nameChanged();
    void lastMessageChanged();
    void countChanged();
    void hasValueChanged();
    void conflateChanged();
    void skippedCountChanged();

private:
    friend class IpcTopicRegistry;
    std::unique_ptr<IpcTopicPrivate> d;
};

#endif  // IPCTOPIC_H

#ifndef IPCSTATISTICS_H
#define IPCSTATISTICS_H

#include "socketipcglobal.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qobject.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qvariant.h>

class IpcStatisticsPrivate;

class SOCKETIPC_EXPORT IpcStatistics
{
    Q_GADGET
    Q_PROPERTY(QString clientId READ clientId CONSTANT)
    // double, not qint64, for QML, which has no 64-bit integer type (exact up to 2^53).
    Q_PROPERTY(double messagesReceived READ messagesReceived CONSTANT)
    Q_PROPERTY(double bytesReceived READ bytesReceived CONSTANT)
    Q_PROPERTY(double messagesSent READ messagesSent CONSTANT)
    Q_PROPERTY(double bytesSent READ bytesSent CONSTANT)
    Q_PROPERTY(double pendingBytes READ pendingBytes CONSTANT)
    Q_PROPERTY(double messagesDropped READ messagesDropped CONSTANT)
    Q_PROPERTY(int requestsInFlight READ requestsInFlight CONSTANT)
    Q_PROPERTY(QDateTime connectedSince READ connectedSince CONSTANT)
    Q_PROPERTY(QDateTime lastActivity READ lastActivity CONSTANT)
    Q_PROPERTY(int connectionCount READ connectionCount CONSTANT)
    Q_PROPERTY(int reconnectCount READ reconnectCount CONSTANT)
    Q_PROPERTY(int queuedMessages READ queuedMessages CONSTANT)
    Q_PROPERTY(bool valid READ isValid CONSTANT)
public:
    IpcStatistics();
    IpcStatistics(const IpcStatistics &other);
    IpcStatistics(IpcStatistics &&other) noexcept;
    IpcStatistics &operator=(const IpcStatistics &other);
    IpcStatistics &operator=(IpcStatistics &&other) noexcept;
    ~IpcStatistics();

    void swap(IpcStatistics &other) noexcept { d.swap(other.d); }

    QString clientId() const;
    qint64 messagesReceived() const;
    qint64 bytesReceived() const;
    qint64 messagesSent() const;
    qint64 bytesSent() const;
    qint64 pendingBytes() const;
    qint64 messagesDropped() const;
    int requestsInFlight() const;
    QDateTime connectedSince() const;
    QDateTime lastActivity() const;
    int connectionCount() const;
    int reconnectCount() const;
    int queuedMessages() const;
    bool isValid() const;

    Q_INVOKABLE QVariantMap toVariantMap() const;

private:
    friend class IpcStatisticsPrivate;
    // Implicitly shared, so that a field can be added without breaking binary compatibility.
    QSharedDataPointer<IpcStatisticsPrivate> d;
};

Q_DECLARE_SHARED(IpcStatistics)
Q_DECLARE_METATYPE(IpcStatistics)

#endif  // IPCSTATISTICS_H

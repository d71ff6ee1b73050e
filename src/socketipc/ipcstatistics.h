#ifndef IPCSTATISTICS_H
#define IPCSTATISTICS_H

#include "socketipcglobal.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qobject.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qvariant.h>

class IpcStatisticsPrivate;

// What went over a connection, or over all of an endpoint's: a snapshot, taken by
// IpcServer::statistics(clientId), IpcServer::statistics() (the totals) or
// IpcClient::statistics(). The counters are kept whatever happens (a few additions per
// message), so that reading them costs nothing until it is done.
//     const IpcStatistics s = server.statistics(clientId);
//     qDebug() << s.messagesReceived() << s.pendingBytes() << s.messagesDropped();
// Messages are the frames of the application's topics (requests, replies and progress
// included; the library's own frames on "socketipc." topics are not); bytes are every byte
// on the wire.
class SOCKETIPC_EXPORT IpcStatistics
{
    Q_GADGET
    // The client's id on a server; empty for totals and on a client.
    Q_PROPERTY(QString clientId READ clientId CONSTANT)
    // double, not qint64, for QML, which has no 64-bit integer type (exact up to 2^53).
    Q_PROPERTY(double messagesReceived READ messagesReceived CONSTANT)
    Q_PROPERTY(double bytesReceived READ bytesReceived CONSTANT)
    Q_PROPERTY(double messagesSent READ messagesSent CONSTANT)
    Q_PROPERTY(double bytesSent READ bytesSent CONSTANT)
    // Written but not yet taken by the peer (what maxPendingBytes limits), now.
    Q_PROPERTY(double pendingBytes READ pendingBytes CONSTANT)
    // Messages not sent to the peer because it did not read (slowClientPolicy DropMessages).
    Q_PROPERTY(double messagesDropped READ messagesDropped CONSTANT)
    // Requests sent and not yet answered, and requests of the peer being handled here, now.
    Q_PROPERTY(int requestsInFlight READ requestsInFlight CONSTANT)
    // Per connection, and a client's: when the current connection was made (a client's
    // counters start afresh with each connection). A server's totals: when it began listening.
    Q_PROPERTY(QDateTime connectedSince READ connectedSince CONSTANT)
    // When something was last read or written; invalid if nothing was.
    Q_PROPERTY(QDateTime lastActivity READ lastActivity CONSTANT)
    // Totals: connections open now (1 or 0 on a client); 1 per connection.
    Q_PROPERTY(int connectionCount READ connectionCount CONSTANT)
    // A client's: how often it reconnected after losing its server, and what waits in its
    // offline queue (maxQueuedMessages).
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
    // False for a client id the server does not know.
    bool isValid() const;

    // As JSON would hold it: {"client":ID,"messagesReceived":N,...}, times in ms since the
    // epoch (what socketipc stats prints).
    Q_INVOKABLE QVariantMap toVariantMap() const;

private:
    friend class IpcStatisticsPrivate;
    // Implicitly shared, so that a field can be added without breaking binary compatibility.
    QSharedDataPointer<IpcStatisticsPrivate> d;
};

Q_DECLARE_SHARED(IpcStatistics)
Q_DECLARE_METATYPE(IpcStatistics)

#endif  // IPCSTATISTICS_H

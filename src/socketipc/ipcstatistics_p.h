#ifndef IPCSTATISTICS_P_H
#define IPCSTATISTICS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcstatistics.h"

// The counters one connection keeps, cheaply, as it goes (IpcConnection::counters()).
struct IpcCounters
{
    qint64 messagesReceived = 0;
    qint64 bytesReceived = 0;
    qint64 messagesSent = 0;
    qint64 bytesSent = 0;
    qint64 messagesDropped = 0;
    qint64 connectedSince = 0;  // ms since the epoch
    qint64 lastActivity = 0;    // ms since the epoch; 0: never

    void add(const IpcCounters &other)
    {
        messagesReceived += other.messagesReceived;
        bytesReceived += other.bytesReceived;
        messagesSent += other.messagesSent;
        bytesSent += other.bytesSent;
        messagesDropped += other.messagesDropped;
        lastActivity = qMax(lastActivity, other.lastActivity);
    }
};

class IpcStatisticsPrivate : public QSharedData
{
public:
    static IpcStatistics make(const QString &clientId, const IpcCounters &counters,
                              qint64 pendingBytes, int requestsInFlight, int connectionCount,
                              int reconnectCount = 0, int queuedMessages = 0);

    QString clientId;
    IpcCounters counters;
    qint64 pendingBytes = 0;
    int requestsInFlight = 0;
    int connectionCount = 0;
    int reconnectCount = 0;
    int queuedMessages = 0;
    bool valid = false;
};

#endif  // IPCSTATISTICS_P_H

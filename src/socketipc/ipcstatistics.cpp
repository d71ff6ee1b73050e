#include "ipcstatistics.h"
#include "ipcstatistics_p.h"

IpcStatistics IpcStatisticsPrivate::make(const QString &clientId, const IpcCounters &counters,
                                         qint64 pendingBytes, int requestsInFlight,
                                         int connectionCount, int reconnectCount,
                                         int queuedMessages)
{
    IpcStatistics statistics;
    IpcStatisticsPrivate *d = statistics.d.data();
    d->clientId = clientId;
    d->counters = counters;
    d->pendingBytes = pendingBytes;
    d->requestsInFlight = requestsInFlight;
    d->connectionCount = connectionCount;
    d->reconnectCount = reconnectCount;
    d->queuedMessages = queuedMessages;
    d->valid = true;
    return statistics;
}

IpcStatistics::IpcStatistics() : d(new IpcStatisticsPrivate) { }
IpcStatistics::IpcStatistics(const IpcStatistics &other) = default;
IpcStatistics::IpcStatistics(IpcStatistics &&other) noexcept = default;
IpcStatistics &IpcStatistics::operator=(const IpcStatistics &other) = default;
IpcStatistics &IpcStatistics::operator=(IpcStatistics &&other) noexcept = default;
IpcStatistics::~IpcStatistics() = default;

QString IpcStatistics::clientId() const
{
    return d->clientId;
}

qint64 IpcStatistics::messagesReceived() const
{
    return d->counters.messagesReceived;
}

qint64 IpcStatistics::bytesReceived() const
{
    return d->counters.bytesReceived;
}

qint64 IpcStatistics::messagesSent() const
{
    return d->counters.messagesSent;
}

qint64 IpcStatistics::bytesSent() const
{
    return d->counters.bytesSent;
}

qint64 IpcStatistics::pendingBytes() const
{
    return d->pendingBytes;
}

qint64 IpcStatistics::messagesDropped() const
{
    return d->counters.messagesDropped;
}

int IpcStatistics::requestsInFlight() const
{
    return d->requestsInFlight;
}

static QDateTime fromMsecs(qint64 msecs)
{
    return msecs > 0 ? QDateTime::fromMSecsSinceEpoch(msecs) : QDateTime();
}

QDateTime IpcStatistics::connectedSince() const
{
    return fromMsecs(d->counters.connectedSince);
}

QDateTime IpcStatistics::lastActivity() const
{
    return fromMsecs(d->counters.lastActivity);
}

int IpcStatistics::connectionCount() const
{
    return d->connectionCount;
}

int IpcStatistics::reconnectCount() const
{
    return d->reconnectCount;
}

int IpcStatistics::queuedMessages() const
{
    return d->queuedMessages;
}

bool IpcStatistics::isValid() const
{
    return d->valid;
}

QVariantMap IpcStatistics::toVariantMap() const
{
    const IpcCounters &c = d->counters;
    QVariantMap map{{QStringLiteral("messagesReceived"), c.messagesReceived},
                    {QStringLiteral("bytesReceived"), c.bytesReceived},
                    {QStringLiteral("messagesSent"), c.messagesSent},
                    {QStringLiteral("bytesSent"), c.bytesSent},
                    {QStringLiteral("pendingBytes"), d->pendingBytes},
                    {QStringLiteral("messagesDropped"), c.messagesDropped},
                    {QStringLiteral("requestsInFlight"), d->requestsInFlight},
                    {QStringLiteral("connectedSince"), c.connectedSince},
                    {QStringLiteral("lastActivity"), c.lastActivity},
                    {QStringLiteral("connections"), d->connectionCount}};
    if (!d->clientId.isEmpty())
        map.insert(QStringLiteral("client"), d->clientId);
    if (d->reconnectCount > 0 || d->queuedMessages > 0) {
        map.insert(QStringLiteral("reconnects"), d->reconnectCount);
        map.insert(QStringLiteral("queuedMessages"), d->queuedMessages);
    }
    return map;
}

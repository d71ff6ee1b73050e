// Snippets of the IpcStatistics reference (src/socketipc/ipcstatistics.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcStatistics>

#include <QtCore/QDebug>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace snippets_ipcstatistics {

void perClient(IpcServer &server, const QString &clientId)
{
//! [client]
const IpcStatistics s = server.statistics(clientId);
if (s.isValid())
    qDebug() << s.messagesReceived() << s.pendingBytes() << s.messagesDropped();
//! [client]
}

void totals(IpcServer &server)
{
//! [totals]
const IpcStatistics total = server.statistics();
qInfo().noquote() << QJsonDocument(QJsonObject::fromVariantMap(total.toVariantMap()))
                             .toJson(QJsonDocument::Compact);
// {"bytesReceived":1234,"bytesSent":5678,"connectedSince":1733400000000,"connections":2,...}
//! [totals]
}

void slowClients(IpcServer &server)
{
//! [slow]
// The clients that have most waiting for them.
for (const QString &id : server.clientIds()) {
    const IpcStatistics s = server.statistics(id);
    if (s.pendingBytes() > server.maxPendingBytes() / 2)
        qWarning() << "client" << id << "falls behind:" << s.pendingBytes() << "bytes wait";
}
//! [slow]
}

}  // namespace snippets_ipcstatistics

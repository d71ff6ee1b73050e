// Snippets of the IpcPeerCredentials reference (src/socketipc/ipcpeercredentials.cpp).
#include <SocketIpc/IpcPeerCredentials>
#include <SocketIpc/IpcServer>

#include <QtCore/QDebug>

namespace snippets_ipcpeercredentials {

void whoIsThere(IpcServer &server)
{
//! [clientConnected]
QObject::connect(&server, &IpcServer::clientConnected, [&server](const QString &clientId) {
    const IpcPeerCredentials peer = server.peerCredentials(clientId);
    if (peer.pid() >= 0)  // a local socket
        qInfo() << "process" << peer.pid() << "of user" << peer.uid();
    else                  // TCP or TLS
        qInfo() << peer.address() << peer.port() << peer.certificateCommonName();
});
//! [clientConnected]
}

void filter(IpcServer &server)
{
//! [filter]
// Only processes of this user's group.
const qint64 group = 1000;
server.setConnectionFilter([group](const IpcPeerCredentials &peer) {
    return peer.gid() == group;
});
//! [filter]
}

}  // namespace snippets_ipcpeercredentials

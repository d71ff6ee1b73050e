// Snippets of the "Security" page (docs/src/socketipc-security.qdoc).
#include <SocketIpc/SocketIpc>

#include <QtCore/QDebug>

#include <unistd.h>

void restrict(IpcServer &server)
{
    //! [access]
    server.setSocketAccess(IpcServer::SocketAccess::OwnerAndGroup);  // 0770, at the next listen()
    server.setAllowedUserIds({int(getuid()), 1001});  // others are refused before a byte is read
    server.setConnectionFilter([](const IpcPeerCredentials &peer) {
        return peer.pid() != 0;  // decide from the kernel's credentials
    });
    QObject::connect(&server, &IpcServer::clientConnected, [&server](const QString &clientId) {
        const IpcPeerCredentials peer = server.peerCredentials(clientId);
        qInfo() << clientId << "is pid" << peer.pid() << "uid" << peer.uid() << "gid" << peer.gid();
    });
    //! [access]
}

void limits(IpcServer &server)
{
    //! [limits]
    // Eight clients, messages of up to 1 MiB, 4 MiB waiting per client at most:
    // at the very worst 8 × (4 + 33) MiB, under 300 MiB.
    server.setMaxClients(8);
    server.setMaxFrameSize(1024 * 1024);
    server.setMaxPendingBytes(4 * 1024 * 1024);
    //! [limits]
}

void whoseServer(IpcClient &client)
{
    //! [expected-uid]
    client.setExpectedServerUserId(0);  // only a server running as root, checked before sending
    client.connectToServer(QStringLiteral("/run/myapp/control.sock"));
    //! [expected-uid]
}

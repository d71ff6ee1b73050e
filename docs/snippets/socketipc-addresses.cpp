// Snippets of the "Addresses, Service Names and Transports" page
// (docs/src/socketipc-addresses.qdoc).
#include <SocketIpc/SocketIpc>

#include <QtCore/QDebug>

void serviceName(IpcServer &server, IpcClient &client)
{
    //! [service-name]
    server.listen(QStringLiteral("org.example.editor"));           // no path to choose
    client.connectToServer(QStringLiteral("org.example.editor"));  // the same socket
    qDebug() << server.resolvedAddress();  // "/run/user/1000/org.example.editor"
    //! [service-name]
}

void tcp(IpcServer &server)
{
    //! [tcp]
    server.listen(QStringLiteral("tcp://:0"));  // loopback, a free port
    qDebug() << server.listeningAddress();      // "tcp://127.0.0.1:41234"
    //! [tcp]
}

void tls(IpcServer &server, IpcClient &client)
{
    //! [tls]
    IpcTlsSettings serverTls;                                     // one value, as QSslConfiguration
    serverTls.setCertificateFile(QStringLiteral("server.crt"));  // PEM
    serverTls.setPrivateKeyFile(QStringLiteral("server.key"));
    serverTls.setCaFile(QStringLiteral("clients-ca.crt"));       // mutual TLS:
    serverTls.setRequireClientCertificate(true);                  //   clients must present one
    server.setTls(serverTls);
    server.listen(QStringLiteral("tls://0.0.0.0:7443"));

    IpcTlsSettings clientTls;
    clientTls.setCaFile(QStringLiteral("ca.crt"));               // trust this CA (else the system's)
    clientTls.setCertificateFile(QStringLiteral("client.crt"));  // for mutual TLS
    clientTls.setPrivateKeyFile(QStringLiteral("client.key"));
    client.setTls(clientTls);
    client.connectToServer(QStringLiteral("tls://build-server.example:7443"));
    //! [tls]
}

void tlsCopy(IpcClient &client)
{
    //! [tls-copy]
    IpcTlsSettings tls = client.tls();                   // a copy
    tls.setCaFile(QStringLiteral("/etc/myapp/ca.crt"));  // leaves the client's as it was
    client.setTls(tls);                                  // now the client's: tlsChanged()
    //! [tls-copy]
}

void token(IpcServer &server, IpcClient &client)
{
    //! [token]
    const QString token = QStringLiteral("a shared secret, 16 characters or more");
    server.setAuthToken(token);  // every client must prove it holds the same token
    client.setAuthToken(token);  // ... and the server must prove it back
    //! [token]
}

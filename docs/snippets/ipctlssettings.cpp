// Snippets of the IpcTlsSettings reference (src/socketipc/ipctlssettings.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTlsSettings>

#include <QtNetwork/QSslConfiguration>

namespace snippets_ipctlssettings {

void server(IpcServer &server)
{
//! [server]
IpcTlsSettings tls;
tls.setCertificateFile(QStringLiteral("/etc/myapp/server.crt"));
tls.setPrivateKeyFile(QStringLiteral("/etc/myapp/server.key"));
tls.setCaFile(QStringLiteral("/etc/myapp/ca.crt"));  // the CA client certificates must have
tls.setRequireClientCertificate(true);                // mutual TLS
server.setTls(tls);
server.listen(QStringLiteral("tls://0.0.0.0:7000"));
//! [server]
}

void client(IpcClient &client)
{
//! [client]
IpcTlsSettings tls = client.tls();                   // a copy
tls.setCaFile(QStringLiteral("/etc/myapp/ca.crt"));  // leaves the client's as it was
client.setTls(tls);
client.connectToServer(QStringLiteral("tls://bus.example.org:7000"));
//! [client]
}

void base(IpcClient &client)
{
//! [base]
IpcTlsSettings tls = client.tls();
QSslConfiguration configuration = tls.sslConfiguration();
configuration.setProtocol(QSsl::TlsV1_3OrLater);
tls.setSslConfiguration(configuration);
client.setTls(tls);
//! [base]
}

}  // namespace snippets_ipctlssettings

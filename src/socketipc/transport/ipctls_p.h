#ifndef IPCTLS_P_H
#define IPCTLS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtNetwork/qsslconfiguration.h>
#include <QtNetwork/qsslerror.h>

// The TLS settings of a server or client, as files (PEM), on top of a QSslConfiguration.
struct IpcTlsFiles
{
    QString certificate;  // this end's certificate: the server's, or a client's for mutual TLS
    QString privateKey;   // its key
    QString ca;           // the certificates to trust, instead of the system's
    bool requireClientCertificate = false;  // server: mutual TLS, clients verified against ca
};

namespace IpcTls {

// False, and why, when a file cannot be read or does not hold what it should.
bool serverConfiguration(const IpcTlsFiles &files, QSslConfiguration base,
                         QSslConfiguration *configuration, QString *error);
bool clientConfiguration(const IpcTlsFiles &files, QSslConfiguration base,
                         QSslConfiguration *configuration, QString *error);
QString describe(const QList<QSslError> &errors);

}  // namespace IpcTls

#endif  // IPCTLS_P_H

// Snippets of the IpcError reference (docs/src/ipcerror.qdoc).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcError>

#include <QtCore/QDebug>

namespace snippets_ipcerror {

void reportErrors(IpcClient &client)
{
//! [switch]
QObject::connect(&client, &IpcClient::errorOccurred,
                 [](IpcError::Error error, const QString &description) {
    switch (error) {
    case IpcError::NoServerError:
        qInfo() << "waiting for the server:" << description;
        break;
    case IpcError::TlsError:
        qCritical() << "TLS failed:" << description;
        break;
    default:
        qWarning() << error << description;  // prints IpcError::EncodeError, ...
    }
});
//! [switch]
}

}  // namespace snippets_ipcerror

// Snippets of the "Errors and Behaviour" page (docs/src/socketipc-errors.qdoc).
#include <SocketIpc/SocketIpc>

#include <QtCore/QDebug>

void errors(IpcServer &server)
{
    //! [errors]
    QObject::connect(&server, &IpcServer::errorOccurred,
                     [](IpcError::Error error, const QString &description, const QString &clientId) {
                         switch (error) {
                         case IpcError::DecodeError:
                         case IpcError::FrameTooLargeError:
                             qWarning() << "dropped" << clientId << ":" << description;
                             break;
                         case IpcError::WriteBufferFullError:
                             qWarning() << clientId << "does not read:" << description;
                             break;
                         default:
                             qWarning() << error << description << clientId;
                         }
                     });
    if (!server.listen(QStringLiteral("org.example.app")))
        qCritical() << server.error() << server.errorString();  // e.g. AddressInUseError
    //! [errors]
}

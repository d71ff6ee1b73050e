#ifndef QMLIPCSERVER_H
#define QMLIPCSERVER_H

#include "qmlendpoint.h"

#include <SocketIpc/IpcServer>

#include <QtQml/qqml.h>

// IpcServer for QML: listens while active once the component is complete.
class QmlIpcServer : public IpcServer, public QmlEndpoint
{
    Q_OBJECT
    SOCKETIPC_QML_ENDPOINT
    QML_NAMED_ELEMENT(IpcServer)
public:
    Q_INVOKABLE bool send(const QString &topic, const QJSValue &message, const QString &clientId);
    Q_INVOKABLE void broadcast(const QString &topic, const QJSValue &message);
    // server.retain("status", {...}): broadcast, and kept for clients that connect later.
    Q_INVOKABLE bool retain(const QString &topic, const QJSValue &message);
    // server.request("status", {}, clientId, function(result, error, code) { ... }
    // [, progress function][, timeoutMsecs]): as IpcClient's, with the client's id.
    Q_INVOKABLE IpcReply *request(const QString &topic, const QJSValue &message,
                                  const QString &clientId, const QJSValue &callback = QJSValue(),
                                  const QJSValue &progressOrTimeout = QJSValue(),
                                  int timeoutMsecs = -1);

    // From C++, the IpcServer overloads that take a QVariant, as on any IpcServer.
    using IpcServer::broadcast;
    using IpcServer::request;
    using IpcServer::retain;
    using IpcServer::send;
    explicit QmlIpcServer(QObject *parent = nullptr);
};

#endif  // QMLIPCSERVER_H

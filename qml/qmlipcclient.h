#ifndef QMLIPCCLIENT_H
#define QMLIPCCLIENT_H

#include "qmlendpoint.h"

#include <SocketIpc/IpcClient>

#include <QtQml/qqml.h>

// IpcClient for QML: connects while active once the component is complete.
class QmlIpcClient : public IpcClient, public QmlEndpoint
{
    Q_OBJECT
    SOCKETIPC_QML_ENDPOINT
    QML_NAMED_ELEMENT(IpcClient)
public:
    Q_INVOKABLE bool send(const QString &topic, const QJSValue &message);
    // bus.request("sum", [1, 2], function(result, error, code) { ... }[, timeoutMsecs]), or
    // with a progress callback: request(topic, message, callback, function(value) { ... }
    // [, timeoutMsecs]). Returns the IpcReply (reply.cancel()), valid until it has finished.
    Q_INVOKABLE IpcReply *request(const QString &topic, const QJSValue &message,
                                  const QJSValue &callback = QJSValue(),
                                  const QJSValue &progressOrTimeout = QJSValue(),
                                  int timeoutMsecs = -1);

    // From C++, the IpcClient overloads that take a QVariant, as on any IpcClient.
    using IpcClient::request;
    using IpcClient::send;
    explicit QmlIpcClient(QObject *parent = nullptr);
};

#endif  // QMLIPCCLIENT_H

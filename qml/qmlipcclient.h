#ifndef QMLIPCCLIENT_H
#define QMLIPCCLIENT_H

#include "qmlendpoint.h"

#include <SocketIpc/IpcClient>

#include <QtQml/qqml.h>

// IpcClient for QML: connects while active once the component is complete.
class QmlIpcClient : public IpcClient, public QmlEndpoint
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(IpcClient)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
public:
    explicit QmlIpcClient(QObject *parent = nullptr);

    // From C++, the IpcClient overloads that take a QVariant, as on any IpcClient.
    using IpcClient::request;
    using IpcClient::send;
    Q_INVOKABLE bool send(const QString &topic, const QJSValue &message);
    // bus.request("sum", [1, 2], function(result, error, code) { ... }[, timeoutMsecs]).
    Q_INVOKABLE void request(const QString &topic, const QJSValue &message,
                             const QJSValue &callback, int timeoutMsecs = -1);
    Q_INVOKABLE void handle(const QString &topic, const QJSValue &function)
    {
        QmlEndpoint::handle(topic, function);
    }

Q_SIGNALS:
    void activeChanged();
};

#endif  // QMLIPCCLIENT_H

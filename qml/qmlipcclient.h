#ifndef QMLIPCCLIENT_H
#define QMLIPCCLIENT_H

#include <SocketIpc/IpcClient>

#include <QtQml/qjsvalue.h>
#include <QtQml/qqml.h>
#include <QtQml/qqmlparserstatus.h>

// IpcClient for QML: connects while active once the component is complete.
class QmlIpcClient : public IpcClient, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(IpcClient)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
public:
    explicit QmlIpcClient(QObject *parent = nullptr);

    bool isActive() const { return m_active; }
    void setActive(bool active);

    void classBegin() override { }
    void componentComplete() override;

    // JavaScript values as JSON.stringify reads them (see plainValue()); what JSON cannot
    // hold, a function say, is an EncodeError.
    Q_INVOKABLE bool send(const QString &topic, const QJSValue &message);
    // bus.request("sum", [1, 2], function(result, error, code) { ... }[, timeoutMsecs]):
    // error (a description) and code (an IpcError value) are undefined on success.
    Q_INVOKABLE void request(const QString &topic, const QJSValue &message,
                             const QJSValue &callback, int timeoutMsecs = -1);
    // Answers the server's requests on topic with function(message, clientId), which returns
    // the answer or a promise of it, and throws (or rejects) to fail; null removes it.
    Q_INVOKABLE void handle(const QString &topic, const QJSValue &function);

Q_SIGNALS:
    void activeChanged();

private:
    void apply();

    bool m_active = false;
    bool m_complete = false;
};

#endif  // QMLIPCCLIENT_H

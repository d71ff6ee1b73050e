#ifndef QMLIPCSERVER_H
#define QMLIPCSERVER_H

#include <SocketIpc/IpcServer>

#include <QtQml/qjsvalue.h>
#include <QtQml/qqml.h>
#include <QtQml/qqmlparserstatus.h>

// IpcServer for QML: listens while active once the component is complete.
class QmlIpcServer : public IpcServer, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(IpcServer)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
public:
    explicit QmlIpcServer(QObject *parent = nullptr);

    bool isActive() const { return m_active; }
    void setActive(bool active);

    void classBegin() override { }
    void componentComplete() override;

    // JavaScript values as JSON.stringify reads them (see plainValue()); what JSON cannot
    // hold, a function say, is an EncodeError, with clients or without.
    Q_INVOKABLE bool send(const QString &topic, const QJSValue &message, const QString &clientId);
    Q_INVOKABLE void broadcast(const QString &topic, const QJSValue &message);
    // Answers clients' requests on topic with function(message, clientId), which returns the
    // answer or a promise of it, and throws (or rejects) to fail; null removes it.
    Q_INVOKABLE void handle(const QString &topic, const QJSValue &function);
    // server.request("status", {}, clientId, function(result, error, code) { ... }):
    // error (a description) and code (an IpcError value) are undefined on success.
    Q_INVOKABLE void request(const QString &topic, const QJSValue &message, const QString &clientId,
                             const QJSValue &callback, int timeoutMsecs = -1);

Q_SIGNALS:
    void activeChanged();

private:
    void apply();

    bool m_active = false;
    bool m_complete = false;
};

#endif  // QMLIPCSERVER_H

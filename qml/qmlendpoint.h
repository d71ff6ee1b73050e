#ifndef QMLENDPOINT_H
#define QMLENDPOINT_H

#include <SocketIpc/IpcEndpoint>

#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlparserstatus.h>

#include <functional>

// The QML-facing declarations of both QML types, written once (moc expands macros): the
// "active" property and its signal, handle() with a JavaScript function, and the parser
// status interface that QmlEndpoint implements.
#define SOCKETIPC_QML_ENDPOINT                                                                     \
    Q_INTERFACES(QQmlParserStatus)                                                                 \
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)                     \
public:                                                                                            \
    Q_INVOKABLE void handle(const QString &topic, const QJSValue &function)                        \
    {                                                                                              \
        QmlEndpoint::handle(topic, function);                                                      \
    }                                                                                              \
    Q_SIGNAL void activeChanged();                                                                 \
                                                                                                   \
private:

// What the QML IpcServer and IpcClient share, written once: "active" (start once the
// component is complete, stop when false, restart when the address changes while active),
// JavaScript values as JSON.stringify reads them (see plainValue()), and handle() and
// request() with JavaScript functions. Each QML type derives from its C++ class and from
// this, puts SOCKETIPC_QML_ENDPOINT after Q_OBJECT, and declares only its own
// Q_INVOKABLEs, which forward here.
class QmlEndpoint : public QQmlParserStatus
{
public:
    bool isActive() const { return m_active; }
    void setActive(bool active);

    void classBegin() override { }
    void componentComplete() override;

protected:
    struct Lifecycle
    {
        std::function<bool()> isRunning;  // listening, or connecting or connected
        std::function<void()> start;      // listen(), or connectToServer()
        std::function<void()> activeChanged;
    };
    QmlEndpoint(IpcEndpoint *endpoint, Lifecycle lifecycle);
    ~QmlEndpoint() = default;
    Q_DISABLE_COPY_MOVE(QmlEndpoint)

    // message as the C++ API takes it; what JSON cannot hold becomes an EncodeError there.
    QVariant toValue(const QJSValue &message) const;
    // Answers requests on topic with function(message, clientId), which returns the answer
    // or a promise of it, and throws (or rejects) to fail; anything not callable removes it.
    void handle(const QString &topic, const QJSValue &function);
    // Calls callback(result, error, code) once reply has finished; error (a description)
    // and code (an IpcError value) are undefined on success. progressOrTimeout is a function
    // called with each progress value, or a number: the timeout, in place of timeoutMsecs.
    // Returns reply, for QML to cancel() (or null once it has finished and is deleted).
    static IpcReply *whenFinished(IpcReply *reply, const QJSValue &callback,
                                  const QJSValue &progress = QJSValue());
    static int timeoutOf(const QJSValue &progressOrTimeout, int timeoutMsecs);

private:
    void apply();

    IpcEndpoint *m_endpoint;
    Lifecycle m_lifecycle;
    bool m_active = false;
    bool m_complete = false;
};

#endif  // QMLENDPOINT_H

#include "qmlipcserver.h"

QmlIpcServer::QmlIpcServer(QObject *parent)
    : IpcServer(parent),
      QmlEndpoint(this,
                  {[this] { return isListening(); }, [this] { listen(); },
                   [this] { emit activeChanged(); }})
{ }

bool QmlIpcServer::send(const QString &topic, const QJSValue &message, const QString &clientId)
{
    return IpcServer::send(topic, toValue(message), clientId);
}

void QmlIpcServer::broadcast(const QString &topic, const QJSValue &message)
{
    IpcServer::broadcast(topic, toValue(message));
}

bool QmlIpcServer::retain(const QString &topic, const QJSValue &message)
{
    return IpcServer::retain(topic, toValue(message));
}

IpcReply *QmlIpcServer::request(const QString &topic, const QJSValue &message,
                                const QString &clientId, const QJSValue &callback,
                                const QJSValue &progressOrTimeout, int timeoutMsecs)
{
    return whenFinished(IpcServer::request(topic, toValue(message), clientId,
                                           timeoutOf(progressOrTimeout, timeoutMsecs)),
                        callback, progressOrTimeout);
}

#include "qmlipcclient.h"

QmlIpcClient::QmlIpcClient(QObject *parent)
    : IpcClient(parent),
      QmlEndpoint(this,
                  {[this] { return state() == State::Connecting || state() == State::Connected; },
                   [this] { connectToServer(); }, [this] { emit activeChanged(); }})
{ }

bool QmlIpcClient::send(const QString &topic, const QJSValue &message)
{
    return IpcClient::send(topic, toValue(message));
}

IpcReply *QmlIpcClient::request(const QString &topic, const QJSValue &message,
                                const QJSValue &callback, const QJSValue &progressOrTimeout,
                                int timeoutMsecs)
{
    return whenFinished(
            IpcClient::request(topic, toValue(message), timeoutOf(progressOrTimeout, timeoutMsecs)),
            callback, progressOrTimeout);
}

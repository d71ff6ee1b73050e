#include "qmlipcclient.h"

#include "qmlrequests.h"
#include "qmlvalue.h"

#include <QtQml/qjsengine.h>

QmlIpcClient::QmlIpcClient(QObject *parent) : IpcClient(parent)
{
    // A new path while active: connect there instead.
    connect(this, &IpcClient::socketPathChanged, this, [this] {
        if (m_complete && m_active && state() != State::Closed) {
            close();
            connectToServer();
        }
    });
}

void QmlIpcClient::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    emit activeChanged();
    apply();
}

void QmlIpcClient::componentComplete()
{
    m_complete = true;
    apply();
}

bool QmlIpcClient::send(const QString &topic, const QJSValue &message)
{
    return IpcClient::send(topic, plainValue(qjsEngine(this), message));
}

void QmlIpcClient::apply()
{
    if (!m_complete)
        return;
    const bool running = state() == State::Connecting || state() == State::Connected;
    if (m_active && !running)
        connectToServer();
    else if (!m_active && running)
        close();
}

void QmlIpcClient::request(const QString &topic, const QJSValue &message, const QJSValue &callback,
                           int timeoutMsecs)
{
    callWhenFinished(IpcClient::request(topic, plainValue(qjsEngine(this), message), timeoutMsecs),
                     callback);
}

void QmlIpcClient::handle(const QString &topic, const QJSValue &function)
{
    if (!function.isCallable()) {
        removeHandler(topic);
        return;
    }
    setRequestHandler(topic, this, javaScriptHandler(this, function));
}

#ifndef QMLREQUESTS_H
#define QMLREQUESTS_H

#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcRequest>

#include <QtQml/qjsvalue.h>

#include <functional>

// Requests from QML: calls callback(result, error, code) once reply finishes (error and
// code undefined on success), then deletes the reply; progress(value), if callable, for each
// progress notification before that.
void callWhenFinished(IpcReply *reply, const QJSValue &callback, const QJSValue &progress);

// A JavaScript function as a request handler: function(message, clientId) returns the
// answer, or a promise (any "thenable") of it; throwing or rejecting fails the request.
// The handler lives no longer than owner (a QML object), which gives it its engine.
std::function<void(IpcRequest &)> javaScriptHandler(QObject *owner, const QJSValue &function);

#endif  // QMLREQUESTS_H

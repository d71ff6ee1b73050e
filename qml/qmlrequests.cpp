#include "qmlrequests.h"

#include "qmlvalue.h"

#include <QtQml/qjsengine.h>
#include <QtQml/qqml.h>
#include <QtQml/qqmlinfo.h>

namespace {

QString describe(const QJSValue &error)
{
    // An Error object says what in "message"; anything else thrown speaks for itself.
    const QJSValue message = error.property(QStringLiteral("message"));
    return error.isObject() && message.isString() ? message.toString() : error.toString();
}

// Calls a function and tells what it threw, whatever it was: QJSValue::call() hands back a
// thrown value as if it were returned, and only an Error object can be told apart.
QJSValue guardedCall(QJSEngine *engine, const QJSValue &function, const QJSValueList &arguments,
                     bool *threw)
{
    QJSValue guard = engine->globalObject().property(QStringLiteral("__socketIpcGuardedCall"));
    if (!guard.isCallable()) {
        guard = engine->evaluate(QStringLiteral(
                "(function (f, args) { try { return { ok: true, value: f.apply(null, args) } } "
                "catch (e) { return { ok: false, value: e } } })"));
        engine->globalObject().setProperty(QStringLiteral("__socketIpcGuardedCall"), guard);
    }
    QJSValue list = engine->newArray(uint(arguments.size()));
    for (int i = 0; i < arguments.size(); ++i)
        list.setProperty(quint32(i), arguments.at(i));
    const QJSValue outcome = guard.call({function, list});
    *threw = !outcome.property(QStringLiteral("ok")).toBool();
    return outcome.property(QStringLiteral("value"));
}

// Settles a request when a promise returned by its handler does.
class PendingAnswer : public QObject
{
    Q_OBJECT
public:
    PendingAnswer(const IpcRequest &request, QObject *parent) : QObject(parent), m_request(request)
    { }

    Q_INVOKABLE void resolve(const QJSValue &value)
    {
        m_request.reply(plainValue(qjsEngine(parent()), value));
        deleteLater();
    }
    Q_INVOKABLE void reject(const QJSValue &error)
    {
        m_request.fail(describe(error));
        deleteLater();
    }

private:
    IpcRequest m_request;
};

}  // namespace

void callWhenFinished(IpcReply *reply, const QJSValue &callback, const QJSValue &progress)
{
    if (progress.isCallable()) {
        QObject::connect(reply, &IpcReply::progress, reply,
                         [reply, progress](const QVariant &value) mutable {
                             QJSEngine *engine = qjsEngine(reply->parent());
                             if (!engine)
                                 return;
                             bool threw = false;
                             const QJSValue thrown = guardedCall(
                                     engine, progress, {engine->toScriptValue(value)}, &threw);
                             if (threw)
                                 qmlWarning(reply->parent())
                                         << "the progress callback of request \"" << reply->topic()
                                         << "\" threw: " << describe(thrown);
                         });
    }
    QObject::connect(reply, &IpcReply::finished, reply, [reply, callback]() mutable {
        reply->deleteLater();
        if (!callback.isCallable())
            return;
        QJSEngine *engine = qjsEngine(reply->parent());
        if (!engine)
            return;
        QJSValueList arguments{engine->toScriptValue(reply->value())};
        if (reply->error() != IpcError::NoError)
            arguments << QJSValue(reply->errorString()) << QJSValue(int(reply->error()));
        bool threw = false;
        const QJSValue thrown = guardedCall(engine, callback, arguments, &threw);
        // Said where it happened, not thrown into whatever JavaScript runs next.
        if (threw)
            qmlWarning(reply->parent()) << "the callback of request \"" << reply->topic()
                                        << "\" threw: " << describe(thrown);
    });
}

std::function<void(IpcRequest &)> javaScriptHandler(QObject *owner, const QJSValue &function)
{
    return [owner, function](IpcRequest &request) mutable {
        QJSEngine *engine = qjsEngine(owner);
        if (!engine) {
            request.fail(QStringLiteral("the QML handler is gone"));
            return;
        }
        bool threw = false;
        const QJSValue result = guardedCall(
                engine, function,
                {engine->toScriptValue(request.message()), QJSValue(request.clientId())}, &threw);
        if (threw) {
            request.fail(describe(result));
            return;
        }
        const QJSValue then = result.property(QStringLiteral("then"));
        if (result.isObject() && then.isCallable()) {
            // Lives until the promise settles, or at the latest as long as the server.
            auto *answer = new PendingAnswer(request, owner);
            QJSEngine::setObjectOwnership(answer, QJSEngine::CppOwnership);
            const QJSValue wrapper = engine->newQObject(answer);
            then.callWithInstance(result,
                                  {wrapper.property(QStringLiteral("resolve")),
                                   wrapper.property(QStringLiteral("reject"))});
            return;
        }
        request.reply(plainValue(engine, result));
    };
}

#include "qmlrequests.moc"

#ifndef IPCREQUEST_H
#define IPCREQUEST_H

#include "socketipcglobal.h"

#include <QtCore/qmetatype.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <memory>
#include <type_traits>

class IpcRequestPrivate;
class IpcRequestBroker;

// A request received by a handler (IpcServer::handle(), IpcClient::handle()), to answer
// with reply() or fail(), at once or later (keep a copy; it is cheap to copy). The first
// answer counts. When the last copy goes away unanswered, the requester gets a
// HandlerError. Use it in the thread of the server or client it came from.
class SOCKETIPC_EXPORT IpcRequest
{
public:
    IpcRequest();
    IpcRequest(const IpcRequest &other);
    IpcRequest(IpcRequest &&other) noexcept;
    IpcRequest &operator=(const IpcRequest &other);
    IpcRequest &operator=(IpcRequest &&other) noexcept;
    ~IpcRequest();

    bool isValid() const;
    QString topic() const;
    QVariant message() const;
    QString clientId() const;  // the requesting client, on a server; empty on a client
    bool isAnswered() const;

    // Sends value as the answer. False if it was answered already, if the connection has
    // ended, or if value cannot be encoded (the requester then gets a HandlerError).
    bool reply(const QVariant &value);
    // Ends the request with a HandlerError carrying description.
    bool fail(const QString &description);

    // Tells the requester how far the work has come: its IpcReply emits progress(value), in
    // order, before finished(). Any number of times before the answer; false once answered
    // or cancelled, when the connection has ended, or if value cannot be encoded.
    bool sendProgress(const QVariant &value);
    // Whether the requester has asked to stop (IpcReply::cancel(), its timeout) or is gone.
    // True on every copy once the notice arrived; the requester no longer waits for an
    // answer, and reply() sends none.
    bool isCancelled() const;
    // Calls functor once, from the event loop, when the request is cancelled (at once, from
    // the event loop, if it is already), while context lives.
    void onCancelled(const QObject *context, std::function<void()> functor);

    // For handlers that return their answer: returning error(description) fails the
    // request, as fail() does.
    static QVariant error(const QString &description);
    static bool isError(const QVariant &value);

private:
    friend class IpcRequestBroker;
    std::shared_ptr<IpcRequestPrivate> d;
};

Q_DECLARE_METATYPE(IpcRequest)

namespace IpcPrivate {

template<typename Result>
QVariant toVariant(Result &&result)
{
    if constexpr (std::is_convertible_v<Result, QVariant>)
        return QVariant(std::forward<Result>(result));
    else
        return QVariant::fromValue(std::forward<Result>(result));
}

// The forms of a request handler, as one function on an IpcRequest.
template<typename Handler>
std::function<void(IpcRequest &)> requestHandler(Handler &&handler)
{
    using H = std::decay_t<Handler>;
    if constexpr (std::is_invocable_v<H &, IpcRequest &>) {
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable { h(request); };
    } else if constexpr (std::is_invocable_v<H &, const QVariant &, const QString &>) {
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable {
            using R = std::invoke_result_t<H &, const QVariant &, const QString &>;
            if constexpr (std::is_void_v<R>) {
                h(request.message(), request.clientId());
                request.reply(QVariant::fromValue(nullptr));
            } else {
                request.reply(toVariant(h(request.message(), request.clientId())));
            }
        };
    } else {
        static_assert(std::is_invocable_v<H &, const QVariant &>,
                      "a request handler takes (IpcRequest &), (const QVariant &message, "
                      "const QString &clientId) or (const QVariant &message)");
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable {
            using R = std::invoke_result_t<H &, const QVariant &>;
            if constexpr (std::is_void_v<R>) {
                h(request.message());
                request.reply(QVariant::fromValue(nullptr));
            } else {
                request.reply(toVariant(h(request.message())));
            }
        };
    }
}

}  // namespace IpcPrivate

#endif  // IPCREQUEST_H

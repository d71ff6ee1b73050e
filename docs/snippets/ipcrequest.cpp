// Snippets of the IpcRequest reference (src/socketipc/ipcrequest.cpp).
#include <SocketIpc/IpcRequest>
#include <SocketIpc/IpcServer>

#include <QtCore/QList>
#include <QtCore/QTimer>

namespace snippets_ipcrequest {

void returnForm(IpcServer &server)
{
//! [return]
server.handle(QStringLiteral("sum"), [](const QVariant &message) -> QVariant {
    const QVariantList terms = message.toList();
    if (terms.size() != 2)
        return IpcRequest::error(QStringLiteral("expected two numbers"));  // or throw
    return terms.at(0).toDouble() + terms.at(1).toDouble();
});
//! [return]
}

void laterForm(IpcServer &server, QObject *context, QList<IpcRequest> &jobs)
{
//! [later]
// Answer later: keep a copy of the request, reply() or fail() when ready.
server.handle(QStringLiteral("render"), context, [&jobs](IpcRequest &request) {
    jobs.append(request);
});
// ... when a job is done:
//     jobs.takeFirst().reply(image);
// ... or when it cannot be:
//     jobs.takeFirst().fail(QStringLiteral("out of memory"));
//! [later]
}

void progressForm(IpcServer &server, QObject *context)
{
//! [progress]
// Works in ten steps, reports each, and stops when the requester cancels.
server.handle(QStringLiteral("count"), context, [context](IpcRequest &request) {
    auto *step = new QTimer(context);
    QObject::connect(step, &QTimer::timeout, context, [request, step, n = 0]() mutable {
        if (++n < 10) {
            request.sendProgress(n * 10);  // percent
            return;
        }
        request.reply(QStringLiteral("done"));
        step->deleteLater();
    });
    request.onCancelled(step, [step] { step->deleteLater(); });
    step->start(100);
});
//! [progress]
}

}  // namespace snippets_ipcrequest

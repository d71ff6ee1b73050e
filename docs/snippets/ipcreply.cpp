// Snippets of the IpcReply reference (src/socketipc/ipcreply.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcReply>

#include <QtCore/QDebug>
#include <QtCore/QTimer>

namespace snippets_ipcreply {

void finished(IpcClient &client, QObject *context)
{
//! [finished]
IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2}, 5000 /* ms */);
QObject::connect(reply, &IpcReply::finished, context, [reply] {
    if (reply->error() == IpcError::NoError)
        qDebug() << reply->value();  // 3
    else
        qWarning() << reply->errorString();
    reply->deleteLater();
});
//! [finished]
}

void functor(IpcClient &client, QObject *context)
{
//! [functor]
// The reply deletes itself once the functor has run.
client.request(QStringLiteral("sum"), QVariantList{1, 2}, context, [](const IpcReply &reply) {
    qDebug() << reply.value();
});
//! [functor]
}

void progress(IpcClient &client, QObject *context)
{
//! [progress]
IpcReply *reply = client.request(QStringLiteral("count"), QVariant());
QObject::connect(reply, &IpcReply::progress, context, [](const QVariant &percent) {
    qDebug() << percent.toInt() << "%";
});
QObject::connect(reply, &IpcReply::finished, reply, &QObject::deleteLater);
// A Cancel button's clicked() connects to it; here, after half a second:
QTimer::singleShot(500, reply, &IpcReply::cancel);
//! [progress]
}

}  // namespace snippets_ipcreply

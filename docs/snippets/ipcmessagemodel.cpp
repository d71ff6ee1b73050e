// Snippets of the IpcMessageModel reference (src/socketipc/ipcmessagemodel.cpp).
#include <SocketIpc/IpcMessageModel>
#include <SocketIpc/IpcServer>

#include <QtCore/QDebug>

namespace snippets_ipcmessagemodel {

void log(IpcServer &server, QObject *parent)
{
//! [model]
auto *log = new IpcMessageModel(parent);
log->setSource(&server);
log->setTopic(QStringLiteral("sensor.#"));  // only these; empty for all
log->setMaxCount(100);                       // the oldest rows go first
// listView->setModel(log);  shows "sensor.cpu: {"load":0.5}"
//! [model]

//! [get]
const QVariantMap newest = log->get(log->count() - 1);
qDebug() << newest.value(QStringLiteral("topic")) << newest.value(QStringLiteral("message"))
         << newest.value(QStringLiteral("clientId")) << newest.value(QStringLiteral("timestamp"));
//! [get]
}

}  // namespace snippets_ipcmessagemodel

// Snippets of the IpcTopic reference (src/socketipc/ipctopic.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/QDebug>

namespace snippets_ipctopic {

void overview(IpcClient &client, QObject *parent)
{
//! [overview]
// A topic of one's own, a child of parent: it unsubscribes when it is deleted.
auto *weather = new IpcTopic(QStringLiteral("weather"), &client, parent);
QObject::connect(weather, &IpcTopic::messageReceived, parent, [](const QVariant &message) {
    qDebug() << "temperature:" << message.toMap().value(QStringLiteral("temperature"));
});

// Or the client's own subscription, the same object for the same name:
IpcTopic *status = client.topic(QStringLiteral("status"));
if (status->hasValue())  // a retained value, delivered on connecting
    qDebug() << "status:" << status->lastMessage();
//! [overview]
}

void pattern(IpcServer &server, QObject *parent)
{
//! [pattern]
// Every sensor's readings: sensor.cpu, sensor.disk.sda, and sensor itself.
auto *sensors = new IpcTopic(QStringLiteral("sensor.#"), &server, parent);
QObject::connect(sensors, &IpcTopic::messageReceived, parent,
                 [](const QVariant &message, const QString &clientId, const QString &topic) {
    qDebug() << topic << "from" << clientId << ":" << message;
});
//! [pattern]
}

void matching()
{
//! [matches]
IpcTopic::matches(u"sensor.*", u"sensor.cpu");       // true
IpcTopic::matches(u"sensor.*", u"sensor.cpu.load");  // false: * is one segment
IpcTopic::matches(u"sensor.#", u"sensor");           // true: # may be none
IpcTopic::matches(u"#.error", u"disk.sda.error");    // true
IpcTopic::matches(u"sen*", u"sensor");               // false: * inside a segment is literal
//! [matches]
}

void conflate(IpcClient &client, QObject *parent)
{
//! [conflate]
// A gauge redrawn with the newest reading: at most once per read, whatever the rate.
auto *load = new IpcTopic(QStringLiteral("cpu.load"), &client, parent);
load->setConflate(true);
QObject::connect(load, &IpcTopic::messageReceived, parent, [load](const QVariant &reading) {
    qDebug() << "load" << reading.toDouble() << "(" << load->skippedCount() << "skipped so far)";
});
//! [conflate]
}

}  // namespace snippets_ipctopic

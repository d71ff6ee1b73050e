// Snippets of the "Messaging: Topics, Requests and Retained State" page
// (docs/src/socketipc-messaging.qdoc).
#include <SocketIpc/SocketIpc>

#include <QtCore/QDebug>
#include <QtCore/QQueue>
#include <QtCore/QTimer>

#include <memory>

// A QObject of the program's own, for `this` and connect().
class Messaging : public QObject
{
public:
    void requests();
    void progress();
    void retained();
    void monitoring();
    void offlineQueue();
    void codecs();
    void patterns();

    IpcServer server;
    IpcClient client;
    QQueue<IpcRequest> m_jobs;
};

void Messaging::requests()
{
    //! [handle]
    // A handler takes (message), or (message, clientId) to know who asks.
    server.handle(QStringLiteral("sum"), [](const QVariant &message) -> QVariant {
        const QVariantList terms = message.toList();
        if (terms.size() < 2)
            return IpcRequest::error(QStringLiteral("nothing to add"));  // or throw
        return terms.at(0).toDouble() + terms.at(1).toDouble();
    });
    // Answer later, from a slot: take the IpcRequest, keep a copy, reply() when ready.
    server.handle(QStringLiteral("render"), this, [this](IpcRequest &request) {
        m_jobs.enqueue(request);  // ... later: request.reply(imageBytes) or fail("why")
    });
    //! [handle]

    //! [request]
    IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2}, 5000 /* ms */);
    connect(reply, &IpcReply::finished, this, [reply] {
        if (reply->error() == IpcError::NoError)
            qDebug() << reply->value();  // 3
        else
            qWarning() << reply->errorString();
        reply->deleteLater();
    });
    // Or with a functor; the reply deletes itself afterwards:
    client.request(QStringLiteral("sum"), QVariantList{1, 2}, this, [](const IpcReply &reply) {
        qDebug() << reply.value();
    });
    //! [request]
}

void Messaging::progress()
{
    //! [progress-handler]
    // The handler works in steps, reports each, and stops when cancelled.
    server.handle(QStringLiteral("count"), this, [this](IpcRequest &request) {
        auto *step = new QTimer(this);
        connect(step, &QTimer::timeout, this, [request, step, n = 0]() mutable {
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
    //! [progress-handler]

    //! [progress-request]
    IpcReply *reply = client.request(QStringLiteral("count"), QVariant());
    connect(reply, &IpcReply::progress, this, [](const QVariant &percent) {
        qDebug() << percent.toInt() << "%";
    });
    // A Cancel button's clicked() connects to it; here, after half a second:
    QTimer::singleShot(500, reply, &IpcReply::cancel);
    //! [progress-request]
}

void Messaging::retained()
{
    //! [retain]
    server.retain(QStringLiteral("status"),
                  QVariantMap{{QStringLiteral("state"), QStringLiteral("ready")}});
    //! [retain]
}

void Messaging::monitoring()
{
    //! [monitor]
    IpcClient *watcher = new IpcClient(this);
    watcher->setMonitor(true);
    connect(watcher, &IpcClient::messageReceived, this, [](const QString &, const QVariant &event) {
        const QVariantMap e = event.toMap();
        qDebug() << e.value(QStringLiteral("direction")) << e.value(QStringLiteral("topic"));
    });
    watcher->connectToServer(QStringLiteral("org.example.bus"));
    //! [monitor]
}

void Messaging::offlineQueue()
{
    //! [queue]
    client.setMaxQueuedMessages(1000);  // kept while not connected, sent on connecting
    client.setBackoffFactor(2);         // retries wait 1 s, 2 s, 4 s ... with jitter
    client.setMaxBackoffDelay(30000);   // ... up to 30 s
    client.send(QStringLiteral("log"), QStringLiteral("queued if not connected yet"));
    //! [queue]
}

//! [codec]
// A codec of one's own: here JSON under another name, to show the four functions.
class TracingCodec : public IpcCodec
{
public:
    QString name() const override { return QStringLiteral("tracing-json"); }
    Framing framing() const override { return Framing::Delimited; }
    bool encode(QByteArray &out, const Frame &frame, QString *error) const override
    {
        return IpcCodec::json()->encode(out, frame, error);
    }
    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override
    {
        return IpcCodec::json()->decode(contents, frame, error);
    }
};
//! [codec]

void Messaging::codecs()
{
    //! [cbor]
    server.setCodec(IpcCodec::cbor());             // or setCodecName("cbor"); the same on the client
    client.setCodecName(QStringLiteral("cbor"));
    server.broadcast(QStringLiteral("image"), QByteArray("\x89PNG...", 7));  // bytes as bytes
    //! [cbor]

    //! [register]
    IpcCodec::registerCodec(std::make_shared<TracingCodec>());
    client.setCodecName(QStringLiteral("tracing-json"));
    //! [register]
}

void Messaging::patterns()
{
    //! [patterns]
    client.on(QStringLiteral("sensor.#"), this,
              [](const QVariant &message, const QString &, const QString &topic) {
                  qDebug() << topic << message;  // sensor, sensor.cpu, sensor.cpu.load ...
              });
    Q_ASSERT(IpcTopic::matches(u"sensor.*", u"sensor.cpu"));
    Q_ASSERT(!IpcTopic::matches(u"sensor.*", u"sensor.cpu.load"));
    Q_ASSERT(IpcTopic::matches(u"#.error", u"disk.error"));
    //! [patterns]
}

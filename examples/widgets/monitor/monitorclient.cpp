#include "monitorclient.h"

#include <SocketIpc/IpcClient>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtimer.h>

// Without a monitor to talk to, a client gives up after this long: no orphans.
static constexpr int ConnectTimeoutMs = 10000;

int runClient(const QString &socketPath, const QString &name, int intervalMs)
{
    IpcClient client;
    client.setRetryDelay(100);
    QTimer readings;
    double celsius = 19.5 + QRandomGenerator::global()->bounded(30) / 10.0;
    int humidity = 40 + QRandomGenerator::global()->bounded(20);

    const auto sendReadings = [&] {
        celsius += (QRandomGenerator::global()->bounded(7) - 3) / 10.0;
        humidity += QRandomGenerator::global()->bounded(3) - 1;
        client.send(QStringLiteral("sensor.%1.temperature").arg(name),
                    QVariantMap{{QStringLiteral("celsius"), qRound(celsius * 10) / 10.0}});
        client.send(QStringLiteral("sensor.%1.humidity").arg(name),
                    QVariantMap{{QStringLiteral("percent"), humidity}});
    };
    QObject::connect(&readings, &QTimer::timeout, &client, sendReadings);

    QObject::connect(&client, &IpcClient::connected, &client, [&] {
        client.send(QStringLiteral("hello"),
                    QVariantMap{{QStringLiteral("name"), name},
                                {QStringLiteral("pid"), QCoreApplication::applicationPid()}});
        sendReadings();
        if (intervalMs > 0)
            readings.start(intervalMs);
    });
    // The monitor's form can change how often readings come.
    client.on(QStringLiteral("config.interval"), &client, [&](const QVariant &message) {
        const int ms = message.toMap().value(QStringLiteral("ms")).toInt();
        if (ms > 0 && readings.isActive())
            readings.start(ms);
    });
    // Whatever arrives goes back, so the monitor sees its message reach this process.
    QObject::connect(&client, &IpcClient::messageReceived, &client,
                     [&](const QString &topic, const QVariant &message) {
                         client.send(QStringLiteral("echo"),
                                     QVariantMap{{QStringLiteral("from"), name},
                                                 {QStringLiteral("topic"), topic},
                                                 {QStringLiteral("message"), message}});
                     });
    QObject::connect(&client, &IpcClient::disconnected, &client, &QCoreApplication::quit);
    QTimer::singleShot(ConnectTimeoutMs, &client, [&] {
        if (!client.isConnected())
            QCoreApplication::exit(2);
    });

    client.connectToServer(socketPath);
    return QCoreApplication::exec();
}

#include "ipctestsupport.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcPeerCredentials>
#include <SocketIpc/IpcServer>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <unistd.h>

// IpcPeerCredentials as a value: what it says of a real peer, and how it copies, compares
// and travels in a QVariant.
class tst_IpcPeerCredentials : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultIsInvalid();
    void localPeerIsTheProcessTheKernelSaw();
    void networkPeerHasAnAddress();
    void copiesCompareEqualAndTravelInVariants();
};

void tst_IpcPeerCredentials::defaultIsInvalid()
{
    const IpcPeerCredentials none;
    QVERIFY(!none.isValid());
    QCOMPARE(none.pid(), -1);
    QCOMPARE(none.uid(), -1);
    QCOMPARE(none.gid(), -1);
    QVERIFY(none.address().isEmpty());
    QCOMPARE(none.port(), -1);
    QVERIFY(none.certificate().isNull());
    QCOMPARE(none, IpcPeerCredentials());
}

void tst_IpcPeerCredentials::localPeerIsTheProcessTheKernelSaw()
{
    IpcTest::SocketDir dir;
    CHECKED(dir.renew());
    IpcServer server;
    QVERIFY(server.listen(dir.socketPath()));
    IpcClient client;
    QString id;
    CHECKED(IpcTest::connectClient(client, server, &id));
    const IpcPeerCredentials peer = server.peerCredentials(id);
    QVERIFY(peer.isValid());
    QCOMPARE(peer.pid(), qint64(::getpid()));
    QCOMPARE(peer.uid(), qint64(::getuid()));
    QCOMPARE(peer.gid(), qint64(::getgid()));
    QVERIFY(peer.address().isEmpty());
    QVERIFY(!server.peerCredentials(QStringLiteral("no such client")).isValid());
}

void tst_IpcPeerCredentials::networkPeerHasAnAddress()
{
    IpcServer server;
    QVERIFY(server.listen(QStringLiteral("tcp://127.0.0.1:0")));
    IpcClient client;
    QString id;
    CHECKED(IpcTest::connectClient(client, server, &id));
    const IpcPeerCredentials peer = server.peerCredentials(id);
    QVERIFY(peer.isValid());
    QCOMPARE(peer.address(), QStringLiteral("127.0.0.1"));
    QVERIFY(peer.port() > 0);
    QCOMPARE(peer.pid(), -1);  // the network does not say
    QVERIFY(peer.certificate().isNull());
}

void tst_IpcPeerCredentials::copiesCompareEqualAndTravelInVariants()
{
    const IpcPeerCredentials local(42, 1000, 100);
    IpcPeerCredentials copy = local;
    QCOMPARE(copy, local);
    QCOMPARE(copy.uid(), 1000);
    IpcPeerCredentials moved = std::move(copy);
    QCOMPARE(moved, local);
    QVERIFY(moved != IpcPeerCredentials(42, 1000, 101));
    const IpcPeerCredentials network(QStringLiteral("::1"), 7000, QSslCertificate());
    QVERIFY(network != local);
    moved = network;
    QCOMPARE(moved.port(), 7000);

    const QVariant variant = QVariant::fromValue(local);
    QCOMPARE(variant.value<IpcPeerCredentials>(), local);
    // Read as QML reads it: through the gadget's properties, numbers as double.
    const QMetaObject &meta = IpcPeerCredentials::staticMetaObject;
    const QMetaProperty pid = meta.property(meta.indexOfProperty("pid"));
    QCOMPARE(pid.readOnGadget(&local).toDouble(), 42.0);
    QCOMPARE(meta.property(meta.indexOfProperty("valid")).readOnGadget(&local).toBool(), true);
}

QTEST_MAIN(tst_IpcPeerCredentials)

#include "tst_ipcpeercredentials.moc"

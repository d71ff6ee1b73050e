#include <SocketIpc/IpcTlsSettings>

#include <QtCore/qmetaobject.h>
#include <QtNetwork/qsslsocket.h>
#include <QtTest/qtest.h>

// IpcTlsSettings as a value: defaults, implicit sharing, peerVerifyMode, the gadget's
// properties (what QML's ipcTlsSettings value type uses). Its use on a real TLS connection is
// tst_transports'.
class tst_IpcTlsSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void copiesAreIndependent();
    void requireClientCertificateIsPeerVerifyMode();
    void gadgetPropertiesReadAndWrite();
};

void tst_IpcTlsSettings::defaults()
{
    const IpcTlsSettings settings;
    QVERIFY(settings.certificateFile().isEmpty());
    QVERIFY(settings.privateKeyFile().isEmpty());
    QVERIFY(settings.caFile().isEmpty());
    QVERIFY(!settings.requireClientCertificate());
    QCOMPARE(settings.sslConfiguration(), QSslConfiguration::defaultConfiguration());
    QCOMPARE(settings, IpcTlsSettings());
}

void tst_IpcTlsSettings::copiesAreIndependent()
{
    IpcTlsSettings a;
    a.setCertificateFile(QStringLiteral("a.crt"));
    IpcTlsSettings b = a;
    QCOMPARE(a, b);
    b.setCertificateFile(QStringLiteral("b.crt"));
    b.setPrivateKeyFile(QStringLiteral("b.key"));
    QCOMPARE(a.certificateFile(), QStringLiteral("a.crt"));
    QVERIFY(a.privateKeyFile().isEmpty());
    QVERIFY(a != b);
    IpcTlsSettings c;
    c.setCertificateFile(QStringLiteral("b.crt"));
    c.setPrivateKeyFile(QStringLiteral("b.key"));
    QCOMPARE(b, c);  // equal by value, not only when shared
    IpcTlsSettings moved = std::move(c);
    QCOMPARE(moved, b);
}

void tst_IpcTlsSettings::requireClientCertificateIsPeerVerifyMode()
{
    IpcTlsSettings settings;
    settings.setRequireClientCertificate(true);
    QCOMPARE(settings.sslConfiguration().peerVerifyMode(), QSslSocket::VerifyPeer);
    settings.setRequireClientCertificate(false);
    QCOMPARE(settings.sslConfiguration().peerVerifyMode(), QSslSocket::AutoVerifyPeer);

    // And the other way round: a configuration that verifies peers requires them.
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    settings.setSslConfiguration(configuration);
    QVERIFY(settings.requireClientCertificate());
}

void tst_IpcTlsSettings::gadgetPropertiesReadAndWrite()
{
    IpcTlsSettings settings;
    const QMetaObject &meta = IpcTlsSettings::staticMetaObject;
    const char *files[] = {"certificateFile", "privateKeyFile", "caFile"};
    for (const char *name : files) {
        const QMetaProperty property = meta.property(meta.indexOfProperty(name));
        QVERIFY2(property.isValid() && property.isWritable(), name);
        QVERIFY(property.writeOnGadget(&settings,
                                       QString::fromLatin1(name) + QLatin1String(".pem")));
        QCOMPARE(property.readOnGadget(&settings).toString(),
                 QString::fromLatin1(name) + QLatin1String(".pem"));
    }
    QCOMPARE(settings.caFile(), QStringLiteral("caFile.pem"));
    const QMetaProperty require = meta.property(meta.indexOfProperty("requireClientCertificate"));
    QVERIFY(require.writeOnGadget(&settings, true));
    QVERIFY(settings.requireClientCertificate());
}

QTEST_MAIN(tst_IpcTlsSettings)
#include "tst_ipctlssettings.moc"

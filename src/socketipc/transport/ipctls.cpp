#include "ipctls_p.h"

#include <QtCore/qfile.h>
#include <QtCore/qstringlist.h>
#include <QtNetwork/qsslcipher.h>
#include <QtNetwork/qsslkey.h>

namespace IpcTls {

namespace {

bool readFile(const QString &path, const char *what, QByteArray *contents, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the %1 %2: %3")
                         .arg(QLatin1String(what), path, file.errorString());
        return false;
    }
    *contents = file.readAll();
    return true;
}

// This end's certificate and key, when given.
bool applyIdentity(const IpcTlsSettings &settings, QSslConfiguration *configuration, QString *error)
{
    if (settings.certificateFile().isEmpty() && settings.privateKeyFile().isEmpty())
        return true;
    if (settings.certificateFile().isEmpty() || settings.privateKeyFile().isEmpty()) {
        *error = QStringLiteral(
                "a TLS certificate needs its private key, and a key its certificate");
        return false;
    }
    QByteArray pem;
    if (!readFile(settings.certificateFile(), "certificate file", &pem, error))
        return false;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(pem, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = QStringLiteral("no PEM certificate in %1").arg(settings.certificateFile());
        return false;
    }
    if (!readFile(settings.privateKeyFile(), "private key file", &pem, error))
        return false;
    QSslKey key(pem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec, QSsl::Pem);
    if (key.isNull()) {
        *error = QStringLiteral("no PEM private key (RSA or EC, unencrypted) in %1")
                         .arg(settings.privateKeyFile());
        return false;
    }
    configuration->setLocalCertificateChain(chain);
    configuration->setPrivateKey(key);
    return true;
}

bool applyCa(const IpcTlsSettings &settings, QSslConfiguration *configuration, QString *error)
{
    if (settings.caFile().isEmpty())
        return true;
    QByteArray pem;
    if (!readFile(settings.caFile(), "CA file", &pem, error))
        return false;
    const QList<QSslCertificate> cas = QSslCertificate::fromData(pem, QSsl::Pem);
    if (cas.isEmpty()) {
        *error = QStringLiteral("no PEM certificate in the CA file %1").arg(settings.caFile());
        return false;
    }
    configuration->setCaCertificates(cas);
    return true;
}

// Forward secrecy and authenticated encryption only: TLS 1.3's suites, and TLS 1.2's with an
// ephemeral elliptic-curve key exchange and GCM or ChaCha20-Poly1305 (AES128-SHA, say, was
// accepted). A base whose ciphers the user chose is left as it is.
void applyStrongCiphers(QSslConfiguration *configuration)
{
    if (configuration->ciphers() != QSslConfiguration::defaultConfiguration().ciphers())
        return;
    QList<QSslCipher> strong;
    for (const QSslCipher &cipher : configuration->ciphers()) {
        const QString encryption = cipher.encryptionMethod();
        const bool aead = encryption.contains(QLatin1String("GCM"))
                || encryption.contains(QLatin1String("CHACHA20"));
        if (cipher.protocol() == QSsl::TlsV1_3
            || (cipher.keyExchangeMethod().startsWith(QLatin1String("ECDH")) && aead))
            strong.append(cipher);
    }
    if (!strong.isEmpty())
        configuration->setCiphers(strong);
}

}  // namespace

bool serverConfiguration(const IpcTlsSettings &settings, QSslConfiguration *configuration,
                         QString *error)
{
    QSslConfiguration base = settings.sslConfiguration();
    if (!applyIdentity(settings, &base, error) || !applyCa(settings, &base, error))
        return false;
    if (base.localCertificate().isNull() || base.privateKey().isNull()) {
        *error = QStringLiteral("a TLS server needs a certificate and its private key "
                                "(tls.certificateFile, tls.privateKeyFile)");
        return false;
    }
    if (settings.requireClientCertificate()) {
        if (settings.caFile().isEmpty()
            && base.caCertificates() == QSslConfiguration().caCertificates()) {
            *error = QStringLiteral("requiring client certificates needs the CA that signs them "
                                    "(tls.caFile)");
            return false;
        }
        base.setPeerVerifyMode(QSslSocket::VerifyPeer);
    } else {
        base.setPeerVerifyMode(QSslSocket::VerifyNone);
    }
    applyStrongCiphers(&base);
    *configuration = base;
    return true;
}

bool clientConfiguration(const IpcTlsSettings &settings, QSslConfiguration *configuration,
                         QString *error)
{
    QSslConfiguration base = settings.sslConfiguration();
    if (!applyIdentity(settings, &base, error) || !applyCa(settings, &base, error))
        return false;
    // Never less than a verified server: no option here turns that off.
    base.setPeerVerifyMode(QSslSocket::VerifyPeer);
    applyStrongCiphers(&base);
    *configuration = base;
    return true;
}

QString describe(const QList<QSslError> &errors)
{
    QStringList texts;
    for (const QSslError &error : errors)
        texts << error.errorString();
    texts.removeDuplicates();
    return texts.join(QLatin1String("; "));
}

}  // namespace IpcTls

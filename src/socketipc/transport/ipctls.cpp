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
bool applyIdentity(const IpcTlsFiles &files, QSslConfiguration *configuration, QString *error)
{
    if (files.certificate.isEmpty() && files.privateKey.isEmpty())
        return true;
    if (files.certificate.isEmpty() || files.privateKey.isEmpty()) {
        *error = QStringLiteral(
                "a TLS certificate needs its private key, and a key its certificate");
        return false;
    }
    QByteArray pem;
    if (!readFile(files.certificate, "certificate file", &pem, error))
        return false;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(pem, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = QStringLiteral("no PEM certificate in %1").arg(files.certificate);
        return false;
    }
    if (!readFile(files.privateKey, "private key file", &pem, error))
        return false;
    QSslKey key(pem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec, QSsl::Pem);
    if (key.isNull()) {
        *error = QStringLiteral("no PEM private key (RSA or EC, unencrypted) in %1")
                         .arg(files.privateKey);
        return false;
    }
    configuration->setLocalCertificateChain(chain);
    configuration->setPrivateKey(key);
    return true;
}

bool applyCa(const IpcTlsFiles &files, QSslConfiguration *configuration, QString *error)
{
    if (files.ca.isEmpty())
        return true;
    QByteArray pem;
    if (!readFile(files.ca, "CA file", &pem, error))
        return false;
    const QList<QSslCertificate> cas = QSslCertificate::fromData(pem, QSsl::Pem);
    if (cas.isEmpty()) {
        *error = QStringLiteral("no PEM certificate in the CA file %1").arg(files.ca);
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

bool serverConfiguration(const IpcTlsFiles &files, QSslConfiguration base,
                         QSslConfiguration *configuration, QString *error)
{
    if (!applyIdentity(files, &base, error) || !applyCa(files, &base, error))
        return false;
    if (base.localCertificate().isNull() || base.privateKey().isNull()) {
        *error = QStringLiteral("a TLS server needs a certificate and its private key "
                                "(tlsCertificateFile, tlsPrivateKeyFile)");
        return false;
    }
    if (files.requireClientCertificate) {
        if (files.ca.isEmpty() && base.caCertificates() == QSslConfiguration().caCertificates()) {
            *error = QStringLiteral("requiring client certificates needs the CA that signs them "
                                    "(tlsCaFile)");
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

bool clientConfiguration(const IpcTlsFiles &files, QSslConfiguration base,
                         QSslConfiguration *configuration, QString *error)
{
    if (!applyIdentity(files, &base, error) || !applyCa(files, &base, error))
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

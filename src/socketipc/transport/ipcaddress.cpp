#include "ipcaddress_p.h"

#include "ipcactivation_p.h"
#include "ipclocalpath_p.h"

#include <QtCore/qurl.h>
#include <QtNetwork/qhostaddress.h>

IpcAddress IpcAddress::parse(const QString &text, Use use)
{
    IpcAddress address;
    const bool tcp = text.startsWith(QLatin1String("tcp://"));
    const bool tls = text.startsWith(QLatin1String("tls://"));
    if (!tcp && !tls) {
        const QString local = text.startsWith(QLatin1String("unix:")) ? text.mid(5) : text;
        if (IpcLocalPath::isName(local)) {
            address.name = local;
            // Started with a socket for this name (socket activation): that is where it is,
            // whatever the directory the name would resolve to.
            if (use == Use::Listen) {
                address.path = IpcActivation::boundPathForName(local);
                if (!address.path.isEmpty())
                    return address;
            }
            address.path = IpcLocalPath::resolveName(local, use == Use::Listen, &address.error);
            if (!address.error.isEmpty())
                return address;
        } else {
            address.path = IpcLocalPath::resolve(local);
        }
        address.error = IpcLocalPath::invalidReason(address.path);
        return address;
    }
    address.kind = tcp ? Kind::Tcp : Kind::Tls;
    const QUrl url(text, QUrl::StrictMode);
    const int port = url.port(-1);
    if (!url.isValid() || port < 0 || !url.path().isEmpty() || url.hasQuery() || url.hasFragment()
        || !url.userInfo().isEmpty()) {
        address.error = QStringLiteral("\"%1\" is not an address of the form %2://HOST:PORT")
                                .arg(text, url.scheme());
        return address;
    }
    address.host = url.host();
    if (address.host.isEmpty())
        address.host = QStringLiteral("127.0.0.1");
    address.port = quint16(port);
    return address;
}

QString IpcAddress::toString() const
{
    if (kind == Kind::Local)
        return path;
    const bool ipv6 = QHostAddress(host).protocol() == QAbstractSocket::IPv6Protocol;
    return QStringLiteral("%1://%2:%3")
            .arg(kind == Kind::Tcp ? QLatin1String("tcp") : QLatin1String("tls"),
                 ipv6 ? QLatin1Char('[') + host + QLatin1Char(']') : host)
            .arg(port);
}

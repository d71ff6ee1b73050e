#ifndef IPCADDRESS_P_H
#define IPCADDRESS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qstring.h>

// Where to listen or connect: "PATH" or "unix:PATH" (a local socket, "@name" abstract), a
// service NAME (no '/': a socket in this user's runtime directory, IpcLocalPath::resolveName()),
// "tcp://HOST:PORT", "tls://HOST:PORT" (an IPv6 host in brackets). An empty host is the
// loopback interface: nothing is exposed to the network unless asked for by name.
struct IpcAddress
{
    enum class Kind { Local, Tcp, Tls };
    // To listen, the private directory a service name lives in is created if need be.
    enum class Use { Connect, Listen };

    Kind kind = Kind::Local;
    QString path;  // Local: resolved against the working directory, or the name's location
    QString name;  // Local: the service name it was given as, if it was
    QString host;  // Tcp, Tls
    quint16 port = 0;
    QString error;  // why the text is not an address; empty if it is

    static IpcAddress parse(const QString &text, Use use = Use::Connect);
    bool isValid() const { return error.isEmpty(); }
    bool isNetwork() const { return kind != Kind::Local; }
    // As it would be written: "tcp://127.0.0.1:7000", "/run/user/1000/app.sock".
    QString toString() const;
};

#endif  // IPCADDRESS_P_H

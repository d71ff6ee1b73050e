#ifndef IPCACTIVATION_P_H
#define IPCACTIVATION_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qstring.h>

// systemd socket activation (sd_listen_fds(3)): the listening sockets a service manager
// passed to this process. They are taken from LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES the
// first time they are asked for, when the variables are removed from the environment as
// sd_listen_fds(1) does (children do not inherit them), and each goes to the listen() whose
// address it matches.
namespace IpcActivation {

// The inherited listening stream socket bound to the local socket path, or named name (or the
// path's file name) in LISTEN_FDNAMES, or, for a service name, bound to a file of that name;
// -1 if there is none. The descriptor is the caller's
// from then on (close-on-exec, non-blocking); *boundPath: the path it is bound to.
int takeLocal(const QString &path, const QString &name, QString *boundPath);
// The path of an inherited listening socket a service name would take (see takeLocal()), or
// empty; it stays inherited. So that listen() on a name needs no directory of its own then.
QString boundPathForName(const QString &name);
// Reads the variables and marks the inherited descriptors close-on-exec now, before the
// process starts children; IpcServer's constructor calls it.
void prepare();

}  // namespace IpcActivation

#endif  // IPCACTIVATION_P_H

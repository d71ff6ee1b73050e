#ifndef MONITORCLIENT_H
#define MONITORCLIENT_H

#include <QtCore/qstring.h>

// A client process to watch (socketipc-monitor --client): says hello, sends sensor readings,
// every intervalMs when above 0, and echoes back whatever the monitor sends it. Exits when
// the monitor goes away. Runs the event loop and returns the exit code.
int runClient(const QString &socketPath, const QString &name, int intervalMs);

#endif  // MONITORCLIENT_H

#ifndef IPCTLS_P_H
#define IPCTLS_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipctlssettings.h"

#include <QtNetwork/qsslconfiguration.h>
#include <QtNetwork/qsslerror.h>

namespace IpcTls {

// The configuration a server or client uses, from settings: false, and why, when a file
// cannot be read or does not hold what it should.
bool serverConfiguration(const IpcTlsSettings &settings, QSslConfiguration *configuration,
                         QString *error);
bool clientConfiguration(const IpcTlsSettings &settings, QSslConfiguration *configuration,
                         QString *error);
QString describe(const QList<QSslError> &errors);

}  // namespace IpcTls

#endif  // IPCTLS_P_H

#ifndef SOCKETIPCGLOBAL_H
#define SOCKETIPCGLOBAL_H

#include <QtCore/qglobal.h>

#if defined(SOCKETIPC_LIBRARY)
#    define SOCKETIPC_EXPORT Q_DECL_EXPORT
#else
#    define SOCKETIPC_EXPORT Q_DECL_IMPORT
#endif

#endif  // SOCKETIPCGLOBAL_H

#ifndef IPCPROPERTY_P_H
#define IPCPROPERTY_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <utility>

// The body of a property setter: stores value and emits the NOTIFY signal, only on change.
template<typename Object, typename Field, typename Value, typename Signal>
void assignAndNotify(Object *object, Field &field, Value &&value, Signal signal)
{
    if (field == value)
        return;
    field = std::forward<Value>(value);
    emit(object->*signal)();
}

#endif  // IPCPROPERTY_P_H

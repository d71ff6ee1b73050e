#include "ipcjsoncodec_p.h"

#include "ipcframe_p.h"

bool IpcJsonCodec::encode(QByteArray &out, const Frame &frame, QString *error) const
{
    return IpcFrame::encode(out, frame, error);
}

bool IpcJsonCodec::decode(QByteArrayView contents, Frame *frame, QString *error) const
{
    return IpcFrame::decode(contents, frame, error);
}

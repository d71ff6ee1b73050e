#include "ipccodec.h"

#include "codec/ipccborcodec_p.h"
#include "codec/ipcjsoncodec_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>

/*!
    \class IpcCodec
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcCodec
    \brief The \l [CPP] {IpcCodec} class says how frames look on the wire: their framing and the
    encoding of
    their contents.

    Both ends of a connection must use the same codec. An endpoint's codec is its
    \l [CPP] {IpcEndpoint::}{codecName} property (in C++ also \l [CPP] {IpcEndpoint::}{codec()} and
    \l [CPP] {IpcEndpoint::}{setCodec()}); a server's codec applies to the connections it accepts
    afterwards, a client's to its next connection. When the two ends disagree, the receiver reports
    a \l [CPP] {IpcError::Error}{DecodeError} (or a \c FrameTooLargeError) and drops the connection:
    a client of the wrong codec finds out on the server's greeting, as a failed connect attempt that
    it retries (it never emits \l [CPP] {IpcClient::}{connected()}).

    Two codecs are built in:

    \list
    \li json() is the default and the format of the Node library @crussell52/socket-ipc:
        UTF-8 JSON objects followed by two NUL bytes. It refuses a \c QByteArray (an \c EncodeError)
        rather than inflate it into base64, and NaN and infinities, which JSON cannot hold.
    \li cbor() writes CBOR maps (RFC 8949) after a 4-byte big-endian length. A
        \c QByteArray travels as bytes and arrives as a \c QByteArray; NaN and infinities travel
        too. Node peers do not speak it.
    \endlist

    \snippet ipccodec.cpp cbor

    Any other format plugs in as a subclass (the Node library's \c transcoder option): implement
    name(), framing(), encode() and decode(), then registerCodec() it to select it by name, from QML
    say.

    \snippet ipccodec.cpp custom
    \snippet ipccodec.cpp register

    Codecs are immutable and used from any thread: encode() and decode() are \c const and must be
    thread-safe. A QML value that cannot be a message at all (a JavaScript function, a cyclic
    object) is refused with an \c EncodeError before encode() is called, whatever the codec.

    \b {See also} \l {Wire Protocol} and \l [CPP] {IpcCodec::Frame}.
*/

/*!
    \class IpcCodec::Frame
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcCodec
    \brief The \l [CPP] {IpcCodec::Frame} struct holds one frame's contents.

    A frame is what a codec encodes and decodes: a \l topic and a \l message, and for requests and
    replies the fields after them. A peer that knows nothing of those fields (the Node library) sees
    an ordinary message.

    On the wire (JSON and CBOR alike) \l requestId is the key \c id, \l replyTo is \c re,
    \l errorCode and \l errorMessage are \c error.code and \c error.message, isProgress() is
    \c progress and cancelId() is \c cancel.

    Fields added after the first version are reached through accessors (isProgress(), cancelId()),
    so that the size of a Frame and the place of its public fields never change. They cost no
    allocation until one is set.

    \sa {Wire Protocol}
*/

/*!
    \variable IpcCodec::Frame::topic

    The frame's topic.
*/

/*!
    \variable IpcCodec::Frame::message

    The frame's message: the value, as a QVariant.

    Invalid when the frame has no message (a Node peer's \c undefined).
*/

/*!
    \variable IpcCodec::Frame::requestId

    Greater than 0 for a request, which is answered with \l replyTo set to this id.

    0 (the default) for anything else.
*/

/*!
    \variable IpcCodec::Frame::replyTo

    Greater than 0 for the answer to the request of that id (or, with isProgress(), a progress
    notification for it).

    0 (the default) for anything else.
*/

/*!
    \variable IpcCodec::Frame::errorCode

    Set in the reply to a request that failed: \c "NoHandler" or \c "Handler".

    Empty for a successful answer. A receiver reads any other code as \c "Handler".
*/

/*!
    \variable IpcCodec::Frame::errorMessage

    Why the request failed, in the reply that carries an \l errorCode.
*/

/*!
    \fn IpcCodec::IpcCodec()

    Constructs a codec. Only subclasses are constructed.
*/

/*!
    Destroys the codec.
*/
IpcCodec::~IpcCodec() = default;

// The fields frames gained after the first version.
class IpcCodec::FrameExtension : public QSharedData
{
public:
    bool progress = false;
    qint64 cancelId = 0;
};

/*!
    Constructs an empty frame: no topic, an invalid message, no request fields.
*/
IpcCodec::Frame::Frame() = default;

/*!
    Constructs a copy of \a other.
*/
IpcCodec::Frame::Frame(const Frame &other) = default;

/*!
    Move-constructs a frame from \a other.
*/
IpcCodec::Frame::Frame(Frame &&other) noexcept = default;

/*!
    Assigns \a other to this frame and returns a reference to it.
*/
IpcCodec::Frame &IpcCodec::Frame::operator=(const Frame &other) = default;

/*!
    Move-assigns \a other to this frame and returns a reference to it.
*/
IpcCodec::Frame &IpcCodec::Frame::operator=(Frame &&other) noexcept = default;

/*!
    Destroys the frame.
*/
IpcCodec::Frame::~Frame() = default;

/*!
    Returns whether this frame, which has \l replyTo set, is a progress notification for that
    request (\l [CPP] {IpcRequest::sendProgress()}), sent before its answer, rather than the answer.
    False by
    default.

    \sa setProgress()
*/
bool IpcCodec::Frame::isProgress() const
{
    return m_extension && m_extension->progress;
}

/*!
    Makes this frame a progress notification when \a progress is true.

    \sa isProgress()
*/
void IpcCodec::Frame::setProgress(bool progress)
{
    if (progress || m_extension) {
        if (!m_extension)
            m_extension = new FrameExtension;
        m_extension->progress = progress;
    }
}

/*!
    Returns the id of the request the sender asks the receiver to stop handling (\l
    [CPP] {IpcReply::cancel()}, or the request's timeout), or 0 (the default) when this frame asks
    for nothing of the kind.

    \sa setCancelId()
*/
qint64 IpcCodec::Frame::cancelId() const
{
    return m_extension ? m_extension->cancelId : 0;
}

/*!
    Sets the id of the request this frame cancels to \a id; 0 for none.

    \sa cancelId()
*/
void IpcCodec::Frame::setCancelId(qint64 id)
{
    if (id != 0 || m_extension) {
        if (!m_extension)
            m_extension = new FrameExtension;
        m_extension->cancelId = id;
    }
}

/*!
    \enum IpcCodec::Framing

    How a connection's byte stream is cut into frames.

    \value Delimited
           The contents, followed by two NUL bytes. The contents must never hold two NUL bytes in a
           row, nor end with one: a frame of a Delimited codec that does is refused with an
           \c EncodeError rather than sent. JSON never does.
    \value LengthPrefixed
           A 4-byte big-endian length, then that many bytes of contents. A length above
           \l [CPP] {IpcEndpoint::}{maxFrameSize} is a \c FrameTooLargeError before the contents
           arrive.
*/

/*!
    \fn QString IpcCodec::name() const

    Returns the codec's name, a short lowercase word such as \c "json" or \c "cbor": what byName()
    and \l [CPP] {IpcEndpoint::}{codecName} select it by.
*/

/*!
    \fn IpcCodec::Framing IpcCodec::framing() const

    Returns how frames of this codec are cut from the byte stream.
*/

/*!
    \fn bool IpcCodec::encode(QByteArray &out, const IpcCodec::Frame &frame, QString *error) const

    Appends the encoded contents of \a frame to \a out (without the framing, which the caller adds)
    and returns true. \a out may already hold other frames: append, never overwrite.

    For a value the codec cannot hold, returns false and says why in *\a error (unless \a error is
    null, which it may be); what was appended is then discarded by the caller, and the message is an
    \c EncodeError.

    Encode every field that is set: \l [CPP] {IpcCodec::Frame::}{requestId},
    \l [CPP] {IpcCodec::Frame::}{replyTo}, \l [CPP] {IpcCodec::Frame::}{errorCode} and
    \l [CPP] {IpcCodec::Frame::}{errorMessage}, isProgress() and cancelId() carry requests, replies,
    progress and cancellation.
*/

/*!
    \fn bool IpcCodec::decode(QByteArrayView contents, IpcCodec::Frame *frame, QString *error) const

    Decodes one frame's \a contents (without the framing) into *\a frame and returns true. Sets all
    fields: \a frame may hold the previous frame's, so reset the optional ones that \a contents does
    not carry.

    Must be safe on hostile input: on contents that are not a frame, return false and say why in *\a
    error. The connection is then dropped with a \c DecodeError.
*/

/*!
    Returns the JSON codec: the default, and the only format Node peers speak. Frames are UTF-8 JSON
    objects (\c {{"topic": ..., "message": ...}}) followed by two NUL bytes, and numbers are written
    as JavaScript's \c JSON.stringify writes them. A \c QByteArray, NaN, an infinity or anything
    else that is not a JSON value is an \c EncodeError. Decoding is strict: what \c JSON.parse
    rejects is a \c DecodeError, and strings must be valid UTF-8.

    Registered as \c "json".
*/
std::shared_ptr<const IpcCodec> IpcCodec::json()
{
    static const auto codec = std::make_shared<const IpcJsonCodec>();
    return codec;
}

/*!
    Returns the CBOR codec: each frame is a 4-byte big-endian length, then a CBOR map (RFC 8949)
    with the same keys as JSON's. A \c QByteArray travels as a byte string and arrives as a
    \c QByteArray; NaN and infinities travel too; \c undefined arrives as an invalid QVariant, and
    tags are read through.

    Registered as \c "cbor".
*/
std::shared_ptr<const IpcCodec> IpcCodec::cbor()
{
    static const auto codec = std::make_shared<const IpcCborCodec>();
    return codec;
}

namespace {
struct Registry
{
    QMutex mutex;
    QHash<QString, std::shared_ptr<const IpcCodec>> codecs{
            {QStringLiteral("json"), IpcCodec::json()}, {QStringLiteral("cbor"), IpcCodec::cbor()}};
};

Registry &registry()
{
    static Registry instance;
    return instance;
}
}  // namespace

/*!
    Returns the registered codec whose name() is \a name, json() and cbor() included, or null if
    there is none. Thread-safe.

    \sa registerCodec()
*/
std::shared_ptr<const IpcCodec> IpcCodec::byName(const QString &name)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    return r.codecs.value(name);
}

/*!
    Makes \a codec selectable by its name() (byName(), \l [CPP] {IpcEndpoint::}{codecName}),
    replacing a registered codec of the same name. Nothing happens when \a codec is null.
    Thread-safe.
*/
void IpcCodec::registerCodec(std::shared_ptr<const IpcCodec> codec)
{
    if (!codec)
        return;
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    r.codecs.insert(codec->name(), std::move(codec));
}

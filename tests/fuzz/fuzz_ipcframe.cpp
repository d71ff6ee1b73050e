// libFuzzer target for the frame codec (src/socketipc/codec: the JSON writer and reader, the
// framing).
//
// Input layout: as fuzzharness.h says, the stream being delimited frames of JSON.
//
// Checks, each an abort() on failure:
//  - the Decoder splits the stream as fuzzharness.h's reference splitter does;
//  - every frame that decode() accepts has only JSON-shaped values, re-encodes with encode(),
//    and decode(encode(x)) == x (QVariant == and a stricter structural comparison), with an
//    empty topic coming back as "none" and a missing message as null; encoding is a fixed
//    point (encode(decode(encode(x))) == encode(x)) and puts no NUL before the delimiter;
//  - decodeValue() of a frame agrees with decode();
//  - decodeValue() of the whole input and of the stream round-trips through encodeValue().

#include "fuzzharness.h"
#include "ipcframe_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using IpcFuzz::failed;

QByteArray describe(const QVariant &v)
{
    QByteArray out;
    QString error;
    if (!IpcFrame::encodeValue(out, v, &error))
        return "<unencodable: " + error.toUtf8() + '>';
    return QByteArray(v.typeName() ? v.typeName() : "invalid") + ' ' + out;
}

// What the decoder may produce: null, bool, qlonglong, double, QString, QVariantList,
// QVariantMap, and only those.
bool isJsonShaped(const QVariant &v)
{
    switch (v.metaType().id()) {
    case QMetaType::Nullptr:
    case QMetaType::Bool:
    case QMetaType::LongLong:
    case QMetaType::QString: return true;
    case QMetaType::Double: return std::isfinite(v.toDouble());
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap: return IpcFuzz::allItems(v, isJsonShaped);
    default: return false;
    }
}

bool isNumber(int id)
{
    return id == QMetaType::LongLong || id == QMetaType::Double;
}

// Stricter than QVariant == (which calls true equal to 1): the same JSON types, and numbers
// equal, whichever of qlonglong/double holds them.
bool sameJson(const QVariant &a, const QVariant &b)
{
    const int ta = a.metaType().id();
    const int tb = b.metaType().id();
    if (ta == QMetaType::LongLong && tb == QMetaType::LongLong)
        return a.toLongLong() == b.toLongLong();
    if (isNumber(ta) && isNumber(tb)) {
        // Equal as doubles, as in JavaScript: a double of 2^53 or more is written with the
        // shortest digits that round back to it (JSON.stringify's rule), and those digits
        // then parse as the qlonglong they spell exactly, e.g. 2.2200222202220022e17 ->
        // "222002222022200220" -> qlonglong 222002222022200220, while the double was
        // 222002222022200224. By design: it rounds back to the same double.
        return a.toDouble() == b.toDouble();
    }
    if (ta != tb)
        return false;
    switch (ta) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr: return true;
    case QMetaType::Bool: return a.toBool() == b.toBool();
    case QMetaType::QString:
        return *static_cast<const QString *>(a.constData())
                == *static_cast<const QString *>(b.constData());
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap: return IpcFuzz::sameItems(a, b, sameJson);
    default: return false;
    }
}

void checkSame(const char *what, const QVariant &expected, const QVariant &actual)
{
    if (!(expected == actual))
        failed(what,
               "QVariant == says different: " + describe(expected) + " vs " + describe(actual));
    if (!sameJson(expected, actual))
        failed(what, "structurally different: " + describe(expected) + " vs " + describe(actual));
}

// decodeValue -> encodeValue -> decodeValue -> encodeValue.
void checkValueRoundTrip(QByteArrayView json)
{
    QVariant value;
    QString error;
    if (!IpcFrame::decodeValue(json, &value, &error))
        return;
    if (!isJsonShaped(value))
        failed("decodeValue produced a non-JSON value", describe(value));
    QByteArray encoded;
    if (!IpcFrame::encodeValue(encoded, value, &error))
        failed("encodeValue refused a decoded value", error.toUtf8());
    if (encoded.contains('\0'))
        failed("encodeValue wrote a NUL byte", encoded);
    QVariant again;
    if (!IpcFrame::decodeValue(encoded, &again, &error))
        failed("decodeValue refused what encodeValue wrote", encoded + " : " + error.toUtf8());
    checkSame("decodeValue(encodeValue(x)) != x", value, again);
    QByteArray encodedAgain;
    if (!IpcFrame::encodeValue(encodedAgain, again, &error) || encodedAgain != encoded)
        failed("encodeValue is not a fixed point", encoded + " then " + encodedAgain);
}

void checkFrame(QByteArrayView json)
{
    QString topic;
    QVariant message;
    QString error;
    if (!IpcFrame::decode(json, &topic, &message, &error)) {
        if (error.isEmpty())
            failed("decode failed without saying why");
        return;
    }
    if (message.isValid() && !isJsonShaped(message))
        failed("decode produced a non-JSON message", describe(message));

    // The same text as any JSON value: an object whose "topic" and "message" agree.
    QVariant value;
    if (!IpcFrame::decodeValue(json, &value, &error))
        failed("decodeValue refused a frame that decode accepted", error.toUtf8());
    if (value.metaType().id() != QMetaType::QVariantMap)
        failed("a frame decoded as a non-object", describe(value));
    const QVariantMap object = value.toMap();
    if (object.value(QStringLiteral("topic")) != QVariant(topic)
        || !sameJson(object.value(QStringLiteral("topic")), QVariant(topic)))
        failed("decode and decodeValue disagree on the topic");
    if (object.contains(QStringLiteral("message")) != message.isValid())
        failed("decode and decodeValue disagree on whether there is a message");
    if (message.isValid())
        checkSame("decode and decodeValue disagree on the message",
                  object.value(QStringLiteral("message")), message);

    // Round trip through encode.
    QByteArray encoded("prefix");  // encode appends: what is there must stay
    if (!IpcFrame::encode(encoded, topic, message, &error))
        failed("encode refused a decoded frame", error.toUtf8());
    if (!encoded.startsWith("prefix"))
        failed("encode changed what was already in the buffer", encoded);
    encoded.remove(0, 6);
    if (!encoded.endsWith(QByteArray(IpcFrame::Delimiter, IpcFrame::DelimiterSize)))
        failed("encode wrote no delimiter", encoded);
    encoded.chop(IpcFrame::DelimiterSize);
    if (encoded.contains('\0'))
        failed("encode wrote a NUL byte inside the frame", encoded);

    QString topic2;
    QVariant message2;
    if (!IpcFrame::decode(encoded, &topic2, &message2, &error))
        failed("decode refused what encode wrote", encoded + " : " + error.toUtf8());
    const QString expectedTopic = topic.isEmpty() ? QStringLiteral("none") : topic;
    if (topic2 != expectedTopic)
        failed("topic changed in the round trip", topic.toUtf8() + " -> " + topic2.toUtf8());
    // encode writes an invalid QVariant (no "message") as null.
    const QVariant expectedMessage = message.isValid() ? message : QVariant::fromValue(nullptr);
    checkSame("decode(encode(x)) != x", expectedMessage, message2);

    QByteArray encodedAgain;
    if (!IpcFrame::encode(encodedAgain, topic2, message2, &error))
        failed("encode refused a re-decoded frame", error.toUtf8());
    encodedAgain.chop(IpcFrame::DelimiterSize);
    if (encodedAgain != encoded)
        failed("encode is not a fixed point", encoded + " then " + encodedAgain);
}

}  // namespace

namespace IpcFuzz {
const char *const FuzzerName = "fuzz_ipcframe";

QByteArray printableDetail(const QByteArray &detail)
{
    return detail.toPercentEncoding(" {}[]\":,");
}

QByteArray showFrameBytes(const QByteArray &frame)
{
    return frame;
}
}  // namespace IpcFuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const IpcFuzz::Input input = IpcFuzz::readInput(data, size);
    const IpcFuzz::Split split = IpcFuzz::checkSplitting(input, IpcCodec::Framing::Delimited);

    for (const QByteArray &frame : split.frames)
        checkFrame(frame);
    // A peer's stream is often one frame without the delimiter: decode it as is too.
    if (split.frames.empty())
        checkFrame(input.stream);

    checkValueRoundTrip(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (input.hasHeader)
        checkValueRoundTrip(input.stream);
    return 0;
}

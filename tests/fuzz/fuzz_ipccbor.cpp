// libFuzzer target for the CBOR codec (src/socketipc/codec/ipccborcodec.cpp) and the
// length-prefixed framing of IpcFrame::Decoder (src/socketipc/codec/ipcframing.cpp).
//
// Input layout: as fuzzharness.h says, the stream being frames of a 4-byte big-endian length
// and that many bytes of CBOR.
//
// Checks, each an abort() on failure:
//  - the length-prefixed Decoder splits the stream as fuzzharness.h's reference splitter does;
//  - every frame that IpcCodec::cbor()->decode() accepts is exactly one well-formed CBOR
//    item by Qt's own reader (QCborValue::fromCbor, which must end where the input ends),
//    holds what that reader reads (integers, floats, text, bytes, containers; tags read
//    through), has only CBOR-shaped values, re-encodes, and decode(encode(x)) == x with
//    an empty topic coming back as "none"; encoding is a fixed point; a refusal says why;
//  - the same for IpcCborCodec::decodeValue() of each frame and of the whole stream.

#include "fuzzharness.h"
#include "ipccborcodec_p.h"
#include "ipcframe_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qcborarray.h>
#include <QtCore/qcbormap.h>
#include <QtCore/qcborvalue.h>
#include <QtCore/qendian.h>
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
    QByteArray out = v.typeName() ? QByteArray(v.typeName()) : QByteArray("invalid");
    switch (v.metaType().id()) {
    case QMetaType::LongLong: return out + ' ' + QByteArray::number(v.toLongLong());
    case QMetaType::Double: return out + ' ' + QByteArray::number(v.toDouble(), 'g', 17);
    case QMetaType::QString: return out + " \"" + v.toString().toUtf8().left(80) + '"';
    case QMetaType::QByteArray: return out + ' ' + v.toByteArray().left(40).toHex();
    case QMetaType::QVariantList: return out + " of " + QByteArray::number(v.toList().size());
    case QMetaType::QVariantMap: return out + " of " + QByteArray::number(v.toMap().size());
    default: return out;
    }
}

// What the decoder may produce: undefined (an invalid QVariant), null, bool, qlonglong,
// double, QString, QByteArray, QVariantList, QVariantMap, and only those.
bool isCborShaped(const QVariant &v)
{
    switch (v.metaType().id()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
    case QMetaType::Bool:
    case QMetaType::LongLong:
    case QMetaType::Double:
    case QMetaType::QString:
    case QMetaType::QByteArray: return true;
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap: return IpcFuzz::allItems(v, isCborShaped);
    default: return false;
    }
}

bool sameDouble(double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

// Stricter than QVariant ==: the same types (an integer never equals a double), NaN equal
// to NaN, -0.0 not 0.0.
bool same(const QVariant &a, const QVariant &b)
{
    const int ta = a.metaType().id();
    if (ta != b.metaType().id())
        return false;
    switch (ta) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr: return true;
    case QMetaType::Bool: return a.toBool() == b.toBool();
    case QMetaType::LongLong: return a.toLongLong() == b.toLongLong();
    case QMetaType::Double: return sameDouble(a.toDouble(), b.toDouble());
    case QMetaType::QString:
        return *static_cast<const QString *>(a.constData())
                == *static_cast<const QString *>(b.constData());
    case QMetaType::QByteArray:
        return *static_cast<const QByteArray *>(a.constData())
                == *static_cast<const QByteArray *>(b.constData());
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap: return IpcFuzz::sameItems(a, b, same);
    default: return false;
    }
}

// A map as the codec reads it: a repeated key's last value wins (Qt keeps every pair). Keys
// that are not text, which the codec refuses, are left out.
QMap<QString, QCborValue> lastWins(const QCborMap &map)
{
    QMap<QString, QCborValue> result;
    for (auto i = map.cbegin(); i != map.cend(); ++i) {
        if (i.key().isString())
            result.insert(i.key().toString(), i.value());
    }
    return result;
}

// Whether the codec's reading of a value agrees with Qt's own reader's. Tags are read
// through; Qt turns some tagged items into types of its own (QDateTime, QUrl...), whose
// contents it may normalize: those are not compared.
bool agreesWithQt(const QVariant &ours, const QCborValue &qt)
{
    switch (qt.type()) {
    case QCborValue::Integer:
        // Qt 6.4 reads -2^64 (0x3b ff..ff) as the integer 0; the codec, as a double.
        if (ours.metaType().id() == QMetaType::Double && ours.toDouble() == -0x1p64
            && qt.toInteger() == 0)
            return true;
        return ours.metaType().id() == QMetaType::LongLong && ours.toLongLong() == qt.toInteger();
    case QCborValue::Double:
        return ours.metaType().id() == QMetaType::Double
                && sameDouble(ours.toDouble(), qt.toDouble());
    case QCborValue::String:
        return ours.metaType().id() == QMetaType::QString && ours.toString() == qt.toString();
    case QCborValue::ByteArray:
        return ours.metaType().id() == QMetaType::QByteArray
                && ours.toByteArray() == qt.toByteArray();
    case QCborValue::False:
    case QCborValue::True:
        return ours.metaType().id() == QMetaType::Bool && ours.toBool() == qt.isTrue();
    case QCborValue::Null: return ours.metaType().id() == QMetaType::Nullptr;
    case QCborValue::Undefined: return !ours.isValid();
    case QCborValue::Array: {
        if (ours.metaType().id() != QMetaType::QVariantList)
            return false;
        const QVariantList &list = *static_cast<const QVariantList *>(ours.constData());
        const QCborArray array = qt.toArray();
        if (list.size() != array.size())
            return false;
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (!agreesWithQt(list.at(i), array.at(i)))
                return false;
        }
        return true;
    }
    case QCborValue::Map: {
        if (ours.metaType().id() != QMetaType::QVariantMap)
            return false;
        const QVariantMap &map = *static_cast<const QVariantMap *>(ours.constData());
        const QMap<QString, QCborValue> last = lastWins(qt.toMap());
        if (last.size() != map.size())
            return false;
        for (auto i = last.cbegin(); i != last.cend(); ++i) {
            const auto it = map.constFind(i.key());
            if (it == map.cend() || !agreesWithQt(*it, i.value()))
                return false;
        }
        return true;
    }
    case QCborValue::Tag: return agreesWithQt(ours, qt.taggedValue());
    case QCborValue::DateTime:
    case QCborValue::Url:
    case QCborValue::RegularExpression:
    case QCborValue::Uuid: return true;
    default: return false;  // simple values and invalid items are refused
    }
}

// Accepted input must be exactly one well-formed CBOR item to Qt's reader.
QCborValue qtReading(QByteArrayView cbor, const char *what)
{
    QCborParserError error;
    const QCborValue value = QCborValue::fromCbor(cbor.toByteArray(), &error);
    if (error.error != QCborError::NoError)
        failed(what,
               "Qt's reader says " + error.errorString().toUtf8() + " at byte "
                       + QByteArray::number(error.offset) + ": " + cbor.toByteArray().toHex());
    if (error.offset != cbor.size())
        failed(what,
               "Qt's reader ends at byte " + QByteArray::number(error.offset) + " of "
                       + QByteArray::number(cbor.size()) + ": " + cbor.toByteArray().toHex());
    return value;
}

void checkValue(QByteArrayView cbor)
{
    QVariant value;
    QString error;
    if (!IpcCborCodec::decodeValue(cbor, &value, &error)) {
        if (error.isEmpty())
            failed("decodeValue failed without saying why");
        return;
    }
    if (!isCborShaped(value))
        failed("decodeValue produced a non-CBOR value", describe(value));
    if (!agreesWithQt(value, qtReading(cbor, "decodeValue accepted what is not one CBOR item")))
        failed("decodeValue and Qt's reader disagree", describe(value));

    QByteArray encoded;
    if (!IpcCborCodec::encodeValue(encoded, value, &error))
        failed("encodeValue refused a decoded value", error.toUtf8());
    QVariant again;
    if (!IpcCborCodec::decodeValue(encoded, &again, &error))
        failed("decodeValue refused what encodeValue wrote",
               encoded.toHex() + " : " + error.toUtf8());
    if (!same(value, again))
        failed("decodeValue(encodeValue(x)) != x", describe(value) + " vs " + describe(again));
    QByteArray encodedAgain;
    if (!IpcCborCodec::encodeValue(encodedAgain, again, &error) || encodedAgain != encoded)
        failed("encodeValue is not a fixed point",
               encoded.toHex() + " then " + encodedAgain.toHex());
}

bool sameFrame(const IpcCodec::Frame &a, const IpcCodec::Frame &b)
{
    return a.topic == b.topic && a.requestId == b.requestId && a.replyTo == b.replyTo
            && a.isProgress() == b.isProgress() && a.cancelId() == b.cancelId()
            && a.errorCode == b.errorCode && a.errorMessage == b.errorMessage
            && same(a.message, b.message);
}

void checkFrame(QByteArrayView contents)
{
    const IpcCodec &codec = *IpcCodec::cbor();
    IpcCodec::Frame frame;
    QString error;
    if (!codec.decode(contents, &frame, &error)) {
        if (error.isEmpty())
            failed("decode failed without saying why");
        return;
    }
    if (!isCborShaped(frame.message))
        failed("decode produced a non-CBOR message", describe(frame.message));
    if (frame.requestId < 0 || frame.replyTo < 0 || frame.cancelId() < 0)
        failed("decode produced a negative id");
    if (frame.errorCode.isEmpty() && !frame.errorMessage.isEmpty())
        failed("decode produced an error message without a code");
    const QCborValue qt = qtReading(contents, "decode accepted what is not one CBOR item");
    if (!qt.isMap())
        failed("decode accepted a frame that is no map");
    const QMap<QString, QCborValue> fields = lastWins(qt.toMap());
    if (!fields.value(QStringLiteral("topic")).isString()
        || !agreesWithQt(QVariant(frame.topic), fields.value(QStringLiteral("topic"))))
        failed("decode and Qt's reader disagree on the topic", frame.topic.toUtf8());
    const auto message = fields.constFind(QStringLiteral("message"));
    if (message == fields.cend() ? frame.message.isValid() : !agreesWithQt(frame.message, *message))
        failed("decode and Qt's reader disagree on the message", describe(frame.message));

    QByteArray encoded("prefix");  // encode appends: what is there must stay
    if (!codec.encode(encoded, frame, &error))
        failed("encode refused a decoded frame", error.toUtf8());
    if (!encoded.startsWith("prefix"))
        failed("encode changed what was already in the buffer", encoded.toHex());
    encoded.remove(0, 6);
    IpcCodec::Frame again;
    if (!codec.decode(encoded, &again, &error))
        failed("decode refused what encode wrote", encoded.toHex() + " : " + error.toUtf8());
    IpcCodec::Frame expected = frame;
    if (expected.topic.isEmpty())
        expected.topic = QStringLiteral("none");
    if (!sameFrame(expected, again))
        failed("decode(encode(x)) != x",
               describe(frame.message) + " vs " + describe(again.message));
    QByteArray encodedAgain;
    if (!codec.encode(encodedAgain, again, &error) || encodedAgain != encoded)
        failed("encode is not a fixed point", encoded.toHex() + " then " + encodedAgain.toHex());

    // Framed, the length prefix is the contents' size.
    QByteArray framed;
    if (!IpcFrame::encodeFrame(framed, codec, again, &error)
        || framed.size() != IpcFrame::LengthPrefixSize + encoded.size()
        || qFromBigEndian<quint32>(framed.constData()) != quint32(encoded.size())
        || framed.sliced(IpcFrame::LengthPrefixSize) != encoded)
        failed("encodeFrame did not prefix the contents with their length", framed.toHex());
}

}  // namespace

namespace IpcFuzz {
const char *const FuzzerName = "fuzz_ipccbor";

QByteArray printableDetail(const QByteArray &detail)
{
    return detail;
}

QByteArray showFrameBytes(const QByteArray &frame)
{
    return frame.toHex();
}
}  // namespace IpcFuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const IpcFuzz::Input input = IpcFuzz::readInput(data, size);
    const IpcFuzz::Split split = IpcFuzz::checkSplitting(input, IpcCodec::Framing::LengthPrefixed);

    for (const QByteArray &frame : split.frames) {
        checkFrame(frame);
        checkValue(frame);
    }
    // The stream as one frame's contents, without a prefix: the most direct way in.
    checkFrame(input.stream);
    checkValue(input.stream);
    return 0;
}

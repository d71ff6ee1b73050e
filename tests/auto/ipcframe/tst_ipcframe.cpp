#include "ipcframe_p.h"
#include "ipcframetestsupport.h"
#include "ipctestsupport.h"

#include <QtCore/qendian.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qpoint.h>
#include <QtCore/qstringlist.h>
#include <QtTest/qtest.h>

#include <initializer_list>
#include <limits>

using namespace Qt::StringLiterals;
using IpcFrame::Decoder;

using IpcTest::drain;
using IpcTest::nestedList;
using IpcTest::nestedMap;
using IpcTest::null;

namespace {

struct Opaque
{
    int x = 0;
};

const QByteArray delimiter(IpcFrame::Delimiter, IpcFrame::DelimiterSize);

// A byte array from a literal, embedded NULs included.
template<std::size_t N>
QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, qsizetype(N - 1));
}

// A string from UTF-16 code units, so lone surrogates can be written down.
QString units(std::initializer_list<char16_t> u)
{
    return QString(reinterpret_cast<const QChar *>(u.begin()), qsizetype(u.size()));
}

struct Sample
{
    QString topic;
    QVariant message;
};

// Frames chosen so a stream of them has 1- to 4-byte UTF-8 characters, escapes and nesting.
QList<Sample> samples()
{
    return {
            {u"hello"_s, u"world"_s},
            {u"é€😀 topic"_s, u"ünïcødé 😀 a\0b \"q\" \\ 中"_s},
            {QString(), QVariantMap{{u"n"_s, 1}, {u"l"_s, QVariantList{true, null()}}}},
            {u"t"_s, QString()},
            {u"x"_s, 1.5},
            {u"😀"_s, u"😀"_s},
    };
}

QList<QByteArray> encodeAll(const QList<Sample> &list)
{
    QList<QByteArray> frames;
    for (const Sample &sample : list) {
        QByteArray frame;
        QString error;
        if (!IpcFrame::encode(frame, sample.topic, sample.message, &error))
            qFatal("cannot encode a sample: %s", qPrintable(error));
        frames.append(frame);
    }
    return frames;
}

QList<QByteArray> withoutDelimiters(const QList<QByteArray> &frames)
{
    QList<QByteArray> result;
    for (const QByteArray &frame : frames)
        result.append(frame.chopped(IpcFrame::DelimiterSize));
    return result;
}

}  // namespace

class tst_IpcFrame : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unreadReturnsTheSameFrameAgain_data();
    void unreadReturnsTheSameFrameAgain();
    // encode
    void encodeMatchesJsonStringify_data();
    void encodeMatchesJsonStringify();
    void encodeAppendsToExistingBytes();
    void encodeErrorLeavesBufferUntouched_data();
    void encodeErrorLeavesBufferUntouched();

    // encode, then decode
    void roundTrip_data();
    void roundTrip();
    void roundTripBigString();

    // decode
    void decodeAcceptsFrames_data();
    void decodeAcceptsFrames();
    void decodeRejectsBadFrames_data();
    void decodeRejectsBadFrames();
    void decodeRejectsWhatJsonParseRejects_data();
    void decodeRejectsWhatJsonParseRejects();

    // Decoder
    void decoderSplitsAtEveryByte();
    void decoderSplitsAtEveryPairOfBytes();
    void decoderFedByteByByte();
    void decoderManyFramesInOneAppend();
    void decoderFrameAcrossManyAppends();
    void decoderNeedsMoreForPartialData_data();
    void decoderNeedsMoreForPartialData();
    void decoderSingleNulIsNotADelimiter();
    void decoderEmptyFrame();
    void decoderPendingBytesAndClear();
    void decoderMaxFrameSize_data();
    void decoderMaxFrameSize();
    void decoderMaxFrameSizeAppliesPerFrame();
    void decoderGrowingBufferIsTooLargeWithoutWaiting_data();
    void decoderGrowingBufferIsTooLargeWithoutWaiting();
};

// ---------------------------------------------------------------------------------------------
// encode

void tst_IpcFrame::encodeMatchesJsonStringify_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QVariant>("message");
    // JSON.stringify({topic, message}) in Node, checked by hand; the delimiter is added below.
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("hello world") << u"hello"_s << QVariant(u"world"_s)
                                 << bytes("{\"topic\":\"hello\",\"message\":\"world\"}");
    QTest::newRow("empty topic is none")
            << QString() << QVariant(u"x"_s) << bytes("{\"topic\":\"none\",\"message\":\"x\"}");
    QTest::newRow("empty non-null topic is none")
            << u""_s << QVariant(u"x"_s) << bytes("{\"topic\":\"none\",\"message\":\"x\"}");
    QTest::newRow("topic escaped")
            << u"a\"b"_s << QVariant(u"x"_s) << bytes("{\"topic\":\"a\\\"b\",\"message\":\"x\"}");
    QTest::newRow("topic unicode")
            << u"тема/😀"_s << QVariant(1) << bytes("{\"topic\":\"тема/😀\",\"message\":1}");
    QTest::newRow("topic with NULs") << u"a\0\0b"_s << QVariant(1)
                                     << bytes("{\"topic\":\"a\\u0000\\u0000b\",\"message\":1}");

    QTest::newRow("invalid QVariant")
            << u"t"_s << QVariant() << bytes("{\"topic\":\"t\",\"message\":null}");
    QTest::newRow("nullptr") << u"t"_s << null() << bytes("{\"topic\":\"t\",\"message\":null}");
    QTest::newRow("true") << u"t"_s << QVariant(true)
                          << bytes("{\"topic\":\"t\",\"message\":true}");
    QTest::newRow("false") << u"t"_s << QVariant(false)
                           << bytes("{\"topic\":\"t\",\"message\":false}");
    QTest::newRow("0") << u"t"_s << QVariant(0) << bytes("{\"topic\":\"t\",\"message\":0}");
    QTest::newRow("42") << u"t"_s << QVariant(42) << bytes("{\"topic\":\"t\",\"message\":42}");
    QTest::newRow("-7") << u"t"_s << QVariant(-7) << bytes("{\"topic\":\"t\",\"message\":-7}");
    QTest::newRow("uint max") << u"t"_s << QVariant(std::numeric_limits<uint>::max())
                              << bytes("{\"topic\":\"t\",\"message\":4294967295}");
    QTest::newRow("0.1") << u"t"_s << QVariant(0.1) << bytes("{\"topic\":\"t\",\"message\":0.1}");
    QTest::newRow("1.5") << u"t"_s << QVariant(1.5) << bytes("{\"topic\":\"t\",\"message\":1.5}");
    QTest::newRow("-1.25") << u"t"_s << QVariant(-1.25)
                           << bytes("{\"topic\":\"t\",\"message\":-1.25}");
    QTest::newRow("float 0.5") << u"t"_s << QVariant(0.5f)
                               << bytes("{\"topic\":\"t\",\"message\":0.5}");
    QTest::newRow("2.0") << u"t"_s << QVariant(2.0) << bytes("{\"topic\":\"t\",\"message\":2}");
    QTest::newRow("-0.0") << u"t"_s << QVariant(-0.0) << bytes("{\"topic\":\"t\",\"message\":0}");
    QTest::newRow("1/3") << u"t"_s << QVariant(1.0 / 3)
                         << bytes("{\"topic\":\"t\",\"message\":0.3333333333333333}");
    QTest::newRow("1e300") << u"t"_s << QVariant(1e300)
                           << bytes("{\"topic\":\"t\",\"message\":1e+300}");
    QTest::newRow("-1e300") << u"t"_s << QVariant(-1e300)
                            << bytes("{\"topic\":\"t\",\"message\":-1e+300}");
    QTest::newRow("1e21") << u"t"_s << QVariant(1e21)
                          << bytes("{\"topic\":\"t\",\"message\":1e+21}");
    QTest::newRow("5e-324") << u"t"_s << QVariant(5e-324)
                            << bytes("{\"topic\":\"t\",\"message\":5e-324}");
    QTest::newRow("double max") << u"t"_s << QVariant(std::numeric_limits<double>::max())
                                << bytes("{\"topic\":\"t\",\"message\":1.7976931348623157e+308}");
    QTest::newRow("1.23e-18") << u"t"_s << QVariant(1.23e-18)
                              << bytes("{\"topic\":\"t\",\"message\":1.23e-18}");
    // JSON.stringify writes these in fixed notation or without exponent padding.
    QTest::newRow("1e-7") << u"t"_s << QVariant(1e-7)
                          << bytes("{\"topic\":\"t\",\"message\":1e-7}");
    QTest::newRow("1e-6") << u"t"_s << QVariant(1e-6)
                          << bytes("{\"topic\":\"t\",\"message\":0.000001}");
    QTest::newRow("1e-5") << u"t"_s << QVariant(1e-5)
                          << bytes("{\"topic\":\"t\",\"message\":0.00001}");
    QTest::newRow("1e20") << u"t"_s << QVariant(1e20)
                          << bytes("{\"topic\":\"t\",\"message\":100000000000000000000}");

    QTest::newRow("empty string") << u"t"_s << QVariant(u""_s)
                                  << bytes("{\"topic\":\"t\",\"message\":\"\"}");
    QTest::newRow("quotes, backslash, solidus")
            << u"t"_s << QVariant(u"q\"b\\s/"_s)
            << bytes("{\"topic\":\"t\",\"message\":\"q\\\"b\\\\s/\"}");
    QTest::newRow("short escapes") << u"t"_s << QVariant(u"\b\f\n\r\t"_s)
                                   << bytes("{\"topic\":\"t\",\"message\":\"\\b\\f\\n\\r\\t\"}");
    QTest::newRow("control chars, NUL, DEL")
            << u"t"_s << QVariant(u"\x01\x1f\0\x7f"_s)
            << bytes("{\"topic\":\"t\",\"message\":\"\\u0001\\u001f\\u0000\x7f\"}");
    QTest::newRow("delimiter inside a string")
            << u"t"_s << QVariant(u"\0\0"_s)
            << bytes("{\"topic\":\"t\",\"message\":\"\\u0000\\u0000\"}");
    QTest::newRow("unicode and emoji")
            << u"t"_s << QVariant(u"é€中😀"_s) << bytes("{\"topic\":\"t\",\"message\":\"é€中😀\"}");
    QTest::newRow("U+2028 U+2029 U+FFFF")
            << u"t"_s << QVariant(u"\u2028\u2029\uffff"_s)
            << bytes("{\"topic\":\"t\",\"message\":\"\u2028\u2029\uffff\"}");
    QTest::newRow("lone high surrogate") << u"t"_s << QVariant(units({0xd800}))
                                         << bytes("{\"topic\":\"t\",\"message\":\"\\ud800\"}");
    QTest::newRow("lone low surrogate") << u"t"_s << QVariant(units({0xdc00}))
                                        << bytes("{\"topic\":\"t\",\"message\":\"\\udc00\"}");
    QTest::newRow("reversed pair") << u"t"_s << QVariant(units({0xdc00, 0xd800}))
                                   << bytes("{\"topic\":\"t\",\"message\":\"\\udc00\\ud800\"}");
    QTest::newRow("high surrogate at end") << u"t"_s << QVariant(units({u'a', 0xd83d}))
                                           << bytes("{\"topic\":\"t\",\"message\":\"a\\ud83d\"}");
    QTest::newRow("low surrogate at start") << u"t"_s << QVariant(units({0xde00, u'b'}))
                                            << bytes("{\"topic\":\"t\",\"message\":\"\\ude00b\"}");

    QTest::newRow("nested map and list")
            << u"t"_s
            << QVariant(QVariantMap{{u"b"_s, 1},
                                    {u"a"_s, QVariantList{1, u"x"_s, true, QVariant()}}})
            << bytes("{\"topic\":\"t\",\"message\":{\"a\":[1,\"x\",true,null],\"b\":1}}");
    QTest::newRow("empty list") << u"t"_s << QVariant(QVariantList())
                                << bytes("{\"topic\":\"t\",\"message\":[]}");
    QTest::newRow("empty map") << u"t"_s << QVariant(QVariantMap())
                               << bytes("{\"topic\":\"t\",\"message\":{}}");
    QTest::newRow("QStringList") << u"t"_s << QVariant(QStringList{u"a"_s, u"b"_s})
                                 << bytes("{\"topic\":\"t\",\"message\":[\"a\",\"b\"]}");
    QTest::newRow("QList<int>") << u"t"_s << QVariant::fromValue(QList<int>{1, 2, 3})
                                << bytes("{\"topic\":\"t\",\"message\":[1,2,3]}");
    QTest::newRow("QMap<QString,int>")
            << u"t"_s << QVariant::fromValue(QMap<QString, int>{{u"x"_s, 1}})
            << bytes("{\"topic\":\"t\",\"message\":{\"x\":1}}");
    QTest::newRow("QJsonObject") << u"t"_s << QVariant(QJsonObject{{u"k"_s, QJsonArray{1, 2}}})
                                 << bytes("{\"topic\":\"t\",\"message\":{\"k\":[1,2]}}");
}

void tst_IpcFrame::encodeMatchesJsonStringify()
{
    QFETCH(QString, topic);
    QFETCH(QVariant, message);
    QFETCH(QByteArray, json);

    QByteArray out;
    QString error;
    QVERIFY2(IpcFrame::encode(out, topic, message, &error), qPrintable(error));
    QCOMPARE(out, json + delimiter);
}

void tst_IpcFrame::encodeAppendsToExistingBytes()
{
    QByteArray out = bytes("earlier\0\0");
    QString error;
    QVERIFY2(IpcFrame::encode(out, u"a", 1, &error), qPrintable(error));
    QVERIFY2(IpcFrame::encode(out, u"b", u"2"_s, &error), qPrintable(error));
    QCOMPARE(out,
             bytes("earlier\0\0"
                   "{\"topic\":\"a\",\"message\":1}\0\0"
                   "{\"topic\":\"b\",\"message\":\"2\"}\0\0"));
}

void tst_IpcFrame::encodeErrorLeavesBufferUntouched_data()
{
    QTest::addColumn<QVariant>("message");
    QTest::addColumn<QString>("why");  // a word the error must contain

    constexpr double inf = std::numeric_limits<double>::infinity();
    QTest::newRow("NaN") << QVariant(qQNaN()) << u"nan"_s;
    QTest::newRow("+Inf") << QVariant(inf) << u"inf"_s;
    QTest::newRow("-Inf") << QVariant(-inf) << u"inf"_s;
    QTest::newRow("float NaN") << QVariant(std::numeric_limits<float>::quiet_NaN()) << u"nan"_s;
    QTest::newRow("float Inf") << QVariant(std::numeric_limits<float>::infinity()) << u"inf"_s;
    QTest::newRow("QByteArray") << QVariant(QByteArray("abc")) << u"QByteArray"_s;
    QTest::newRow("QObject*") << QVariant::fromValue(static_cast<QObject *>(this)) << u"QObject"_s;
    QTest::newRow("QPoint") << QVariant(QPoint(1, 2)) << u"QPoint"_s;
    QTest::newRow("custom type") << QVariant::fromValue(Opaque{7}) << u"Opaque"_s;

    // Errors found after some of the value was written.
    QTest::newRow("Inf last in a list") << QVariant(QVariantList{1, u"two"_s, inf}) << u"inf"_s;
    QTest::newRow("QByteArray deep in a map")
            << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, QVariantMap{{u"c"_s, QByteArray("x")}}}})
            << u"QByteArray"_s;
    QTest::newRow("NaN in QList<double>")
            << QVariant::fromValue(QList<double>{1.0, qQNaN()}) << u"nan"_s;
    QTest::newRow("QPoint in a QVariantHash")
            << QVariant(QVariantHash{{u"p"_s, QPoint()}}) << u"QPoint"_s;

    QTest::newRow("list nested 600 deep") << nestedList(600, 1) << u"nested"_s;
    QTest::newRow("list nested 5000 deep") << nestedList(5000, 1) << u"nested"_s;
    QTest::newRow("map nested 600 deep") << nestedMap(600, 1) << u"nested"_s;
}

void tst_IpcFrame::encodeErrorLeavesBufferUntouched()
{
    QFETCH(QVariant, message);
    QFETCH(QString, why);

    const QByteArray before = bytes("{\"topic\":\"x\",\"message\":1}\0\0{\"topic\":\"par");
    QByteArray out = before;
    QString error;
    QVERIFY(!IpcFrame::encode(out, u"mytopic", message, &error));
    QCOMPARE(out, before);
    QVERIFY(!error.isEmpty());
    QVERIFY2(error.contains(why, Qt::CaseInsensitive), qPrintable(error));

    // Without somewhere to say why, it still fails cleanly.
    QVERIFY(!IpcFrame::encode(out, u"mytopic", message, nullptr));
    QCOMPARE(out, before);

    // The buffer is still good for the next frame.
    QVERIFY2(IpcFrame::encode(out, u"ok", true, &error), qPrintable(error));
    QCOMPARE(out, before + bytes("{\"topic\":\"ok\",\"message\":true}\0\0"));
}

// ---------------------------------------------------------------------------------------------
// encode, then decode

void tst_IpcFrame::roundTrip_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QVariant>("message");
    QTest::addColumn<QVariant>("expected");  // what decode gives back

    auto same = [](const char *name, const QVariant &v) {
        QTest::newRow(name) << u"t"_s << v << v;
    };

    QTest::newRow("invalid QVariant is null") << u"t"_s << QVariant() << null();
    QTest::newRow("nullptr is null") << u"t"_s << null() << null();
    same("true", true);
    same("false", false);
    same("0", 0);
    same("42", 42);
    same("-42", -42);
    same("int max", std::numeric_limits<int>::max());
    same("int min", std::numeric_limits<int>::min());
    same("qint64 max", std::numeric_limits<qint64>::max());
    same("qint64 max - 1", std::numeric_limits<qint64>::max() - 1);
    same("qint64 min", std::numeric_limits<qint64>::min());
    same("qint64 min + 1", std::numeric_limits<qint64>::min() + 1);
    same("2^53 + 1", (qint64(1) << 53) + 1);
    same("uint max", std::numeric_limits<uint>::max());
    QTest::newRow("quint64 max becomes a double")
            << u"t"_s << QVariant(std::numeric_limits<quint64>::max())
            << QVariant(double(std::numeric_limits<quint64>::max()));
    same("0.1", 0.1);
    same("1e300", 1e300);
    same("-1e300", -1e300);
    same("-0.0", -0.0);
    same("1e-7", 1e-7);
    same("5e-324", 5e-324);
    same("double max", std::numeric_limits<double>::max());
    same("1/3", 1.0 / 3);
    same("-1.5", -1.5);
    same("1e20", 1e20);
    same("float 0.25", 0.25f);

    same("empty string", u""_s);
    same("quotes", u"say \"hi\" \"\""_s);
    same("backslashes", u"C:\\path\\to\\ \\\\ \\u0041 \\"_s);
    same("short escapes", u"\b\f\n\r\t"_s);
    same("all control chars",
         u"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
         u"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"_s);
    same("NUL", u"\0"_s);
    same("NULs around text", u"\0a\0\0b\0"_s);
    same("unicode BMP", u"é ß € 中文 Ω \u2028 \uffff"_s);
    same("emoji", u"😀👍🏽🇩🇪"_s);
    same("lone high surrogate", units({0xd800}));
    same("lone low surrogate", units({0xdfff}));
    same("reversed pair", units({0xdc00, 0xd800}));
    same("lone surrogates around a pair", units({0xd83d, 0xd83d, 0xde00, 0xde00, u'x'}));

    QTest::newRow("unicode topic") << u"тема/😀"_s << QVariant(1) << QVariant(1);
    QTest::newRow("topic with NUL") << u"a\0\0b"_s << QVariant(1) << QVariant(1);
    QTest::newRow("topic with quotes") << u"\"\\"_s << QVariant(1) << QVariant(1);
    QTest::newRow("lone surrogate topic") << units({0xd800}) << QVariant(1) << QVariant(1);
    QTest::newRow("empty topic is none") << QString() << QVariant(1) << QVariant(1);

    same("nested",
         QVariantMap{
                 {u"list"_s, QVariantList{1, 2.5, u"s"_s, false, QVariantList{}, QVariantMap{}}},
                 {u"map"_s, QVariantMap{{u"x"_s, QVariantMap{{u"y"_s, u"z"_s}}}}},
                 {u""_s, u"empty key"_s},
                 {u"ключ 😀"_s, u"\0"_s}});
    QTest::newRow("null inside containers")
            << u"t"_s
            << QVariant(QVariantList{QVariant(), null(), QVariantMap{{u"n"_s, QVariant()}}})
            << QVariant(QVariantList{null(), null(), QVariantMap{{u"n"_s, null()}}});
    same("list nested 100 deep", nestedList(100, u"leaf"_s));
    same("map nested 100 deep", nestedMap(100, 1));

    QTest::newRow("QStringList") << u"t"_s << QVariant(QStringList{u"a"_s, u""_s, u"😀"_s})
                                 << QVariant(QVariantList{u"a"_s, u""_s, u"😀"_s});
    QTest::newRow("QVariantHash") << u"t"_s << QVariant(QVariantHash{{u"a"_s, 1}, {u"b"_s, u"c"_s}})
                                  << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, u"c"_s}});
    QTest::newRow("QJsonObject")
            << u"t"_s << QVariant(QJsonObject{{u"a"_s, 1}, {u"b"_s, QJsonArray{true, u"x"_s}}})
            << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, QVariantList{true, u"x"_s}}});
    QTest::newRow("QJsonArray") << u"t"_s << QVariant(QJsonArray{1, u"two"_s, QJsonValue(), 3.5})
                                << QVariant(QVariantList{1, u"two"_s, null(), 3.5});
    QTest::newRow("QJsonValue") << u"t"_s << QVariant(QJsonValue(u"v"_s)) << QVariant(u"v"_s);
    QTest::newRow("QJsonDocument") << u"t"_s << QVariant(QJsonDocument(QJsonObject{{u"d"_s, 1}}))
                                   << QVariant(QVariantMap{{u"d"_s, 1}});
    QTest::newRow("QList<int>") << u"t"_s << QVariant::fromValue(QList<int>{1, -2, 3})
                                << QVariant(QVariantList{1, -2, 3});
    QTest::newRow("QList<double>") << u"t"_s << QVariant::fromValue(QList<double>{0.5, 1e300})
                                   << QVariant(QVariantList{0.5, 1e300});
    QTest::newRow("QMap<QString,int>")
            << u"t"_s << QVariant::fromValue(QMap<QString, int>{{u"x"_s, 1}})
            << QVariant(QVariantMap{{u"x"_s, 1}});
}

void tst_IpcFrame::roundTrip()
{
    QFETCH(QString, topic);
    QFETCH(QVariant, message);
    QFETCH(QVariant, expected);

    QByteArray out;
    QString error;
    QVERIFY2(IpcFrame::encode(out, topic, message, &error), qPrintable(error));
    QVERIFY(out.endsWith(delimiter));
    // JSON escapes NUL, so the delimiter holds the only raw NULs.
    QCOMPARE(out.indexOf('\0'), out.size() - IpcFrame::DelimiterSize);

    Decoder decoder(out.size());
    decoder.append(out);
    QByteArrayView json;
    QCOMPARE(decoder.next(&json), Decoder::Status::Frame);
    QCOMPARE(json.size(), out.size() - IpcFrame::DelimiterSize);

    QString decodedTopic;
    QVariant decoded;
    QVERIFY2(IpcFrame::decode(json, &decodedTopic, &decoded, &error), qPrintable(error));
    QCOMPARE(decodedTopic, topic.isEmpty() ? u"none"_s : topic);
    QCOMPARE(decoded, expected);
    // Numbers may come back as another numeric type; everything else keeps its type.
    switch (expected.typeId()) {
    case QMetaType::Nullptr:
    case QMetaType::Bool:
    case QMetaType::QString:
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap: QCOMPARE(decoded.typeId(), expected.typeId()); break;
    default: break;
    }

    QCOMPARE(decoder.next(&json), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 0);
}

void tst_IpcFrame::roundTripBigString()
{
    // ~6 MiB of UTF-16, with characters of every UTF-8 length and every kind of escape.
    const QString unit = u"abc é€😀 \"\\\n\0 xyz"_s;
    QString big;
    big.reserve(6 * 1024 * 1024);
    while (big.size() < 6 * 1024 * 1024)
        big += unit;

    QByteArray out;
    QString error;
    QVERIFY2(IpcFrame::encode(out, u"big", big, &error), qPrintable(error));
    QCOMPARE(out.indexOf('\0'), out.size() - IpcFrame::DelimiterSize);

    // Fed in socket-sized reads, as a connection would.
    Decoder decoder(out.size() - IpcFrame::DelimiterSize);
    constexpr qsizetype chunk = 64 * 1024;
    QByteArrayView json;
    qsizetype fed = 0;
    while (fed + chunk < out.size()) {
        decoder.append(out.mid(fed, chunk));
        fed += chunk;
        QCOMPARE(decoder.next(&json), Decoder::Status::NeedMore);
        QCOMPARE(decoder.pendingBytes(), fed);
    }
    decoder.append(out.mid(fed));
    QCOMPARE(decoder.next(&json), Decoder::Status::Frame);

    QString topic;
    QVariant message;
    QVERIFY2(IpcFrame::decode(json, &topic, &message, &error), qPrintable(error));
    QCOMPARE(topic, u"big"_s);
    QCOMPARE(message.typeId(), int(QMetaType::QString));
    QCOMPARE(message.toString().size(), big.size());
    QVERIFY(message.toString() == big);
}

// ---------------------------------------------------------------------------------------------
// decode

void tst_IpcFrame::decodeAcceptsFrames_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QVariant>("message");

    QTest::newRow("plain") << bytes("{\"topic\":\"hello\",\"message\":\"world\"}") << u"hello"_s
                           << QVariant(u"world"_s);
    QTest::newRow("extra key ignored")
            << bytes("{\"topic\":\"t\",\"message\":1,\"id\":5}") << u"t"_s << QVariant(1);
    QTest::newRow("extra keys first")
            << bytes("{\"id\":{\"x\":[1]},\"reply\":null,\"topic\":\"t\",\"message\":\"m\"}")
            << u"t"_s << QVariant(u"m"_s);
    QTest::newRow("message before topic")
            << bytes("{\"message\":true,\"topic\":\"t\"}") << u"t"_s << QVariant(true);
    QTest::newRow("whitespace") << bytes(
            " \t\r\n{ \"topic\" : \"t\" ,\n \"message\" : [ 1 , 2 ] }\n ")
                                << u"t"_s << QVariant(QVariantList{1, 2});
    QTest::newRow("null message") << bytes("{\"topic\":\"t\",\"message\":null}") << u"t"_s
                                  << null();
    QTest::newRow("escaped NULs") << bytes("{\"topic\":\"a\\u0000b\",\"message\":\"\\u0000\"}")
                                  << u"a\0b"_s << QVariant(u"\0"_s);
    QTest::newRow("escaped surrogate pair")
            << bytes("{\"topic\":\"t\",\"message\":\"\\ud83d\\ude00\"}") << u"t"_s
            << QVariant(u"😀"_s);
    QTest::newRow("uppercase escapes")
            << bytes("{\"topic\":\"t\",\"message\":\"\\u00E9\\uD83D\\uDE00\"}") << u"t"_s
            << QVariant(u"é😀"_s);
    QTest::newRow("escaped lone surrogate")
            << bytes("{\"topic\":\"t\",\"message\":\"\\ud800x\\udc00\"}") << u"t"_s
            << QVariant(units({0xd800, u'x', 0xdc00}));
    QTest::newRow("raw UTF-8") << bytes("{\"topic\":\"тема\",\"message\":\"é€😀\"}") << u"тема"_s
                               << QVariant(u"é€😀"_s);
    QTest::newRow("escaped solidus")
            << bytes("{\"topic\":\"a\\/b\",\"message\":0}") << u"a/b"_s << QVariant(0);
    QTest::newRow("numbers")
            << bytes("{\"topic\":\"t\",\"message\":[1E+2,-0,1e-7,5e-324,9007199254740993]}")
            << u"t"_s << QVariant(QVariantList{100.0, 0, 1e-7, 5e-324, qint64(9007199254740993LL)});
    // 1e-336 written with a positive exponent: it underflows to zero, as in JSON.parse.
    QTest::newRow("underflow, positive exponent")
            << "{\"topic\":\"t\",\"message\":0." + QByteArray(340, '0') + "1e+5}" << u"t"_s
            << QVariant(0.0);
    // Node's client.send("t") leaves out an undefined message.
    QTest::newRow("no message: undefined") << bytes("{\"topic\":\"t\"}") << u"t"_s << QVariant();
    // JSON.parse keeps the last of duplicate keys.
    QTest::newRow("duplicate topic")
            << bytes("{\"topic\":\"a\",\"topic\":\"b\",\"message\":1}") << u"b"_s << QVariant(1);

    QByteArray deep = "{\"topic\":\"t\",\"message\":" + QByteArray(500, '[') + "1"
            + QByteArray(500, ']') + "}";
    QTest::newRow("list nested 500 deep") << deep << u"t"_s << nestedList(500, 1);
}

void tst_IpcFrame::decodeAcceptsFrames()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, topic);
    QFETCH(QVariant, message);

    QString decodedTopic;
    QVariant decoded;
    QString error;
    QVERIFY2(IpcFrame::decode(json, &decodedTopic, &decoded, &error), qPrintable(error));
    QCOMPARE(decodedTopic, topic);
    QCOMPARE(decoded, message);
    if (message.typeId() == QMetaType::Nullptr)
        QCOMPARE(decoded.typeId(), int(QMetaType::Nullptr));
}

void tst_IpcFrame::decodeRejectsBadFrames_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("whitespace only") << bytes(" \n\t ");
    QTest::newRow("garbage") << bytes("hello world");
    QTest::newRow("truncated") << bytes("{\"topic\":\"t\",\"message\":");
    QTest::newRow("unterminated object") << bytes("{\"topic\":\"t\",\"message\":1");
    QTest::newRow("unterminated string") << bytes("{\"topic\":\"t\",\"message\":\"abc}");
    QTest::newRow("missing value") << bytes("{\"topic\":\"t\",\"message\":}");
    QTest::newRow("trailing comma") << bytes("{\"topic\":\"t\",\"message\":1,}");
    QTest::newRow("trailing garbage") << bytes("{\"topic\":\"t\",\"message\":1}x");
    QTest::newRow("two objects") << bytes(
            "{\"topic\":\"t\",\"message\":1}{\"topic\":\"t\",\"message\":1}");
    QTest::newRow("trailing raw NUL") << bytes("{\"topic\":\"t\",\"message\":1}\0");
    QTest::newRow("leading raw NUL") << bytes("\0{\"topic\":\"t\",\"message\":1}");
    QTest::newRow("single quotes") << bytes("{'topic':'t','message':1}");
    QTest::newRow("unquoted keys") << bytes("{topic:\"t\",message:1}");
    QTest::newRow("NaN") << bytes("{\"topic\":\"t\",\"message\":NaN}");
    QTest::newRow("Infinity") << bytes("{\"topic\":\"t\",\"message\":Infinity}");
    QTest::newRow("number overflow") << bytes("{\"topic\":\"t\",\"message\":1e400}");
    // 1e321 written with a negative exponent: still too large, not zero.
    QTest::newRow("number overflow, negative exponent")
            << "{\"topic\":\"t\",\"message\":1" + QByteArray(330, '0') + "e-10}";
    QTest::newRow("bad escape") << bytes("{\"topic\":\"t\",\"message\":\"\\u12\"}");

    QTest::newRow("invalid UTF-8 0xff") << bytes("{\"topic\":\"t\",\"message\":\"\xff\"}");
    QTest::newRow("invalid UTF-8 in topic") << bytes("{\"topic\":\"\xfe\",\"message\":1}");
    QTest::newRow("stray continuation byte") << bytes("{\"topic\":\"t\",\"message\":\"\x80\"}");
    QTest::newRow("overlong NUL") << bytes("{\"topic\":\"t\",\"message\":\"\xc0\x80\"}");
    QTest::newRow("encoded surrogate") << bytes("{\"topic\":\"t\",\"message\":\"\xed\xa0\x80\"}");
    QTest::newRow("truncated sequence") << bytes("{\"topic\":\"t\",\"message\":\"\xe2\x82\"}");
    QTest::newRow("beyond U+10FFFF") << bytes("{\"topic\":\"t\",\"message\":\"\xf4\x90\x80\x80\"}");

    QTest::newRow("top-level array") << bytes("[\"t\",1]");
    QTest::newRow("top-level string") << bytes("\"t\"");
    QTest::newRow("top-level number") << bytes("42");
    QTest::newRow("top-level null") << bytes("null");
    QTest::newRow("top-level true") << bytes("true");

    QTest::newRow("missing topic") << bytes("{\"message\":1}");
    QTest::newRow("empty object") << bytes("{}");
    QTest::newRow("topic is a number") << bytes("{\"topic\":1,\"message\":1}");
    QTest::newRow("topic is null") << bytes("{\"topic\":null,\"message\":1}");
    QTest::newRow("topic is an object") << bytes("{\"topic\":{},\"message\":1}");
    QTest::newRow("topic is an array") << bytes("{\"topic\":[\"t\"],\"message\":1}");
    QTest::newRow("topic is a bool") << bytes("{\"topic\":true,\"message\":1}");
    QTest::newRow("misspelt keys") << bytes("{\"Topic\":\"t\",\"Message\":1}");

    constexpr int deep = 100000;
    QTest::newRow("100000 [") << QByteArray(deep, '[');
    QTest::newRow("100000 [ as message")
            << QByteArray("{\"topic\":\"t\",\"message\":" + QByteArray(deep, '['));
    QTest::newRow("100000 balanced [ ]") << QByteArray(
            "{\"topic\":\"t\",\"message\":" + QByteArray(deep, '[') + QByteArray(deep, ']') + "}");
    QByteArray objects = "{\"topic\":\"t\",\"message\":";
    for (int i = 0; i < deep; ++i)
        objects += "{\"a\":";
    objects += "1" + QByteArray(deep + 1, '}');
    QTest::newRow("100000 balanced objects") << objects;
}

void tst_IpcFrame::decodeRejectsBadFrames()
{
    QFETCH(QByteArray, json);

    QString topic;
    QVariant message;
    QString error;
    QVERIFY(!IpcFrame::decode(json, &topic, &message, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!IpcFrame::decode(json, &topic, &message, nullptr));
}

void tst_IpcFrame::decodeRejectsWhatJsonParseRejects_data()
{
    QTest::addColumn<QByteArray>("json");

    // JSON.parse throws on all of these, and so must decode() (Qt's own parser accepts them).
    QTest::newRow("raw tab in string") << bytes("{\"topic\":\"t\",\"message\":\"a\tb\"}");
    QTest::newRow("raw newline in string") << bytes("{\"topic\":\"t\",\"message\":\"a\nb\"}");
    QTest::newRow("raw NUL in string") << bytes("{\"topic\":\"t\",\"message\":\"a\0b\"}");
    QTest::newRow("leading dot") << bytes("{\"topic\":\"t\",\"message\":.5}");
    QTest::newRow("trailing dot") << bytes("{\"topic\":\"t\",\"message\":1.}");
    QTest::newRow("unknown escape") << bytes("{\"topic\":\"t\",\"message\":\"\\x\"}");
    QTest::newRow("byte order mark") << bytes("\xef\xbb\xbf{\"topic\":\"t\",\"message\":1}");
}

void tst_IpcFrame::decodeRejectsWhatJsonParseRejects()
{
    QFETCH(QByteArray, json);

    QString topic;
    QVariant message;
    QString error;
    QVERIFY(!IpcFrame::decode(json, &topic, &message, &error));
}

// ---------------------------------------------------------------------------------------------
// Decoder

void tst_IpcFrame::decoderSplitsAtEveryByte()
{
    const QList<Sample> list = samples();
    const QList<QByteArray> frames = encodeAll(list);
    const QList<QByteArray> expected = withoutDelimiters(frames);
    const QByteArray stream = frames.join();

    // The samples decode to what was sent.
    for (qsizetype i = 0; i < list.size(); ++i) {
        QString topic;
        QVariant message;
        QString error;
        QVERIFY2(IpcFrame::decode(expected.at(i), &topic, &message, &error), qPrintable(error));
        QCOMPARE(topic, list.at(i).topic.isEmpty() ? u"none"_s : list.at(i).topic);
        QCOMPARE(message, list.at(i).message);
    }

    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        const QByteArray where = "cut at byte " + QByteArray::number(cut);
        Decoder decoder(1024);
        QList<QByteArray> got;
        decoder.append(stream.left(cut));
        QVERIFY2(drain(decoder, got) == Decoder::Status::NeedMore, where.constData());
        decoder.append(stream.mid(cut));
        QVERIFY2(drain(decoder, got) == Decoder::Status::NeedMore, where.constData());
        QVERIFY2(got == expected, where.constData());
        QVERIFY2(decoder.pendingBytes() == 0, where.constData());
    }
}

void tst_IpcFrame::decoderSplitsAtEveryPairOfBytes()
{
    const QList<QByteArray> frames = encodeAll(samples());
    const QList<QByteArray> expected = withoutDelimiters(frames);
    const QByteArray stream = frames.join();

    for (qsizetype first = 0; first <= stream.size(); ++first) {
        for (qsizetype second = first; second <= stream.size(); ++second) {
            Decoder decoder(1024);
            QList<QByteArray> got;
            bool ok = true;
            decoder.append(stream.left(first));
            ok &= drain(decoder, got) == Decoder::Status::NeedMore;
            decoder.append(stream.mid(first, second - first));
            ok &= drain(decoder, got) == Decoder::Status::NeedMore;
            decoder.append(stream.mid(second));
            ok &= drain(decoder, got) == Decoder::Status::NeedMore;
            ok &= got == expected && decoder.pendingBytes() == 0;
            if (!ok)
                QFAIL(qPrintable(u"cut at bytes %1 and %2"_s.arg(first).arg(second)));
        }
    }
}

void tst_IpcFrame::decoderFedByteByByte()
{
    const QList<QByteArray> frames = encodeAll(samples());
    const QList<QByteArray> expected = withoutDelimiters(frames);
    const QByteArray stream = frames.join();

    Decoder decoder(1024);
    QList<QByteArray> got;
    qsizetype frameStart = 0;
    for (qsizetype i = 0; i < stream.size(); ++i) {
        decoder.append(stream.mid(i, 1));
        const qsizetype before = got.size();
        QCOMPARE(drain(decoder, got), Decoder::Status::NeedMore);
        if (got.size() != before) {
            QCOMPARE(got.size(), before + 1);
            frameStart = i + 1;
        }
        QCOMPARE(decoder.pendingBytes(), i + 1 - frameStart);
    }
    QCOMPARE(got, expected);
}

void tst_IpcFrame::decoderManyFramesInOneAppend()
{
    constexpr int count = 1000;
    QByteArray stream;
    QString error;
    for (int i = 0; i < count; ++i)
        QVERIFY(IpcFrame::encode(stream, u"n", i, &error));
    const QList<QByteArray> samplesFrames = encodeAll(samples());
    stream += samplesFrames.join();

    Decoder decoder(1024);
    decoder.append(stream);
    QList<QByteArray> got;
    QCOMPARE(drain(decoder, got), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 0);
    QCOMPARE(got.size(), count + samplesFrames.size());
    for (int i = 0; i < count; ++i) {
        QString topic;
        QVariant message;
        QVERIFY2(IpcFrame::decode(got.at(i), &topic, &message, &error), qPrintable(error));
        QCOMPARE(topic, u"n"_s);
        QCOMPARE(message, QVariant(i));
    }
    QCOMPARE(got.mid(count), withoutDelimiters(samplesFrames));
}

void tst_IpcFrame::decoderFrameAcrossManyAppends()
{
    QByteArray frame;
    QString error;
    QVERIFY(IpcFrame::encode(frame, u"é€😀", u"a longer message: é€😀 \0 end"_s, &error));
    const QByteArray json = frame.chopped(IpcFrame::DelimiterSize);

    // Cut inside the topic's 4-byte character, in the body, and between the two NULs.
    const qsizetype emoji = frame.indexOf("\xf0\x9f");
    QVERIFY(emoji > 0);
    const QList<qsizetype> cuts = {1, emoji + 2, frame.size() / 2, frame.size() - 1};

    Decoder decoder(1024);
    QByteArrayView view;
    qsizetype from = 0;
    for (const qsizetype cut : cuts) {
        decoder.append(frame.mid(from, cut - from));
        from = cut;
        QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
        QCOMPARE(decoder.pendingBytes(), cut);
    }
    decoder.append(frame.mid(from));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), json);
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 0);

    // And again on the same decoder, so leftovers of the first frame cannot matter.
    for (qsizetype i = 0; i < frame.size(); i += 3)
        decoder.append(frame.mid(i, 3));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), json);
}

void tst_IpcFrame::decoderNeedsMoreForPartialData_data()
{
    QTest::addColumn<QByteArray>("input");

    QTest::newRow("nothing") << QByteArray();
    QTest::newRow("one byte") << bytes("{");
    QTest::newRow("half a frame") << bytes("{\"topic\":\"t\",\"mes");
    QTest::newRow("half a UTF-8 character") << bytes("{\"topic\":\"\xf0\x9f");
    QTest::newRow("no delimiter yet") << bytes("{\"topic\":\"t\",\"message\":1}");
    QTest::newRow("first NUL only") << bytes("{\"topic\":\"t\",\"message\":1}\0");
    QTest::newRow("lone NULs") << bytes("a\0b\0c");
    QTest::newRow("a lone NUL") << bytes("\0");
}

void tst_IpcFrame::decoderNeedsMoreForPartialData()
{
    QFETCH(QByteArray, input);

    Decoder decoder(1024);
    decoder.append(input);
    QByteArrayView view;
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), input.size());
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), input.size());
}

void tst_IpcFrame::decoderSingleNulIsNotADelimiter()
{
    Decoder decoder(1024);
    QByteArrayView view;
    decoder.append(bytes("a\0b\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    decoder.append(bytes("\0c\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), bytes("a\0b"));
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 2);
    decoder.append(bytes("\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), bytes("c"));
}

void tst_IpcFrame::decoderEmptyFrame()
{
    // The decoder hands it out; decode is what rejects it.
    Decoder decoder(1024);
    decoder.append(bytes("\0\0{\"topic\":\"t\",\"message\":1}\0\0"));
    QByteArrayView view;
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.size(), 0);
    QString topic;
    QVariant message;
    QString error;
    QVERIFY(!IpcFrame::decode(view, &topic, &message, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), bytes("{\"topic\":\"t\",\"message\":1}"));
}

void tst_IpcFrame::decoderPendingBytesAndClear()
{
    const QByteArray frame = bytes("{\"topic\":\"t\",\"message\":1}\0\0");
    const QByteArray partial = bytes("{\"topic\":\"u\"");

    Decoder decoder(1024);
    QCOMPARE(decoder.pendingBytes(), 0);
    decoder.append(frame + partial);
    QCOMPARE(decoder.pendingBytes(), frame.size() + partial.size());
    QByteArrayView view;
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(decoder.pendingBytes(), partial.size());
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), partial.size());

    decoder.clear();
    QCOMPARE(decoder.pendingBytes(), 0);
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);

    // The partial frame is gone: the next bytes start a fresh frame.
    decoder.append(frame);
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), frame.chopped(2));
    QCOMPARE(decoder.pendingBytes(), 0);

    // clear() right after a frame, with a NUL (half a delimiter) pending.
    decoder.append(frame + bytes("x\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    decoder.clear();
    decoder.append(bytes("\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 1);
}

void tst_IpcFrame::decoderMaxFrameSize_data()
{
    QTest::addColumn<qint64>("maxFrameSize");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<Decoder::Status>("status");

    using S = Decoder::Status;
    for (const qint64 max : {qint64(16), qint64(1024 * 1024)}) {
        const QByteArray prefix = "max " + QByteArray::number(max) + ": ";
        auto row = [&](const char *name, qint64 size, const QByteArray &tail, S status) {
            QTest::newRow((prefix + name).constData())
                    << max << QByteArray(size, 'x') + tail << status;
        };
        row("exactly max, delimited", max, bytes("\0\0"), S::Frame);
        row("max - 1, delimited", max - 1, bytes("\0\0"), S::Frame);
        row("max + 1, delimited", max + 1, bytes("\0\0"), S::TooLarge);
        row("max + 1, no delimiter yet", max + 1, {}, S::TooLarge);
        row("max + 2, no delimiter yet", max + 2, {}, S::TooLarge);
        row("max + 1, first NUL only", max + 1, bytes("\0"), S::TooLarge);
        row("exactly max, no delimiter yet", max, {}, S::NeedMore);
        row("exactly max, first NUL only", max, bytes("\0"), S::NeedMore);
        row("far too large, delimited", 4 * max, bytes("\0\0"), S::TooLarge);
    }
    QTest::newRow("max 0: empty frame") << qint64(0) << bytes("\0\0") << S::Frame;
    QTest::newRow("max 0: first NUL only") << qint64(0) << bytes("\0") << S::NeedMore;
    QTest::newRow("max 0: one byte, delimited") << qint64(0) << bytes("x\0\0") << S::TooLarge;
    QTest::newRow("max 0: one byte") << qint64(0) << bytes("x") << S::TooLarge;
}

void tst_IpcFrame::decoderMaxFrameSize()
{
    QFETCH(qint64, maxFrameSize);
    QFETCH(QByteArray, input);
    QFETCH(Decoder::Status, status);

    Decoder decoder(maxFrameSize);
    QCOMPARE(decoder.maxFrameSize(), maxFrameSize);
    decoder.append(input);
    QByteArrayView view;
    QCOMPARE(decoder.next(&view), status);
    if (status == Decoder::Status::Frame) {
        QCOMPARE(view.size(), input.size() - IpcFrame::DelimiterSize);
        QCOMPARE(decoder.pendingBytes(), 0);
    }

    // The same bytes one at a time reach the same verdict.
    Decoder slow(maxFrameSize);
    Decoder::Status last = Decoder::Status::NeedMore;
    for (qsizetype i = 0; i < input.size() && last == Decoder::Status::NeedMore; ++i) {
        slow.append(input.mid(i, 1));
        last = slow.next(&view);
    }
    QCOMPARE(last, status);
}

void tst_IpcFrame::decoderMaxFrameSizeAppliesPerFrame()
{
    constexpr qint64 max = 16;
    const QByteArray full(max, 'x');
    QByteArrayView view;

    // Several frames in one buffer may add up to more than the limit.
    Decoder decoder(max);
    decoder.append(bytes("a\0\0") + full + bytes("\0\0") + full + bytes("\0\0b\0\0"));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), bytes("a"));
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), full);
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), full);
    QCOMPARE(decoder.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), bytes("b"));
    QCOMPARE(decoder.next(&view), Decoder::Status::NeedMore);

    // A frame behind a good one is measured from its own start.
    Decoder second(max);
    second.append(bytes("a\0\0") + full + "x");
    QCOMPARE(second.next(&view), Decoder::Status::Frame);
    QCOMPARE(second.next(&view), Decoder::Status::TooLarge);

    Decoder third(max);
    third.append(bytes("a\0\0") + full);
    QCOMPARE(third.next(&view), Decoder::Status::Frame);
    QCOMPARE(third.next(&view), Decoder::Status::NeedMore);
    QCOMPARE(third.pendingBytes(), max);

    // The limit can change while bytes are held.
    Decoder changing(4);
    changing.append(full);
    QCOMPARE(changing.next(&view), Decoder::Status::TooLarge);
    changing.setMaxFrameSize(max);
    QCOMPARE(changing.maxFrameSize(), max);
    QCOMPARE(changing.next(&view), Decoder::Status::NeedMore);
    changing.append(bytes("\0\0"));
    QCOMPARE(changing.next(&view), Decoder::Status::Frame);
    QCOMPARE(view.toByteArray(), full);
}

void tst_IpcFrame::decoderGrowingBufferIsTooLargeWithoutWaiting_data()
{
    QTest::addColumn<qint64>("maxFrameSize");
    QTest::addColumn<qsizetype>("chunk");

    QTest::newRow("1-byte reads") << qint64(100) << qsizetype(1);
    QTest::newRow("7-byte reads") << qint64(100) << qsizetype(7);
    QTest::newRow("reads of max") << qint64(100) << qsizetype(100);
    QTest::newRow("4 KiB reads, 1 MiB limit") << qint64(1024 * 1024) << qsizetype(4096);
    QTest::newRow("one read of 1 MiB, 1000 limit") << qint64(1000) << qsizetype(1024 * 1024);
}

void tst_IpcFrame::decoderGrowingBufferIsTooLargeWithoutWaiting()
{
    QFETCH(qint64, maxFrameSize);
    QFETCH(qsizetype, chunk);

    // A peer that never sends a delimiter is caught as soon as its frame cannot fit.
    Decoder decoder(maxFrameSize);
    const QByteArray data(chunk, 'x');
    QByteArrayView view;
    qint64 held = 0;
    for (;;) {
        decoder.append(data);
        held += chunk;
        const Decoder::Status status = decoder.next(&view);
        if (held <= maxFrameSize) {
            QCOMPARE(status, Decoder::Status::NeedMore);
        } else {
            if (status != Decoder::Status::TooLarge)
                QFAIL(qPrintable(
                        u"%1 bytes without a delimiter, limit %2: not TooLarge"_s.arg(held).arg(
                                maxFrameSize)));
            break;
        }
    }
}

void tst_IpcFrame::unreadReturnsTheSameFrameAgain_data()
{
    QTest::addColumn<int>("framing");
    QTest::newRow("delimited") << int(IpcCodec::Framing::Delimited);
    QTest::newRow("length-prefixed") << int(IpcCodec::Framing::LengthPrefixed);
}

void tst_IpcFrame::unreadReturnsTheSameFrameAgain()
{
    // A connection that has decoded a turn's worth of frames puts the next one back, and
    // takes it first on the next turn.
    QFETCH(int, framing);
    Decoder decoder(1024);
    decoder.setFraming(IpcCodec::Framing(framing));
    QByteArray bytes;
    for (const char *json : {R"({"topic":"a","message":1})", R"({"topic":"b","message":2})"}) {
        if (IpcCodec::Framing(framing) == IpcCodec::Framing::Delimited) {
            bytes += QByteArray(json) + QByteArray(IpcFrame::DelimiterSize, '\0');
        } else {
            const QByteArray body(json);
            char prefix[4];
            qToBigEndian(quint32(body.size()), prefix);
            bytes += QByteArray(prefix, 4) + body;
        }
    }
    decoder.append(bytes);
    QByteArrayView first;
    QCOMPARE(decoder.next(&first), Decoder::Status::Frame);
    QByteArrayView second;
    QCOMPARE(decoder.next(&second), Decoder::Status::Frame);
    QCOMPARE(second.toByteArray(), QByteArray(R"({"topic":"b","message":2})"));
    decoder.unread();
    QByteArrayView again;
    QCOMPARE(decoder.next(&again), Decoder::Status::Frame);
    QCOMPARE(again.toByteArray(), QByteArray(R"({"topic":"b","message":2})"));
    QCOMPARE(decoder.next(&again), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 0);
}

QTEST_APPLESS_MAIN(tst_IpcFrame)

#include "tst_ipcframe.moc"

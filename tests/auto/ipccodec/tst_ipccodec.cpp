// IpcCodec: the built-in json and cbor codecs, user codecs, the length-prefixed framing of
// IpcFrame::Decoder, and codecs at work between IpcServer and IpcClient over real sockets.

#include "ipccborcodec_p.h"
#include "ipcframe_p.h"
#include "ipcframetestsupport.h"
#include "ipctestsupport.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcborarray.h>
#include <QtCore/qcbormap.h>
#include <QtCore/qcborstreamwriter.h>
#include <QtCore/qcborvalue.h>
#include <QtCore/qdatastream.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qendian.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qpoint.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qurl.h>
#include <QtCore/quuid.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#    define SOCKETIPC_TEST_ASAN 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define SOCKETIPC_TEST_ASAN 1
#    endif
#endif

using namespace Qt::StringLiterals;
using IpcFrame::Decoder;

using IpcTest::drain;
using IpcTest::lengthPrefixed;
using IpcTest::nestedList;
using IpcTest::nestedMap;
using IpcTest::null;
using IpcTest::typeName;
using IpcTest::valueDifference;

namespace {

// Generous: a debug build under load (two cores shared with other builds) moves 1 MiB in
// well under a second.
constexpr int Timeout = 10000;

struct Opaque
{
    int x = 0;
};

QByteArray hex(const char *digits)
{
    return QByteArray::fromHex(QByteArray(digits));
}

// A CBOR item head with the shortest argument, as RFC 8949's preferred serialization.
QByteArray head(int major, quint64 value)
{
    const char type = char(major << 5);
    QByteArray out;
    if (value < 24) {
        out.append(char(type | char(value)));
    } else if (value <= 0xff) {
        out.append(char(type | 24));
        out.append(char(value));
    } else if (value <= 0xffff) {
        out.append(char(type | 25));
        out.append(2, '\0');
        qToBigEndian(quint16(value), out.data() + 1);
    } else if (value <= 0xffffffffu) {
        out.append(char(type | 26));
        out.append(4, '\0');
        qToBigEndian(quint32(value), out.data() + 1);
    } else {
        out.append(char(type | 27));
        out.append(8, '\0');
        qToBigEndian(value, out.data() + 1);
    }
    return out;
}

QByteArray text(QByteArrayView utf8)
{
    return head(3, quint64(utf8.size())) + utf8.toByteArray();
}

// {"topic": "t", "message": <message>} with the message's CBOR given as it is.
QByteArray cborFrame(const QByteArray &message)
{
    return head(5, 2) + text("topic") + text("t") + text("message") + message;
}

QByteArray allByteValues(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char((i * 31) ^ (i >> 8));
    return bytes;
}

QString frameDifference(const IpcCodec::Frame &actual, const IpcCodec::Frame &expected)
{
    if (actual.topic != expected.topic)
        return u"topic \"%1\", expected \"%2\""_s.arg(actual.topic, expected.topic);
    if (actual.requestId != expected.requestId)
        return u"requestId %1, expected %2"_s.arg(actual.requestId).arg(expected.requestId);
    if (actual.replyTo != expected.replyTo)
        return u"replyTo %1, expected %2"_s.arg(actual.replyTo).arg(expected.replyTo);
    if (actual.errorCode != expected.errorCode)
        return u"errorCode \"%1\", expected \"%2\""_s.arg(actual.errorCode, expected.errorCode);
    if (actual.errorMessage != expected.errorMessage) {
        return u"errorMessage \"%1\", expected \"%2\""_s.arg(actual.errorMessage,
                                                             expected.errorMessage);
    }
    return valueDifference(actual.message, expected.message);
}

IpcCodec::Frame frame(const QString &topic, const QVariant &message, qint64 requestId = 0,
                      qint64 replyTo = 0, const QString &errorCode = {},
                      const QString &errorMessage = {})
{
    IpcCodec::Frame f;
    f.topic = topic;
    f.message = message;
    f.requestId = requestId;
    f.replyTo = replyTo;
    f.errorCode = errorCode;
    f.errorMessage = errorMessage;
    return f;
}

// Decodes contents with the cbor codec in a child process that may use 512 MiB more than this
// one and 10 s of CPU, so that a decoder that runs away fails the test instead of taking the
// machine's memory. The child's exit status says how it went (see childProblem()).
class BoundedDecode
{
public:
    explicit BoundedDecode(const QByteArray &contents) : m_pid(fork())
    {
        if (m_pid == 0)
            _exit(decode(contents));
    }
    ~BoundedDecode()
    {
        if (m_pid > 0 && !m_reaped) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, &m_status, 0);
        }
    }
    Q_DISABLE_COPY_MOVE(BoundedDecode)

    bool started() const { return m_pid > 0; }
    bool finished()
    {
        if (!m_reaped)
            m_reaped = waitpid(m_pid, &m_status, WNOHANG) == m_pid;
        return m_reaped;
    }
    // Empty when the decoder refused the frame and said why.
    QString problem() const
    {
        if (WIFSIGNALED(m_status))
            return u"the decoder died of signal %1 (its limits: 512 MiB, 10 s of CPU)"_s.arg(
                    WTERMSIG(m_status));
        switch (WEXITSTATUS(m_status)) {
        case 0: return {};
        case 1: return u"the frame was accepted"_s;
        case 2: return u"the frame was refused without a reason"_s;
        case 3: return u"the decoder used up its 512 MiB (std::bad_alloc)"_s;
        case 4: return u"the child could not limit itself"_s;
        }
        return u"the child exited with %1"_s.arg(WEXITSTATUS(m_status));
    }

private:
    static int decode(const QByteArray &contents)
    {
        long pages = 0;
        if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
            if (std::fscanf(statm, "%ld", &pages) != 1)
                pages = 0;
            std::fclose(statm);
        }
        const rlim_t memory = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE)) + (rlim_t(512) << 20);
        const rlimit memoryLimit{memory, memory};
        const rlimit cpuLimit{10, 10};
        if (pages == 0 || setrlimit(RLIMIT_AS, &memoryLimit) != 0
            || setrlimit(RLIMIT_CPU, &cpuLimit) != 0)
            return 4;
        try {
            IpcCodec::Frame frame;
            QString error;
            if (IpcCodec::cbor()->decode(contents, &frame, &error))
                return 1;
            return error.isEmpty() ? 2 : 0;
        } catch (const std::bad_alloc &) {
            return 3;
        }
    }

    pid_t m_pid;
    int m_status = 0;
    bool m_reaped = false;
};

// A user codec: QDataStream, which carries any streamable QVariant (QDateTime, QPoint...).
// Delimited, it must keep NULs out of the contents: base64 does; raw it does not.
class DataStreamCodec final : public IpcCodec
{
public:
    enum class Form { Raw, Base64 };
    DataStreamCodec(const QString &name, Framing framing, Form form)
        : m_name(name), m_framing(framing), m_form(form)
    { }

    QString name() const override { return m_name; }
    Framing framing() const override { return m_framing; }

    bool encode(QByteArray &out, const Frame &frame, QString *error) const override
    {
        QByteArray bytes;
        QDataStream stream(&bytes, QIODevice::WriteOnly);
        stream.setVersion(QDataStream::Qt_6_0);
        stream << frame.topic << frame.message << frame.requestId << frame.replyTo
               << frame.errorCode << frame.errorMessage;
        if (stream.status() != QDataStream::Ok) {
            if (error)
                *error = u"QDataStream cannot write a %1"_s.arg(
                        QLatin1StringView(typeName(frame.message)));
            return false;
        }
        out.append(m_form == Form::Base64 ? bytes.toBase64() : bytes);
        return true;
    }

    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override
    {
        QByteArray bytes = contents.toByteArray();
        if (m_form == Form::Base64) {
            auto decoded =
                    QByteArray::fromBase64Encoding(bytes, QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded) {
                if (error)
                    *error = u"not base64"_s;
                return false;
            }
            bytes = *std::move(decoded);
        }
        QDataStream stream(bytes);
        stream.setVersion(QDataStream::Qt_6_0);
        stream >> frame->topic >> frame->message >> frame->requestId >> frame->replyTo
                >> frame->errorCode >> frame->errorMessage;
        if (stream.status() != QDataStream::Ok || !stream.atEnd()) {
            if (error)
                *error = u"not a QDataStream frame"_s;
            return false;
        }
        return true;
    }

private:
    QString m_name;
    Framing m_framing;
    Form m_form;
};

// A delimited user codec with C strings in mind: "topic\x1fmessage\0". Its contents hold no
// two NULs in a row, but they end in one.
class CStringCodec final : public IpcCodec
{
public:
    QString name() const override { return u"cstring"_s; }
    Framing framing() const override { return Framing::Delimited; }

    bool encode(QByteArray &out, const Frame &frame, QString *) const override
    {
        out.append(frame.topic.toUtf8());
        out.append('\x1f');
        out.append(frame.message.toString().toUtf8());
        out.append('\0');
        return true;
    }

    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override
    {
        const qsizetype separator = contents.indexOf('\x1f');
        if (separator < 0 || !contents.endsWith('\0')) {
            if (error)
                *error = u"not topic\\x1fmessage\\0"_s;
            return false;
        }
        *frame = IpcCodec::Frame();
        frame->topic = QString::fromUtf8(contents.first(separator));
        frame->message =
                QString::fromUtf8(contents.sliced(separator + 1, contents.size() - separator - 2));
        return true;
    }
};

const auto LengthPrefixedDataStream = std::make_shared<const DataStreamCodec>(
        u"datastream"_s, IpcCodec::Framing::LengthPrefixed, DataStreamCodec::Form::Raw);
const auto DelimitedDataStream = std::make_shared<const DataStreamCodec>(
        u"datastream64"_s, IpcCodec::Framing::Delimited, DataStreamCodec::Form::Base64);
// Delimited, but raw QDataStream output is full of NULs: every frame must be refused.
const auto NulWriter = std::make_shared<const DataStreamCodec>(
        u"nulwriter"_s, IpcCodec::Framing::Delimited, DataStreamCodec::Form::Raw);

}  // namespace

class tst_IpcCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    // The registry and the codec properties
    void builtInCodecsHaveTheirNamesAndFramings();
    void byNameFindsBuiltInAndRegisteredCodecs();
    void registeringTheSameNameReplacesTheCodec();
    void serverCodecNameSelectsARegisteredCodec();
    void clientCodecNameSelectsARegisteredCodec();

    // CBOR
    void cborRoundTripsValues_data();
    void cborRoundTripsValues();
    void cborFrameBytesMatchQCborMap_data();
    void cborFrameBytesMatchQCborMap();
    void cborDecodesWhatOtherEncodersWrite_data();
    void cborDecodesWhatOtherEncodersWrite();
    void cborReadsRequestFieldsLeniently_data();
    void cborReadsRequestFieldsLeniently();
    void cborRefusesHostileInput_data();
    void cborRefusesHostileInput();
    void cborRefusesAFrameTruncatedAtEveryByte();
    void cborDecodeStopsAtTheFirstStreamError_data();
    void cborDecodeStopsAtTheFirstStreamError();
    void cborEncodeRefusesWhatItCannotHold_data();
    void cborEncodeRefusesWhatItCannotHold();

    // Both built-in codecs
    void decodeResetsTheOptionalFields_data();
    void decodeResetsTheOptionalFields();
    void whatTheEncoderNestsTheDecoderReads_data();
    void whatTheEncoderNestsTheDecoderReads();

    // JSON's request/reply extension
    void jsonExtensionFieldsExactBytes_data();
    void jsonExtensionFieldsExactBytes();
    void jsonReadsRequestFieldsLeniently_data();
    void jsonReadsRequestFieldsLeniently();
    void jsonExtensionFieldsMustStillBeJson();
    void jsonRefusesByteArrayWithEncodeError();

    // Framing
    void encodeFrameFramesAsTheCodecSays_data();
    void encodeFrameFramesAsTheCodecSays();
    void lengthPrefixedDecoderSplitsAtEveryByte();
    void lengthPrefixedDecoderFedByteByByteThroughReserve();
    void lengthPrefixedDecoderManyFramesInOneChunk();
    void lengthPrefixedDecoderIsTooLargeFromThePrefixAlone_data();
    void lengthPrefixedDecoderIsTooLargeFromThePrefixAlone();
    void lengthPrefixedDecoderPrefixInTwoHalves();

    // User codecs
    void delimitedUserCodecWritingTwoNulsIsRefused();
    void delimitedUserCodecFramesSurviveTheDecoder();
    void userCodecWorksEndToEnd_data();
    void userCodecWorksEndToEnd();

    // Codecs between IpcServer and IpcClient, over real sockets
    void cborCarriesAMebibyteByteArrayIntact();
    void requestsAndRepliesTravelOverCbor();
    void cborFrameAboveMaxFrameSizeIsFrameTooLargeError();
    void cborServerRefusesAHugePrefixBeforeTheBody();
    void mismatchedCodecsFailCleanly_data();
    void mismatchedCodecsFailCleanly();
    void serverReadsAFrameOfTheOtherCodec_data();
    void serverReadsAFrameOfTheOtherCodec();
    void broadcastReachesJsonAndCborClients();
    void broadcastOfAValueOneCodecCannotHoldDoesNotDependOnConnectionOrder();
    void clientCodecChangeTakesEffectAtTheNextConnection();
    void queuedMessageIsSentWithTheCodecOfTheConnection();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    // Connects client (quick retries) to server and returns the id the server gave it.
    void connectClient(IpcServer &server, IpcClient &client, QString *clientId);

    IpcTest::SocketDir m_dir{QStringLiteral("codec.sock")};
};

void tst_IpcCodec::initTestCase()
{
    IpcCodec::registerCodec(LengthPrefixedDataStream);
    IpcCodec::registerCodec(DelimitedDataStream);
    IpcCodec::registerCodec(NulWriter);
}

void tst_IpcCodec::init()
{
    // A socket path per test, so tests (and test runs) never share one.
    m_dir.renew();
}

void tst_IpcCodec::cleanup()
{
    m_dir.reset();
}

void tst_IpcCodec::connectClient(IpcServer &server, IpcClient &client, QString *clientId)
{
    client.setRetryDelay(20);
    client.setReconnectDelay(20);
    IpcTest::connectClient(client, server, clientId, Timeout);
}

// --- The registry and the codec properties ------------------------------------------------

void tst_IpcCodec::builtInCodecsHaveTheirNamesAndFramings()
{
    QVERIFY(IpcCodec::json());
    QCOMPARE(IpcCodec::json()->name(), u"json"_s);
    QCOMPARE(IpcCodec::json()->framing(), IpcCodec::Framing::Delimited);
    QVERIFY(IpcCodec::cbor());
    QCOMPARE(IpcCodec::cbor()->name(), u"cbor"_s);
    QCOMPARE(IpcCodec::cbor()->framing(), IpcCodec::Framing::LengthPrefixed);
    // One instance each, shared.
    QVERIFY(IpcCodec::json() == IpcCodec::json());
    QVERIFY(IpcCodec::cbor() == IpcCodec::cbor());
}

void tst_IpcCodec::byNameFindsBuiltInAndRegisteredCodecs()
{
    QVERIFY(IpcCodec::byName(u"json"_s) == IpcCodec::json());
    QVERIFY(IpcCodec::byName(u"cbor"_s) == IpcCodec::cbor());
    QVERIFY(IpcCodec::byName(u"datastream"_s) == LengthPrefixedDataStream);
    QVERIFY(IpcCodec::byName(u"datastream64"_s) == DelimitedDataStream);
    QVERIFY(!IpcCodec::byName(u"JSON"_s));  // names are exact
    QVERIFY(!IpcCodec::byName(u""_s));
    QVERIFY(!IpcCodec::byName(u"no such codec"_s));
    IpcCodec::registerCodec(nullptr);  // ignored
    QVERIFY(IpcCodec::byName(u"json"_s) == IpcCodec::json());
}

void tst_IpcCodec::registeringTheSameNameReplacesTheCodec()
{
    auto first = std::make_shared<const DataStreamCodec>(
            u"replaced"_s, IpcCodec::Framing::LengthPrefixed, DataStreamCodec::Form::Raw);
    auto second = std::make_shared<const DataStreamCodec>(
            u"replaced"_s, IpcCodec::Framing::Delimited, DataStreamCodec::Form::Base64);
    IpcCodec::registerCodec(first);
    QVERIFY(IpcCodec::byName(u"replaced"_s) == first);
    IpcCodec::registerCodec(second);
    QVERIFY(IpcCodec::byName(u"replaced"_s) == second);

    // A server that selected the first keeps it: the registry hands out shared pointers.
    IpcServer server;
    server.setCodec(first);
    IpcCodec::registerCodec(std::make_shared<const DataStreamCodec>(
            u"replaced"_s, IpcCodec::Framing::Delimited, DataStreamCodec::Form::Base64));
    QVERIFY(server.codec() == first);
}

template<typename Peer>
static void checkCodecProperty(const char *className)
{
    Peer peer;
    QCOMPARE(peer.codecName(), u"json"_s);
    QVERIFY(peer.codec() == IpcCodec::json());
    QSignalSpy changed(&peer, &Peer::codecChanged);

    peer.setCodecName(u"cbor"_s);
    QCOMPARE(peer.codecName(), u"cbor"_s);
    QVERIFY(peer.codec() == IpcCodec::cbor());
    QCOMPARE(changed.count(), 1);
    peer.setCodecName(u"cbor"_s);
    QCOMPARE(changed.count(), 1);  // no change, no signal

    QTest::ignoreMessage(QtWarningMsg,
                         qPrintable(u"%1::setCodecName: no codec named \"nope\""_s.arg(
                                 QLatin1StringView(className))));
    peer.setCodecName(u"nope"_s);
    QCOMPARE(peer.codecName(), u"cbor"_s);
    QCOMPARE(changed.count(), 1);

    // As QML sets it.
    QVERIFY(peer.setProperty("codecName", u"datastream"_s));
    QVERIFY(peer.codec() == LengthPrefixedDataStream);
    QCOMPARE(peer.property("codecName").toString(), u"datastream"_s);
    QCOMPARE(changed.count(), 2);

    peer.setCodec(IpcCodec::cbor());
    QCOMPARE(changed.count(), 3);
    peer.setCodec(nullptr);  // the default again
    QVERIFY(peer.codec() == IpcCodec::json());
    QCOMPARE(peer.codecName(), u"json"_s);
    QCOMPARE(changed.count(), 4);
}

void tst_IpcCodec::serverCodecNameSelectsARegisteredCodec()
{
    checkCodecProperty<IpcServer>("IpcServer");
}

void tst_IpcCodec::clientCodecNameSelectsARegisteredCodec()
{
    checkCodecProperty<IpcClient>("IpcClient");
}

// --- CBOR ---------------------------------------------------------------------------------

void tst_IpcCodec::cborRoundTripsValues_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QVariant>("decoded");  // as the receiving side sees it

    using Limits64 = std::numeric_limits<qint64>;
    const double inf = std::numeric_limits<double>::infinity();
    const auto same = [](const char *name, const QVariant &v) { QTest::newRow(name) << v << v; };

    same("undefined (invalid QVariant)", QVariant());
    same("null", null());
    same("true", true);
    same("false", false);
    // Integers at each width of the CBOR head, both signs.
    for (qint64 n : {qint64(0), qint64(23), qint64(24), qint64(255), qint64(256), qint64(65535),
                     qint64(65536), qint64(4294967295), qint64(4294967296), Limits64::max()}) {
        QTest::addRow("integer %lld", n) << QVariant(n) << QVariant(n);
        QTest::addRow("integer %lld", -1 - n) << QVariant(-1 - n) << QVariant(-1 - n);
    }
    QTest::newRow("int") << QVariant(int(-5)) << QVariant(qlonglong(-5));
    QTest::newRow("short") << QVariant::fromValue(short(-300)) << QVariant(qlonglong(-300));
    QTest::newRow("uchar") << QVariant::fromValue(uchar(200)) << QVariant(qlonglong(200));
    QTest::newRow("uint") << QVariant(uint(4000000000u)) << QVariant(qlonglong(4000000000));
    QTest::newRow("unsigned 2^63 becomes a double")
            << QVariant(quint64(1) << 63) << QVariant(9223372036854775808.0);
    QTest::newRow("unsigned 2^64-1 becomes a double")
            << QVariant(std::numeric_limits<quint64>::max()) << QVariant(18446744073709551616.0);

    same("double", 3.141592653589793);
    same("integral double stays a double", 2.0);
    same("negative zero", -0.0);
    same("NaN", std::numeric_limits<double>::quiet_NaN());
    same("infinity", inf);
    same("negative infinity", -inf);
    same("smallest denormal", std::numeric_limits<double>::denorm_min());
    same("largest double", std::numeric_limits<double>::max());
    QTest::newRow("float") << QVariant(0.1f) << QVariant(double(0.1f));

    same("empty string", QString(u""_s));
    same("ascii", u"hello"_s);
    same("unicode", u"ÆØÅ 日本語 🎉 𝄞"_s);
    same("NULs in a string", u"a\0\0b"_s);
    // CBOR text is UTF-8, where a lone surrogate has no form: it becomes what
    // QString::toUtf8() makes of it.
    const QString lone = u"a"_s + QChar(0xd800) + u"b"_s;
    QTest::newRow("lone surrogate") << QVariant(lone) << QVariant(QString::fromUtf8(lone.toUtf8()));

    same("empty bytes", QByteArray(""));
    same("bytes with NULs", QByteArray("\0\0\0x\0", 5));
    same("every byte value", allByteValues(512));

    same("empty list", QVariantList{});
    same("empty map", QVariantMap{});
    QTest::newRow("QStringList") << QVariant(QStringList{u"a"_s, u"ü"_s})
                                 << QVariant(QVariantList{u"a"_s, u"ü"_s});
    QTest::newRow("list of mixed")
            << QVariant(QVariantList{1, u"two"_s, 3.5, true, null(), QVariant(), QByteArray("b"),
                                     QVariantList{}, QVariantMap{}})
            << QVariant(QVariantList{qlonglong(1), u"two"_s, 3.5, true, null(), QVariant(),
                                     QByteArray("b"), QVariantList{}, QVariantMap{}});
    QTest::newRow("map")
            << QVariant(QVariantMap{{u"name"_s, u"Ada"_s},
                                    {u"age"_s, 36},
                                    {u"bytes"_s, QByteArray("\xff\x00", 2)},
                                    {u""_s, QVariantMap{{u"日本"_s, QVariantList{false}}}}})
            << QVariant(QVariantMap{{u"name"_s, u"Ada"_s},
                                    {u"age"_s, qlonglong(36)},
                                    {u"bytes"_s, QByteArray("\xff\x00", 2)},
                                    {u""_s, QVariantMap{{u"日本"_s, QVariantList{false}}}}});
    QTest::newRow("QVariantHash") << QVariant(QVariantHash{{u"k"_s, 1}})
                                  << QVariant(QVariantMap{{u"k"_s, qlonglong(1)}});
    QTest::newRow("QList<int>") << QVariant::fromValue(QList<int>{1, 2})
                                << QVariant(QVariantList{qlonglong(1), qlonglong(2)});
    QTest::newRow("QMap<QString,int>") << QVariant::fromValue(QMap<QString, int>{{u"a"_s, 1}})
                                       << QVariant(QVariantMap{{u"a"_s, qlonglong(1)}});
    QTest::newRow("QJsonObject")
            << QVariant(QJsonObject{{u"x"_s, QJsonArray{1, u"y"_s, QJsonValue::Null}}})
            << QVariant(QVariantMap{{u"x"_s, QVariantList{qlonglong(1), u"y"_s, null()}}});
    same("list nested 100 deep", nestedList(100, QByteArray("leaf")));
    same("map nested 100 deep", nestedMap(100, 1.5));
}

void tst_IpcCodec::cborRoundTripsValues()
{
    QFETCH(QVariant, value);
    QFETCH(QVariant, decoded);

    const IpcCodec::Frame sent = frame(u"topic/😀"_s, value);
    QByteArray out("prefix");  // encode appends: what is there stays
    QString error;
    QVERIFY2(IpcCodec::cbor()->encode(out, sent, &error), qPrintable(error));
    QVERIFY(out.startsWith("prefix"));
    const QByteArray contents = out.sliced(6);

    // Valid CBOR, by Qt's own reader too.
    QCborParserError parseError;
    const QCborValue parsed = QCborValue::fromCbor(contents, &parseError);
    QCOMPARE(parseError.error, QCborError::NoError);
    QCOMPARE(parsed.toMap().value(u"topic"_s).toString(), sent.topic);

    IpcCodec::Frame received;
    QVERIFY2(IpcCodec::cbor()->decode(contents, &received, &error), qPrintable(error));
    const QString difference = frameDifference(received, frame(sent.topic, decoded));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));

    // What comes back encodes to the same bytes: the encoding is a fixed point.
    QByteArray again;
    QVERIFY2(IpcCodec::cbor()->encode(again, received, &error), qPrintable(error));
    if (valueDifference(value, decoded).isEmpty())
        QCOMPARE(again, contents);
}

void tst_IpcCodec::cborFrameBytesMatchQCborMap_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QVariant>("message");
    QTest::addColumn<qint64>("requestId");
    QTest::addColumn<qint64>("replyTo");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("errorMessage");
    QTest::addColumn<QCborValue>("expected");  // its toCbor() is the expected encoding

    const auto map = [](const QString &topic, const QCborValue &message) {
        QCborMap m;
        m.insert(u"topic"_s, topic);
        m.insert(u"message"_s, message);
        return m;
    };

    QTest::newRow("integer") << u"t"_s << QVariant(1) << qint64(0) << qint64(0) << QString()
                             << QString() << QCborValue(map(u"t"_s, 1));
    QTest::newRow("empty topic is none") << QString() << QVariant(1) << qint64(0) << qint64(0)
                                         << QString() << QString() << QCborValue(map(u"none"_s, 1));
    QTest::newRow("undefined") << u"t"_s << QVariant() << qint64(0) << qint64(0) << QString()
                               << QString() << QCborValue(map(u"t"_s, QCborValue()));
    QTest::newRow("null") << u"t"_s << null() << qint64(0) << qint64(0) << QString() << QString()
                          << QCborValue(map(u"t"_s, QCborValue(nullptr)));
    QTest::newRow("negative") << u"t"_s << QVariant(-1000000) << qint64(0) << qint64(0) << QString()
                              << QString() << QCborValue(map(u"t"_s, -1000000));
    QTest::newRow("double") << u"t"_s << QVariant(0.1) << qint64(0) << qint64(0) << QString()
                            << QString() << QCborValue(map(u"t"_s, 0.1));
    QTest::newRow("text") << u"t"_s << QVariant(u"日本"_s) << qint64(0) << qint64(0) << QString()
                          << QString() << QCborValue(map(u"t"_s, u"日本"_s));
    QTest::newRow("bytes") << u"t"_s << QVariant(QByteArray("\0\1", 2)) << qint64(0) << qint64(0)
                           << QString() << QString()
                           << QCborValue(map(u"t"_s, QByteArray("\0\1", 2)));
    QTest::newRow("list") << u"t"_s << QVariant(QVariantList{true, u"x"_s}) << qint64(0)
                          << qint64(0) << QString() << QString()
                          << QCborValue(map(u"t"_s, QCborArray{true, u"x"_s}));
    QCborMap inner;
    inner.insert(u"a"_s, 1);
    inner.insert(u"b"_s, QCborArray{});
    QTest::newRow("map") << u"t"_s << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, QVariantList{}}})
                         << qint64(0) << qint64(0) << QString() << QString()
                         << QCborValue(map(u"t"_s, inner));

    QCborMap request = map(u"ask"_s, 2);
    request.insert(u"id"_s, 7);
    QTest::newRow("request") << u"ask"_s << QVariant(2) << qint64(7) << qint64(0) << QString()
                             << QString() << QCborValue(request);
    QCborMap bigRequest = map(u"ask"_s, 2);
    bigRequest.insert(u"id"_s, std::numeric_limits<qint64>::max());
    QTest::newRow("largest id") << u"ask"_s << QVariant(2) << std::numeric_limits<qint64>::max()
                                << qint64(0) << QString() << QString() << QCborValue(bigRequest);
    QCborMap reply = map(u"ask"_s, 4);
    reply.insert(u"re"_s, 7);
    QTest::newRow("reply") << u"ask"_s << QVariant(4) << qint64(0) << qint64(7) << QString()
                           << QString() << QCborValue(reply);
    QCborMap failed = map(u"ask"_s, QCborValue(nullptr));
    failed.insert(u"re"_s, 8);
    QCborMap error;
    error.insert(u"code"_s, u"NoHandler"_s);
    error.insert(u"message"_s, u"no handler for \"ask\""_s);
    failed.insert(u"error"_s, error);
    QTest::newRow("failed reply") << u"ask"_s << null() << qint64(0) << qint64(8) << u"NoHandler"_s
                                  << u"no handler for \"ask\""_s << QCborValue(failed);
    QCborMap all = map(u"x"_s, 0);
    all.insert(u"id"_s, 1);
    all.insert(u"re"_s, 2);
    QCborMap handlerError;
    handlerError.insert(u"code"_s, u"Handler"_s);
    handlerError.insert(u"message"_s, u""_s);
    all.insert(u"error"_s, handlerError);
    QTest::newRow("every field") << u"x"_s << QVariant(0) << qint64(1) << qint64(2) << u"Handler"_s
                                 << QString() << QCborValue(all);
    QTest::newRow("negative ids are left out")
            << u"t"_s << QVariant(1) << qint64(-1) << qint64(-2) << QString() << QString()
            << QCborValue(map(u"t"_s, 1));
}

void tst_IpcCodec::cborFrameBytesMatchQCborMap()
{
    QFETCH(QString, topic);
    QFETCH(QVariant, message);
    QFETCH(qint64, requestId);
    QFETCH(qint64, replyTo);
    QFETCH(QString, errorCode);
    QFETCH(QString, errorMessage);
    QFETCH(QCborValue, expected);

    const IpcCodec::Frame sent = frame(topic, message, requestId, replyTo, errorCode, errorMessage);
    QByteArray out;
    QString error;
    QVERIFY2(IpcCodec::cbor()->encode(out, sent, &error), qPrintable(error));
    QCOMPARE(out.toHex(' '), expected.toCbor().toHex(' '));
}

void tst_IpcCodec::cborDecodesWhatOtherEncodersWrite_data()
{
    QTest::addColumn<QByteArray>("message");  // CBOR of the message alone
    QTest::addColumn<QVariant>("expected");

    QTest::newRow("half float") << hex("f9 3e00") << QVariant(1.5);
    QTest::newRow("half float infinity")
            << hex("f9 7c00") << QVariant(std::numeric_limits<double>::infinity());
    QTest::newRow("half float NaN")
            << hex("f9 7e00") << QVariant(std::numeric_limits<double>::quiet_NaN());
    QTest::newRow("single float") << hex("fa 3fc00000") << QVariant(1.5);
    QTest::newRow("integer 1 in eight bytes")
            << hex("1b 0000000000000001") << QVariant(qlonglong(1));
    QTest::newRow("negative -2^63")
            << hex("3b 7fffffffffffffff") << QVariant(std::numeric_limits<qint64>::min());
    QTest::newRow("negative -2^64 becomes a double")
            << hex("3b ffffffffffffffff") << QVariant(-18446744073709551616.0);
    // -(0xffff000000003bff + 1): halfway between two doubles, so rounded to even, once.
    QTest::newRow("negative below -2^63 rounds once")
            << hex("3b ffff000000003bff") << QVariant(-double(quint64(0xffff000000003c00)));
    QTest::newRow("indefinite text") << hex("7f 6161 6162 ff") << QVariant(u"ab"_s);
    QTest::newRow("empty indefinite text") << hex("7f ff") << QVariant(u""_s);
    QTest::newRow("indefinite bytes") << hex("5f 4101 4102 ff") << QVariant(QByteArray("\1\2"));
    QTest::newRow("indefinite array")
            << hex("9f 01 02 ff") << QVariant(QVariantList{qlonglong(1), qlonglong(2)});
    QTest::newRow("indefinite map")
            << hex("bf 6161 01 ff") << QVariant(QVariantMap{{u"a"_s, qlonglong(1)}});
    QTest::newRow("repeated key: the last wins")
            << hex("a2 6161 01 6161 02") << QVariant(QVariantMap{{u"a"_s, qlonglong(2)}});
    QTest::newRow("tag read through") << hex("c6 01") << QVariant(qlonglong(1));
    QTest::newRow("tags read through")
            << hex("c6 d8ff db ffffffffffffffff 01") << QVariant(qlonglong(1));

    // Qt's own encoder, for what it tags.
    const QDateTime when(QDate(2024, 2, 29), QTime(12, 30, 15, 250), Qt::UTC);
    const QByteArray dateTime = QCborValue(when).toCbor();
    QTest::newRow("QDateTime: tag 0 and its text")
            << dateTime << QVariant(QCborValue::fromCbor(dateTime).taggedValue().toString());
    const QUuid uuid = QUuid::createUuid();
    QTest::newRow("QUuid: tag 37 and its bytes")
            << QCborValue(uuid).toCbor() << QVariant(uuid.toRfc4122());
    QTest::newRow("QUrl: tag 32 and its text")
            << QCborValue(QUrl(u"https://example.org/ä"_s)).toCbor()
            << QVariant(QCborValue::fromCbor(QCborValue(QUrl(u"https://example.org/ä"_s)).toCbor())
                                .taggedValue()
                                .toString());
    QCborArray array{1, -2, 2.5, u"s"_s, QByteArray("b"), true, nullptr, QCborValue()};
    QTest::newRow("QCborArray") << QCborValue(array).toCbor()
                                << QVariant(QVariantList{qlonglong(1), qlonglong(-2), 2.5, u"s"_s,
                                                         QByteArray("b"), true, null(),
                                                         QVariant()});

    // QCborStreamWriter, with float16/float32 and indefinite lengths of its own choosing.
    QByteArray streamed;
    QCborStreamWriter writer(&streamed);
    writer.startMap();  // indefinite
    writer.append(QLatin1StringView("f16"));
    writer.append(qfloat16(0.5f));
    writer.append(QLatin1StringView("f32"));
    writer.append(0.25f);
    writer.append(QLatin1StringView("list"));
    writer.startArray();
    writer.append(qint64(-1));
    writer.append(QCborNegativeInteger(1));
    writer.endArray();
    writer.endMap();
    QTest::newRow("QCborStreamWriter")
            << streamed
            << QVariant(QVariantMap{{u"f16"_s, 0.5},
                                    {u"f32"_s, 0.25},
                                    {u"list"_s, QVariantList{qlonglong(-1), qlonglong(-1)}}});
}

void tst_IpcCodec::cborDecodesWhatOtherEncodersWrite()
{
    QFETCH(QByteArray, message);
    QFETCH(QVariant, expected);

    IpcCodec::Frame received;
    QString error;
    QVERIFY2(IpcCodec::cbor()->decode(cborFrame(message), &received, &error), qPrintable(error));
    const QString difference = frameDifference(received, frame(u"t"_s, expected));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void tst_IpcCodec::cborReadsRequestFieldsLeniently_data()
{
    QTest::addColumn<QCborMap>("map");
    QTest::addColumn<qint64>("requestId");
    QTest::addColumn<qint64>("replyTo");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("errorMessage");

    const auto base = [](std::initializer_list<std::pair<QString, QCborValue>> extra,
                         bool extraFirst = false) {
        QCborMap m;
        if (extraFirst) {
            for (const auto &[key, value] : extra)
                m.insert(key, value);
        }
        m.insert(u"topic"_s, u"t"_s);
        m.insert(u"message"_s, 1);
        if (!extraFirst) {
            for (const auto &[key, value] : extra)
                m.insert(key, value);
        }
        return m;
    };
    const QString none;

    QTest::newRow("no extension") << base({}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("id") << base({{u"id"_s, 7}}) << qint64(7) << qint64(0) << none << none;
    QTest::newRow("id first") << base({{u"id"_s, 7}}, true) << qint64(7) << qint64(0) << none
                              << none;
    QTest::newRow("id as float ignored")
            << base({{u"id"_s, 7.0}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("id as text ignored")
            << base({{u"id"_s, u"7"_s}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("negative id ignored")
            << base({{u"id"_s, -7}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("id 0") << base({{u"id"_s, 0}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("id as bool ignored")
            << base({{u"id"_s, true}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("id above int64 ignored")
            << base({{u"id"_s, QCborValue::fromCbor(hex("1b ffffffffffffffff"))}}) << qint64(0)
            << qint64(0) << none << none;
    QTest::newRow("id as a map ignored")
            << base({{u"id"_s, QCborMap{{u"n"_s, 7}}}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("re") << base({{u"re"_s, 9}}) << qint64(0) << qint64(9) << none << none;
    QTest::newRow("re as bytes ignored")
            << base({{u"re"_s, QByteArray("9")}}) << qint64(0) << qint64(0) << none << none;
    QTest::newRow("error") << base(
            {{u"re"_s, 3},
             {u"error"_s, QCborMap{{u"code"_s, u"NoHandler"_s}, {u"message"_s, u"m"_s}}}})
                           << qint64(0) << qint64(3) << u"NoHandler"_s << u"m"_s;
    QTest::newRow("error without a code is a handler error")
            << base({{u"re"_s, 3}, {u"error"_s, QCborMap{{u"message"_s, u"m"_s}}}}) << qint64(0)
            << qint64(3) << u"Handler"_s << u"m"_s;
    QTest::newRow("error as text is a handler error")
            << base({{u"re"_s, 3}, {u"error"_s, u"boom"_s}}) << qint64(0) << qint64(3)
            << u"Handler"_s << none;
    QTest::newRow("error null is no error") << base({{u"re"_s, 3}, {u"error"_s, nullptr}})
                                            << qint64(0) << qint64(3) << none << none;
    QTest::newRow("unknown keys ignored")
            << base({{u"x"_s, QCborArray{1, QCborMap{{u"y"_s, QByteArray("\0", 1)}}}},
                     {u"id"_s, 5},
                     {u"zz"_s, QCborValue(QCborTag(1), 0)}})
            << qint64(5) << qint64(0) << none << none;
}

void tst_IpcCodec::cborReadsRequestFieldsLeniently()
{
    QFETCH(QCborMap, map);
    QFETCH(qint64, requestId);
    QFETCH(qint64, replyTo);
    QFETCH(QString, errorCode);
    QFETCH(QString, errorMessage);

    IpcCodec::Frame received;
    QString error;
    QVERIFY2(IpcCodec::cbor()->decode(map.toCborValue().toCbor(), &received, &error),
             qPrintable(error));
    const QString difference = frameDifference(
            received, frame(u"t"_s, qlonglong(1), requestId, replyTo, errorCode, errorMessage));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void tst_IpcCodec::cborRefusesHostileInput_data()
{
    QTest::addColumn<QByteArray>("contents");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("top level array") << hex("82 01 02");
    QTest::newRow("top level text") << text("topic");
    QTest::newRow("top level integer") << hex("01");
    QTest::newRow("top level null") << hex("f6");
    QTest::newRow("top level bytes") << hex("41 00");
    QTest::newRow("top level tagged map") << hex("c6") + cborFrame(hex("01"));
    QTest::newRow("empty map: no topic") << hex("a0");
    QTest::newRow("missing topic") << head(5, 1) + text("message") + hex("01");
    QTest::newRow("topic as bytes")
            << head(5, 2) + text("topic") + hex("4174") + text("message") + hex("01");
    QTest::newRow("topic as integer")
            << head(5, 2) + text("topic") + hex("01") + text("message") + hex("01");
    QTest::newRow("topic as null")
            << head(5, 2) + text("topic") + hex("f6") + text("message") + hex("01");
    QTest::newRow("integer key in the frame")
            << head(5, 3) + text("topic") + text("t") + text("message") + hex("01") + hex("01 02");
    QTest::newRow("integer key in the message") << cborFrame(hex("a1 01 02"));
    QTest::newRow("bytes key in the message") << cborFrame(hex("a1 4161 02"));
    QTest::newRow("array key in the message") << cborFrame(hex("a1 80 02"));
    QTest::newRow("null key in the message") << cborFrame(hex("a1 f6 02"));
    QTest::newRow("integer key deep down") << cborFrame(hex("81 81 a1 6161 a1 01 02"));
    QTest::newRow("trailing garbage") << cborFrame(hex("01")) + hex("00");
    QTest::newRow("two frames") << cborFrame(hex("01")) + cborFrame(hex("02"));
    QTest::newRow("trailing break") << cborFrame(hex("01")) + hex("ff");
    QTest::newRow("break instead of the message") << cborFrame(hex("ff"));
    QTest::newRow("text of 2^64-1 bytes declared") << cborFrame(hex("7b ffffffffffffffff 61"));
    QTest::newRow("text of 2^32 bytes declared") << cborFrame(hex("7b 0000000100000000 61"));
    QTest::newRow("text of 2^31 bytes declared") << cborFrame(hex("7a 80000000 61"));
    QTest::newRow("bytes of 2^63 declared") << cborFrame(hex("5b 8000000000000000 00"));
    QTest::newRow("bytes of 2^32-1 declared") << cborFrame(hex("5a ffffffff 00"));
    QTest::newRow("topic of 2^64-1 bytes declared")
            << head(5, 2) + text("topic") + hex("7b ffffffffffffffff 74");
    QTest::newRow("key of 2^32-1 bytes declared") << cborFrame(hex("a1 7a ffffffff 61"));
    QTest::newRow("array of 2^64-1 items declared") << cborFrame(hex("9b ffffffffffffffff 01"));
    QTest::newRow("map of 2^64-1 pairs declared") << cborFrame(hex("bb ffffffffffffffff 6161 01"));
    QTest::newRow("frame of 2^64-1 pairs declared")
            << hex("bb ffffffffffffffff") + text("topic") + text("t");
    QTest::newRow("frame of 2^31-1 pairs declared")
            << hex("ba 7fffffff") + text("topic") + text("t");
    QTest::newRow("array shorter than declared") << cborFrame(hex("85 01 02"));
    QTest::newRow("indefinite array without a break") << cborFrame(hex("9f 01 02"));
    QTest::newRow("indefinite map with a key and no value") << cborFrame(hex("bf 6161 ff"));
    QTest::newRow("odd number of items in a map") << cborFrame(hex("a2 6161 01 6162"));
    QTest::newRow("indefinite text with a bytes chunk") << cborFrame(hex("7f 4161 ff"));
    QTest::newRow("indefinite text inside indefinite text") << cborFrame(hex("7f 7f ff ff"));
    QTest::newRow("indefinite integer") << cborFrame(hex("1f"));
    QTest::newRow("reserved additional info 28") << cborFrame(hex("1c"));
    QTest::newRow("reserved additional info 29") << cborFrame(hex("3d"));
    QTest::newRow("reserved additional info 30") << cborFrame(hex("5e"));
    QTest::newRow("unknown simple value 16") << cborFrame(hex("f0"));
    QTest::newRow("unknown simple value 255") << cborFrame(hex("f8 ff"));
    QTest::newRow("two-byte simple value below 32") << cborFrame(hex("f8 10"));
    QTest::newRow("truncated double") << cborFrame(hex("fb 3ff0"));
    QTest::newRow("tag without content") << cborFrame(hex("c6"));
    QTest::newRow("invalid UTF-8 in the message") << cborFrame(hex("62 c328"));
    QTest::newRow("overlong UTF-8") << cborFrame(hex("62 c080"));
    QTest::newRow("UTF-8 of a surrogate") << cborFrame(hex("63 eda080"));
    QTest::newRow("UTF-8 beyond U+10FFFF") << cborFrame(hex("64 f4908080"));
    QTest::newRow("UTF-8 cut short") << cborFrame(hex("62 61e6"));
    QTest::newRow("invalid UTF-8 in the topic")
            << head(5, 2) + text("topic") + hex("61 ff") + text("message") + hex("01");
    QTest::newRow("invalid UTF-8 in a key") << cborFrame(hex("a1 61ff 01"));
    QTest::newRow("invalid UTF-8 in an indefinite chunk") << cborFrame(hex("7f 6161 61ff ff"));

    QTest::newRow("arrays nested 100000 deep")
            << cborFrame(QByteArray(100000, char(0x81)) + hex("01"));
    QTest::newRow("indefinite arrays nested 100000 deep")
            << cborFrame(QByteArray(100000, char(0x9f)) + QByteArray(100000, char(0xff)));
    QTest::newRow("maps nested 100000 deep")
            << cborFrame(hex("a1 616b").repeated(100000) + hex("01"));
    QTest::newRow("tags nested 100000 deep")
            << cborFrame(QByteArray(100000, char(0xc6)) + hex("01"));
    QTest::newRow("arrays nested 100000 deep, cut short")
            << cborFrame(QByteArray(100000, char(0x81)));
}

void tst_IpcCodec::cborRefusesHostileInput()
{
    QFETCH(QByteArray, contents);

    IpcCodec::Frame received;
    QString error;
    QVERIFY(!IpcCodec::cbor()->decode(contents, &received, &error));
    QVERIFY2(!error.isEmpty(), "a refusal must say why");
    // Without an error string to fill in, too.
    QVERIFY(!IpcCodec::cbor()->decode(contents, &received, nullptr));
}

void tst_IpcCodec::cborRefusesAFrameTruncatedAtEveryByte()
{
    const IpcCodec::Frame sent =
            frame(u"topic/日本"_s,
                  QVariantMap{{u"bytes"_s, allByteValues(300)},
                              {u"list"_s, QVariantList{1, 70000, 1.5, true, null(), QVariant()}},
                              {u"text"_s, u"ÆØÅ 🎉 "_s.repeated(20)},
                              {u"big"_s, std::numeric_limits<qint64>::max()}},
                  12, 34, u"Handler"_s, u"why"_s);
    QByteArray contents;
    QString error;
    QVERIFY2(IpcCodec::cbor()->encode(contents, sent, &error), qPrintable(error));

    IpcCodec::Frame received;
    for (qsizetype size = 0; size < contents.size(); ++size) {
        error.clear();
        if (IpcCodec::cbor()->decode(contents.first(size), &received, &error))
            QFAIL(qPrintable(u"a frame cut to %1 of %2 bytes was accepted"_s.arg(size).arg(
                    contents.size())));
        if (error.isEmpty())
            QFAIL(qPrintable(u"a frame cut to %1 bytes was refused without a reason"_s.arg(size)));
    }
    QVERIFY2(IpcCodec::cbor()->decode(contents, &received, &error), qPrintable(error));
    const QString difference =
            frameDifference(received,
                            frame(sent.topic,
                                  QVariantMap{{u"bytes"_s, allByteValues(300)},
                                              {u"list"_s,
                                               QVariantList{qlonglong(1), qlonglong(70000), 1.5,
                                                            true, null(), QVariant()}},
                                              {u"text"_s, u"ÆØÅ 🎉 "_s.repeated(20)},
                                              {u"big"_s, std::numeric_limits<qint64>::max()}},
                                  12, 34, u"Handler"_s, u"why"_s));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void tst_IpcCodec::cborDecodeStopsAtTheFirstStreamError_data()
{
    QTest::addColumn<QByteArray>("contents");

    // A complete item, then a byte that is no item: the reader sets lastError() but still
    // says hasNext(), and its type() is the last item's. A decoder that keeps reading fills a
    // list with as many items as the array declares: here 2^31-1, from a 13-byte message.
    QTest::newRow("break after empty bytes in an array") << cborFrame(hex("9a 7fffffff 40 ff"));
    QTest::newRow("break after empty text in an array") << cborFrame(hex("9a 7fffffff 60 ff"));
    QTest::newRow("reserved byte after empty bytes in an array")
            << cborFrame(hex("9a 7fffffff 40 1c"));
    QTest::newRow("break after empty bytes in a nested array")
            << cborFrame(hex("81 81 9a 7fffffff 40 ff"));
    QTest::newRow("break after an indefinite string in an array")
            << cborFrame(hex("9a 7fffffff 5f 4161 ff ff"));
    QTest::newRow("break after empty bytes in a map") << cborFrame(hex("ba 7fffffff 6161 40 ff"));
    QTest::newRow("break after empty bytes in the frame")
            << hex("ba 7fffffff") + text("topic") + text("t") + text("message") + hex("40 ff");
}

void tst_IpcCodec::cborDecodeStopsAtTheFirstStreamError()
{
    QFETCH(QByteArray, contents);
#ifdef SOCKETIPC_TEST_ASAN
    QSKIP("runs the decoder under an address-space limit, which AddressSanitizer's shadow "
          "memory does not allow");
#else
    BoundedDecode child(contents);
    QVERIFY(child.started());
    QTRY_VERIFY_WITH_TIMEOUT(child.finished(), 30000);  // else the child is killed
    QVERIFY2(child.problem().isEmpty(), qPrintable(child.problem()));
#endif
}

void tst_IpcCodec::cborEncodeRefusesWhatItCannotHold_data()
{
    QTest::addColumn<QVariant>("message");
    QTest::addColumn<QString>("why");  // a part of the error message

    QTest::newRow("a type of no CBOR form") << QVariant::fromValue(Opaque{1}) << u"Opaque"_s;
    QTest::newRow("QDateTime") << QVariant(QDateTime::currentDateTimeUtc()) << u"QDateTime"_s;
    QTest::newRow("QPoint") << QVariant(QPoint(1, 2)) << u"QPoint"_s;
    QTest::newRow("QObject pointer")
            << QVariant::fromValue(static_cast<QObject *>(nullptr)) << u"QObject"_s;
    QTest::newRow("deep inside a list")
            << QVariant(QVariantList{1, QVariantMap{{u"k"_s, QVariant(QPoint())}}}) << u"QPoint"_s;
    QTest::newRow("list nested 600 deep") << nestedList(600, 1) << u"nested"_s;
    QTest::newRow("map nested 600 deep") << nestedMap(600, 1) << u"nested"_s;
}

void tst_IpcCodec::cborEncodeRefusesWhatItCannotHold()
{
    QFETCH(QVariant, message);
    QFETCH(QString, why);

    QByteArray out("kept");
    QString error;
    QVERIFY(!IpcCodec::cbor()->encode(out, frame(u"t"_s, message), &error));
    QCOMPARE(out, QByteArray("kept"));
    QVERIFY2(error.contains(why), qPrintable(error));

    // Framed, nothing is left behind either, the length prefix included.
    error.clear();
    QVERIFY(!IpcFrame::encodeFrame(out, *IpcCodec::cbor(), frame(u"t"_s, message), &error));
    QCOMPARE(out, QByteArray("kept"));
    QVERIFY2(error.contains(why), qPrintable(error));
}

// --- Both built-in codecs ------------------------------------------------------------------

void tst_IpcCodec::decodeResetsTheOptionalFields_data()
{
    QTest::addColumn<QString>("codec");
    QTest::addColumn<QByteArray>("contents");  // {"topic": "t"}, no message, no extension

    QTest::newRow("json") << u"json"_s << QByteArray(R"({"topic":"t"})");
    QTest::newRow("cbor") << u"cbor"_s << head(5, 1) + text("topic") + text("t");
}

void tst_IpcCodec::decodeResetsTheOptionalFields()
{
    QFETCH(QString, codec);
    QFETCH(QByteArray, contents);

    // A Frame reused from the previous decode, as the connection does.
    IpcCodec::Frame reused = frame(u"old"_s, 42, 5, 6, u"Handler"_s, u"old error"_s);
    QString error;
    QVERIFY2(IpcCodec::byName(codec)->decode(contents, &reused, &error), qPrintable(error));
    const QString difference = frameDifference(reused, frame(u"t"_s, QVariant()));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void tst_IpcCodec::whatTheEncoderNestsTheDecoderReads_data()
{
    QTest::addColumn<QString>("codec");
    QTest::addColumn<bool>("map");

    QTest::newRow("json lists") << u"json"_s << false;
    QTest::newRow("json maps") << u"json"_s << true;
    QTest::newRow("cbor lists") << u"cbor"_s << false;
    QTest::newRow("cbor maps") << u"cbor"_s << true;
}

void tst_IpcCodec::whatTheEncoderNestsTheDecoderReads()
{
    QFETCH(QString, codec);
    QFETCH(bool, map);

    // The deepest message the encoder accepts must decode on the other side: a frame this
    // library writes and then refuses to read drops the connection with a DecodeError.
    const std::shared_ptr<const IpcCodec> c = IpcCodec::byName(codec);
    int deepest = 0;
    QByteArray deepestContents;
    for (int depth = 500; depth <= 520; ++depth) {
        const QVariant message = map ? nestedMap(depth, 1) : nestedList(depth, 1);
        QByteArray contents;
        QString error;
        if (!c->encode(contents, frame(u"t"_s, message), &error))
            break;
        deepest = depth;
        deepestContents = contents;
    }
    QVERIFY2(deepest >= 500 && deepest < 520, "the encoder has no nesting limit near 512");

    IpcCodec::Frame received;
    QString error;
    QVERIFY2(c->decode(deepestContents, &received, &error),
             qPrintable(u"the encoder writes %1 levels of nesting, the decoder refuses them: %2"_s
                                .arg(deepest)
                                .arg(error)));
}

// --- JSON's request/reply extension --------------------------------------------------------

void tst_IpcCodec::jsonExtensionFieldsExactBytes_data()
{
    QTest::addColumn<qint64>("requestId");
    QTest::addColumn<qint64>("replyTo");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("errorMessage");
    QTest::addColumn<QByteArray>("json");  // for topic "t", message 1

    const QString none;
    QTest::newRow("none") << qint64(0) << qint64(0) << none << none
                          << QByteArray(R"({"topic":"t","message":1})");
    QTest::newRow("id") << qint64(7) << qint64(0) << none << none
                        << QByteArray(R"({"topic":"t","message":1,"id":7})");
    QTest::newRow("largest id") << std::numeric_limits<qint64>::max() << qint64(0) << none << none
                                << QByteArray(
                                           R"({"topic":"t","message":1,"id":9223372036854775807})");
    QTest::newRow("re") << qint64(0) << qint64(9) << none << none
                        << QByteArray(R"({"topic":"t","message":1,"re":9})");
    QTest::newRow("id and re") << qint64(1) << qint64(2) << none << none
                               << QByteArray(R"({"topic":"t","message":1,"id":1,"re":2})");
    QTest::newRow("error") << qint64(0) << qint64(3) << u"NoHandler"_s << u"no handler"_s
                           << QByteArray(R"({"topic":"t","message":1,"re":3,)"
                                         R"("error":{"code":"NoHandler","message":"no handler"}})");
    QTest::newRow("error escaped")
            << qint64(0) << qint64(3) << u"Handler"_s << u"it \"broke\"\n\\ é"_s
            << QByteArray(R"({"topic":"t","message":1,"re":3,)"
                          R"("error":{"code":"Handler","message":"it \"broke\"\n\\ é"}})");
    QTest::newRow("error with empty message")
            << qint64(0) << qint64(3) << u"Handler"_s << none
            << QByteArray(
                       R"({"topic":"t","message":1,"re":3,"error":{"code":"Handler","message":""}})");
    QTest::newRow("every field") << qint64(4) << qint64(5) << u"Handler"_s << u"m"_s
                                 << QByteArray(R"({"topic":"t","message":1,"id":4,"re":5,)"
                                               R"("error":{"code":"Handler","message":"m"}})");
    QTest::newRow("negative ids left out") << qint64(-1) << qint64(-2) << none << none
                                           << QByteArray(R"({"topic":"t","message":1})");
    QTest::newRow("error message without a code left out")
            << qint64(0) << qint64(0) << none << u"m"_s
            << QByteArray(R"({"topic":"t","message":1})");
}

void tst_IpcCodec::jsonExtensionFieldsExactBytes()
{
    QFETCH(qint64, requestId);
    QFETCH(qint64, replyTo);
    QFETCH(QString, errorCode);
    QFETCH(QString, errorMessage);
    QFETCH(QByteArray, json);

    const IpcCodec::Frame sent = frame(u"t"_s, 1, requestId, replyTo, errorCode, errorMessage);
    QString error;
    QByteArray out("kept");  // appends, without a delimiter
    QVERIFY2(IpcFrame::encode(out, sent, &error), qPrintable(error));
    QCOMPARE(out, "kept" + json);
    QByteArray viaCodec;
    QVERIFY2(IpcCodec::json()->encode(viaCodec, sent, &error), qPrintable(error));
    QCOMPARE(viaCodec, json);
    QByteArray framed;
    QVERIFY2(IpcFrame::encodeFrame(framed, *IpcCodec::json(), sent, &error), qPrintable(error));
    QCOMPARE(framed, json + QByteArray("\0\0", 2));

    // And back, the ids only when positive, as written.
    IpcCodec::Frame received;
    QVERIFY2(IpcCodec::json()->decode(json, &received, &error), qPrintable(error));
    const bool hasError = !errorCode.isEmpty();
    const QString difference = frameDifference(
            received,
            frame(u"t"_s, qlonglong(1), qMax<qint64>(requestId, 0), qMax<qint64>(replyTo, 0),
                  errorCode, hasError ? errorMessage : QString()));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void tst_IpcCodec::jsonReadsRequestFieldsLeniently_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qint64>("requestId");
    QTest::addColumn<qint64>("replyTo");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("errorMessage");

    const QString none;
    const auto row = [&](const char *name, const char *json, qint64 id, qint64 re,
                         const QString &code = {}, const QString &message = {}) {
        QTest::newRow(name) << QByteArray(json) << id << re << code << message;
    };
    row("id", R"({"topic":"t","message":1,"id":7})", 7, 0);
    row("id first", R"({"id":7,"topic":"t","message":1})", 7, 0);
    row("id with spaces", R"({ "topic" : "t" , "message" : 1 , "id" : 7 })", 7, 0);
    row("largest id", R"({"topic":"t","message":1,"id":9223372036854775807})",
        std::numeric_limits<qint64>::max(), 0);
    row("id as a fraction ignored", R"({"topic":"t","message":1,"id":7.5})", 0, 0);
    row("id as 7.0 ignored", R"({"topic":"t","message":1,"id":7.0})", 0, 0);
    row("id as 7e0 ignored", R"({"topic":"t","message":1,"id":7e0})", 0, 0);
    row("id beyond int64 ignored", R"({"topic":"t","message":1,"id":99999999999999999999})", 0, 0);
    row("id as text ignored", R"({"topic":"t","message":1,"id":"7"})", 0, 0);
    row("negative id ignored", R"({"topic":"t","message":1,"id":-7})", 0, 0);
    row("id 0", R"({"topic":"t","message":1,"id":0})", 0, 0);
    row("id true ignored", R"({"topic":"t","message":1,"id":true})", 0, 0);
    row("id null ignored", R"({"topic":"t","message":1,"id":null})", 0, 0);
    row("id as a list ignored", R"({"topic":"t","message":1,"id":[7]})", 0, 0);
    row("re", R"({"topic":"t","message":1,"re":9})", 0, 9);
    row("re as text ignored", R"({"topic":"t","message":1,"re":"9"})", 0, 0);
    row("repeated id: the last wins", R"({"topic":"t","message":1,"id":1,"id":2})", 2, 0);
    row("error", R"({"topic":"t","message":1,"re":3,"error":{"code":"NoHandler","message":"m"}})",
        0, 3, u"NoHandler"_s, u"m"_s);
    row("error keys in any order",
        R"({"error":{"message":"m","code":"Handler"},"re":3,"message":1,"topic":"t"})", 0, 3,
        u"Handler"_s, u"m"_s);
    row("error without a code is a handler error",
        R"({"topic":"t","message":1,"re":3,"error":{"message":"m"}})", 0, 3, u"Handler"_s, u"m"_s);
    row("error as text is a handler error", R"({"topic":"t","message":1,"re":3,"error":"boom"})", 0,
        3, u"Handler"_s);
    row("error null is no error", R"({"topic":"t","message":1,"re":3,"error":null})", 0, 3);
    row("unknown keys ignored", R"({"topic":"t","x":{"deep":[1,{"id":9}]},"message":1,"z":null})",
        0, 0);
}

void tst_IpcCodec::jsonReadsRequestFieldsLeniently()
{
    QFETCH(QByteArray, json);
    QFETCH(qint64, requestId);
    QFETCH(qint64, replyTo);
    QFETCH(QString, errorCode);
    QFETCH(QString, errorMessage);

    IpcCodec::Frame received;
    QString error;
    QVERIFY2(IpcCodec::json()->decode(json, &received, &error), qPrintable(error));
    const QString difference = frameDifference(
            received, frame(u"t"_s, qlonglong(1), requestId, replyTo, errorCode, errorMessage));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));

    // The three-argument decode the Node-compatible path used before sees the same message.
    QString topic;
    QVariant message;
    QVERIFY2(IpcFrame::decode(json, &topic, &message, &error), qPrintable(error));
    QCOMPARE(topic, u"t"_s);
    QCOMPARE(message, QVariant(qlonglong(1)));
}

void tst_IpcCodec::jsonExtensionFieldsMustStillBeJson()
{
    // Lenient about what the fields hold, strict about the syntax around them.
    for (const char *json :
         {R"({"topic":"t","message":1,"id":})", R"({"topic":"t","message":1,"id":07})",
          R"({"topic":"t","message":1,"id":0x7})", R"({"topic":"t","message":1,"re":NaN})",
          R"({"topic":"t","message":1,"error":{"code":"x",}})",
          R"({"topic":"t","message":1,"id":1,})"}) {
        IpcCodec::Frame received;
        QString error;
        QVERIFY2(!IpcCodec::json()->decode(QByteArray(json), &received, &error), json);
        QVERIFY2(!error.isEmpty(), json);
    }
}

void tst_IpcCodec::jsonRefusesByteArrayWithEncodeError()
{
    QByteArray out("kept");
    QString error;
    QVERIFY(!IpcCodec::json()->encode(out, frame(u"t"_s, QByteArray("x")), &error));
    QCOMPARE(out, QByteArray("kept"));
    QVERIFY2(error.contains(u"QByteArray"_s) && error.contains(u"cbor"_s), qPrintable(error));

    // Through a client and a server, as an EncodeError that leaves the connection up.
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcClient client;
    QString id;
    CHECKED(connectClient(server, client, &id));
    QSignalSpy clientErrors(&client, &IpcClient::errorOccurred);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);
    QSignalSpy received(&server, &IpcServer::messageReceived);

    QVERIFY(!client.send(u"bytes"_s, QByteArray("\0\1", 2)));
    QCOMPARE(clientErrors.count(), 1);
    QCOMPARE(clientErrors.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QVERIFY(!server.send(u"bytes"_s, QByteArray("x"), id));
    QCOMPARE(serverErrors.count(), 1);
    QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);

    QVERIFY(client.send(u"after"_s, 1));
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, Timeout);
    QCOMPARE(received.at(0).at(0).toString(), u"after"_s);
    QVERIFY(client.isConnected());
}

// --- Framing -------------------------------------------------------------------------------

void tst_IpcCodec::encodeFrameFramesAsTheCodecSays_data()
{
    QTest::addColumn<QString>("codec");
    QTest::addColumn<QVariant>("message");

    QTest::newRow("json") << u"json"_s << QVariant(u"a \0 b"_s);
    QTest::newRow("cbor") << u"cbor"_s << QVariant(QByteArray(300, '\0'));
    QTest::newRow("cbor large") << u"cbor"_s << QVariant(allByteValues(70000));
    QTest::newRow("length-prefixed user codec") << u"datastream"_s << QVariant(QPoint(3, 4));
    QTest::newRow("delimited user codec") << u"datastream64"_s << QVariant(QPoint(3, 4));
}

void tst_IpcCodec::encodeFrameFramesAsTheCodecSays()
{
    QFETCH(QString, codec);
    QFETCH(QVariant, message);

    const std::shared_ptr<const IpcCodec> c = IpcCodec::byName(codec);
    QVERIFY(c);
    const IpcCodec::Frame sent = frame(u"t"_s, message, 3);
    QByteArray contents;
    QString error;
    QVERIFY2(c->encode(contents, sent, &error), qPrintable(error));
    QByteArray framed("kept");
    QVERIFY2(IpcFrame::encodeFrame(framed, *c, sent, &error), qPrintable(error));
    const QByteArray expected = c->framing() == IpcCodec::Framing::Delimited
            ? contents + QByteArray(IpcFrame::Delimiter, IpcFrame::DelimiterSize)
            : lengthPrefixed(contents);
    QCOMPARE(framed, "kept" + expected);

    // The decoder of that framing gives the contents back.
    Decoder decoder(1 << 20);
    decoder.setFraming(c->framing());
    decoder.append(expected);
    QList<QByteArray> frames;
    QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    QCOMPARE(frames, QList<QByteArray>{contents});
    QCOMPARE(decoder.pendingBytes(), 0);
}

namespace {
// Length-prefixed frames of several sizes, 1- and 2-byte CBOR heads and a 64 KiB one among
// them, plus an empty frame (which no codec writes, but the framing allows).
QList<QByteArray> cborSamples()
{
    const QList<IpcCodec::Frame> frames{
            frame(u"a"_s, 1),
            frame(u"bytes"_s, QByteArray("\0\0\0\0", 4)),
            frame(u"é€😀"_s, QVariantMap{{u"k"_s, QVariantList{1.5, true, null()}}}, 9),
            frame(u"big"_s, allByteValues(70000)),
            frame(u"reply"_s, null(), 0, 9, u"Handler"_s, u"no"_s),
    };
    QList<QByteArray> contents;
    for (const IpcCodec::Frame &f : frames) {
        QByteArray out;
        QString error;
        if (!IpcCodec::cbor()->encode(out, f, &error))
            qFatal("cannot encode a sample: %s", qPrintable(error));
        contents.append(out);
    }
    contents.insert(2, QByteArray());
    return contents;
}

QByteArray joinPrefixed(const QList<QByteArray> &contents)
{
    QByteArray stream;
    for (const QByteArray &c : contents)
        stream += lengthPrefixed(c);
    return stream;
}
}  // namespace

void tst_IpcCodec::lengthPrefixedDecoderSplitsAtEveryByte()
{
    const QList<QByteArray> expected = cborSamples();
    const QByteArray stream = joinPrefixed(expected);
    // Every split in the first 2000 bytes, and then every 97th: each split point hits the
    // prefix, the small frames and the big one's body.
    for (qsizetype at = 0; at <= stream.size(); at += at < 2000 ? 1 : 97) {
        Decoder decoder(1 << 20);
        decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
        QList<QByteArray> frames;
        decoder.append(stream.first(at));
        QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
        decoder.append(stream.sliced(at));
        QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
        if (frames != expected)
            QFAIL(qPrintable(u"split at byte %1: %2 frames, expected %3"_s.arg(at)
                                     .arg(frames.size())
                                     .arg(expected.size())));
        QCOMPARE(decoder.pendingBytes(), 0);
    }
}

void tst_IpcCodec::lengthPrefixedDecoderFedByteByByteThroughReserve()
{
    const QList<QByteArray> expected = cborSamples().first(3);
    const QByteArray stream = joinPrefixed(expected);
    Decoder decoder(1 << 20);
    decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
    QList<QByteArray> frames;
    for (qsizetype i = 0; i < stream.size(); ++i) {
        // As the connection reads: room for more than arrives.
        char *room = decoder.reserve(16);
        room[0] = stream.at(i);
        decoder.commit(16, 1);
        QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    }
    QCOMPARE(frames, expected);
    QCOMPARE(decoder.pendingBytes(), 0);
}

void tst_IpcCodec::lengthPrefixedDecoderManyFramesInOneChunk()
{
    QList<QByteArray> expected;
    for (int i = 0; i < 1000; ++i) {
        QByteArray out;
        QString error;
        QVERIFY(IpcCodec::cbor()->encode(out, frame(u"n"_s, QVariantMap{{u"i"_s, i}}), &error));
        expected.append(out);
    }
    Decoder decoder(64);
    decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
    decoder.append(joinPrefixed(expected) + lengthPrefixed("par"));  // and a partial frame
    QList<QByteArray> frames;
    QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    QCOMPARE(frames.size(), 1001);
    QCOMPARE(frames.first(1000), expected);
    QCOMPARE(frames.last(), QByteArray("par"));
    QCOMPARE(decoder.pendingBytes(), 0);

    // A frame split over the end of one chunk and the start of the next.
    decoder.append(lengthPrefixed("first") + lengthPrefixed("second").first(6));
    frames.clear();
    QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    QCOMPARE(frames, QList<QByteArray>{"first"});
    QCOMPARE(decoder.pendingBytes(), 6);
    decoder.append(lengthPrefixed("second").sliced(6));
    QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    QCOMPARE(frames, (QList<QByteArray>{"first", "second"}));
}

void tst_IpcCodec::lengthPrefixedDecoderIsTooLargeFromThePrefixAlone_data()
{
    QTest::addColumn<qint64>("maxFrameSize");
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("frames");  // whole frames before the decoder stops
    QTest::addColumn<Decoder::Status>("status");

    QTest::newRow("prefix above the limit, no body")
            << qint64(100) << hex("00000065") << 0 << Decoder::Status::TooLarge;
    QTest::newRow("prefix at the limit, no body")
            << qint64(100) << hex("00000064") << 0 << Decoder::Status::NeedMore;
    QTest::newRow("prefix at the limit, body")
            << qint64(100) << lengthPrefixed(QByteArray(100, 'x')) << 1
            << Decoder::Status::NeedMore;
    QTest::newRow("prefix 2^32-1")
            << qint64(100) << hex("ffffffff") << 0 << Decoder::Status::TooLarge;
    QTest::newRow("prefix 2^31 with the default limit")
            << qint64(IpcServer::DefaultMaxFrameSize) << hex("80000000") << 0
            << Decoder::Status::TooLarge;
    QTest::newRow("64 MiB prefix at the default limit")
            << qint64(IpcServer::DefaultMaxFrameSize) << hex("04000000") << 0
            << Decoder::Status::NeedMore;
    QTest::newRow("half a prefix") << qint64(0) << hex("ffff") << 0 << Decoder::Status::NeedMore;
    QTest::newRow("second prefix above the limit")
            << qint64(100) << lengthPrefixed("x") + hex("00000065") << 1
            << Decoder::Status::TooLarge;
    QTest::newRow("limit 0, empty frame")
            << qint64(0) << hex("00000000 00000000") << 2 << Decoder::Status::NeedMore;
    QTest::newRow("limit 0, one byte")
            << qint64(0) << hex("00000001") << 0 << Decoder::Status::TooLarge;
}

void tst_IpcCodec::lengthPrefixedDecoderIsTooLargeFromThePrefixAlone()
{
    QFETCH(qint64, maxFrameSize);
    QFETCH(QByteArray, stream);
    QFETCH(int, frames);
    QFETCH(Decoder::Status, status);

    Decoder decoder(maxFrameSize);
    decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
    decoder.append(stream);
    QList<QByteArray> received;
    QCOMPARE(drain(decoder, received), status);
    QCOMPARE(received.size(), frames);
}

void tst_IpcCodec::lengthPrefixedDecoderPrefixInTwoHalves()
{
    Decoder decoder(1000);
    decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
    QByteArrayView contents;
    decoder.append(hex("0000"));
    QCOMPARE(decoder.next(&contents), Decoder::Status::NeedMore);
    QCOMPARE(decoder.pendingBytes(), 2);
    decoder.append(hex("ffff"));  // 65535 > 1000: known now, before any of the body
    QCOMPARE(decoder.next(&contents), Decoder::Status::TooLarge);

    // The limit can change between frames, as setMaxFrameSize() does on a live connection.
    decoder.clear();
    decoder.append(lengthPrefixed(QByteArray(500, 'x')));
    decoder.setMaxFrameSize(499);
    QCOMPARE(decoder.next(&contents), Decoder::Status::TooLarge);
    decoder.setMaxFrameSize(500);
    QCOMPARE(decoder.next(&contents), Decoder::Status::Frame);
    QCOMPARE(contents.size(), 500);
}

// --- User codecs ---------------------------------------------------------------------------

void tst_IpcCodec::delimitedUserCodecWritingTwoNulsIsRefused()
{
    // encodeFrame says why, and leaves the buffer as it was.
    QByteArray out("kept");
    QString error;
    QVERIFY(!IpcFrame::encodeFrame(out, *NulWriter, frame(u"t"_s, 1), &error));
    QCOMPARE(out, QByteArray("kept"));
    QVERIFY2(error.contains(u"nulwriter"_s) && error.contains(u"NUL"_s), qPrintable(error));

    // Client and server report an EncodeError and keep the connection.
    IpcServer server;
    server.setCodec(NulWriter);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcClient client;
    client.setCodecName(u"nulwriter"_s);
    QString id;
    CHECKED(connectClient(server, client, &id));
    QSignalSpy clientErrors(&client, &IpcClient::errorOccurred);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    QVERIFY(!client.send(u"t"_s, 1));
    QCOMPARE(clientErrors.count(), 1);
    QCOMPARE(clientErrors.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QVERIFY2(clientErrors.at(0).at(1).toString().contains(u"nulwriter"_s),
             qPrintable(clientErrors.at(0).at(1).toString()));

    QVERIFY(!server.send(u"t"_s, 1, id));
    server.broadcast(u"t"_s, 2);
    QCOMPARE(serverErrors.count(), 2);
    for (const QList<QVariant> &e : std::as_const(serverErrors))
        QCOMPARE(e.at(0).value<IpcError::Error>(), IpcError::EncodeError);

    IpcReply *reply = client.request(u"t"_s, 3, 5000);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, Timeout);
    QCOMPARE(reply->error(), IpcError::EncodeError);

    QCOMPARE(server.clientCount(), 1);
    QVERIFY(client.isConnected());
}

void tst_IpcCodec::delimitedUserCodecFramesSurviveTheDecoder()
{
    // Contents that end in a NUL hold no two NULs in a row, yet with the delimiter after
    // them the stream holds three: the frame must then be refused, or split where it ends.
    const CStringCodec codec;
    const QList<IpcCodec::Frame> sent{frame(u"a"_s, u"first"_s), frame(u"b"_s, u"second"_s)};
    QByteArray stream;
    QList<QByteArray> contents;
    for (const IpcCodec::Frame &f : sent) {
        QString error;
        QByteArray c;
        QVERIFY(codec.encode(c, f, &error));
        if (!IpcFrame::encodeFrame(stream, codec, f, &error)) {
            QVERIFY2(!error.isEmpty(), "a refusal must say why");
            return;  // refused: nothing ambiguous goes out
        }
        contents.append(c);
    }
    Decoder decoder(1024);
    decoder.append(stream);
    QList<QByteArray> frames;
    QCOMPARE(drain(decoder, frames), Decoder::Status::NeedMore);
    QVERIFY2(frames == contents,
             qPrintable(u"the codec wrote [%1] but the decoder split [%2], %3 bytes left over"_s
                                .arg(QString::fromLatin1(contents.join('|').toHex(' ')),
                                     QString::fromLatin1(frames.join('|').toHex(' ')))
                                .arg(decoder.pendingBytes())));
}

void tst_IpcCodec::userCodecWorksEndToEnd_data()
{
    QTest::addColumn<QString>("codec");

    QTest::newRow("length-prefixed") << u"datastream"_s;
    QTest::newRow("delimited") << u"datastream64"_s;
}

void tst_IpcCodec::userCodecWorksEndToEnd()
{
    QFETCH(QString, codec);

    IpcServer server;
    server.setCodecName(codec);
    QCOMPARE(server.codecName(), codec);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcTest::handleSumAndFail(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    IpcClient client;
    client.setCodecName(codec);
    QCOMPARE(client.codecName(), codec);
    QSignalSpy clientMessages(&client, &IpcClient::messageReceived);
    QSignalSpy clientErrors(&client, &IpcClient::errorOccurred);
    QString id;
    CHECKED(connectClient(server, client, &id));

    // Types neither JSON nor CBOR can carry, both ways.
    const QDateTime when(QDate(2024, 2, 29), QTime(12, 30, 15, 250), Qt::UTC);
    QVERIFY(client.send(u"when"_s, when));
    QTRY_COMPARE_WITH_TIMEOUT(serverMessages.count(), 1, Timeout);
    QCOMPARE(serverMessages.at(0).at(0).toString(), u"when"_s);
    QCOMPARE(serverMessages.at(0).at(1).metaType(), QMetaType::fromType<QDateTime>());
    QCOMPARE(serverMessages.at(0).at(1).toDateTime(), when);
    QCOMPARE(serverMessages.at(0).at(2).toString(), id);

    const QVariantList back{QPoint(1, 2), QByteArray("\0\0x", 3), u"ü"_s};
    QVERIFY(server.send(u"back"_s, back, id));
    server.broadcast(u"all"_s, QPoint(5, 6));
    QTRY_COMPARE_WITH_TIMEOUT(clientMessages.count(), 2, Timeout);
    QCOMPARE(clientMessages.at(0).at(1), QVariant(back));
    QCOMPARE(clientMessages.at(1).at(0).toString(), u"all"_s);
    QCOMPARE(clientMessages.at(1).at(1), QVariant(QPoint(5, 6)));

    // Requests and replies: the codec carries the id, re and error fields too.
    IpcReply *sum = client.request(u"sum"_s, QVariantList{2, 3}, Timeout);
    IpcReply *fail = client.request(u"fail"_s, 0, Timeout);
    IpcReply *nobody = client.request(u"nobody"_s, 0, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(sum->isFinished() && fail->isFinished() && nobody->isFinished(),
                             Timeout);
    QCOMPARE(sum->error(), IpcError::NoError);
    QCOMPARE(sum->value().toInt(), 5);
    QCOMPARE(fail->error(), IpcError::HandlerError);
    QVERIFY2(fail->errorString().contains(u"refused on purpose"_s),
             qPrintable(fail->errorString()));
    QCOMPARE(nobody->error(), IpcError::NoHandlerError);

    QCOMPARE(serverErrors.count(), 0);
    QCOMPARE(clientErrors.count(), 0);
}

// --- Codecs between IpcServer and IpcClient ------------------------------------------------

void tst_IpcCodec::cborCarriesAMebibyteByteArrayIntact()
{
    IpcServer server;
    server.setCodecName(u"cbor"_s);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    IpcClient client;
    client.setCodecName(u"cbor"_s);
    QSignalSpy clientMessages(&client, &IpcClient::messageReceived);
    QString id;
    CHECKED(connectClient(server, client, &id));

    const QByteArray big = allByteValues(1 << 20);
    QVERIFY(client.send(u"up"_s, big));
    QVERIFY(server.send(u"down"_s, QVariantMap{{u"data"_s, big}, {u"n"_s, 1}}, id));
    QTRY_COMPARE_WITH_TIMEOUT(serverMessages.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(clientMessages.count(), 1, Timeout);

    const QVariant up = serverMessages.at(0).at(1);
    QCOMPARE(up.metaType(), QMetaType::fromType<QByteArray>());
    QVERIFY(up.toByteArray() == big);  // QCOMPARE would print a mebibyte
    const QVariantMap down = clientMessages.at(0).at(1).toMap();
    QCOMPARE(down.value(u"data"_s).metaType(), QMetaType::fromType<QByteArray>());
    QVERIFY(down.value(u"data"_s).toByteArray() == big);
    QCOMPARE(down.value(u"n"_s), QVariant(qlonglong(1)));
}

void tst_IpcCodec::requestsAndRepliesTravelOverCbor()
{
    IpcServer server;
    server.setCodecName(u"cbor"_s);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    server.handle(u"echo"_s, [](const QVariant &message) { return message; });
    IpcClient client;
    client.setCodecName(u"cbor"_s);
    client.handle(u"reverse"_s, [](const QVariant &message) {
        QByteArray bytes = message.toByteArray();
        std::reverse(bytes.begin(), bytes.end());
        return bytes;
    });
    QString id;
    CHECKED(connectClient(server, client, &id));

    const QByteArray bytes("\0\1\2\xff", 4);
    IpcReply *echo = client.request(u"echo"_s, bytes, Timeout);
    IpcReply *nobody = client.request(u"nobody"_s, 0, Timeout);
    IpcReply *reverse = server.request(u"reverse"_s, bytes, id, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(echo->isFinished() && nobody->isFinished() && reverse->isFinished(),
                             Timeout);
    QCOMPARE(echo->error(), IpcError::NoError);
    QCOMPARE(echo->value(), QVariant(bytes));
    QCOMPARE(nobody->error(), IpcError::NoHandlerError);
    QVERIFY2(nobody->errorString().contains(u"nobody"_s), qPrintable(nobody->errorString()));
    QCOMPARE(reverse->error(), IpcError::NoError);
    QCOMPARE(reverse->value(), QVariant(QByteArray("\xff\2\1\0", 4)));
}

void tst_IpcCodec::cborFrameAboveMaxFrameSizeIsFrameTooLargeError()
{
    IpcServer server;
    server.setCodecName(u"cbor"_s);
    server.setMaxFrameSize(1000);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    IpcClient client;
    client.setCodecName(u"cbor"_s);
    QString id;
    CHECKED(connectClient(server, client, &id));

    QVERIFY(client.send(u"fits"_s, QByteArray(900, 'x')));
    QVERIFY(client.send(u"too big"_s, QByteArray(1001, 'x')));
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, Timeout);
    QCOMPARE(errors.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QCOMPARE(errors.at(0).at(2).toString(), id);
    QTRY_COMPARE_WITH_TIMEOUT(disconnections.count(), 1, Timeout);
    QCOMPARE(messages.count(), 1);
    QCOMPARE(messages.at(0).at(0).toString(), u"fits"_s);
    client.close();
}

void tst_IpcCodec::cborServerRefusesAHugePrefixBeforeTheBody()
{
    IpcServer server;
    server.setCodecName(u"cbor"_s);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy accepted(&server, &IpcServer::clientConnected);
    QSignalSpy errors(&server, &IpcServer::errorOccurred);

    // A bare socket that announces 2 GiB and sends nothing more.
    QLocalSocket socket;
    QSignalSpy disconnected(&socket, &QLocalSocket::disconnected);
    socket.connectToServer(socketPath());
    QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, Timeout);
    socket.write(hex("7fffffff"));
    socket.flush();
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, Timeout);
    QCOMPARE(errors.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QCOMPARE(errors.at(0).at(2).toString(), accepted.at(0).at(0).toString());
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, Timeout);
    QCOMPARE(server.clientCount(), 0);
}

void tst_IpcCodec::mismatchedCodecsFailCleanly_data()
{
    QTest::addColumn<QString>("serverCodec");
    QTest::addColumn<QString>("clientCodec");
    QTest::addColumn<IpcError::Error>("error");  // on the client, reading the server's greeting

    // A JSON frame's first four bytes, {"to, read as a length: 2 GiB, over any limit.
    QTest::newRow("cbor client reads a json frame")
            << u"json"_s << u"cbor"_s << IpcError::FrameTooLargeError;
    // A CBOR frame's length prefix starts with two NULs: an empty JSON frame.
    QTest::newRow("json client reads a cbor frame")
            << u"cbor"_s << u"json"_s << IpcError::DecodeError;
}

void tst_IpcCodec::mismatchedCodecsFailCleanly()
{
    QFETCH(QString, serverCodec);
    QFETCH(QString, clientCodec);
    QFETCH(IpcError::Error, error);

    // The server's greeting is the first frame: a client of another codec fails on it, at
    // once, as an attempt that failed (never connected()), and retries.
    IpcServer server;
    server.setCodecName(serverCodec);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);
    QSignalSpy accepted(&server, &IpcServer::clientConnected);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    IpcClient client;
    client.setCodecName(clientCodec);
    client.setRetryDelay(50);
    QSignalSpy clientErrors(&client, &IpcClient::errorOccurred);
    QSignalSpy connectErrors(&client, &IpcClient::connectError);
    QSignalSpy connected(&client, &IpcClient::connected);
    client.connectToServer(socketPath());

    QTRY_VERIFY_WITH_TIMEOUT(connectErrors.count() >= 2, Timeout);  // it retries
    QVERIFY(!clientErrors.isEmpty());
    QCOMPARE(clientErrors.at(0).at(0).value<IpcError::Error>(), error);
    QVERIFY(!clientErrors.at(0).at(1).toString().isEmpty());
    QCOMPARE(connected.count(), 0);
    QVERIFY(!client.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(disconnections.count(), accepted.count(), Timeout);
    QCOMPARE(serverErrors.count(), 0);  // the client's fault, not the server's
    QVERIFY(server.isListening());

    // Set right, it connects.
    client.setCodecName(serverCodec);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected() && server.clientCount() == 1, Timeout);
    client.close();
}

void tst_IpcCodec::serverReadsAFrameOfTheOtherCodec_data()
{
    QTest::addColumn<QString>("serverCodec");
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<IpcError::Error>("error");

    QTest::newRow("cbor server reads a json frame")
            << u"cbor"_s << IpcTest::frameBytes(R"({"topic":"hello","message":1})")
            << IpcError::FrameTooLargeError;
    QTest::newRow("json server reads a cbor frame")
            << u"json"_s << IpcTest::lengthPrefixed(cborFrame(hex("01"))) << IpcError::DecodeError;
}

void tst_IpcCodec::serverReadsAFrameOfTheOtherCodec()
{
    QFETCH(QString, serverCodec);
    QFETCH(QByteArray, frame);
    QFETCH(IpcError::Error, error);

    IpcServer server;
    server.setCodecName(serverCodec);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    QLocalSocket raw;
    QString id;
    CHECKED(IpcTest::connectRawSocket(raw, server, &id));
    raw.write(frame);
    QTRY_VERIFY_WITH_TIMEOUT(serverErrors.count() >= 1, Timeout);
    QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), error);
    QVERIFY(!serverErrors.at(0).at(1).toString().isEmpty());
    QCOMPARE(serverErrors.at(0).at(2).toString(), id);
    QCOMPARE(serverMessages.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(disconnections.count(), 1, Timeout);
    QCOMPARE(disconnections.at(0).at(0).toString(), id);
    QVERIFY(server.isListening());
}

void tst_IpcCodec::broadcastReachesJsonAndCborClients()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    IpcClient jsonClient;
    QSignalSpy jsonMessages(&jsonClient, &IpcClient::messageReceived);
    QString jsonId;
    CHECKED(connectClient(server, jsonClient, &jsonId));

    // For connections accepted from now on.
    server.setCodecName(u"cbor"_s);
    IpcClient cborClient;
    cborClient.setCodecName(u"cbor"_s);
    QSignalSpy cborMessages(&cborClient, &IpcClient::messageReceived);
    QString cborId;
    CHECKED(connectClient(server, cborClient, &cborId));

    const QVariantMap news{{u"n"_s, qlonglong(1)}, {u"s"_s, u"ü 🎉"_s}, {u"d"_s, 0.5}};
    server.broadcast(u"news"_s, news);
    server.broadcast(u"more"_s, QVariantList{true, null()});
    QTRY_COMPARE_WITH_TIMEOUT(jsonMessages.count(), 2, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(cborMessages.count(), 2, Timeout);
    for (const QSignalSpy *spy : {&jsonMessages, &cborMessages}) {
        QCOMPARE(spy->at(0).at(0).toString(), u"news"_s);
        QString difference = valueDifference(spy->at(0).at(1), news);
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(spy->at(1).at(0).toString(), u"more"_s);
        difference = valueDifference(spy->at(1).at(1), QVariantList{true, null()});
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }

    // Each connection keeps its codec: bytes go to the CBOR client only.
    QVERIFY(server.send(u"bytes"_s, QByteArray("\0\1", 2), cborId));
    QVERIFY(!server.send(u"bytes"_s, QByteArray("\0\1", 2), jsonId));
    QCOMPARE(serverErrors.count(), 1);
    QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QTRY_COMPARE_WITH_TIMEOUT(cborMessages.count(), 3, Timeout);
    QCOMPARE(cborMessages.at(2).at(1), QVariant(QByteArray("\0\1", 2)));

    // And both are heard.
    QVERIFY(jsonClient.send(u"from"_s, u"json"_s));
    QVERIFY(cborClient.send(u"from"_s, QByteArray("cbor")));
    QTRY_COMPARE_WITH_TIMEOUT(serverMessages.count(), 2, Timeout);
    QMap<QString, QVariant> byClient;
    for (const QList<QVariant> &m : std::as_const(serverMessages))
        byClient.insert(m.at(2).toString(), m.at(1));
    QCOMPARE(byClient.value(jsonId), QVariant(u"json"_s));
    QCOMPARE(byClient.value(cborId), QVariant(QByteArray("cbor")));
    QCOMPARE(jsonMessages.count(), 2);
}

void tst_IpcCodec::broadcastOfAValueOneCodecCannotHoldDoesNotDependOnConnectionOrder()
{
    // Broadcast a QByteArray to a JSON client (which cannot take it) and a CBOR client: what
    // the CBOR client gets must not depend on which of the two connected first.
    QList<bool> cborReceived;
    for (const bool jsonFirst : {true, false}) {
        const QString path =
                m_dir.filePath(jsonFirst ? u"json-first.sock"_s : u"cbor-first.sock"_s);
        IpcServer server;
        QVERIFY2(server.listen(path), qPrintable(server.errorString()));
        QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);
        IpcClient jsonClient;
        IpcClient cborClient;
        cborClient.setCodecName(u"cbor"_s);
        QSignalSpy cborMessages(&cborClient, &IpcClient::messageReceived);
        QSignalSpy jsonMessages(&jsonClient, &IpcClient::messageReceived);
        for (IpcClient *client : jsonFirst ? QList<IpcClient *>{&jsonClient, &cborClient}
                                           : QList<IpcClient *>{&cborClient, &jsonClient}) {
            server.setCodec(client->codec());
            QSignalSpy accepted(&server, &IpcServer::clientConnected);
            client->setRetryDelay(20);
            client->connectToServer(path);
            QTRY_VERIFY_WITH_TIMEOUT(client->isConnected(), Timeout);
            QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, Timeout);
        }

        server.broadcast(u"bytes"_s, QByteArray("\0\1", 2));
        server.broadcast(u"fence"_s, 1);  // frames keep their order: after it, all is in
        QTRY_VERIFY_WITH_TIMEOUT(!cborMessages.isEmpty()
                                         && cborMessages.last().at(0).toString() == u"fence"_s,
                                 Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(!jsonMessages.isEmpty(), Timeout);
        QCOMPARE(jsonMessages.count(), 1);  // the fence only
        QCOMPARE(serverErrors.count(), 1);
        QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
        cborReceived.append(cborMessages.count() == 2);
    }
    QVERIFY2(cborReceived.at(0) == cborReceived.at(1),
             qPrintable(u"the CBOR client got the bytes when it connected %1, not when it "
                        "connected %2"_s.arg(cborReceived.at(0) ? u"second"_s : u"first"_s,
                                             cborReceived.at(0) ? u"first"_s : u"second"_s)));
}

void tst_IpcCodec::clientCodecChangeTakesEffectAtTheNextConnection()
{
    auto jsonServer = std::make_unique<IpcServer>();
    QVERIFY2(jsonServer->listen(socketPath()), qPrintable(jsonServer->errorString()));
    IpcClient client;
    QSignalSpy reconnected(&client, &IpcClient::reconnected);
    QString id;
    CHECKED(connectClient(*jsonServer, client, &id));

    QSignalSpy changed(&client, &IpcClient::codecChanged);
    client.setCodecName(u"cbor"_s);
    QCOMPARE(changed.count(), 1);
    QSignalSpy jsonMessages(jsonServer.get(), &IpcServer::messageReceived);
    QVERIFY(client.send(u"still"_s, u"json"_s));  // this connection keeps JSON
    QTRY_COMPARE_WITH_TIMEOUT(jsonMessages.count(), 1, Timeout);
    QCOMPARE(jsonMessages.at(0).at(1), QVariant(u"json"_s));

    // A CBOR server at the same path: the client's next connection speaks CBOR.
    jsonServer.reset();
    IpcServer cborServer;
    cborServer.setCodecName(u"cbor"_s);
    QSignalSpy accepted(&cborServer, &IpcServer::clientConnected);
    QSignalSpy cborMessages(&cborServer, &IpcServer::messageReceived);
    QSignalSpy cborErrors(&cborServer, &IpcServer::errorOccurred);
    QVERIFY2(cborServer.listen(socketPath()), qPrintable(cborServer.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(reconnected.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, Timeout);
    QVERIFY(client.send(u"now"_s, QByteArray("cbor")));
    QTRY_COMPARE_WITH_TIMEOUT(cborMessages.count(), 1, Timeout);
    QCOMPARE(cborMessages.at(0).at(1), QVariant(QByteArray("cbor")));
    QCOMPARE(cborErrors.count(), 0);
}

void tst_IpcCodec::queuedMessageIsSentWithTheCodecOfTheConnection()
{
    IpcClient client;
    client.setMaxQueuedMessages(10);
    QVERIFY(client.send(u"queued"_s, u"while json"_s));  // encoded as JSON, for now
    QCOMPARE(client.queuedMessageCount(), 1);
    client.setCodecName(u"cbor"_s);

    IpcServer server;
    server.setCodecName(u"cbor"_s);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QString id;
    CHECKED(connectClient(server, client, &id));
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(0).toString(), u"queued"_s);
    QCOMPARE(messages.at(0).at(1), QVariant(u"while json"_s));
    QCOMPARE(errors.count(), 0);
    QCOMPARE(client.queuedMessageCount(), 0);
}

QTEST_GUILESS_MAIN(tst_IpcCodec)

#include "tst_ipccodec.moc"

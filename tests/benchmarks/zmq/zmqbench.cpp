// zmqbench: the same workloads over ZeroMQ (libzmq's C API, ipc:// transport), as a reference
// for what a mature messaging library achieves on this machine. Benchmark only: libzmq is never
// a dependency of SocketIpc.
//
//   zmqbench W1|W2|W3|W4 [--count N]
//
// One zmq message per frame, holding the exact JSON text of the frame (no delimiter, no JSON
// parsing anywhere: receivers only count messages).
//   W1, W4  PUSH (client) -> PULL (server)
//   W2      REQ (client) <-> REP (server)
//   W3      PUB (server) -> 8 SUB (clients); a ready handshake over PUSH -> PULL makes sure every
//           SUB is connected and subscribed before the clock starts (PUB drops messages for
//           subscribers it does not know yet). High-water marks are unlimited so that nothing
//           is dropped once the clock runs.
//
// The driver is the server; it re-executes itself as the client(s)
// (`zmqbench --role client W ENDPOINTDIR COUNT`), each of which reports its CPU time, peak RSS
// and timings as one JSON line on its stdout (a pipe to the driver). The driver prints exactly
// one JSON line on stdout; diagnostics go to stderr. Hard timeout: 120 s. What this driver shares
// with raw/rawbench.cpp is in ../common/benchcommon.h.

#include "benchcommon.h"

#include <zmq.h>

namespace {

using bench::die;

// Socket files that zmq creates for ipc:// endpoints in the temporary directory.
const char *const kEndpointFiles[] = {"main.ipc", "ready.ipc"};

void check(int rc, const char *what)
{
    if (rc < 0)
        die("%s: %s", what, zmq_strerror(zmq_errno()));
}

void *makeSocket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (!s)
        die("zmq_socket: %s", zmq_strerror(zmq_errno()));
    return s;
}

void setIntOption(void *s, int option, int value, const char *what)
{
    check(zmq_setsockopt(s, option, &value, sizeof value), what);
}

// ---------------------------------------------------------------------------------------------
// Messages: the payload text, no delimiter

size_t writeSmallFrame(char *out, uint64_t i)
{
    return size_t(bench::writeSmallText(out, i) - out);
}

const char kProbe = 'P';  // the W3 handshake's 1-byte messages; no frame is that short

std::string endpoint(const char *dir, const char *file)
{
    return std::string("ipc://") + dir + "/" + file;
}

// Receives one message and returns its size (the content is not looked at).
size_t receive(void *s, zmq_msg_t *msg, const char *what)
{
    for (;;) {
        const int n = zmq_msg_recv(msg, s, 0);
        if (n >= 0)
            return size_t(n);
        if (zmq_errno() != EINTR)
            die("%s: %s", what, zmq_strerror(zmq_errno()));
    }
}

void sendBytes(void *s, const void *data, size_t len, const char *what)
{
    while (zmq_send(s, data, len, 0) < 0) {
        if (zmq_errno() != EINTR)
            die("%s: %s", what, zmq_strerror(zmq_errno()));
    }
}

// ---------------------------------------------------------------------------------------------
// Client side (a separate process)

int runClient(const std::string &workload, const char *dir, uint64_t count)
{
    alarm(bench::kTimeoutSeconds);  // default action: terminate
    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    const std::string mainEndpoint = endpoint(dir, kEndpointFiles[0]);
    char extra[256] = "";
    zmq_msg_t msg;
    zmq_msg_init(&msg);

    if (workload == "W1" || workload == "W4") {
        void *push = makeSocket(ctx, ZMQ_PUSH);
        check(zmq_connect(push, mainEndpoint.c_str()), "connect");
        bench::startCounting();  // every thread the context has (its I/O thread too)
        if (workload == "W1") {
            char frame[bench::kMaxSmallFrame];
            for (uint64_t i = 0; i < count; ++i)
                sendBytes(push, frame, writeSmallFrame(frame, i), "send");
        } else {
            const std::string frame = bench::largeText();
            for (uint64_t i = 0; i < count; ++i)
                sendBytes(push, frame.data(), frame.size(), "send");
        }
        zmq_close(push);  // linger is infinite: zmq_ctx_term() below waits until all is sent
    } else if (workload == "W2") {
        void *req = makeSocket(ctx, ZMQ_REQ);
        check(zmq_connect(req, mainEndpoint.c_str()), "connect");
        bench::startCounting();
        std::vector<double> rttUs(count);
        char frame[bench::kMaxSmallFrame];
        const int64_t start = bench::monotonicNs();
        for (uint64_t i = 0; i < count; ++i) {
            const int64_t t = bench::monotonicNs();
            sendBytes(req, frame, writeSmallFrame(frame, i), "send");
            receive(req, &msg, "recv");
            rttUs[i] = double(bench::monotonicNs() - t) / 1e3;
        }
        const double seconds = double(bench::monotonicNs() - start) / 1e9;
        zmq_close(req);
        bench::formatLatencies(extra, sizeof extra, rttUs, seconds);
    } else if (workload == "W3") {
        void *sub = makeSocket(ctx, ZMQ_SUB);
        setIntOption(sub, ZMQ_RCVHWM, 0, "ZMQ_RCVHWM");
        check(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), "ZMQ_SUBSCRIBE");
        check(zmq_connect(sub, mainEndpoint.c_str()), "connect");
        void *ready = makeSocket(ctx, ZMQ_PUSH);
        check(zmq_connect(ready, endpoint(dir, kEndpointFiles[1]).c_str()), "connect ready");
        bench::startCounting();
        bool announced = false;
        uint64_t got = 0;
        while (got < count) {
            if (receive(sub, &msg, "recv") == 1) {  // a probe: our subscription has arrived
                if (!announced)
                    sendBytes(ready, "R", 1, "send ready");
                announced = true;
                continue;
            }
            ++got;
        }
        const int64_t finish = bench::monotonicNs();
        zmq_close(sub);
        zmq_close(ready);
        std::snprintf(extra, sizeof extra, ",\"finish_ns\":%lld", (long long)finish);
    } else {
        die("unknown workload %s", workload.c_str());
    }
    zmq_msg_close(&msg);
    zmq_ctx_term(ctx);

    bench::printClientReport(extra);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Driver / server side

// Like receive(), but wakes up every 200 ms to fail fast if a client died (the socket needs
// ZMQ_RCVTIMEO set).
size_t receiveWatching(void *s, zmq_msg_t *msg)
{
    for (;;) {
        const int n = zmq_msg_recv(msg, s, 0);
        if (n >= 0)
            return size_t(n);
        if (zmq_errno() == EAGAIN)
            bench::failIfAChildDied();
        else if (zmq_errno() != EINTR)
            die("recv: %s", zmq_strerror(zmq_errno()));
    }
}

}  // namespace

int main(int argc, char **argv)
{
    const bench::CommandLine cl = bench::start("zmqbench", argc, argv);
    if (cl.client)
        return runClient(cl.workload, cl.target, cl.count);
    const std::string &workload = cl.workload;
    const uint64_t count = cl.count;
    for (const char *file : kEndpointFiles)
        bench::addTempFile(file, 100);  // sun_path, minus some slack

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    const std::string mainEndpoint = endpoint(bench::g_tempDir, kEndpointFiles[0]);

    // Bind before spawning, so the clients' first connection attempt succeeds (a failed ipc://
    // connect is retried only after ZMQ_RECONNECT_IVL, 100 ms).
    void *main = nullptr;
    void *ready = nullptr;
    void *monitor = nullptr;
    if (workload == "W1" || workload == "W4") {
        main = makeSocket(ctx, ZMQ_PULL);
        check(zmq_socket_monitor(main, "inproc://monitor", ZMQ_EVENT_ACCEPTED), "monitor");
        monitor = makeSocket(ctx, ZMQ_PAIR);
        setIntOption(monitor, ZMQ_RCVTIMEO, 200, "ZMQ_RCVTIMEO");
        check(zmq_connect(monitor, "inproc://monitor"), "connect monitor");
    } else if (workload == "W2") {
        main = makeSocket(ctx, ZMQ_REP);
    } else {
        main = makeSocket(ctx, ZMQ_PUB);
        setIntOption(main, ZMQ_SNDHWM, 0, "ZMQ_SNDHWM");
        ready = makeSocket(ctx, ZMQ_PULL);
        setIntOption(ready, ZMQ_RCVTIMEO, 5, "ZMQ_RCVTIMEO");
        check(zmq_bind(ready, endpoint(bench::g_tempDir, kEndpointFiles[1]).c_str()), "bind ready");
    }
    if (workload != "W3")
        setIntOption(main, ZMQ_RCVTIMEO, 200, "ZMQ_RCVTIMEO");
    check(zmq_bind(main, mainEndpoint.c_str()), "bind");

    const int nClients = workload == "W3" ? bench::kBroadcastClients : 1;
    std::vector<bench::Child> children;
    for (int i = 0; i < nClients; ++i)
        children.push_back(bench::spawnClient(cl.self, workload, bench::g_tempDir, count));

    zmq_msg_t msg;
    zmq_msg_init(&msg);
    double seconds = 0;
    int64_t t0 = 0;
    if (workload == "W1" || workload == "W4") {
        // The clock starts when the monitor reports the client's connection as accepted.
        receiveWatching(monitor, &msg);  // event id + value
        if (!zmq_msg_more(&msg))
            die("malformed monitor event");
        receiveWatching(monitor, &msg);  // endpoint
        bench::startCounting();
        t0 = bench::monotonicNs();
        zmq_close(monitor);
        for (uint64_t got = 0; got < count; ++got)
            receiveWatching(main, &msg);
        seconds = double(bench::monotonicNs() - t0) / 1e9;
    } else if (workload == "W2") {
        bench::startCounting();
        for (uint64_t echoed = 0; echoed < count; ++echoed) {
            receiveWatching(main, &msg);
            while (zmq_msg_send(&msg, main, 0) < 0) {  // the very same message back
                if (zmq_errno() != EINTR)
                    die("send: %s", zmq_strerror(zmq_errno()));
            }
        }
    } else {  // W3
        // Probe until every subscriber has told us (over PUSH/PULL) that probes reach it.
        int announced = 0;
        while (announced < nClients) {
            sendBytes(main, &kProbe, 1, "send probe");
            const int n = zmq_msg_recv(&msg, ready, 0);
            if (n >= 0)
                ++announced;
            else if (zmq_errno() == EAGAIN)
                bench::failIfAChildDied();
            else if (zmq_errno() != EINTR)
                die("recv ready: %s", zmq_strerror(zmq_errno()));
        }
        bench::startCounting();
        t0 = bench::monotonicNs();
        char frame[bench::kMaxSmallFrame];
        for (uint64_t i = 0; i < count; ++i) {
            sendBytes(main, frame, writeSmallFrame(frame, i), "send");
            if (i % 4096 == 4095)
                bench::failIfAChildDied();  // the PUB socket would not tell us
        }
    }

    std::vector<std::string> reports;
    for (const bench::Child &c : children)
        reports.push_back(bench::collectReport(c));
    zmq_msg_close(&msg);
    zmq_close(main);
    if (ready)
        zmq_close(ready);
    zmq_ctx_term(ctx);
    const bench::Usage server = bench::selfUsage();
    bench::cleanupFiles();

    bench::printResult("zmq", workload, count, nClients, seconds, t0, bench::kLargeTextBytes,
                       reports, server);
    return 0;
}

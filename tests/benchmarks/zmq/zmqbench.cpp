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
// one JSON line on stdout; diagnostics go to stderr. Hard timeout: 120 s.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

extern char **environ;

namespace {

constexpr int kTimeoutSeconds = 120;
constexpr int kBroadcastClients = 8;
constexpr size_t kLargeMessageBytes = 1u << 20;

// ---------------------------------------------------------------------------------------------
// Process bookkeeping, failure and the hard timeout

std::vector<pid_t> g_children;
char g_tempDir[256] = {};
// Socket files that zmq creates for ipc:// endpoints, removed on any exit.
const char *const kEndpointFiles[] = {"main.ipc", "ready.ipc"};
char g_endpointPaths[2][512] = {};

void cleanupFiles()
{
    for (const char *p : g_endpointPaths)
        if (p[0])
            unlink(p);
    if (g_tempDir[0])
        rmdir(g_tempDir);
}

void killChildren()
{
    for (pid_t pid : g_children)
        kill(pid, SIGKILL);
}

[[noreturn]] void die(const char *fmt, ...)
{
    std::fputs("zmqbench: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    _exit(1);  // not exit(): zmq's context may still hold sockets with unsent messages
}

void onAlarm(int)
{
    static const char msg[] = "zmqbench: hard timeout, giving up\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    _exit(124);
}

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
// Clocks and resource usage

int64_t monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Usage
{
    double cpuUs;
    long maxRssKib;
};

// Peak resident memory of this process image: VmHWM starts over at exec, unlike ru_maxrss,
// which keeps the spawning parent's peak.
long peakRssKib()
{
    long kib = 0;
    if (FILE *status = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, status)) {
            if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                break;
        }
        std::fclose(status);
    }
    return kib;
}

Usage selfUsage()  // all threads of the process, zmq's I/O thread included
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return {cpu, peakRssKib()};
}

// ---------------------------------------------------------------------------------------------
// The payload: {"topic":"t","message":{"i":<i>,"s":"abcdefghij" x 6}}, no delimiter

const char kPrefix[] = "{\"topic\":\"t\",\"message\":{\"i\":";
const char kSuffix[] = ",\"s\":\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"}}";
constexpr size_t kMaxSmallFrame = sizeof kPrefix + sizeof kSuffix + 24;

size_t writeSmallFrame(char *out, uint64_t i)
{
    char *p = out;
    std::memcpy(p, kPrefix, sizeof kPrefix - 1);
    p += sizeof kPrefix - 1;
    p = std::to_chars(p, p + 24, i).ptr;
    std::memcpy(p, kSuffix, sizeof kSuffix - 1);
    p += sizeof kSuffix - 1;
    return size_t(p - out);
}

const char kLargePrefix[] = "{\"topic\":\"t\",\"message\":\"";
const char kLargeSuffix[] = "\"}";
constexpr size_t kLargeFrameBytes =
        sizeof kLargePrefix - 1 + kLargeMessageBytes + sizeof kLargeSuffix - 1;

std::string largeFrame()
{
    std::string f = kLargePrefix;
    f.append(kLargeMessageBytes, 'x');
    f += kLargeSuffix;
    return f;
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
    alarm(kTimeoutSeconds);  // default action: terminate
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
        if (workload == "W1") {
            char frame[kMaxSmallFrame];
            for (uint64_t i = 0; i < count; ++i)
                sendBytes(push, frame, writeSmallFrame(frame, i), "send");
        } else {
            const std::string frame = largeFrame();
            for (uint64_t i = 0; i < count; ++i)
                sendBytes(push, frame.data(), frame.size(), "send");
        }
        zmq_close(push);  // linger is infinite: zmq_ctx_term() below waits until all is sent
    } else if (workload == "W2") {
        void *req = makeSocket(ctx, ZMQ_REQ);
        check(zmq_connect(req, mainEndpoint.c_str()), "connect");
        std::vector<double> rttUs(count);
        char frame[kMaxSmallFrame];
        const int64_t start = monotonicNs();
        for (uint64_t i = 0; i < count; ++i) {
            const int64_t t = monotonicNs();
            sendBytes(req, frame, writeSmallFrame(frame, i), "send");
            receive(req, &msg, "recv");
            rttUs[i] = double(monotonicNs() - t) / 1e3;
        }
        const double seconds = double(monotonicNs() - start) / 1e9;
        zmq_close(req);
        std::sort(rttUs.begin(), rttUs.end());
        auto pct = [&](double p) {
            size_t rank = size_t(std::ceil(p * double(count)));
            return rttUs[std::min(count - 1, rank == 0 ? 0 : rank - 1)];
        };
        std::snprintf(extra, sizeof extra, ",\"seconds\":%.6f,\"p50_us\":%.1f,\"p99_us\":%.1f",
                      seconds, pct(0.50), pct(0.99));
    } else if (workload == "W3") {
        void *sub = makeSocket(ctx, ZMQ_SUB);
        setIntOption(sub, ZMQ_RCVHWM, 0, "ZMQ_RCVHWM");
        check(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), "ZMQ_SUBSCRIBE");
        check(zmq_connect(sub, mainEndpoint.c_str()), "connect");
        void *ready = makeSocket(ctx, ZMQ_PUSH);
        check(zmq_connect(ready, endpoint(dir, kEndpointFiles[1]).c_str()), "connect ready");
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
        const int64_t finish = monotonicNs();
        zmq_close(sub);
        zmq_close(ready);
        std::snprintf(extra, sizeof extra, ",\"finish_ns\":%lld", (long long)finish);
    } else {
        die("unknown workload %s", workload.c_str());
    }
    zmq_msg_close(&msg);
    zmq_ctx_term(ctx);

    const Usage u = selfUsage();
    std::printf("{\"cpu_us\":%.0f,\"maxrss_kib\":%ld%s}\n", u.cpuUs, u.maxRssKib, extra);
    std::fflush(stdout);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Driver / server side

struct Child
{
    pid_t pid;
    int out;  // read end of the child's stdout
};

// posix_spawn (not a bare fork) because zmq's I/O threads already run in this process.
Child spawnClient(const std::string &self, const std::string &workload, uint64_t count)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        die("pipe: %s", std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    const std::string countStr = std::to_string(count);
    const char *argv[] = {self.c_str(), "--role",         "client", workload.c_str(),
                          g_tempDir,    countStr.c_str(), nullptr};
    pid_t pid;
    const int rc =
            posix_spawn(&pid, self.c_str(), &fa, nullptr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0)
        die("spawn %s: %s", self.c_str(), std::strerror(rc));
    g_children.push_back(pid);
    return {pid, fds[0]};
}

void failIfAChildDied()
{
    for (pid_t pid : g_children) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            die("client %d exited early (status %d)", int(pid), status);
    }
}

// Like receive(), but wakes up every 200 ms to fail fast if a client died (the socket needs
// ZMQ_RCVTIMEO set).
size_t receiveWatching(void *s, zmq_msg_t *msg)
{
    for (;;) {
        const int n = zmq_msg_recv(msg, s, 0);
        if (n >= 0)
            return size_t(n);
        if (zmq_errno() == EAGAIN)
            failIfAChildDied();
        else if (zmq_errno() != EINTR)
            die("recv: %s", zmq_strerror(zmq_errno()));
    }
}

std::string collectReport(const Child &c)
{
    std::string line;
    char buf[512];
    for (;;) {
        const ssize_t n = read(c.out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        line.append(buf, size_t(n));
    }
    close(c.out);
    int status = 0;
    while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) { }
    g_children.erase(std::remove(g_children.begin(), g_children.end(), c.pid), g_children.end());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("client %d failed (status %d)", int(c.pid), status);
    if (line.empty() || line[0] != '{')
        die("client %d reported nothing usable: '%s'", int(c.pid), line.c_str());
    return line;
}

const char *reportField(const std::string &line, const char *key)
{
    const std::string needle = std::string("\"") + key + "\":";
    const size_t at = line.find(needle);
    if (at == std::string::npos)
        die("client report lacks %s: %s", key, line.c_str());
    return line.c_str() + at + needle.size();
}

double reportValue(const std::string &line, const char *key)
{
    return std::strtod(reportField(line, key), nullptr);
}

int64_t reportInteger(const std::string &line, const char *key)
{
    return std::strtoll(reportField(line, key), nullptr, 10);
}

[[noreturn]] void usage()
{
    std::fputs("usage: zmqbench W1|W2|W3|W4 [--count N]\n", stderr);
    std::exit(2);
}

}  // namespace

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && std::strcmp(argv[1], "--role") == 0) {
        if (argc != 6 || std::strcmp(argv[2], "client") != 0)
            usage();
        return runClient(argv[3], argv[4], std::strtoull(argv[5], nullptr, 10));
    }

    if (argc < 2)
        usage();
    const std::string workload = argv[1];
    uint64_t count;
    if (workload == "W1")
        count = 200000;
    else if (workload == "W2")
        count = 20000;
    else if (workload == "W3")
        count = 50000;
    else if (workload == "W4")
        count = 200;
    else
        usage();
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = std::strtoull(argv[++i], nullptr, 10);
        else
            usage();
    }
    if (count == 0)
        usage();

    signal(SIGALRM, onAlarm);
    alarm(kTimeoutSeconds);

    char self[4096];
    const ssize_t selfLen = readlink("/proc/self/exe", self, sizeof self - 1);
    if (selfLen <= 0)
        die("readlink /proc/self/exe: %s", std::strerror(errno));
    self[selfLen] = '\0';

    const char *tmp = std::getenv("TMPDIR");
    std::snprintf(g_tempDir, sizeof g_tempDir, "%s/zmqbench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_tempDir)) {
        g_tempDir[0] = '\0';
        die("mkdtemp: %s", std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
        const std::string p = std::string(g_tempDir) + "/" + kEndpointFiles[i];
        if (p.size() >= 100)  // sun_path, minus some slack
            die("socket path too long: %s", p.c_str());
        std::memcpy(g_endpointPaths[i], p.c_str(), p.size() + 1);
    }

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    const std::string mainEndpoint = endpoint(g_tempDir, kEndpointFiles[0]);

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
        check(zmq_bind(ready, endpoint(g_tempDir, kEndpointFiles[1]).c_str()), "bind ready");
    }
    if (workload != "W3")
        setIntOption(main, ZMQ_RCVTIMEO, 200, "ZMQ_RCVTIMEO");
    check(zmq_bind(main, mainEndpoint.c_str()), "bind");

    const int nClients = workload == "W3" ? kBroadcastClients : 1;
    std::vector<Child> children;
    for (int i = 0; i < nClients; ++i)
        children.push_back(spawnClient(self, workload, count));

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
        t0 = monotonicNs();
        zmq_close(monitor);
        for (uint64_t got = 0; got < count; ++got)
            receiveWatching(main, &msg);
        seconds = double(monotonicNs() - t0) / 1e9;
    } else if (workload == "W2") {
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
                failIfAChildDied();
            else if (zmq_errno() != EINTR)
                die("recv ready: %s", zmq_strerror(zmq_errno()));
        }
        t0 = monotonicNs();
        char frame[kMaxSmallFrame];
        for (uint64_t i = 0; i < count; ++i) {
            sendBytes(main, frame, writeSmallFrame(frame, i), "send");
            if (i % 4096 == 4095)
                failIfAChildDied();  // the PUB socket would not tell us
        }
    }

    std::vector<std::string> reports;
    for (const Child &c : children)
        reports.push_back(collectReport(c));
    zmq_msg_close(&msg);
    zmq_close(main);
    if (ready)
        zmq_close(ready);
    zmq_ctx_term(ctx);
    const Usage server = selfUsage();
    cleanupFiles();

    double clientCpu = 0;
    long clientRss = 0;
    int64_t lastFinish = 0;
    for (const std::string &r : reports) {
        clientCpu = std::max(clientCpu, reportValue(r, "cpu_us"));
        clientRss = std::max(clientRss, long(reportInteger(r, "maxrss_kib")));
        if (workload == "W3")
            lastFinish = std::max(lastFinish, reportInteger(r, "finish_ns"));
    }
    std::string extra;
    char buf[128];
    if (workload == "W3")
        seconds = double(lastFinish - t0) / 1e9;
    if (workload == "W2") {
        seconds = reportValue(reports[0], "seconds");
        std::snprintf(buf, sizeof buf, ",\"p50_us\":%.1f,\"p99_us\":%.1f",
                      reportValue(reports[0], "p50_us"), reportValue(reports[0], "p99_us"));
        extra += buf;
    }
    if (workload == "W4") {
        std::snprintf(buf, sizeof buf, ",\"mib_per_s\":%.1f",
                      double(count) * double(kLargeFrameBytes) / 1048576.0 / seconds);
        extra += buf;
    }
    const double deliveries = double(count) * double(nClients);
    std::printf("{\"impl\":\"zmq\",\"workload\":\"%s\",\"messages\":%llu,\"seconds\":%.6f,"
                "\"rate\":%.1f%s,\"cpu_us_per_msg\":{\"server\":%.4f,\"client\":%.4f},"
                "\"peak_rss_kib\":{\"server\":%ld,\"client\":%ld}}\n",
                workload.c_str(), (unsigned long long)count, seconds, deliveries / seconds,
                extra.c_str(), server.cpuUs / double(count), clientCpu / double(count),
                server.maxRssKib, clientRss);
    return 0;
}

// llamaplan tune: goal adjustments for a running llama-server from its /metrics and /slots (saved scrapes, or a
// live server on this machine), and the command line re-planned with them. The rules are the core's
// llamaplan::recommend (include/llamaplan/tune.hpp); the parsing is adapters/logs metrics.hpp.
#include "cli.hpp"
#include "commands.hpp"
#include "machine_args.hpp"
#include "model_arg.hpp"

#include <llamaplan/logs/metrics.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/perf.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/server_args.hpp>
#include <llamaplan/tune.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#define LLAMAPLAN_TUNE_HTTP 1
#endif

namespace {

int tune_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan tune (--server http://127.0.0.1:PORT | --metrics FILE [--slots FILE]) [targets] [machine]\n"
        "                      -- llama-server -m MODEL.gguf [the running flags]\n"
        "\n"
        "Reads a running llama-server's /metrics (start it with --metrics) and /slots: observed tokens/s, the context\n"
        "high-water mark, busy slots and waiting requests; compares them with the plan and prints the adjustments\n"
        "(more or fewer slots, a smaller or larger context, q8_0 KV, a smaller ubatch) with their reasons, and the\n"
        "command line with them. A live server must be on this machine (127.0.0.1 / localhost); 5 s at most.\n"
        "\n"
        "  --min-tps N            generation tokens/s per request at least\n"
        "  --max-ms N             milliseconds per generated token at most\n"
        "  --memory-threshold F   fraction of a device's budget a plan may fill before growing (default 0.9)\n",
        out);
    std::fputs(cli::machine_options::help(), out);
    return out == stdout ? 0 : 2;
}

/// GET http://127.0.0.1:PORT/PATH (local addresses only), 5 s in all; the body, or nullopt with `err`.
std::optional<std::string> http_get_local(const std::string& base, const char* path, std::string& err) {
#if LLAMAPLAN_TUNE_HTTP
    std::string hostport = base;
    if (hostport.rfind("http://", 0) == 0) hostport = hostport.substr(7);
    while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
    const auto colon = hostport.rfind(':');
    const std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    if (host != "127.0.0.1" && host != "localhost") { err = "only a server on this machine (127.0.0.1, localhost) is read"; return std::nullopt; }
    const long port = colon == std::string::npos ? 8080 : std::strtol(hostport.c_str() + colon + 1, nullptr, 10);
    if (port <= 0 || port > 65535) { err = "bad port in " + base; return std::nullopt; }
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { err = "cannot create a socket"; return std::nullopt; }
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(fd); err = "cannot connect to " + base; return std::nullopt; }
    const std::string req = std::string("GET ") + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) { close(fd); err = "cannot send to " + base; return std::nullopt; }
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
        resp.append(buf, static_cast<std::size_t>(n));
        if (resp.size() > llamaplan::logs::max_scrape_bytes + 4096) break;
    }
    close(fd);
    const auto body = resp.find("\r\n\r\n");
    if (resp.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) { err = base + path + ": no HTTP response"; return std::nullopt; }
    if (resp.compare(9, 3, "200") != 0) { err = base + path + ": " + resp.substr(9, resp.find('\r') - 9); return std::nullopt; }
    return resp.substr(body + 4);
#else
    (void)base;
    (void)path;
    err = "reading a live server is not supported on this platform: save /metrics and /slots and pass the files";
    return std::nullopt;
#endif
}

}  // namespace

int cmd_tune(int argc, char** argv) {
    std::string server, metrics_file, slots_file;
    llamaplan::tune_targets targets;
    std::vector<std::string_view> server_argv;
    cli::machine_options machine_opts(/*probe_by_default=*/true);
    bool after_dashes = false;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (after_dashes) { server_argv.push_back(a); continue; }
        if (a == "-h" || a == "--help") return tune_usage(stdout);
        if (a == "--") { after_dashes = true; continue; }
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--server" || a == "--metrics" || a == "--slots") {
            const char* v = value();
            if (!v) return cli::fail("tune: " + std::string(a) + " needs a value");
            (a == "--server" ? server : a == "--metrics" ? metrics_file : slots_file) = v;
            continue;
        }
        if (a == "--min-tps" || a == "--max-ms" || a == "--memory-threshold") {
            const char* v = value();
            char* end = nullptr;
            const double x = v ? std::strtod(v, &end) : -1;
            if (!v || end == v || *end != '\0' || !(x > 0) || x > 1e9 || (a == "--memory-threshold" && x > 1))
                return cli::fail("tune: " + std::string(a) + " needs a positive number");
            (a == "--min-tps" ? targets.min_decode_tps : a == "--max-ms" ? targets.max_ms_per_token : targets.memory_threshold) = x;
            continue;
        }
        std::string err;
        const int took = machine_opts.consume(argc, argv, i, err);
        if (took < 0) return cli::fail("tune: " + err);
        if (took > 0) continue;
        return cli::fail("tune: unknown option '" + std::string(a) + "' (the running command goes after '--')");
    }
    if (server.empty() && metrics_file.empty()) return tune_usage(stderr);
    if (server_argv.empty()) return cli::fail("tune: give the running command after '--': -- llama-server -m MODEL.gguf ...");

    // ---- the observation ----
    llamaplan::observation obs;
    std::string err;
    std::optional<std::string> metrics_text, slots_text;
    if (!server.empty()) {
        metrics_text = http_get_local(server, "/metrics", err);
        if (!metrics_text) return cli::fail("tune: " + err + " (is llama-server running with --metrics?)");
        slots_text = http_get_local(server, "/slots", err);  // optional: --no-slots servers refuse it
    } else {
        metrics_text = llamaplan::probe::read_file(metrics_file, llamaplan::logs::max_scrape_bytes + 1);
        if (!metrics_text) { std::fprintf(stderr, "llamaplan: %s: cannot read the file\n", metrics_file.c_str()); return 1; }
        if (!slots_file.empty()) {
            slots_text = llamaplan::probe::read_file(slots_file, llamaplan::logs::max_scrape_bytes + 1);
            if (!slots_text) { std::fprintf(stderr, "llamaplan: %s: cannot read the file\n", slots_file.c_str()); return 1; }
        }
    }
    if (auto ok = llamaplan::logs::read_metrics(*metrics_text, obs); !ok) return cli::fail("tune: /metrics: " + std::string(ok.error().what));
    if (slots_text)
        if (auto ok = llamaplan::logs::read_slots(*slots_text, obs); !ok) return cli::fail("tune: /slots: " + std::string(ok.error().what));

    // ---- the running plan: its flags, memory and predicted speed ----
    auto args = llamaplan::parse_server_args(server_argv);
    if (!args) return cli::fail("tune: " + std::string(args.error().what));
    const auto& p = args->params;
    llamaplan::running_plan plan;
    plan.n_slots = p.n_seq_max;
    plan.type_k = p.type_k;
    plan.type_v = p.type_v;
    plan.n_ubatch = p.n_ubatch;
    if (!args->model.empty()) {
        llamaplan::gguf::file_error fe;
        auto mf = cli::load_model_arg(args->model, fe);
        if (!mf) return cli::fail(fe.path + ": " + cli::describe(mf.error()));
        llamaplan::machine hw;
        if (!machine_opts.build(hw, err)) return cli::fail("tune: " + err);
        auto est = llamaplan::estimate_memory(mf->view(), hw, p, machine_opts.overhead);
        if (!est) return cli::fail("tune: " + cli::describe(est.error()));
        plan.n_ctx_slot = est->n_ctx_seq;
        // the fullest device against its free memory (the host against its available RAM)
        for (const auto& d : est->devices) {
            const std::uint64_t budget = d.device == llamaplan::host_device ? hw.host.memory_available
                                                                            : hw.devices[static_cast<std::size_t>(d.device)].memory_free;
            if (budget && (plan.memory_budget == 0 || d.total() * plan.memory_budget > plan.memory_planned * budget)) {
                plan.memory_planned = d.total();
                plan.memory_budget = budget;
            }
        }
        if (auto in = llamaplan::make_perf_inputs(mf->view(), hw, p, *est)) {
            in->threads = machine_opts.threads();
            plan.predicted_decode_tps = llamaplan::predict_throughput(hw, *in, llamaplan::workload{}).decode_tps;
        }
    }

    std::printf("observed: %.1f tokens/s generating, %.1f prompt; longest sequence %u of %u tokens per slot; %u/%u slots busy, %u waiting\n",
                obs.decode_tps, obs.prompt_tps, obs.n_tokens_max, obs.n_ctx_slot ? obs.n_ctx_slot : plan.n_ctx_slot,
                obs.has_slots ? obs.busy_slots : obs.requests_processing, obs.has_slots ? obs.n_slots : plan.n_slots,
                obs.requests_deferred);
    if (plan.predicted_decode_tps > 0) std::printf("planned:  %.1f tokens/s generating (one request)\n", plan.predicted_decode_tps);
    const auto steps = llamaplan::recommend(plan, obs, targets);
    if (steps.empty()) {
        std::printf("no change recommended\n");
        return 0;
    }
    // the re-planned command line: the running one with the changed flags
    std::vector<std::string> out(server_argv.begin(), server_argv.end());
    auto set_flag = [&](std::initializer_list<std::string_view> names, const std::string& v) {
        for (std::size_t i = 0; i + 1 < out.size(); ++i)
            for (auto n : names)
                if (out[i] == n) { out[i + 1] = v; return; }
        out.push_back(std::string(*names.begin()));
        out.push_back(v);
    };
    for (const auto& s : steps) {
        std::printf("%s -> %u: %s\n", std::string(llamaplan::to_string(s.action)).c_str(), s.value, std::string(s.reason).c_str());
        switch (s.action) {
            case llamaplan::tune_action::more_slots:
            case llamaplan::tune_action::fewer_slots:
                set_flag({"-np", "--parallel"}, std::to_string(s.value));
                set_flag({"-c", "--ctx-size"}, std::to_string(static_cast<std::uint64_t>(s.value) * plan.n_ctx_slot));
                break;
            case llamaplan::tune_action::larger_context:
            case llamaplan::tune_action::smaller_context:
                set_flag({"-c", "--ctx-size"}, std::to_string(static_cast<std::uint64_t>(s.value) * (obs.n_slots ? obs.n_slots : plan.n_slots)));
                break;
            case llamaplan::tune_action::quantize_kv:
                set_flag({"-ctk", "--cache-type-k"}, "q8_0");
                set_flag({"-ctv", "--cache-type-v"}, "q8_0");
                set_flag({"-fa", "--flash-attn"}, "on");
                break;
            case llamaplan::tune_action::smaller_ubatch: set_flag({"-ub", "--ubatch-size"}, std::to_string(s.value)); break;
        }
    }
    std::printf("\n");
    for (std::size_t i = 0; i < out.size(); ++i) std::printf("%s%s", i ? " " : "", out[i].c_str());
    std::printf("\n");
    return 0;
}

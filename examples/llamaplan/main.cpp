// llamaplan: plan llama.cpp launch settings from a GGUF file's metadata.
#include "commands.hpp"

#include <llamaplan/config.hpp>

#include <cstdio>
#include <cstring>

namespace {
void usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  plan [MODEL.gguf] [FLAGS]          the best llama-server settings for this machine and a goal\n"
        "  swap CONFIG.yaml                   re-plan every model of a llama-swap config (only planning flags change)\n"
        "  overrides MODEL.gguf               a -ot parameter file and a per-tensor analysis (MoE expert offload)\n"
        "  inspect MODEL.gguf [--json]        architecture, hyper-parameters and tensors by role, layer and type\n"
        "  estimate MODEL.gguf [FLAGS]        the buffers llama.cpp allocates, from llama-server's own flags\n"
        "  specs [--json] [--save FILE]       the GPUs, CPU and memory this machine has\n"
        "  specs --rpc HOST:PORT[,...]        the devices llama.cpp rpc-server workers report\n"
        "  demo                               inspect and estimate a built-in model on built-in machines\n"
        "  catalog [--json]                   models that can be planned by NAME:QUANT before downloading\n"
        "  calibrate LOG [-m MODEL]           predicted vs logged buffers of a real run; learn into a machine file\n"
        "  tune --server URL -- llama-server  adjustments from a running server's /metrics and /slots\n"
        "  version                            print the version\n"
        "\n"
        "Run 'llamaplan COMMAND --help' for a command's options.\n",
        out);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char* cmd = argv[1];
    if (!std::strcmp(cmd, "plan")) return cmd_plan(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "swap")) return cmd_swap(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "overrides")) return cmd_overrides(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "inspect")) return cmd_inspect(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "estimate")) return cmd_estimate(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "specs")) return cmd_specs(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "demo")) return cmd_demo(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "catalog")) return cmd_catalog(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "calibrate")) return cmd_calibrate(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "tune")) return cmd_tune(argc - 2, argv + 2);
    if (!std::strcmp(cmd, "version") || !std::strcmp(cmd, "--version")) {
        std::printf("llamaplan %s\n", LLAMAPLAN_VERSION_STRING);
        return 0;
    }
    if (!std::strcmp(cmd, "help") || !std::strcmp(cmd, "--help") || !std::strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    std::fprintf(stderr, "llamaplan: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

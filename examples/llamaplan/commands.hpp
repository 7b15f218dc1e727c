// The subcommands of the llamaplan command-line tool; each takes the arguments after its own name.
#ifndef LLAMAPLAN_EXAMPLES_COMMANDS_HPP
#define LLAMAPLAN_EXAMPLES_COMMANDS_HPP

int cmd_inspect(int argc, char** argv);   // llamaplan inspect MODEL.gguf [--json]
int cmd_estimate(int argc, char** argv);  // llamaplan estimate MODEL.gguf [llama-server flags] [--json]
int cmd_specs(int argc, char** argv);     // llamaplan specs [--json] [--save FILE] [--root DIR] | --rpc LIST
int cmd_demo(int argc, char** argv);      // llamaplan demo: the built-in model and machine
int cmd_plan(int argc, char** argv);      // llamaplan plan [MODEL.gguf] [llama-server flags] [--preset NAME] [--json]
int cmd_swap(int argc, char** argv);      // llamaplan swap CONFIG.yaml: re-plan a llama-swap config in place
int cmd_overrides(int argc, char** argv); // llamaplan overrides MODEL: -ot file and tensor analysis
int cmd_catalog(int argc, char** argv);
int cmd_calibrate(int argc, char** argv);
int cmd_tune(int argc, char** argv);       // llamaplan tune: adjustments from a running server's /metrics and /slots  // llamaplan calibrate LOG: predicted vs logged, learn into a machine file   // llamaplan catalog [--json]: models plannable by NAME:QUANT

#endif  // LLAMAPLAN_EXAMPLES_COMMANDS_HPP

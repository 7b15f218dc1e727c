// SPDX-License-Identifier: MIT
// The llama-swap adapter: read a llama-swap config, find each model's llama-server argv and GGUF, list which models
// run side by side, rewrite the planning flags of a `cmd` in place, show the change as a diff, write it atomically.
// See adapters/llama_swap/README.md.
#ifndef LLAMAPLAN_LLAMA_SWAP_HPP
#define LLAMAPLAN_LLAMA_SWAP_HPP

#include <llamaplan/llama_swap/command.hpp>
#include <llamaplan/llama_swap/config.hpp>
#include <llamaplan/llama_swap/diff.hpp>
#include <llamaplan/llama_swap/flags.hpp>
#include <llamaplan/llama_swap/io.hpp>
#include <llamaplan/llama_swap/rewrite.hpp>
#include <llamaplan/llama_swap/yaml.hpp>

#endif  // LLAMAPLAN_LLAMA_SWAP_HPP

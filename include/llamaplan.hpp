// SPDX-License-Identifier: MIT
// llamaplan: the whole pure core. Adapters (GGUF, probing, llama-swap) are separate headers under adapters/.
// config.hpp comes before this header's guard: its version check must run even when another copy of llamaplan (of
// another version, with the same guards) was included first.
#include <llamaplan/config.hpp>

#ifndef LLAMAPLAN_HPP
#define LLAMAPLAN_HPP

#include <llamaplan/result.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/validate.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/summary.hpp>
#include <llamaplan/placement.hpp>
#include <llamaplan/compute.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/server_args.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/catalog.hpp>
#include <llamaplan/perf.hpp>
#include <llamaplan/presets.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/tune.hpp>
#include <llamaplan/llama_cpp_version.hpp>
#include <llamaplan/emit.hpp>

#endif  // LLAMAPLAN_HPP

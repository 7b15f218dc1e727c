// llamaplan: plan llama.cpp launch settings from metadata alone.
// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_CONFIG_HPP
#define LLAMAPLAN_CONFIG_HPP

/// Version of the library, also in the top-level VERSION file (a test checks that they agree).
#define LLAMAPLAN_VERSION_MAJOR 0
#define LLAMAPLAN_VERSION_MINOR 1
#define LLAMAPLAN_VERSION_PATCH 0
/// MAJOR * 10000 + MINOR * 100 + PATCH.
#define LLAMAPLAN_VERSION (LLAMAPLAN_VERSION_MAJOR * 10000 + LLAMAPLAN_VERSION_MINOR * 100 + LLAMAPLAN_VERSION_PATCH)
#define LLAMAPLAN_VERSION_STRING "0.1.0"

// Users may inject their own configuration (magic_enum's pattern).
#ifdef LLAMAPLAN_CONFIG_FILE
#include LLAMAPLAN_CONFIG_FILE
#endif

// Two different llamaplan versions in one translation unit would break the one-definition rule.
#if !defined(LLAMAPLAN_SKIP_VERSION_CHECK) && defined(LLAMAPLAN_SEEN_VERSION) && \
    LLAMAPLAN_SEEN_VERSION != LLAMAPLAN_VERSION
#error "two different versions of llamaplan are included; define LLAMAPLAN_SKIP_VERSION_CHECK to silence this"
#endif
#ifndef LLAMAPLAN_SEEN_VERSION
#define LLAMAPLAN_SEEN_VERSION LLAMAPLAN_VERSION
#endif

/// 1 when the translation unit is compiled with exceptions (fmt's detection); overridable.
#ifndef LLAMAPLAN_HAS_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || (defined(_MSC_VER) && defined(_CPPUNWIND))
#define LLAMAPLAN_HAS_EXCEPTIONS 1
#else
#define LLAMAPLAN_HAS_EXCEPTIONS 0
#endif
#endif

/// Maximum transformer blocks a model may have (fixed capacity keeps plans constexpr).
#ifndef LLAMAPLAN_MAX_LAYERS
#define LLAMAPLAN_MAX_LAYERS 512
#endif
/// Maximum devices (GPUs plus the host) in one machine description.
#ifndef LLAMAPLAN_MAX_DEVICES
#define LLAMAPLAN_MAX_DEVICES 16
#endif
/// Maximum `-ot` tensor-override rules in one setting.
#ifndef LLAMAPLAN_MAX_OVERRIDES
#define LLAMAPLAN_MAX_OVERRIDES 32
#endif

/// Maximum tensors that `-ot` rules place apart from the rest of their block part (see placement.hpp).
#ifndef LLAMAPLAN_MAX_EXCEPTIONS
#define LLAMAPLAN_MAX_EXCEPTIONS 1024
#endif

#endif  // LLAMAPLAN_CONFIG_HPP

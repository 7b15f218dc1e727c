// llamaplan: plan llama.cpp launch settings from metadata alone.
// SPDX-License-Identifier: MIT

// Two different llamaplan versions in one translation unit would break the one-definition rule. The check sits
// outside the include guard, so a second copy of this header from another version (same guard, so its body is
// skipped) still compares its own version with the one already seen. Keep the literal equal to LLAMAPLAN_VERSION
// below (tests/static/abi_check.py checks both).
#if !defined(LLAMAPLAN_SKIP_VERSION_CHECK) && defined(LLAMAPLAN_VERSION) && LLAMAPLAN_VERSION != 100
#error "two different versions of llamaplan are included; define LLAMAPLAN_SKIP_VERSION_CHECK to silence this"
#endif

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

// The capacities are part of every type's layout, so they are part of the ABI: everything is declared in an inline
// namespace named after the version and the capacities (fmt's ABI-tagged inline namespace). Two translation units
// built with different LLAMAPLAN_MAX_* then mangle to different names and fail to link instead of silently violating
// the one-definition rule. Each capacity must be a plain decimal literal (it is pasted into the name).
#define LLAMAPLAN_ABI_TAG_PASTE(ma, mi, pa, l, d, o, e) abi_v##ma##_##mi##_##pa##_l##l##_d##d##_o##o##_e##e
#define LLAMAPLAN_ABI_TAG_EXPAND(...) LLAMAPLAN_ABI_TAG_PASTE(__VA_ARGS__)
/// The inline namespace every declaration lives in (llamaplan::LLAMAPLAN_ABI_TAG::...); users name llamaplan:: only.
#define LLAMAPLAN_ABI_TAG                                                                                            \
    LLAMAPLAN_ABI_TAG_EXPAND(LLAMAPLAN_VERSION_MAJOR, LLAMAPLAN_VERSION_MINOR, LLAMAPLAN_VERSION_PATCH,              \
                             LLAMAPLAN_MAX_LAYERS, LLAMAPLAN_MAX_DEVICES, LLAMAPLAN_MAX_OVERRIDES,                  \
                             LLAMAPLAN_MAX_EXCEPTIONS)

static_assert(LLAMAPLAN_MAX_LAYERS >= 1 && LLAMAPLAN_MAX_DEVICES >= 2 && LLAMAPLAN_MAX_OVERRIDES >= 1 &&
                  LLAMAPLAN_MAX_EXCEPTIONS >= 1,
              "llamaplan: a capacity macro is out of range");

#endif  // LLAMAPLAN_CONFIG_HPP

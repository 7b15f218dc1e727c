// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_ALLOCATOR_HPP
#define LLAMAPLAN_COMPUTE_ALLOCATOR_HPP

#include <llamaplan/config.hpp>

// The replay of ggml's graph allocator (ggml/src/ggml-alloc.c) that every compute graph in compute/ runs its node
// sequence through: ggml_dyn_tallocr (best-fit free blocks) and ggml_gallocr's reference counting and in-place reuse.

#include <array>
#include <cstddef>
#include <cstdint>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// ggml-impl.h TENSOR_ALIGNMENT, returned by ggml-backend.cpp ggml_backend_cpu_buffer_type_get_alignment.
inline constexpr std::uint64_t cpu_alignment = 32;
/// ggml-alloc.c MAX_FREE_BLOCKS.
inline constexpr int max_free_blocks = 256;
/// Tensors alive at once in this simulation (inputs + one block's intermediates). Running out sets `ok = false`,
/// which compute_buffer_cpu_breakdown reports as compute_status::capacity_exceeded and estimate_memory as an error.
inline constexpr int max_live = 96;

[[nodiscard]] constexpr std::uint64_t align_up(std::uint64_t n, std::uint64_t a) noexcept { return (n + a - 1) / a * a; }

/// ggml-alloc.c ggml_dyn_tallocr with a single chunk (the CPU buffer has no maximum size): best fit among the
/// free blocks except the last, else the last block (which grows the buffer); frees merge with neighbours.
struct dyn_allocator {
    struct block {
        std::uint64_t offset = 0;
        std::uint64_t size = 0;
    };
    std::array<block, max_free_blocks> blocks{};
    int n = 1;
    std::uint64_t max_size = 0;
    bool ok = true;

    constexpr dyn_allocator() noexcept { blocks[0] = {0, std::uint64_t(1) << 62}; }

    constexpr void remove(int i) noexcept {
        for (int j = i; j < n - 1; ++j) blocks[j] = blocks[j + 1];
        --n;
    }
    // ggml_dyn_tallocr_alloc
    constexpr std::uint64_t alloc(std::uint64_t size) noexcept {
        size = align_up(size, cpu_alignment);
        int best = -1;
        std::uint64_t best_size = ~std::uint64_t(0);
        for (int i = 0; i < n - 1; ++i)
            if (blocks[i].size >= size && blocks[i].size <= best_size) {
                best = i;
                best_size = blocks[i].size;
            }
        if (best == -1) best = n - 1;
        const std::uint64_t off = blocks[best].offset;
        blocks[best].offset += size;
        blocks[best].size -= size;
        if (blocks[best].size == 0) remove(best);
        if (off + size > max_size) max_size = off + size;
        return off;
    }
    // ggml_dyn_tallocr_free_bytes
    constexpr void free(std::uint64_t off, std::uint64_t size) noexcept {
        size = align_up(size, cpu_alignment);
        for (int i = 0; i < n; ++i) {
            block& b = blocks[i];
            if (b.offset + b.size == off) {
                b.size += size;
                if (i < n - 1 && b.offset + b.size == blocks[i + 1].offset) {
                    b.size += blocks[i + 1].size;
                    remove(i + 1);
                }
                return;
            }
            if (off + size == b.offset) {
                b.offset = off;
                b.size += size;
                if (i > 0 && blocks[i - 1].offset + blocks[i - 1].size == b.offset) {
                    blocks[i - 1].size += b.size;
                    remove(i);
                }
                return;
            }
        }
        if (n >= max_free_blocks) {
            ok = false;
            return;
        }
        int pos = 0;
        while (pos < n && blocks[pos].offset < off) ++pos;
        for (int j = n; j > pos; --j) blocks[j] = blocks[j - 1];
        blocks[pos] = {off, size};
        ++n;
    }
};

/// The graph allocator's view of the tensors: each has a size and a count of consumers still to run ("refs",
/// ggml-alloc.c hash_node n_children, with uses through a view counted on the viewed tensor). A tensor is freed
/// when its last consumer has run (ggml_gallocr_alloc_graph_impl "update parents"); an in-place op
/// (ggml_op_can_inplace: add, mul, scale, unary, rope, rms_norm, soft_max, ...) takes over a parent of the same
/// layout whose only remaining consumer it is and which is not a view (ggml_gallocr_allocate_node). Callers pass
/// `inplace` only where src[0] is such a non-view parent.
struct graph_sim {
    struct tensor {
        std::uint64_t offset = 0;
        std::uint64_t size = 0;
        std::uint32_t refs = 0;
        bool live = false;
        bool output = false;  // GGML_TENSOR_FLAG_OUTPUT: never freed nor reused
    };
    dyn_allocator a{};
    std::array<tensor, max_live> t{};
    bool ok = true;
    int lowest_free = 0;  // no slot below this one is free (slot() scans from here)

    constexpr int slot() noexcept {
        for (int i = lowest_free; i < max_live; ++i)
            if (!t[i].live) {
                lowest_free = i + 1;
                return i;
            }
        ok = false;
        return max_live - 1;
    }
    /// A graph input or a node that cannot reuse a parent: fresh memory.
    constexpr int fresh(std::uint64_t size, std::uint32_t refs) noexcept {
        const int i = slot();
        t[i] = {a.alloc(size), size, refs, true, false};
        return i;
    }
    /// One use of `i` has run; frees it after its last use.
    constexpr void release(int i) noexcept {
        if (i < 0 || !t[i].live) return;
        if (t[i].refs > 0) --t[i].refs;
        if (t[i].refs == 0 && !t[i].output) {
            a.free(t[i].offset, t[i].size);
            t[i].live = false;
            if (i < lowest_free) lowest_free = i;
        }
    }
    /// A node of `size` bytes with `refs` consumers, reading tensors `srcs` (-1 = weights/KV, not ours).
    /// `inplace`: the op may reuse srcs[0] when it has the same layout (same size here).
    template <std::size_t N>
    constexpr int node(std::uint64_t size, std::uint32_t refs, const int (&srcs)[N], bool inplace = false) noexcept {
        return node_any(size, refs, srcs, inplace ? 1u : 0u);  // in place: only src[0] may pass its memory on
    }
    /// `n` in-place ops on `acc` that each read `src` once (the adds summing MoE expert rows): the allocator ends in
    /// the same state as after n calls of node(size of acc, 1, {acc, src}, true), in O(1) rather than O(n) when
    /// every step can reuse acc (then each step only drops one use of src), so the work does not grow with
    /// n_expert_used.
    constexpr int inplace_chain(int acc, int src, std::uint64_t n) noexcept {
        if (n == 0 || acc < 0 || src < 0) return acc;
        const std::uint64_t size = t[acc].size;
        if (t[acc].live && !t[acc].output && t[acc].refs == 1 && src != acc && t[src].refs >= n) {
            t[src].refs -= static_cast<std::uint32_t>(n - 1);
            return node(size, 1, {acc, src}, true);
        }
        for (std::uint64_t e = 0; e < n; ++e) acc = node(size, 1, {acc, src}, true);
        return acc;
    }
    /// True if this state equals `o` except for the use counts of `inputs` (graph inputs every block reads once or
    /// more). Taken at the start of two consecutive blocks of the same shape, equality means every further block of
    /// that shape ends where it started: the allocator is a function of this state and the block's nodes, and the
    /// inputs' counts only matter when they reach zero, after the last block that reads them.
    template <std::size_t N>
    [[nodiscard]] constexpr bool same_but_uses(const graph_sim& o, const int (&inputs)[N]) const noexcept {
        if (!ok || !o.ok || !a.ok || !o.a.ok || a.n != o.a.n || a.max_size != o.a.max_size) return false;
        for (int i = 0; i < a.n; ++i)
            if (a.blocks[i].offset != o.a.blocks[i].offset || a.blocks[i].size != o.a.blocks[i].size) return false;
        for (int i = 0; i < max_live; ++i) {
            const tensor& x = t[i];
            const tensor& y = o.t[i];
            if (x.live != y.live) return false;
            if (!x.live) continue;
            bool input = false;
            for (const int k : inputs) input = input || k == i;
            if (x.offset != y.offset || x.size != y.size || x.output != y.output || (!input && x.refs != y.refs)) return false;
        }
        return true;
    }
    /// Skips `n` more blocks like the one run since `before` was taken: each of `inputs` loses the uses that block
    /// made of it, n times over (the rest of the state is the same after each such block, see same_but_uses).
    template <std::size_t N>
    constexpr void skip_blocks(const graph_sim& before, const int (&inputs)[N], std::uint32_t n) noexcept {
        for (const int i : inputs)
            if (i >= 0) t[i].refs -= (before.t[i].refs - t[i].refs) * n;
    }
    /// Like node(), but an in-place op may take over any source whose bit is set in `direct` (ggml_gallocr_allocate_node
    /// walks src[0], src[1], ... and takes the first own, non-view parent of the same layout with one consumer left).
    template <std::size_t N>
    constexpr int node_any(std::uint64_t size, std::uint32_t refs, const int (&srcs)[N], unsigned direct) noexcept {
        int out = -1;
        for (std::size_t k = 0; k < N && out < 0; ++k) {
            const int p = srcs[k];
            if ((direct >> k & 1u) && p >= 0 && t[p].live && !t[p].output && t[p].refs == 1 && t[p].size == size) {
                t[p].refs = refs;
                out = p;
            }
        }
        if (out < 0) out = fresh(size, refs);
        for (std::size_t k = 0; k < N; ++k)
            if (srcs[k] != out) release(srcs[k]);
        return out;
    }
};

/// Replays a run of alike blocks only until the allocator reaches a steady state. Blocks `from` to `last - 1` have the
/// same shape (the caller checks the per-layer parameters); at the start of each, at(...) compares the state with the
/// one at the start of the block before (graph_sim::same_but_uses, the use counts of `inputs` aside). When they are
/// equal every further block of the run ends where it starts -- as long as no input is read for the last time, which
/// frees it -- so the blocks up to the first that could free an input (or to `last`) are skipped, their uses of the
/// inputs counted (graph_sim::skip_blocks), and the replay goes on from there. The figures are those of a full replay.
struct block_skipper {
    std::uint32_t from = 0;  ///< first block of the run
    std::uint32_t last = 0;  ///< the block after the run (replayed)
    graph_sim before{};      ///< the state at the start of the previous block of the run
    int before_x = -1;       ///< the block input (residual) then

    /// The block to replay next: `il`, or the block after those skipped. `x` is the block's input (the residual).
    template <std::size_t N>
    constexpr std::uint32_t at(graph_sim& g, std::uint32_t il, int x, const int (&inputs)[N]) noexcept {
        if (il < from || il >= last) return il;
        if (il > from && x == before_x && g.same_but_uses(before, inputs)) {
            std::uint32_t n = last - il;
            for (const int i : inputs) {  // keep every input alive: its last read must be replayed
                const std::uint32_t used = i >= 0 ? before.t[i].refs - g.t[i].refs : 0;
                if (used > 0 && (g.t[i].refs - 1) / used < n) n = (g.t[i].refs - 1) / used;
            }
            g.skip_blocks(before, inputs, n);
            from = last;  // replay the rest
            return il + n;
        }
        before = g;
        before_x = x;
        return il;
    }
};

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_ALLOCATOR_HPP

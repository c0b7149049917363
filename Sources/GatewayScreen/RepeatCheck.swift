import Foundation
import GatewayCore

/// Whether a record repeats an earlier one of the same file: the first with its key, an identical repeat (same
/// fingerprint), or a conflicting one (same key, other values). One check for households, partner records and
/// screened rows.
///
/// Keys are 64-bit digests (a business key's `KeyDigest`, a household key's hash), which are already spread: an
/// open-addressing table takes them as they are, each slot holding a key beside its first fingerprint, so that a
/// check reads one cache line. At most half the slots are used; a million keys take 32 MB, in huge pages where the
/// system gives them (a key lands anywhere in the table: with small pages, nearly every check would also miss the
/// address translation cache).
package final class RepeatCheck {
    /// Key, fingerprint, key, fingerprint…; key 0 marks an empty slot.
    private var slots: UnsafeMutablePointer<UInt64>
    private var memory: SlotMemory
    private var capacity: Int
    /// 64 minus the capacity's bits: a key's first slot is its top bits once multiplied.
    private var shift: UInt64
    private var count = 0
    /// The fingerprint of key 0, which no slot can hold.
    private var zeroKey: UInt64?

    /// Room for `expected` keys at once.
    package init(expected: Int = 0) {
        var bits: UInt64 = 4
        while 1 << bits < 2 * expected { bits += 1 }
        capacity = 1 << bits
        shift = 64 - bits
        memory = SlotMemory(words: 2 * capacity)
        slots = memory.words
    }

    /// A household by its key, its whole content as the fingerprint.
    package func check(_ household: Household) -> Repeat {
        check(
            UInt64(bitPattern: Int64(household.key.hashValue)),
            fingerprint: UInt64(bitPattern: Int64(household.hashValue)))
    }

    package func check(_ key: UInt64, fingerprint: UInt64) -> Repeat {
        guard key != 0 else {
            guard let earlier = zeroKey else {
                zeroKey = fingerprint
                return .first
            }
            return earlier == fingerprint ? .identical : .conflicting
        }
        var index = home(key)
        while true {
            let stored = slots[2 * index]
            if stored == key { return slots[2 * index + 1] == fingerprint ? .identical : .conflicting }
            if stored == 0 {
                slots[2 * index] = key
                slots[2 * index + 1] = fingerprint
                count += 1
                if 2 * count > capacity { grow() }
                return .first
            }
            index = (index + 1) & (capacity - 1)
        }
    }

    /// The slot where `key` is looked for first: the top bits of the key once multiplied.
    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// Twice the slots, every key placed again.
    private func grow() {
        let old = (slots: slots, capacity: capacity, memory: memory)
        capacity *= 2
        shift -= 1
        memory = SlotMemory(words: 2 * capacity)
        slots = memory.words
        for index in 0..<old.capacity where old.slots[2 * index] != 0 {
            let key = old.slots[2 * index]
            var slot = home(key)
            while slots[2 * slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[2 * slot] = key
            slots[2 * slot + 1] = old.slots[2 * index + 1]
        }
        withExtendedLifetime(old.memory) {}
    }
}

/// Zeroed words for `RepeatCheck`: from 2 MB on, mapped on their own and aligned on 2 MB, with the system asked for
/// huge pages; smaller, allocated as usual.
private final class SlotMemory {
    let words: UnsafeMutablePointer<UInt64>
    /// The mapping to unmap, when mapped.
    private let mapping: (base: UnsafeMutableRawPointer, size: Int)?
    private static let hugePage = 2 << 20

    init(words count: Int) {
        let size = count * MemoryLayout<UInt64>.stride
        if size >= Self.hugePage,
            let base = mmap(nil, size + Self.hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        {
            let aligned = (Int(bitPattern: base) + Self.hugePage - 1) & ~(Self.hugePage - 1)
            let start = UnsafeMutableRawPointer(bitPattern: aligned)!
            // Only advice: without huge pages the table works the same, more slowly.
            _ = madvise(start, size, Int32(MADV_HUGEPAGE))
            mapping = (base, size + Self.hugePage)
            words = start.bindMemory(to: UInt64.self, capacity: count)
        } else {
            mapping = nil
            words = .allocate(capacity: count)
            words.initialize(repeating: 0, count: count)
        }
    }

    deinit {
        if let mapping {
            munmap(mapping.base, mapping.size)
        } else {
            words.deallocate()
        }
    }
}

/// What `RepeatCheck` finds.
package enum Repeat { case first, identical, conflicting }

/// The repeat check (`RepeatCheck`) split by business-key digest, so that each thread checks the keys of its own
/// shard, in file order, at the same time as the others. A shard is used by one thread at a time.
// @unchecked: its tables are not Sendable; each shard's is used by one thread at a time (`ScreenedRows`' join).
package final class RepeatShards: @unchecked Sendable {
    package let count: Int
    private let shards: [RepeatCheck]
    /// `count - 1` when `count` is a power of two.
    private let mask: UInt64?

    package init(count: Int, expected: Int) {
        self.count = max(count, 1)
        mask = self.count & (self.count - 1) == 0 ? UInt64(self.count - 1) : nil
        shards = (0..<self.count).map { _ in RepeatCheck(expected: expected / max(count, 1)) }
    }

    /// The shard of `key`: `key % count`, taken by a mask when `count` is a power of two (no division at every row).
    @inline(__always)
    func shard(of key: UInt64) -> Int { Int(truncatingIfNeeded: mask.map { key & $0 } ?? key % UInt64(count)) }

    /// The table of shard `index`, for a thread that checks many keys of it.
    func table(_ index: Int) -> RepeatCheck { shards[index] }

    package func check(_ key: UInt64, fingerprint: UInt64) -> Repeat {
        shards[shard(of: key)].check(key, fingerprint: fingerprint)
    }
}

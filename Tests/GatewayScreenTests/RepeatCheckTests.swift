import Testing

@testable import GatewayScreen

/// The repeat check's table against a dictionary: the same answer for every key, through its growth, with keys that
/// share their first slot and the key 0 that no slot can hold.
@Suite struct RepeatCheckTests {
    @Test(arguments: [0, 100_000]) func agreesWithADictionary(expected: Int) {
        let check = RepeatCheck(expected: expected)
        var model: [UInt64: UInt64] = [:]
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        var keys: [UInt64] = [0]
        // Keys equal in their top bits land in the same first slot.
        for index in 0..<64 { keys.append(0xABCD_0000_0000_0000 | UInt64(index)) }
        for _ in 0..<60_000 { keys.append(next()) }
        for round in 0..<150_000 {
            let key = keys[Int(next() % UInt64(keys.count))]
            // Few fingerprints per key: repeats and conflicts both happen.
            let fingerprint = next() % 3
            let expectedAnswer: Repeat
            if let earlier = model[key] {
                expectedAnswer = earlier == fingerprint ? .identical : .conflicting
            } else {
                model[key] = fingerprint
                expectedAnswer = .first
            }
            #expect(check.check(key, fingerprint: fingerprint) == expectedAnswer, "round \(round)")
        }
        #expect(model.count > 50_000)
    }
}

import Testing

@testable import GatewayCore

/// The digests `validate` keeps instead of records (`PartnerRecord.digests`): the business key's digest is the
/// record's and changes exactly when its key does, and the facts' digest changes exactly when the record (free texts aside) does.
@Suite struct RecordDigestTests {
    static func day(_ year: Int, _ month: Int, _ day: Int) -> CanonicalValue {
        .date(LocalDate(year: year, month: month, day: day)!)
    }

    static func index(_ name: String) -> Int { Enrolment.typedFields.firstIndex(of: name)! }

    /// The typed values of a valid France Travail radiation line, in `Enrolment.typedFields` order.
    static func values() throws -> [CanonicalValue?] {
        var values = [CanonicalValue?](repeating: nil, count: Enrolment.typedFields.count)
        values[index("person.nir")] = .nir(try NIR(validating: "2850567482999"))
        values[index("person.nirCheck")] = .nir(try NIR(validating: "2850567482999"))
        values[index("person.franceTravailID")] = .franceTravailID(try FranceTravailID(validating: "0999001N"))
        values[index("person.birthDate")] = day(1985, 5, 14)
        values[index("kind")] = .text("radiation")
        values[index("eventDate")] = day(2026, 9, 11)
        values[index("category")] = .integer(1)
        values[index("commune")] = .inseeCommune(try INSEECommune(validating: "67482"))
        return values
    }

    /// Other values for each typed field: valid or not, changing the record or not.
    static func alternatives() throws -> [String: [CanonicalValue?]] {
        [
            "person.nir": [
                nil, .nir(try NIR(validating: "2960267218031")), .nir(try NIR(validating: "285056748299981")),
            ],
            // The same NIR with its key: the record does not keep the repetition, so it does not change.
            "person.nirCheck": [nil, .nir(try NIR(validating: "285056748299981"))],
            "person.franceTravailID": [nil, .franceTravailID(try FranceTravailID(validating: "3310475C"))],
            "person.birthDate": [nil, day(1985, 5, 20), day(1986, 5, 14)],
            "person.organisme": [.text("CAF"), .text("MSA"), .text("XYZ")],
            "person.matricule": [.matricule(try Matricule(validating: "1234567"))],
            "person.role": [.text("DEM"), .text("CJT")],
            "kind": [nil, .text("cessation"), .text("inscription"), .text("stock")],
            "eventDate": [nil, day(2026, 9, 12)],
            "category": [nil, .integer(2)],
            "startDate": [day(2024, 1, 8), day(2027, 1, 1)],
            "cessationDate": [day(2026, 9, 1)],
            "radiationDate": [day(2026, 9, 11), day(2026, 9, 13)],
            "ppaeSignedOn": [day(2024, 2, 1)],
            "lastInterviewOn": [day(2026, 8, 1)],
            "rome": [.rome(try ROMECode(validating: "N4105"))],
            "commune": [nil, .inseeCommune(try INSEECommune(validating: "67437"))],
        ]
    }

    @Test func digestsChangeExactlyWhenTheRecordDoes() throws {
        let entity = Catalogue.enrolment.name
        let base = try Self.values()
        let baseRecord = try #require(PartnerRecord.assemble(entity: entity, base))
        let baseDigests = try #require(PartnerRecord.digests(entity: entity, base))
        let alternatives = try Self.alternatives()
        #expect(Set(alternatives.keys) == Set(Enrolment.typedFields))
        var same = 0
        var changed = 0
        var keyChanged = 0
        for (name, values) in alternatives {
            for value in values {
                var changedValues = base
                changedValues[Self.index(name)] = value
                let record = PartnerRecord.assemble(entity: entity, changedValues)
                let digests = PartnerRecord.digests(entity: entity, changedValues)
                #expect((record == nil) == (digests == nil), "\(name) = \(String(describing: value))")
                guard let record, let digests else { continue }
                #expect(digests.key == record.businessKeyDigest)
                #expect((digests.key == baseDigests.key) == (record.businessKey == baseRecord.businessKey))
                if record.businessKey != baseRecord.businessKey { keyChanged += 1 }
                #expect(
                    (record == baseRecord) == (digests.facts == baseDigests.facts),
                    "\(name) = \(String(describing: value))"
                )
                if record == baseRecord { same += 1 } else { changed += 1 }
            }
        }
        // Both sides of the equivalence were tried.
        #expect(same >= 3)
        #expect(changed >= 15)
        #expect(keyChanged >= 3)
    }
}

/// `Enrolment.Values` holds each typed field in a property of its type, by its index in `Enrolment.typedFields`:
/// every field must keep what it is given, in its own place (a reordered list of names would show here).
@Suite struct EnrolmentValuesTests {
    @Test func eachFieldKeepsItsValueInItsOwnPlace() throws {
        let alternatives = try RecordDigestTests.alternatives()
        let base = try RecordDigestTests.values()
        for (name, others) in alternatives {
            let index = RecordDigestTests.index(name)
            for other in others {
                var list = base
                list[index] = other
                let values = Enrolment.Values(list)
                // Organisme, role and kind are read from their text: one that is none of them is no value.
                let expected: CanonicalValue? =
                    switch (name, other) {
                    case ("person.organisme", .text("XYZ")): nil
                    default: other
                    }
                #expect(values.value(index) == expected, "\(name)")
                for position in Enrolment.typedFields.indices where position != index {
                    #expect(
                        values.value(position) == base[position], "\(name) changed \(Enrolment.typedFields[position])")
                }
                // Setting a value then taking it off leaves the field absent.
                var cleared = values
                cleared.set(index, nil)
                #expect(cleared.value(index) == nil, "\(name)")
            }
        }
        #expect(Enrolment.Values(base).value(Enrolment.typedFields.count) == nil)
    }
}

import Testing

@testable import GatewayCore

/// The digests `validate` keeps instead of records: the business key's digest equals the key's, and the values'
/// digest covers every stored value of an enrolment but its free texts.
@Suite struct RecordDigestTests {
    static func day(_ year: Int, _ month: Int, _ day: Int) -> LocalDate {
        LocalDate(year: year, month: month, day: day)!
    }

    static func enrolment(
        _ change: (inout Enrolment) -> Void = { _ in }
    ) throws -> Enrolment {
        var person = PersonIdentity(
            nir: try NIR(validating: "2850567482999"), surname: "MEYER", firstName: "Nathalie",
            birthDate: Self.day(1985, 5, 14))
        person.franceTravailID = try FranceTravailID(validating: "0999001N")
        var value = Enrolment(
            person: person, franceTravailID: try FranceTravailID(validating: "0999001N"), kind: .radiation,
            category: 1, startDate: Self.day(2024, 1, 8),
            radiationDate: Self.day(2026, 9, 11), radiationReason: "Défaut d'actualisation",
            commune: try INSEECommune(validating: "67482"), locality: "STRASBOURG", agency: "Strasbourg Esplanade")
        change(&value)
        return value
    }

    /// Stored properties, the person's as `person.…`.
    static func storedProperties(_ value: Enrolment) -> [String] {
        Mirror(reflecting: value).children.flatMap { child -> [String] in
            guard let label = child.label else { return [] }
            if label == "person" {
                return Mirror(reflecting: child.value).children.compactMap { $0.label.map { "person." + $0 } }
            }
            return [label]
        }
    }

    @Test func everyStoredPropertyIsDigestedOrText() throws {
        let stored = Self.storedProperties(try Self.enrolment())
        #expect(Set(stored) == Set(Enrolment.digestedProperties + Enrolment.textProperties))
        #expect(stored.count == Enrolment.digestedProperties.count + Enrolment.textProperties.count)
    }

    @Test func keyDigestIsTheKeysDigest() throws {
        for kind in EnrolmentKind.allCases {
            let record = PartnerRecord.enrolment(try Self.enrolment { $0.kind = kind })
            #expect(record.businessKeyDigest == KeyDigest.of(record.businessKey))
        }
        let undated = PartnerRecord.enrolment(
            try Self.enrolment {
                $0.startDate = nil
                $0.radiationDate = nil
            })
        #expect(undated.businessKeyDigest == KeyDigest.of(undated.businessKey))
    }

    @Test func valuesDigestChangesWithEachValueButTexts() throws {
        let base = try Self.enrolment().factsDigest
        let changes: [(String, (inout Enrolment) throws -> Void)] = [
            ("person.nir", { $0.person.nir = try NIR(validating: "2960267218031") }),
            ("person.franceTravailID", { $0.person.franceTravailID = nil }),
            ("person.organisme", { $0.person.organisme = .caf }),
            ("person.matricule", { $0.person.matricule = try Matricule(validating: "1234567") }),
            ("person.role", { $0.person.role = .applicant }),
            ("person.birthDate", { $0.person.birthDate = Self.day(1985, 5, 15) }),
            ("franceTravailID", { $0.franceTravailID = try FranceTravailID(validating: "0999001P") }),
            ("kind", { $0.kind = .cessation }),
            ("category", { $0.category = 2 }),
            ("startDate", { $0.startDate = nil }),
            ("cessationDate", { $0.cessationDate = Self.day(2026, 9, 1) }),
            ("radiationDate", { $0.radiationDate = Self.day(2026, 9, 12) }),
            ("ppaeSignedOn", { $0.ppaeSignedOn = Self.day(2024, 2, 1) }),
            ("lastInterviewOn", { $0.lastInterviewOn = Self.day(2026, 8, 1) }),
            ("rome", { $0.rome = try ROMECode(validating: "N4105") }),
            ("commune", { $0.commune = try INSEECommune(validating: "67437") }),
        ]
        #expect(changes.map(\.0) == Enrolment.digestedProperties)
        for (name, change) in changes {
            var changed = try Self.enrolment()
            try change(&changed)
            #expect(changed.factsDigest != base, "\(name)")
        }
        let texts = try Self.enrolment {
            $0.person.surname = "MEYER-ROTH"
            $0.person.firstName = nil
            $0.radiationReason = nil
            $0.adviser = "CPE 671-042"
            $0.locality = "ILLKIRCH"
            $0.agency = nil
            $0.cessationReason = "x"
        }
        #expect(texts.factsDigest == base)
    }
}

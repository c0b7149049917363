import Foundation
import GatewayCore
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// The matching cascade against the people of the September CNAF sample (households A–M, invented data).
@Suite("Identity matching: NIR → matricule and role → France Travail id → names and birth date")
struct IdentityMatchingTests {
    /// A store holding the September CAF sample.
    static func store(_ backend: Backend) throws -> GatewayStore {
        let store = try backend.store()
        let report = try FilePipeline(flow: try Repo.cafFlow(), logger: silentLogger)
            .importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        guard report.outcome == .applied else { throw TestFailure("September sample not applied") }
        return store
    }

    static func match(_ identity: PersonIdentity, in store: GatewayStore) throws -> IdentityMatch {
        var result = IdentityMatch.unmatched
        let arrival = FileArrival(
            partner: "test", flow: "test", name: "match", size: 0, sha256: UUID().uuidString)
        _ = try store.ledger.apply(arrival, referenceDate: nil) { session in result = try session.match(identity) }
        return result
    }

    static func nir(_ text: String) throws -> NIR { try NIR(validating: text) }

    @Test("Each level of the cascade finds the person it names", arguments: Backend.available)
    func levels(backend: Backend) throws {
        let store = try Self.store(backend)
        // A's applicant (François BŒUF): NIR, France Travail id 0457812K, CAF 2418736 DEM.
        guard
            case .matched(let byNIR, .nir) = try Self.match(
                PersonIdentity(nir: try Self.nir("1840367482123")), in: store)
        else { Issue.record("no NIR match"); return }
        let byFT = try Self.match(
            PersonIdentity(franceTravailID: try FranceTravailID(validating: "0457812K")), in: store)
        #expect(byFT == .matched(personID: byNIR, via: .franceTravail))
        // The 11-character form of the same job seeker matches on its first 8 characters.
        let byLongFT = try Self.match(
            PersonIdentity(franceTravailID: try FranceTravailID(validating: "0457812K001")), in: store)
        #expect(byLongFT == .matched(personID: byNIR, via: .franceTravail))
        let byMatricule = try Self.match(
            PersonIdentity(
                organisme: .caf, matricule: try Matricule(validating: "241873600000000"), role: .applicant),
            in: store)
        #expect(byMatricule == .matched(personID: byNIR, via: .matricule))
        // Names are compared normalised: case, accents, ligatures and hyphens do not matter.
        let byName = try Self.match(
            PersonIdentity(surname: "boeuf", firstName: "FRANCOIS", birthDate: LocalDate(iso: "1984-03-12")),
            in: store)
        #expect(byName == .matched(personID: byNIR, via: .name))
        let corsican = try Self.match(PersonIdentity(nir: try Self.nir("177092A004052")), in: store)
        guard case .matched(_, .nir) = corsican else { Issue.record("2A NIR not matched: \(corsican)"); return }
    }

    @Test("Nobody known: unmatched, not guessed from a partial identity", arguments: Backend.available)
    func unmatched(backend: Backend) throws {
        let store = try Self.store(backend)
        #expect(try Self.match(PersonIdentity(nir: try Self.nir("1850567482999")), in: store) == .unmatched)
        // Same names, another birth date: no match on names.
        let otherBirth = try Self.match(
            PersonIdentity(surname: "BŒUF", firstName: "François", birthDate: LocalDate(iso: "1984-03-13")),
            in: store)
        #expect(otherBirth == .unmatched)
        // A matricule without a role is not enough.
        let noRole = try Self.match(
            PersonIdentity(organisme: .caf, matricule: try Matricule(validating: "2418736")), in: store)
        #expect(noRole == .unmatched)
    }

    @Test(
        "Two identifiers naming two people: a conflict naming both by masked ids, nothing merged",
        arguments: Backend.available)
    func conflicts(backend: Backend) throws {
        let store = try Self.store(backend)
        // B's NIR with A's France Travail id.
        let crossed = try Self.match(
            PersonIdentity(
                nir: try Self.nir("2790767462208"), franceTravailID: try FranceTravailID(validating: "0457812K")),
            in: store)
        guard case .conflict(let message) = crossed else { Issue.record("no conflict: \(crossed)"); return }
        #expect(message.contains("nir") && message.contains("france-travail"))
        #expect(!message.contains("2790767462208") && !message.contains("1840367482123"), "NIRs must be masked")
        // An unknown NIR with A's France Travail id: the FT id names someone whose NIR differs.
        let otherNIR = try Self.match(
            PersonIdentity(
                nir: try Self.nir("1850567482999"), franceTravailID: try FranceTravailID(validating: "0457812K")),
            in: store)
        guard case .conflict(let second) = otherNIR else { Issue.record("no conflict: \(otherNIR)"); return }
        #expect(!second.contains("1850567482999"))
        // A's NIR with another France Travail id than the one the CAF knows.
        let otherFT = try Self.match(
            PersonIdentity(
                nir: try Self.nir("1840367482123"), franceTravailID: try FranceTravailID(validating: "9999999Z")),
            in: store)
        guard case .conflict = otherFT else { Issue.record("no conflict: \(otherFT)"); return }
        // A's matricule with the applicant role but B's NIR.
        let otherHousehold = try Self.match(
            PersonIdentity(
                nir: try Self.nir("2790767462208"), organisme: .caf, matricule: try Matricule(validating: "2418736"),
                role: .applicant), in: store)
        guard case .conflict = otherHousehold else { Issue.record("no conflict: \(otherHousehold)"); return }
    }

    @Test(
        "A France Travail id learnt from a matched enrolment finds the person next time", arguments: Backend.available)
    func learntIdentifiers(backend: Backend) throws {
        let store = try Self.store(backend)
        // B (Mélanie KIEFFER) has no France Travail id in the CAF file.
        let enrolment = Enrolment(
            person: PersonIdentity(
                nir: try Self.nir("2790767462208"), franceTravailID: try FranceTravailID(validating: "5512345A")),
            franceTravailID: try FranceTravailID(validating: "5512345A"), kind: .inscription, category: 1,
            startDate: LocalDate(iso: "2026-09-02"))
        let arrival = FileArrival(partner: "france-travail", flow: "ft-inscriptions", name: "x", size: 0, sha256: "1")
        var outcome: PartnerApplyOutcome?
        _ = try store.ledger.apply(arrival, referenceDate: nil) { session in
            outcome = try session.applyPartner(.enrolment(enrolment), partner: "france-travail")
        }
        guard case .accepted(.matched(let personID, .nir))? = outcome else {
            Issue.record("enrolment not matched: \(String(describing: outcome))")
            return
        }
        let later = try Self.match(
            PersonIdentity(franceTravailID: try FranceTravailID(validating: "5512345A")), in: store)
        #expect(later == .matched(personID: personID, via: .franceTravail))
        let view = try #require(try store.people.person(personID))
        #expect(
            view.facts.contains { $0.kind == "enrolment" && $0.partner == "france-travail" && $0.matchedBy == "nir" })
        #expect(view.facts.contains { $0.kind == "household-member" && $0.partner == "caf-msa" })
    }

    @Test(
        "A France Travail radiation of a followed person is an alert for the operator; a closed accompaniment is not",
        arguments: Backend.available)
    func radiationAlert(backend: Backend) throws {
        let store = try Self.store(backend)
        let nir = try Self.nir("1840367482123")
        let open = Accompaniment(
            person: PersonIdentity(nir: nir), id: "ACC-1", operatorCode: "OP-A", fiche: .jobCoaching,
            referent: "Réf. 1", startDate: LocalDate(iso: "2026-09-01")!)
        var ended = open
        ended.id = "ACC-0"
        ended.operatorCode = "OP-B"
        ended.endDate = LocalDate(iso: "2026-09-15")
        let radiation = Enrolment(
            person: PersonIdentity(nir: nir, franceTravailID: try FranceTravailID(validating: "0457812K")),
            franceTravailID: try FranceTravailID(validating: "0457812K"), kind: .radiation,
            radiationDate: LocalDate(iso: "2026-10-03"), radiationReason: "Absence à convocation")
        for (index, record) in [PartnerRecord.accompaniment(open), .accompaniment(ended), .enrolment(radiation)]
            .enumerated()
        {
            let partner = index == 2 ? "france-travail" : "operators"
            let arrival = FileArrival(partner: partner, flow: "f", name: "n", size: 0, sha256: "r\(index)")
            _ = try store.ledger.apply(arrival, referenceDate: nil) { session in
                _ = try session.applyPartner(record, partner: partner)
            }
        }
        let alerts = try store.partnerRecords.operatorAlerts()
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.operatorCode == "OP-A" && alert.fields["kind"] == "france-travail-radiation")
        #expect(alert.fields["effectiveDate"] == "2026-10-03" && alert.fields["source"] == "france-travail")
        #expect(alert.fields.values.values.allSatisfy { !$0.contains("1840367482123") })
    }
}

/// The store's read-ahead of partner records sends their keys as one array on PostgreSQL: keys holding what an
/// array's text must escape are found again, on both databases.
@Suite("Partner records read ahead: keys with quotes, commas, braces and backslashes")
struct PartnerLookaheadKeyTests {
    static let keys = [#"OFF"RE-1"#, #"a\b"#, "x,y", "{z}", "  espacé ", "NULL", "é€"]

    static func post(_ id: String, title: String) throws -> PartnerRecord {
        .jobPost(
            JobPost(
                id: id, title: title, rome: try ROMECode(validating: "N1103"), contractType: .cdi,
                territory: "67"))
    }

    static func apply(_ store: GatewayStore, title: String, twice: Bool) throws -> [PartnerApplyOutcome] {
        var outcomes: [PartnerApplyOutcome] = []
        let arrival = FileArrival(
            partner: "de67", flow: "job-posts", name: title, size: 0, sha256: UUID().uuidString)
        _ = try store.ledger.apply(arrival, referenceDate: nil) { session in
            let records = try Self.keys.map { try Self.post($0, title: title) }
            try session.lookAhead(records)
            for record in records { outcomes.append(try session.applyPartner(record, partner: "de67")) }
            if twice {
                try session.lookAhead(records)
                for record in records { outcomes.append(try session.applyPartner(record, partner: "de67")) }
            }
        }
        return outcomes
    }

    @Test("Stored, then found again in the same file and in the next", arguments: Backend.available)
    func awkwardKeys(backend: Backend) throws {
        let store = try backend.store()
        let first = try Self.apply(store, title: "premier", twice: true)
        #expect(first.prefix(Self.keys.count).allSatisfy { $0 == .accepted(.unmatched) })
        #expect(first.suffix(Self.keys.count).allSatisfy { $0 == .duplicate })
        let counts = try store.tableCounts()
        let second = try Self.apply(store, title: "second", twice: false)
        #expect(second.allSatisfy { $0 == .accepted(.unmatched) })
        // Updated in place: no new record.
        #expect(try store.tableCounts()["partner_record"] == counts["partner_record"])
    }
}

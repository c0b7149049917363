import Foundation
import GatewayCore
import GatewayStore
import GatewayTestSupport
import Testing

@Suite("Embedded store")
struct GatewayStoreTests {
    static func household(
        matricule: String = "1234567", state: RightState = .openPaid, commune: String = "67482",
        people: [Person]? = nil, events: [CNAFEvent] = []
    ) throws -> Household {
        let applicant = Person(
            nir: try NIR(validating: "1840567482123"), civility: .monsieur, surname: "Exemple", firstName: "Jean",
            birthDate: LocalDate(year: 1984, month: 5, day: 2), sex: 1, role: .applicant, soumisDroitsDevoirs: true)
        return Household(
            organisme: .caf, organismeNumber: "671", matricule: try Matricule(validating: matricule),
            address: Address(commune: try INSEECommune(validating: commune)), people: people ?? [applicant],
            right: RightStatus(state: state), events: events)
    }

    static func arrival(_ sha: String) -> FileArrival {
        FileArrival(partner: "caf-msa", flow: "caf-beneficiaires", name: "\(sha).xml", size: 10, sha256: sha)
    }

    @Test("A file is recorded once per partner and content", arguments: Backend.available)
    func ledgerUniqueness(backend: Backend) throws {
        let store = try backend.store()
        _ = try store.apply(Self.arrival("a"), referenceDate: nil) { _ in }
        #expect(try store.receivedFile(partner: "caf-msa", sha256: "a") != nil)
        #expect(try store.receivedFile(partner: "other", sha256: "a") == nil)
        #expect(throws: (any Error).self) { _ = try store.apply(Self.arrival("a"), referenceDate: nil) { _ in } }
        // Another partner may send the same bytes.
        _ = try store.recordRefusedFile(
            FileArrival(partner: "other", flow: "caf-beneficiaires", name: "a.xml", size: 10, sha256: "a"),
            outcome: "unreadable", records: 0, issues: [], keptPath: nil)
        #expect(try store.receivedFiles().map(\.outcome) == ["applied", "unreadable"])
    }

    @Test(
        "Upsert on the business key; the same household twice in one file is a duplicate or a conflict",
        arguments: Backend.available)
    func upsertAndDuplicates(backend: Backend) throws {
        let store = try backend.store()
        let (_, counts) = try store.apply(Self.arrival("1"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)) {
            session in
            let first = try session.apply(Self.household())
            #expect(first == .accepted(statusChanges: 1))
            let again = try session.apply(Self.household())
            #expect(again == .duplicate)
            let different = try session.apply(Self.household(state: .closed))
            #expect(different == .conflict)
            try session.quarantine(index: 2, line: 40, key: "CAF ****567", raw: "<x/>", issues: [])
        }
        #expect(counts.records == 3)
        #expect(counts.records == counts.accepted + counts.duplicates + counts.quarantined)
        #expect(counts.duplicates == 1 && counts.quarantined == 1)
        #expect(try store.tableCounts()["household"] == 1)
    }

    @Test("An older file does not overwrite a newer state", arguments: Backend.available)
    func staleFile(backend: Backend) throws {
        let store = try backend.store()
        _ = try store.apply(Self.arrival("new"), referenceDate: LocalDate(year: 2026, month: 10, day: 31)) { session in
            _ = try session.apply(Self.household(state: .closed))
        }
        _ = try store.apply(Self.arrival("old"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)) { session in
            let outcome = try session.apply(Self.household(state: .openPaid))
            #expect(outcome == .stale)
        }
        var states: [String] = []
        try store.export(.households) { row in states.append(row[12]) }
        #expect(states == ["etat_droit", "5"])
    }

    @Test(
        "CNAF events already recorded are not new changes when a later file repeats them", arguments: Backend.available)
    func eventsOnce(backend: Backend) throws {
        let store = try backend.store()
        let event = CNAFEvent(
            liquidationDate: LocalDate(year: 2026, month: 9, day: 2)!, liquidationTime: "10:00:00", code: "ADR")
        _ = try store.apply(Self.arrival("1"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)) { session in
            let outcome = try session.apply(Self.household(events: [event]))
            #expect(outcome == .accepted(statusChanges: 2))
        }
        let (file, _) = try store.apply(Self.arrival("2"), referenceDate: LocalDate(year: 2026, month: 10, day: 31)) {
            session in
            let outcome = try session.apply(Self.household(state: .openPaymentSuspended, events: [event]))
            #expect(outcome == .accepted(statusChanges: 1))
        }
        #expect(try store.statusChanges(fileID: file.id).map(\.kind) == ["right-state"])
    }

    @Test("The store on disk survives reopening, and migrations run once")
    func reopen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("data/g.sqlite").path
        do {
            let store = try GatewayStore(path: path)
            _ = try store.apply(Self.arrival("1"), referenceDate: nil) { session in
                _ = try session.apply(Self.household())
            }
        }
        let reopened = try GatewayStore(path: path)
        #expect(try reopened.tableCounts()["household"] == 1)
    }
}

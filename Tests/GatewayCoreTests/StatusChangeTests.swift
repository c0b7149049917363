import GatewayCore
import Testing

@Suite("Status changes derived from two states of a household")
struct StatusChangeTests {
    let reference = LocalDate(year: 2026, month: 10, day: 31)!

    func household(_ state: RightState = .openPaid, commune: String = "67482", people: [Person]? = nil) -> Household {
        let applicant = Person(
            nir: NIR("1840567482123"), surname: "A", firstName: "B", sex: 1, role: .applicant,
            soumisDroitsDevoirs: true)
        return Household(
            organisme: .caf, matricule: Matricule("1234567")!, address: Address(commune: INSEECommune(commune)),
            people: people ?? [applicant], right: RightStatus(state: state))
    }

    @Test("No previous state: a new household")
    func newHousehold() {
        let changes = StatusChangeDerivation.changes(
            previous: nil, current: household(), referenceDate: reference, knownEvents: [])
        #expect(changes.map(\.kind) == [.newHousehold])
    }

    @Test("Identical states: nothing")
    func identical() {
        #expect(
            StatusChangeDerivation.changes(
                previous: household(), current: household(), referenceDate: reference, knownEvents: []
            ).isEmpty)
    }

    @Test("Payment suspension is dated by CNAF, not by the file")
    func suspensionDate() {
        var current = household(.openPaymentSuspended)
        let date = LocalDate(year: 2026, month: 10, day: 1)!
        current.right.paymentSuspension = DatedMotive(motive: "44", date: date)
        let changes = StatusChangeDerivation.changes(
            previous: household(), current: current, referenceDate: reference, knownEvents: [])
        #expect(changes.map(\.kind) == [.rightState, .paymentSuspended])
        #expect(changes.allSatisfy { $0.effectiveDate == date })
        #expect(changes[0].before == "2" && changes[0].after == "4" && changes[0].motive == "44")
    }

    @Test("A move within the département is not a move out of it")
    func moves() {
        let within = StatusChangeDerivation.changes(
            previous: household(), current: household(commune: "67218"), referenceDate: reference, knownEvents: [])
        #expect(within.map(\.kind) == [.movedCommune])
        let away = StatusChangeDerivation.changes(
            previous: household(), current: household(commune: "68224"), referenceDate: reference, knownEvents: [])
        #expect(away.map(\.kind) == [.movedDepartement])
        #expect(away[0].before == "67" && away[0].after == "68")
    }

    @Test("People joining, leaving, and changing droits et devoirs")
    func people() {
        let applicant = household().people[0]
        var spouse = Person(
            surname: "C", firstName: "D", birthDate: LocalDate(year: 1990, month: 1, day: 1), role: .spouse)
        spouse.soumisDroitsDevoirs = true
        let before = household(people: [applicant, spouse])
        var changedApplicant = applicant
        changedApplicant.soumisDroitsDevoirs = false
        let after = household(people: [changedApplicant])
        let changes = StatusChangeDerivation.changes(
            previous: before, current: after, referenceDate: reference, knownEvents: [])
        #expect(changes.map(\.kind) == [.droitsDevoirs, .personLeft])
        #expect(changes[0].before == "1" && changes[0].after == "0")
        // Status changes never carry names.
        #expect(changes.allSatisfy { ($0.before ?? "") != "C" && ($0.after ?? "") != "C" })
    }

    @Test("Entering droits et devoirs: in a new household, for a person who joins, when the flag appears; not twice")
    func enteredDroitsDevoirs() {
        var entrant = household().people[0]
        entrant.entrantDroitsDevoirs = true
        let first = StatusChangeDerivation.changes(
            previous: nil, current: household(people: [entrant]), referenceDate: reference, knownEvents: [])
        #expect(first.map(\.kind) == [.newHousehold, .enteredDroitsDevoirs])
        #expect(first[1].effectiveDate == reference && first[1].personKey == entrant.householdKey)
        // Still flagged the next month: nothing new.
        let again = StatusChangeDerivation.changes(
            previous: household(people: [entrant]), current: household(people: [entrant]), referenceDate: reference,
            knownEvents: [])
        #expect(again.isEmpty)
        // The flag appears on a known person.
        let flagged = StatusChangeDerivation.changes(
            previous: household(), current: household(people: [entrant]), referenceDate: reference, knownEvents: [])
        #expect(flagged.map(\.kind) == [.enteredDroitsDevoirs])
        // A spouse joins, flagged.
        var spouse = Person(
            surname: "C", firstName: "D", birthDate: LocalDate(year: 1990, month: 1, day: 1), role: .spouse)
        spouse.entrantDroitsDevoirs = true
        let joined = StatusChangeDerivation.changes(
            previous: household(), current: household(people: [household().people[0], spouse]),
            referenceDate: reference, knownEvents: [])
        #expect(joined.map(\.kind) == [.enteredDroitsDevoirs, .personJoined])
    }
}

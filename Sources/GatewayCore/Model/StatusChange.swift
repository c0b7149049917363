/// What changed for a household or a person between two files, or what a CNAF event says changed.
public enum StatusChangeKind: String, Sendable, Codable, CaseIterable {
    /// First time the household appears in a file.
    case newHousehold = "new-household"
    /// `ETATDOSRSA` changed (before → after).
    case rightState = "right-state"
    /// The right was closed (`FinDroit` or `FinDroitMoisAnterieur`), with its motive.
    case rightClosed = "right-closed"
    /// Payment suspended, or its motive changed.
    case paymentSuspended = "payment-suspended"
    /// The right itself suspended, or its motive changed.
    case rightSuspended = "right-suspended"
    /// The household's address moved to another département.
    case movedDepartement = "moved-departement"
    /// The household's address moved to another commune in the same département.
    case movedCommune = "moved-commune"
    /// A person appeared in the household.
    case personJoined = "person-joined"
    /// A person is no longer in the household.
    case personLeft = "person-left"
    /// A person's `TOPPERSDRODEVORSA` changed.
    case droitsDevoirs = "droits-devoirs"
    /// The CNAF flags a person as newly entering droits et devoirs (`TOPPERSENTDRODEVORSA` = 1) in a file that did
    /// not flag them before: the day a new entrant is known, which fiche 9 (« nouveaux entrants ») reads.
    case enteredDroitsDevoirs = "entered-droits-devoirs"
    /// A person's France Travail id appeared, changed or disappeared.
    case franceTravailID = "france-travail-id"
    /// A CNAF `Evenement` not seen before, with its `FG` code.
    case cnafEvent = "cnaf-event"
    /// A monthly file no longer lists a household the previous files listed.
    case absentFromMonthlyFile = "absent-from-monthly-file"
    /// A person's professional activity (`Activite/ACT`) changed.
    case activityChange = "activity-change"
    /// The household's family situation (`SITFAM`) changed.
    case familyChange = "family-change"
    /// The household's monthly resources retained for the RSA (`MTRESSMENRSA`) changed: new resources declared.
    case resourcesDeclared = "resources-declared"

    /// French label for reports and alerts.
    public var label: String {
        switch self {
        case .newHousehold: "nouveau foyer"
        case .rightState: "changement d'état du droit"
        case .rightClosed: "droit clos"
        case .paymentSuspended: "versement suspendu"
        case .rightSuspended: "droit suspendu"
        case .movedDepartement: "déménagement dans un autre département"
        case .movedCommune: "déménagement dans une autre commune"
        case .personJoined: "personne ajoutée au foyer"
        case .personLeft: "personne sortie du foyer"
        case .droitsDevoirs: "changement de soumission aux droits et devoirs"
        case .enteredDroitsDevoirs: "entrée dans les droits et devoirs"
        case .franceTravailID: "changement d'identifiant France Travail"
        case .cnafEvent: "événement CNAF"
        case .absentFromMonthlyFile: "foyer absent du flux mensuel"
        case .activityChange: "changement d'activité professionnelle"
        case .familyChange: "changement de situation familiale"
        case .resourcesDeclared: "nouvelles ressources déclarées"
        }
    }
}

/// One status change: who, what kind, from when, before → after. Values never hold a name or an address.
public struct StatusChange: Sendable, Hashable, Codable {
    public var household: HouseholdKey
    /// `Person.householdKey` of the person concerned, for person-level changes.
    public var personKey: String?
    public var kind: StatusChangeKind
    public var effectiveDate: LocalDate?
    public var before: String?
    public var after: String?
    /// The motive CNAF gives (suspension, closure), when there is one.
    public var motive: String?
    /// The CNAF event code (`FG`), for `cnaf-event`.
    public var eventCode: String?

    public init(
        household: HouseholdKey, personKey: String? = nil, kind: StatusChangeKind, effectiveDate: LocalDate?,
        before: String? = nil, after: String? = nil, motive: String? = nil, eventCode: String? = nil
    ) {
        self.household = household
        self.personKey = personKey
        self.kind = kind
        self.effectiveDate = effectiveDate
        self.before = before
        self.after = after
        self.motive = motive
        self.eventCode = eventCode
    }
}

/// Derives status changes by comparing a household with its last known state, and from its CNAF events.
public enum StatusChangeDerivation {
    /// The changes from `previous` (nil when first seen) to `current`.
    /// - Parameters:
    ///   - referenceDate: the file's `DTREF`, used when CNAF gives no date of its own.
    ///   - knownEvents: events already recorded for this household, so a re-sent event is not a new change.
    public static func changes(
        previous: Household?, current: Household, referenceDate: LocalDate?, knownEvents: Set<CNAFEvent>
    ) -> [StatusChange] {
        let key = current.key
        var changes: [StatusChange] = []
        let right = current.right
        guard let previous else {
            changes.append(
                StatusChange(
                    household: key, kind: .newHousehold, effectiveDate: current.rsaRequestDate ?? referenceDate,
                    after: right.state.rawValue))
            for person in current.people where person.entrantDroitsDevoirs == true {
                changes.append(entered(person, household: key, referenceDate: referenceDate))
            }
            appendEvents(current, knownEvents: knownEvents, into: &changes)
            return changes
        }
        let old = previous.right
        if old.state != right.state {
            changes.append(
                StatusChange(
                    household: key, kind: .rightState, effectiveDate: stateDate(right) ?? referenceDate,
                    before: old.state.rawValue, after: right.state.rawValue, motive: stateMotive(right)))
        }
        if let closure = right.effectiveClosure, closure != old.effectiveClosure {
            changes.append(
                StatusChange(
                    household: key, kind: .rightClosed, effectiveDate: closure.date ?? referenceDate,
                    before: old.state.rawValue, after: right.state.rawValue, motive: closure.motive))
        }
        if let suspension = right.paymentSuspension, suspension != old.paymentSuspension {
            changes.append(
                StatusChange(
                    household: key, kind: .paymentSuspended, effectiveDate: suspension.date ?? referenceDate,
                    before: old.paymentSuspension?.motive, after: suspension.motive, motive: suspension.motive))
        }
        if let suspension = right.rightSuspension, suspension != old.rightSuspension {
            changes.append(
                StatusChange(
                    household: key, kind: .rightSuspended, effectiveDate: suspension.date ?? referenceDate,
                    before: old.rightSuspension?.motive, after: suspension.motive, motive: suspension.motive))
        }
        let oldCommune = previous.address?.commune
        let newCommune = current.address?.commune
        if let oldCommune, let newCommune, oldCommune != newCommune {
            let movedAway = oldCommune.departement != newCommune.departement
            let closureDate = right.effectiveClosure.flatMap { $0.motive == ClosureMotive.movedOut ? $0.date : nil }
            changes.append(
                StatusChange(
                    household: key, kind: movedAway ? .movedDepartement : .movedCommune,
                    effectiveDate: closureDate ?? referenceDate,
                    before: movedAway ? oldCommune.departement : oldCommune.canonical,
                    after: movedAway ? newCommune.departement : newCommune.canonical))
        }
        // What only a fuller mapping reads: a change is one where both files state the value (a state stored
        // before the field was mapped says nothing of it).
        if let old = previous.familySituation, let new = current.familySituation, old != new {
            changes.append(
                StatusChange(
                    household: key, kind: .familyChange, effectiveDate: current.familySituationSince ?? referenceDate,
                    before: old, after: new))
        }
        if let old = previous.right.monthlyResources, let new = right.monthlyResources,
            Double(old) != Double(new)
        {
            changes.append(
                StatusChange(
                    household: key, kind: .resourcesDeclared, effectiveDate: referenceDate, before: old, after: new))
        }
        appendPeopleChanges(previous: previous, current: current, referenceDate: referenceDate, into: &changes)
        appendEvents(current, knownEvents: knownEvents, into: &changes)
        return changes
    }

    /// The change recorded when a monthly file no longer lists a household.
    public static func absence(of household: HouseholdKey, referenceDate: LocalDate?, lastState: RightState?)
        -> StatusChange
    {
        StatusChange(
            household: household, kind: .absentFromMonthlyFile, effectiveDate: referenceDate,
            before: lastState?.rawValue)
    }

    private static func stateDate(_ right: RightStatus) -> LocalDate? {
        switch right.state {
        case .refused: right.refusal?.date
        case .openRightSuspended: right.rightSuspension?.date
        case .openPaymentSuspended: right.paymentSuspension?.date
        case .closed, .closedEarlierMonth: right.effectiveClosure?.date
        case .awaitingDecision, .openPaid: nil
        }
    }

    private static func stateMotive(_ right: RightStatus) -> String? {
        switch right.state {
        case .refused: right.refusal?.motive
        case .openRightSuspended: right.rightSuspension?.motive
        case .openPaymentSuspended: right.paymentSuspension?.motive
        case .closed, .closedEarlierMonth: right.effectiveClosure?.motive
        case .awaitingDecision, .openPaid: nil
        }
    }

    private static func appendPeopleChanges(
        previous: Household, current: Household, referenceDate: LocalDate?, into changes: inout [StatusChange]
    ) {
        let key = current.key
        var before: [String: Person] = [:]
        for person in previous.people { before[person.householdKey] = person }
        var seen = Set<String>()
        for person in current.people {
            let personKey = person.householdKey
            seen.insert(personKey)
            if person.entrantDroitsDevoirs == true && before[personKey]?.entrantDroitsDevoirs != true {
                changes.append(entered(person, household: key, referenceDate: referenceDate))
            }
            guard let old = before[personKey] else {
                changes.append(
                    StatusChange(
                        household: key, personKey: personKey, kind: .personJoined, effectiveDate: referenceDate,
                        after: person.role.rawValue))
                continue
            }
            if old.soumisDroitsDevoirs != person.soumisDroitsDevoirs {
                changes.append(
                    StatusChange(
                        household: key, personKey: personKey, kind: .droitsDevoirs, effectiveDate: referenceDate,
                        before: flag(old.soumisDroitsDevoirs), after: flag(person.soumisDroitsDevoirs)))
            }
            if let was = old.activity, let now = person.activity, was != now {
                changes.append(
                    StatusChange(
                        household: key, personKey: personKey, kind: .activityChange,
                        effectiveDate: person.activityStart ?? referenceDate, before: was, after: now))
            }
            if old.franceTravailID != person.franceTravailID {
                changes.append(
                    StatusChange(
                        household: key, personKey: personKey, kind: .franceTravailID, effectiveDate: referenceDate,
                        before: old.franceTravailID.map { Masking.identifier($0.canonical) },
                        after: person.franceTravailID.map { Masking.identifier($0.canonical) }))
            }
        }
        for person in previous.people where !seen.contains(person.householdKey) {
            changes.append(
                StatusChange(
                    household: key, personKey: person.householdKey, kind: .personLeft, effectiveDate: referenceDate,
                    before: person.role.rawValue))
        }
    }

    private static func appendEvents(
        _ current: Household, knownEvents: Set<CNAFEvent>, into changes: inout [StatusChange]
    ) {
        for event in current.events where !knownEvents.contains(event) {
            changes.append(
                StatusChange(
                    household: current.key, kind: .cnafEvent, effectiveDate: event.liquidationDate,
                    eventCode: event.code))
        }
    }

    private static func flag(_ value: Bool?) -> String? { value.map { $0 ? "1" : "0" } }

    /// A person flagged as newly entering droits et devoirs, as of the file's reference date.
    private static func entered(_ person: Person, household: HouseholdKey, referenceDate: LocalDate?) -> StatusChange {
        StatusChange(
            household: household, personKey: person.householdKey, kind: .enteredDroitsDevoirs,
            effectiveDate: referenceDate, after: "1")
    }
}

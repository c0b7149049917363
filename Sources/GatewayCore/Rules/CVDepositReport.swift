/// The CV deposit in Job Connexion the fiches 5 and 9 expect: « le CV de 100 % des personnes accompagnées et prêtes à
/// l'emploi soit déposé dans Job Connexion ».
///
/// - Population (denominator): accompaniments in progress on `asOf` (``Accompaniment/isOpen(on:)``) of a programme
///   with a `cv-deposit` rule, whose person is job-ready (`jobReady == true`).
/// - Deposited (numerator): among them, those with a CV **on a platform the programme names** (`cv-deposit.platforms`,
///   Job Connexion by default) that ``CVDeposit/isDeposited`` (a deposit date, profile not archived) and whose last
///   update (else deposit) is no older than the age limit: `asOf` ≤ that date + limit, so a CV exactly at the limit
///   still counts. A CV on another platform (Cap emploi…) does not count: it is shown apart (`elsewhere`).
/// - Rate: deposited / job-ready, nil when no one is job-ready. Counted per programme, structure and référent; one
///   accompaniment is one person (person keys are masked and cannot tell two people apart).
public struct CVDepositReport: Sendable, Hashable {
    /// A job-ready person whose CV is missing, archived or too old.
    public struct MissingCV: Sendable, Hashable {
        public var personKey: String
        public var accompanimentID: String
        public var referent: String?
        /// Why the CV does not count.
        public var reason: Reason
        /// Since when the person is job-ready without a CV that counts: the later of the job-ready date the
        /// operator gave and the day a too old CV stopped counting; nil when the operator gave no date and the CV
        /// is absent or archived.
        public var since: LocalDate?
        /// The person's CVs on platforms that do not count for the programme, by platform.
        public var elsewhere: [OtherCV]

        public enum Reason: String, Sendable, Hashable {
            case none = "absent"
            case archived = "archivé"
            case tooOld = "trop ancien"
        }
    }

    /// A CV on a platform the programme does not count.
    public struct OtherCV: Sendable, Hashable {
        /// The partner that sent it (`cap-emploi`…).
        public var platform: String
        /// The last update, else the deposit.
        public var latest: LocalDate?
        public var archived: Bool
    }

    /// One line of the report: a programme, a structure (nil: every structure) and a référent (nil: every référent).
    public struct Line: Sendable, Hashable {
        public var fiche: Fiche
        public var operatorCode: String?
        public var referent: String?
        public var jobReady: Int
        public var deposited: Int
        /// Job-ready people without a CV that counts but with one on another platform.
        public var depositedElsewhere: Int
        /// The programme's required share, in percent.
        public var requiredPercent: Double
        public var missing: [MissingCV]

        /// Deposited / job-ready, between 0 and 1; nil when nobody is job-ready.
        public var rate: Double? { jobReady == 0 ? nil : Double(deposited) / Double(jobReady) }
        /// Whether the required share is reached (true when nobody is job-ready).
        public var isComplete: Bool { Double(deposited) * 100 >= requiredPercent * Double(jobReady) - 1e-9 }
        public var missingPersonKeys: [String] { missing.map(\.personKey) }
    }

    public var asOf: LocalDate
    /// One line per programme, structure and référent (accompaniments without a référent under `nil`).
    public var byReferent: [Line]
    /// One line per programme and structure.
    public var byStructure: [Line]
    /// One line per programme.
    public var byProgramme: [Line]

    /// Whether every programme reaches its required share.
    public var allComplete: Bool { byProgramme.allSatisfy(\.isComplete) }

    /// Computes the report; `maxAge` replaces every programme's `cv-deposit.max-age` when given.
    public static func compute(
        _ cases: [FollowedCase], programmes: ProgrammeCatalogue, asOf: LocalDate, maxAge: CalendarSpan? = nil
    ) -> CVDepositReport {
        enum Level: Hashable { case referent, structure, programme }
        struct Key: Hashable {
            var level: Level
            var fiche: Fiche
            var operatorCode: String?
            var referent: String?
        }
        var lines: [Key: Line] = [:]
        func count(_ key: Key, rule: Programme.CVRule, deposited: Bool, missing: MissingCV?) {
            // Through the `default:` subscript so the line (and its list of missing people) is changed in place.
            let empty = Line(
                fiche: key.fiche, operatorCode: key.operatorCode, referent: key.referent, jobReady: 0, deposited: 0,
                depositedElsewhere: 0, requiredPercent: rule.requiredPercent, missing: [])
            lines[key, default: empty].jobReady += 1
            if deposited { lines[key, default: empty].deposited += 1 }
            if let missing {
                lines[key, default: empty].missing.append(missing)
                if !missing.elsewhere.isEmpty { lines[key, default: empty].depositedElsewhere += 1 }
            }
        }
        for followed in cases {
            let accompaniment = followed.accompaniment
            guard let rule = programmes[accompaniment.fiche]?.cvDeposit, accompaniment.jobReady == true,
                accompaniment.isOpen(on: asOf)
            else { continue }
            let age = maxAge ?? rule.maxAge
            let counted = rule.platforms.compactMap { followed.cvs[$0] }
            // The CV that counts if any does, else the most recently touched one, for the reason.
            let best =
                counted.first { missingReason($0, maxAge: age, asOf: asOf) == nil }
                ?? counted.max { touched($0) < touched($1) }
            let reason = missingReason(best, maxAge: age, asOf: asOf)
            let missing = reason.map { reason in
                var since = accompaniment.jobReadySince
                if reason == .tooOld, let best, let latest = best.updatedOn ?? best.depositedOn {
                    let stale = age.after(max(latest, best.depositedOn ?? latest)).adding(days: 1)
                    since = max(since ?? stale, stale)
                }
                let elsewhere = followed.cvs.filter { !rule.platforms.contains($0.key) }.sorted { $0.key < $1.key }.map
                {
                    OtherCV(
                        platform: $0.key, latest: $0.value.updatedOn ?? $0.value.depositedOn,
                        archived: $0.value.profileStatus == .archived)
                }
                return MissingCV(
                    personKey: followed.personKey, accompanimentID: accompaniment.id,
                    referent: accompaniment.referent, reason: reason, since: since, elsewhere: elsewhere)
            }
            let fiche = accompaniment.fiche
            let code = accompaniment.operatorCode
            let keys = [
                Key(level: .referent, fiche: fiche, operatorCode: code, referent: accompaniment.referent),
                Key(level: .structure, fiche: fiche, operatorCode: code, referent: nil),
                Key(level: .programme, fiche: fiche, operatorCode: nil, referent: nil),
            ]
            for key in keys { count(key, rule: rule, deposited: reason == nil, missing: missing) }
        }
        func sorted(_ selected: [Line]) -> [Line] {
            selected.map { line in
                var line = line
                line.missing.sort { ($0.personKey, $0.accompanimentID) < ($1.personKey, $1.accompanimentID) }
                return line
            }.sorted {
                ($0.fiche.rawValue, $0.operatorCode ?? "", $0.referent ?? "")
                    < ($1.fiche.rawValue, $1.operatorCode ?? "", $1.referent ?? "")
            }
        }
        // Programmes asking for a CV appear even when nobody is job-ready in them.
        for programme in programmes.programmes.values {
            guard let rule = programme.cvDeposit else { continue }
            let key = Key(level: .programme, fiche: programme.fiche, operatorCode: nil, referent: nil)
            if lines[key] == nil {
                lines[key] = Line(
                    fiche: programme.fiche, operatorCode: nil, referent: nil, jobReady: 0, deposited: 0,
                    depositedElsewhere: 0, requiredPercent: rule.requiredPercent, missing: [])
            }
        }
        func level(_ level: Level) -> [Line] { sorted(lines.filter { $0.key.level == level }.map(\.value)) }
        return CVDepositReport(
            asOf: asOf, byReferent: level(.referent), byStructure: level(.structure), byProgramme: level(.programme))
    }

    /// The day a CV was last touched (updated, else deposited), in days; very old when neither is known.
    private static func touched(_ cv: CVDeposit) -> Int { (cv.updatedOn ?? cv.depositedOn)?.daysSinceEpoch ?? Int.min }

    /// Why a CV does not count on `asOf`, nil when it counts.
    public static func missingReason(_ cv: CVDeposit?, maxAge: CalendarSpan, asOf: LocalDate)
        -> MissingCV.Reason?
    {
        guard let cv, let deposited = cv.depositedOn else { return MissingCV.Reason.none }
        guard cv.isDeposited else { return .archived }
        let latest = max(deposited, cv.updatedOn ?? deposited)
        return maxAge.after(latest) >= asOf ? nil : .tooOld
    }
}

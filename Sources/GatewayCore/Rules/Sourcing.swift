/// Who may be proposed for a job post, and in which order. Pure: the store gives the facts, this decides.
public enum Sourcing {
    /// A person in an accompaniment, with what the selection needs to know.
    public struct Candidate: Sendable, Hashable {
        public var personID: Int64
        public var accompanimentRecordID: Int64
        public var accompaniment: Accompaniment
        /// From the CNAF files: soumis à droits et devoirs, and the household's right.
        public var soumisDroitsDevoirs: Bool
        public var rightState: RightState?
        public var firstName: String
        public var surname: String
        public var cv: CVDeposit?

        public init(
            personID: Int64, accompanimentRecordID: Int64, accompaniment: Accompaniment, soumisDroitsDevoirs: Bool,
            rightState: RightState?, firstName: String, surname: String, cv: CVDeposit?
        ) {
            self.personID = personID
            self.accompanimentRecordID = accompanimentRecordID
            self.accompaniment = accompaniment
            self.soumisDroitsDevoirs = soumisDroitsDevoirs
            self.rightState = rightState
            self.firstName = firstName
            self.surname = surname
            self.cv = cv
        }
    }

    /// How close a candidate is to a post.
    public struct Closeness: Sendable, Hashable, Comparable {
        /// 2 same ROME code, 1 same family (letter and two digits).
        public var rome: Int
        /// 2 the post's commune is in the mobility, 1 its département.
        public var place: Int

        public var score: Int { rome * 10 + place }

        public init(rome: Int, place: Int) {
            self.rome = rome
            self.place = place
        }

        public static func < (lhs: Closeness, rhs: Closeness) -> Bool { lhs.score < rhs.score }
    }

    /// Why a candidate is not proposed, or how close they are.
    public static func closeness(of candidate: Candidate, to post: JobPost, on day: LocalDate) -> Closeness? {
        let accompaniment = candidate.accompaniment
        guard accompaniment.exit == nil, accompaniment.endDate.map({ $0 >= day }) ?? true,
            accompaniment.startDate <= day, accompaniment.jobReady == true,
            candidate.soumisDroitsDevoirs, candidate.rightState?.isOpen == true,
            let target = accompaniment.targetROME
        else { return nil }
        let rome: Int
        if target == post.rome {
            rome = 2
        } else if target.family == post.rome.family {
            rome = 1
        } else {
            return nil
        }
        let place: Int
        if let commune = post.commune, accompaniment.mobility.contains(commune.canonical) {
            place = 2
        } else if accompaniment.mobility.contains(post.territory) {
            place = 1
        } else {
            return nil
        }
        return Closeness(rome: rome, place: place)
    }

    /// The candidates for a post, closest first; ties go to the longest accompanied, then by accompaniment id.
    public static func rank(_ candidates: [Candidate], for post: JobPost, on day: LocalDate) -> [(
        Candidate, Closeness
    )] {
        candidates.compactMap { candidate in closeness(of: candidate, to: post, on: day).map { (candidate, $0) } }
            .sorted { lhs, rhs in
                if lhs.1 != rhs.1 { return lhs.1 > rhs.1 }
                if lhs.0.accompaniment.startDate != rhs.0.accompaniment.startDate {
                    return lhs.0.accompaniment.startDate < rhs.0.accompaniment.startDate
                }
                return lhs.0.accompaniment.id < rhs.0.accompaniment.id
            }
    }

    /// The proposal reference the employer team sends back in its feedback: post, operator, accompaniment.
    public static func proposalID(post: JobPost, accompaniment: Accompaniment) -> String {
        post.id + ":" + accompaniment.operatorCode + ":" + accompaniment.id
    }

    /// What the employer relations adviser receives about a candidate.
    public static func fields(
        _ candidate: Candidate, closeness: Closeness, rank: Int, post: JobPost
    ) -> CanonicalFields {
        let accompaniment = candidate.accompaniment
        var out = CanonicalFields()
        out["proposalID"] = proposalID(post: post, accompaniment: accompaniment)
        out["postID"] = post.id
        out["rank"] = String(rank)
        out["score"] = String(closeness.score)
        out["romeMatch"] = closeness.rome == 2 ? "same-code" : "same-family"
        out["placeMatch"] = closeness.place == 2 ? "commune" : "departement"
        out["firstName"] = candidate.firstName
        out["surnameInitial"] = candidate.surname.first.map { String($0).uppercased() + "." }
        out["targetROME"] = accompaniment.targetROME?.canonical
        out["mobility"] = accompaniment.mobility.joined(separator: " ")
        out["fiche"] = accompaniment.fiche.rawValue
        out["operator"] = accompaniment.operatorCode
        out["referent"] = accompaniment.referent
        out["cvProfileID"] = candidate.cv?.profileID
        out["cvDeposited"] = (candidate.cv?.isDeposited ?? false) ? "1" : "0"
        return out
    }
}

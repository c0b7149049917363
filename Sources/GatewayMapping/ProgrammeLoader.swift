import Foundation
import GatewayCore

/// Loads `Mappings/programmes.yaml` and `Mappings/structures.yaml` and checks them; every problem is listed.
public enum ProgrammeLoader {
    public static let programmesFile = "programmes.yaml"
    public static let structuresFile = "structures.yaml"

    /// Loads both files of `directory` and checks that every structure's fiches are described.
    public static func load(directory: String) throws(MappingError) -> (ProgrammeCatalogue, StructureCatalogue) {
        func read(_ name: String) throws(MappingError) -> String {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MappingError("\(name) : fichier illisible ou absent (\(path))")
            }
            return text
        }
        var problems: [String] = []
        var programmes: ProgrammeCatalogue?
        var structures: StructureCatalogue?
        do {
            programmes = try load(yaml: try read(programmesFile))
        } catch {
            problems += error.problems.map { "\(programmesFile) : \($0)" }
        }
        do {
            structures = try loadStructures(yaml: try read(structuresFile))
        } catch {
            problems += error.problems.map { "\(structuresFile) : \($0)" }
        }
        if let programmes, let structures {
            problems += crossCheck(programmes, structures).map { "\(structuresFile) : \($0)" }
        }
        guard problems.isEmpty, let programmes, let structures else { throw MappingError(problems: problems) }
        return (programmes, structures)
    }

    /// Problems between the two files: a structure running a fiche with no programme or outside the fiche's
    /// territory (fiche 9 in the Haut-Rhin only), a fiche 4 structure without its file active or yearly intake.
    public static func crossCheck(_ programmes: ProgrammeCatalogue, _ structures: StructureCatalogue) -> [String] {
        var problems: [String] = []
        for structure in structures.structures.values.sorted(by: { $0.code < $1.code }) {
            for fiche in structure.fiches {
                guard let programme = programmes[fiche] else {
                    problems.append("\(structure.code) : fiche « \(fiche.rawValue) » absente de \(programmesFile)")
                    continue
                }
                if programme.capacity == .setByOperator && structure.fileActive[fiche] == nil {
                    problems.append(
                        "\(structure.code) : la fiche \(fiche.rawValue) demande la file active de l'opérateur (file-active: { \"\(fiche.rawValue)\": N })"
                    )
                }
                if programme.yearlyIntakeSetByOperator && structure.yearlyIntake[fiche] == nil {
                    problems.append(
                        "\(structure.code) : la fiche \(fiche.rawValue) demande le nombre maximum d'accueil à l'année (yearly-intake: { \"\(fiche.rawValue)\": N })"
                    )
                }
                if !programme.territory.isEmpty && !programme.territory.contains(structure.departement ?? "") {
                    let places = programme.territory.sorted().joined(separator: ", ")
                    let own = structure.departement.map { "du département \($0)" } ?? "sans département déclaré"
                    problems.append(
                        "\(structure.code) : la fiche \(fiche.rawValue) n'est proposée que sur le territoire \(places) ; structure \(own)"
                    )
                }
            }
            let declared = [
                ("file-active", Array(structure.fileActive.keys)),
                ("yearly-intake", Array(structure.yearlyIntake.keys)),
                ("targets", Array(structure.targets.keys)),
            ]
            for (key, fiches) in declared {
                for fiche in fiches.sorted() where !structure.fiches.contains(fiche) {
                    problems.append(
                        "\(structure.code) : \(key) pour la fiche \(fiche.rawValue), absente de « fiches »")
                }
            }
        }
        return problems
    }

    // MARK: - programmes.yaml

    /// Parses and checks `programmes.yaml`.
    public static func load(yaml: String) throws(MappingError) -> ProgrammeCatalogue {
        let root = try YAMLReader.document(yaml).root
        var problems: [String] = []
        var reader = YAMLReader()
        reader.allowOnly(["settings", "exits", "programmes"], in: root, at: "")
        let settings = reader.map("settings", in: root, at: "") ?? [:]
        reader.allowOnly(["cer-grace", "checkpoint-window"], in: settings, at: "settings")
        let cerGrace = reader.span("cer-grace", in: settings, at: "settings") ?? .months(1)
        let checkpointWindow = reader.span("checkpoint-window", in: settings, at: "settings") ?? .months(1)
        let exits = reader.map("exits", in: root, at: "", required: true) ?? [:]
        reader.allowOnly(["reprise-activite", "sortie-emploi"], in: exits, at: "exits")
        let reprise = reader.exitTypes("reprise-activite", in: exits, at: "exits", required: true)
        let sortie = reader.exitTypes("sortie-emploi", in: exits, at: "exits", required: true)

        var programmes: [Programme] = []
        if let declared = reader.map("programmes", in: root, at: "", required: true) {
            if declared.isEmpty { reader.problems.append("programmes : aucun programme") }
            for key in declared.keys.sorted() {
                let place = "programmes.\(key)"
                guard let fiche = Fiche(rawValue: key) else {
                    let known = Fiche.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.problems.append("\(place) : fiche inconnue (\(known))")
                    continue
                }
                guard let body = declared[key] as? [String: Any] else {
                    reader.problems.append("\(place) : un objet est attendu")
                    continue
                }
                if let programme = reader.programme(fiche, body, at: place) { programmes.append(programme) }
            }
        }
        problems += reader.problems
        guard problems.isEmpty else { throw MappingError(problems: problems) }
        return ProgrammeCatalogue(
            programmes: programmes, cerGrace: cerGrace, checkpointWindow: checkpointWindow,
            repriseActiviteExits: reprise, sortieEmploiExits: sortie)
    }

    // MARK: - structures.yaml

    /// Parses and checks `structures.yaml`.
    public static func loadStructures(yaml: String) throws(MappingError) -> StructureCatalogue {
        let root = try YAMLReader.document(yaml).root
        var reader = YAMLReader()
        reader.allowOnly(["structures"], in: root, at: "")
        var structures: [Structure] = []
        if let declared = reader.map("structures", in: root, at: "", required: true) {
            for code in declared.keys.sorted() {
                let place = "structures.\(code)"
                guard let body = declared[code] as? [String: Any] else {
                    reader.problems.append("\(place) : un objet est attendu")
                    continue
                }
                reader.allowOnly(
                    ["name", "departement", "fiches", "file-active", "yearly-intake", "targets", "referents"], in: body,
                    at: place)
                let name = reader.text("name", in: body, at: place) ?? code
                let departement = reader.text("departement", in: body, at: place)
                var fiches: [Fiche] = []
                if let list = body["fiches"] as? [Any], !list.isEmpty {
                    for item in list {
                        if let fiche = Fiche(rawValue: "\(item)") {
                            fiches.append(fiche)
                        } else {
                            reader.problems.append("\(place).fiches : fiche « \(item) » inconnue")
                        }
                    }
                } else {
                    reader.problems.append("\(place).fiches : liste de fiches obligatoire")
                }
                let fileActive = reader.countsByFiche("file-active", in: body, at: place)
                let yearlyIntake = reader.countsByFiche("yearly-intake", in: body, at: place)
                var targets: [Fiche: Programme.Targets] = [:]
                for (key, value) in reader.map("targets", in: body, at: place) ?? [:] {
                    guard let fiche = Fiche(rawValue: key) else {
                        reader.problems.append("\(place).targets : fiche « \(key) » inconnue")
                        continue
                    }
                    guard let given = value as? [String: Any] else {
                        reader.problems.append("\(place).targets.\(key) : un objet est attendu")
                        continue
                    }
                    targets[fiche] = reader.targets(given, at: "\(place).targets.\(key)")
                }
                var referents: [String: Double] = [:]
                if let given = reader.map("referents", in: body, at: place, required: true) {
                    for (label, value) in given {
                        let etp = (value as? Double) ?? (value as? Int).map(Double.init)
                        guard let etp, etp > 0, etp <= 1 else {
                            reader.problems.append(
                                "\(place).referents.\(label) : ETP attendu entre 0 (exclu) et 1 (« \(value) »)")
                            continue
                        }
                        referents[label] = etp
                    }
                }
                structures.append(
                    Structure(
                        code: code, name: name, departement: departement, fiches: fiches, fileActive: fileActive,
                        referents: referents, yearlyIntake: yearlyIntake, targets: targets))
            }
        }
        guard reader.problems.isEmpty else { throw MappingError(problems: reader.problems) }
        return StructureCatalogue(structures)
    }
}

/// The programmes' own reads, over the shared ones.
extension YAMLReader {
    /// `{ "4": 24 }`: a positive count per fiche.
    mutating func countsByFiche(_ key: String, in map: [String: Any], at place: String) -> [Fiche: Int] {
        var counts: [Fiche: Int] = [:]
        for (name, value) in self.map(key, in: map, at: place) ?? [:] {
            guard let fiche = Fiche(rawValue: name) else {
                problems.append("\(place).\(key) : fiche « \(name) » inconnue")
                continue
            }
            guard let count = value as? Int, count > 0 else {
                problems.append("\(place).\(key).\(name) : nombre entier positif attendu")
                continue
            }
            counts[fiche] = count
        }
        return counts
    }

    /// `{ reprise-activite: 30, sortie-emploi: 20 }`.
    mutating func targets(_ given: [String: Any], at place: String) -> Programme.Targets {
        allowOnly(["reprise-activite", "sortie-emploi"], in: given, at: place)
        return Programme.Targets(
            repriseActivite: percent("reprise-activite", in: given, at: place),
            sortieEmploi: percent("sortie-emploi", in: given, at: place))
    }

    /// A day written `2023-01-01`.
    mutating func day(_ key: String, in map: [String: Any], at place: String) -> LocalDate? {
        guard let value = map[key] else {
            problems.append("\(Self.place(key, at: place)) : obligatoire (AAAA-MM-JJ)")
            return nil
        }
        guard let day = LocalDate(iso: "\(value)") else {
            problems.append("\(Self.place(key, at: place)) : date attendue sous la forme AAAA-MM-JJ (« \(value) »)")
            return nil
        }
        return day
    }

    mutating func span(_ key: String, in map: [String: Any], at place: String) -> CalendarSpan? {
        guard let value = map[key] else { return nil }
        return parseSpan(value, at: Self.place(key, at: place))
    }

    mutating func parseSpan(_ value: Any, at place: String) -> CalendarSpan? {
        guard let text = value as? String, let span = CalendarSpan(parsing: text), span.value > 0 else {
            problems.append(
                "\(place) : durée attendue sous la forme « 6 weeks », « 12 months », « 42 days » (« \(value) »)")
            return nil
        }
        return span
    }

    mutating func percent(_ key: String, in map: [String: Any], at place: String) -> Double? {
        guard let value = map[key] else { return nil }
        let number = (value as? Double) ?? (value as? Int).map(Double.init)
        guard let number, (0...100).contains(number) else {
            problems.append("\(Self.place(key, at: place)) : pourcentage entre 0 et 100 attendu (« \(value) »)")
            return nil
        }
        return number
    }

    mutating func exitTypes(_ key: String, in map: [String: Any], at place: String, required: Bool = false)
        -> Set<ExitType>
    {
        guard let value = map[key] else {
            if required { problems.append("\(Self.place(key, at: place)) : obligatoire") }
            return []
        }
        guard let list = value as? [Any] else {
            problems.append("\(Self.place(key, at: place)) : liste de types de sortie attendue")
            return []
        }
        var result: Set<ExitType> = []
        for item in list {
            if let type = ExitType(rawValue: "\(item)") {
                result.insert(type)
            } else {
                let known = ExitType.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append("\(Self.place(key, at: place)) : type de sortie « \(item) » inconnu (\(known))")
            }
        }
        return result
    }

    mutating func programme(_ fiche: Fiche, _ body: [String: Any], at place: String) -> Programme? {
        let before = problems.count
        allowOnly(
            [
                "title", "public", "territory", "period", "new-entrants", "yearly-intake", "file-active", "cer",
                "contact", "intensive-start", "duration", "targets", "sortie-emploi-needs-right-closed", "cv-deposit",
                "job-follow-up", "outcome-checkpoints", "indicators",
            ], in: body, at: place)
        let title = text("title", in: body, at: place) ?? ""
        if title.isEmpty { problems.append("\(place).title : obligatoire") }

        var territory: Set<String> = []
        if let given = body["territory"] {
            let codes = (given as? [Any])?.map { "\($0)" } ?? []
            if codes.isEmpty || codes.contains(where: { !Self.isDepartement($0) }) {
                problems.append("\(place).territory : liste de codes de département attendue (« 68 », « 2A », « 974 »)")
            }
            territory = Set(codes)
        }
        var period: Programme.Period?
        if let given = map("period", in: body, at: place) {
            let section = place + ".period"
            allowOnly(["from", "to"], in: given, at: section)
            if let from = day("from", in: given, at: section), let to = day("to", in: given, at: section) {
                if to < from { problems.append("\(section) : « to » précède « from »") }
                period = Programme.Period(from: from, to: to)
            }
        }
        var newEntrants: CalendarSpan?
        if let given = map("new-entrants", in: body, at: place) {
            allowOnly(["within"], in: given, at: place + ".new-entrants")
            newEntrants = span("within", in: given, at: place + ".new-entrants")
            if given["within"] == nil { problems.append("\(place).new-entrants.within : obligatoire") }
        }
        var yearlyIntake = false
        if let given = map("yearly-intake", in: body, at: place) {
            allowOnly(["set-by-operator"], in: given, at: place + ".yearly-intake")
            yearlyIntake = given["set-by-operator"] as? Bool ?? false
            if !yearlyIntake { problems.append("\(place).yearly-intake : { set-by-operator: true } attendu") }
        }
        let needsRightClosed = body["sortie-emploi-needs-right-closed"].map { $0 as? Bool } ?? false
        if needsRightClosed == nil {
            problems.append("\(place).sortie-emploi-needs-right-closed : true ou false attendu")
        }

        var capacity = Programme.Capacity.setByOperator
        if let given = map("file-active", in: body, at: place, required: true) {
            let section = place + ".file-active"
            allowOnly(["per-etp", "per-structure", "set-by-operator"], in: given, at: section)
            let perETP = int("per-etp", in: given, at: section, minimum: 1)
            let perStructure = int("per-structure", in: given, at: section, minimum: 1)
            let byOperator = given["set-by-operator"] as? Bool ?? false
            switch (perETP, perStructure, byOperator) {
            case (let count?, nil, false): capacity = .perETP(count)
            case (nil, let count?, false): capacity = .perStructure(count)
            case (nil, nil, true): capacity = .setByOperator
            default:
                problems.append("\(section) : une seule de per-etp, per-structure, set-by-operator: true")
            }
        }

        var cer = Programme.CERRule(duration: nil, renewable: false)
        if let given = map("cer", in: body, at: place, required: true) {
            allowOnly(["duration", "renewable", "required"], in: given, at: place + ".cer")
            cer = Programme.CERRule(
                duration: span("duration", in: given, at: place + ".cer"),
                renewable: given["renewable"] as? Bool ?? false, required: given["required"] as? Bool ?? true)
        }

        var contact: Programme.ContactRule?
        var contactModes: Set<MeetingMode>?
        if let given = map("contact", in: body, at: place) {
            let section = place + ".contact"
            allowOnly(["every", "at-least", "per", "modes"], in: given, at: section)
            if let modes = given["modes"] {
                let names = (modes as? [Any])?.compactMap { $0 as? String } ?? []
                let known = names.compactMap(MeetingMode.init(rawValue:))
                if names.isEmpty || known.count != names.count || (modes as? [Any])?.count != names.count {
                    problems.append(
                        "\(section).modes : une liste parmi "
                            + MeetingMode.allCases.map(\.rawValue).joined(separator: ", "))
                } else {
                    contactModes = Set(known)
                }
            }
            if given["every"] != nil {
                if given["at-least"] != nil || given["per"] != nil {
                    problems.append("\(section) : « every » ou bien « at-least » et « per »")
                }
                contact = span("every", in: given, at: section).map { .every($0) }
            } else {
                let count = int("at-least", in: given, at: section, minimum: 1)
                let period = (given["per"] as? String).flatMap(Programme.CalendarPeriod.init(rawValue:))
                if count == nil || period == nil {
                    problems.append("\(section) : « every: 6 weeks » ou « at-least: 2, per: week|month »")
                }
                if let count, let period { contact = .atLeast(count, per: period) }
            }
        }

        var duration = Programme.DurationRule()
        if let given = map("duration", in: body, at: place, required: true) {
            let section = place + ".duration"
            allowOnly(
                ["initial", "renewal", "max-renewals", "maximum", "minimum", "reviews", "after-limit"], in: given,
                at: section)
            var reviews: [CalendarSpan] = []
            if let list = given["reviews"] as? [Any] {
                reviews = list.compactMap { parseSpan($0, at: section + ".reviews") }
            } else if given["reviews"] != nil {
                problems.append("\(section).reviews : liste de durées attendue")
            }
            duration = Programme.DurationRule(
                initial: span("initial", in: given, at: section), renewal: span("renewal", in: given, at: section),
                maxRenewals: int("max-renewals", in: given, at: section) ?? 0,
                maximum: span("maximum", in: given, at: section), minimum: span("minimum", in: given, at: section),
                reviews: reviews, afterLimit: text("after-limit", in: given, at: section))
            if duration.maximum != nil && duration.initial != nil {
                problems.append("\(section) : « maximum » ou bien « initial » (et ses renouvellements)")
            }
            if duration.maxRenewals > 0 && duration.renewal == nil {
                problems.append("\(section) : « max-renewals » demande « renewal »")
            }
            if duration.renewal != nil && duration.initial == nil {
                problems.append("\(section) : « renewal » demande « initial »")
            }
            if let after = duration.afterLimit, after != "reorientation" {
                problems.append("\(section).after-limit : seule valeur connue « reorientation »")
            }
        }

        var targets = Programme.Targets(repriseActivite: nil, sortieEmploi: nil)
        if let given = map("targets", in: body, at: place) { targets = self.targets(given, at: place + ".targets") }

        var cvDeposit: Programme.CVRule?
        if let given = map("cv-deposit", in: body, at: place) {
            let section = place + ".cv-deposit"
            allowOnly(["required-percent", "max-age", "platforms"], in: given, at: section)
            let required = percent("required-percent", in: given, at: section)
            let maxAge = span("max-age", in: given, at: section)
            if required == nil || maxAge == nil {
                problems.append("\(section) : « required-percent » et « max-age » sont obligatoires")
            }
            var platforms = [CVDeposit.jobConnexion]
            if let listed = given["platforms"] {
                platforms = (listed as? [Any])?.compactMap { $0 as? String } ?? []
                if platforms.isEmpty || platforms.count != (listed as? [Any])?.count {
                    problems.append("\(section).platforms : liste de partenaires attendue (« job-connexion »)")
                }
            }
            if let required, let maxAge {
                cvDeposit = Programme.CVRule(requiredPercent: required, maxAge: maxAge, platforms: platforms)
            }
        }

        var jobFollowUp: Programme.JobFollowUpRule?
        if let given = map("job-follow-up", in: body, at: place) {
            let section = place + ".job-follow-up"
            allowOnly(["duration", "minimum", "exit-types"], in: given, at: section)
            if let length = span("duration", in: given, at: section) {
                jobFollowUp = Programme.JobFollowUpRule(
                    duration: length, minimum: span("minimum", in: given, at: section),
                    exitTypes: exitTypes("exit-types", in: given, at: section))
            } else {
                problems.append("\(section).duration : obligatoire")
            }
        }

        var checkpoints: [CalendarSpan] = []
        if let list = body["outcome-checkpoints"] as? [Any] {
            checkpoints = list.compactMap { parseSpan($0, at: place + ".outcome-checkpoints") }
        } else if body["outcome-checkpoints"] != nil {
            problems.append("\(place).outcome-checkpoints : liste de durées attendue")
        }

        let indicators = text("indicators", in: body, at: place)
        if let indicators, indicators != "per" {
            problems.append("\(place).indicators : seule valeur connue « per » (indicateurs de l'Isère)")
        }

        guard problems.count == before else { return nil }
        return Programme(
            fiche: fiche, title: title, audience: text("public", in: body, at: place) ?? "", territory: territory,
            period: period, newEntrantsWithin: newEntrants, yearlyIntakeSetByOperator: yearlyIntake,
            sortieEmploiNeedsRightClosed: needsRightClosed ?? false, capacity: capacity,
            cer: cer, contact: contact, contactModes: contactModes,
            intensiveStart: span("intensive-start", in: body, at: place),
            duration: duration, targets: targets, cvDeposit: cvDeposit, jobFollowUp: jobFollowUp,
            outcomeCheckpoints: checkpoints, perIndicators: indicators == "per")
    }

    /// `67`, `2A`, `974`: a département code.
    static func isDepartement(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        if bytes.count == 2 { return code == "2A" || code == "2B" || bytes.allSatisfy { $0 >= 48 && $0 <= 57 } }
        return bytes.count == 3 && code.hasPrefix("97") && bytes.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}

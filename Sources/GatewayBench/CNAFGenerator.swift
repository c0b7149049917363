import Foundation
import GatewayCore

/// Streams a synthetic CNAF VRSB0801 file of `households` households, Windows-1252, valid against the XSD.
///
/// The output is deterministic for a given `seed`, `households` and `organisme`. Memory stays flat
/// whatever the size: each household is built in a small model, rendered as Windows-1252 bytes into a
/// buffer, and the buffer goes to disk in 64 KiB chunks. Every name, NIR, matricule, France Travail id
/// and address is invented.
///
/// The mix: 1 to 5 persons per household (DEM, sometimes a CJT, ENF), NIRs agreeing with SEXE and
/// DTNAI (13 chars for the CAF, 15 with their key for the MSA, Corsican `2A`/`2B` and foreign-born
/// `99` included), every ETATDOSRSA value with its sibling elements (Refus, SuspensionDroit,
/// SuspensionVersement, FinDroit, FinDroitMoisAnterieur), addresses in the Bas-Rhin and the
/// Haut-Rhin, some homeless households, IDASSEDIC for some adults, matricules sometimes padded to 15
/// digits, events, and `NBTOTDOSRSATRANSM` equal to the number of households written.
struct CNAFGenerator {
    var households: Int
    var seed: UInt64 = 42
    var organisme: String = "CAF"  // or "MSA" (then NIRs carry their key, APPLIEME AGO)
    /// The next month's file of the same households: dated a month later, with one household in ten whose paid
    /// right (ETATDOSRSA 2) has its payment suspended; every other household is the same as in the first file.
    var nextMonth = false

    enum Failure: Error, CustomStringConvertible {
        case unknownOrganisme(String)
        case cannotCreate(String)

        var description: String {
            switch self {
            case .unknownOrganisme(let name): return "unknown organisme \(name) (expected CAF or MSA)"
            case .cannotCreate(let path): return "cannot create \(path)"
            }
        }
    }

    /// Writes the file and returns its size in bytes and the number of households written.
    func write(to path: String) throws -> (bytes: Int, households: Int) {
        let isMSA: Bool
        switch organisme.uppercased() {
        case "CAF": isMSA = false
        case "MSA": isMSA = true
        default: throw Failure.unknownOrganisme(organisme)
        }
        let count = max(0, households)
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw Failure.cannotCreate(path) }
        defer { try? handle.close() }

        var sink = Sink(handle: handle)
        var rng = SplitMix64(state: seed)
        let tables = Tables()
        writeHeader(&sink, isMSA: isMSA)
        for index in 0..<count {
            var model = Household.make(index: index, rng: &rng, tables: tables)
            if nextMonth && index % 10 == 0 && model.state == 2 {
                model.state = 4
                model.stateReason = Household.paymentSuspensions[0]
                model.stateDate = Day(2026, 10, 1)
            }
            model.write(&sink, tables: tables, isMSA: isMSA)
            try sink.drain(everything: false)
        }
        writeTrailer(&sink, count: count)
        try sink.drain(everything: true)
        return (sink.written, count)
    }

    private func writeHeader(_ out: inout Sink, isMSA: Bool) {
        out.raw("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<Racine>\n")
        out.open(1, "IdentificationFlux")
        out.leaf(2, "APPLIEME", isMSA ? "AGO" : "CRI")
        out.leaf(2, "NUMVERSIONAPPLIEME", isMSA ? "3.2" : "5.1")
        out.leaf(2, "TYPEFLUX", "M")
        out.leaf(2, "NATFLUX", "D")
        out.leaf(2, "DTCREAFLUX", date: nextMonth ? Day(2026, 11, 3) : Day(2026, 10, 3))
        out.leaf(2, "HEUCREAFLUX", "02:15:00")
        out.leaf(2, "DTREF", date: nextMonth ? Day(2026, 10, 31) : Day.reference)
        out.close(1, "IdentificationFlux")
    }

    private func writeTrailer(_ out: inout Sink, count: Int) {
        out.open(1, "TransmissionFlux")
        out.leaf(2, "NBTOTDOSRSATRANSM", int: count)
        out.leaf(2, "NBTOTDOSRSATRANSMANO", int: 0)
        out.close(1, "TransmissionFlux")
        out.raw("</Racine>\n")
    }
}

// MARK: - Deterministic randomness

extension SplitMix64 {
    /// True with probability `percent` / 100.
    fileprivate mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// A date between `first` and `last`, both included (`first` when the range is empty).
    fileprivate mutating func day(from first: CNAFGenerator.Day, to last: CNAFGenerator.Day) -> CNAFGenerator.Day {
        let low = first.ordinal
        let high = last.ordinal
        return high <= low ? first : CNAFGenerator.Day(ordinal: inRange(low...high))
    }
}

extension CNAFGenerator {
    fileprivate struct Day: Comparable {
        var year: Int
        var month: Int
        var day: Int

        init(_ year: Int, _ month: Int, _ day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }

        static let reference = Day(2026, 9, 30)

        static func < (lhs: Day, rhs: Day) -> Bool {
            (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
        }

        static func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }

        static func endOfMonth(_ year: Int, _ month: Int) -> Day {
            Day(year, month, daysIn(month: month, year: year))
        }

        /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
        var ordinal: Int {
            let shifted = month <= 2 ? year - 1 : year
            let era = (shifted >= 0 ? shifted : shifted - 399) / 400
            let yearOfEra = shifted - era * 400
            let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        init(ordinal: Int) {
            let shifted = ordinal + 719_468
            let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
            let dayOfEra = shifted - era * 146_097
            let yearOfEra =
                (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shiftedMonth = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
            let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
            self.init(yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
        }
    }
}

// MARK: - Output buffer

extension CNAFGenerator {
    /// Accumulates bytes and hands them to the file in chunks of exactly 64 KiB (the last one shorter).
    fileprivate struct Sink {
        static let chunk = 64 * 1024
        let handle: FileHandle
        var buffer: [UInt8] = []
        var written = 0

        init(handle: FileHandle) {
            self.handle = handle
            buffer.reserveCapacity(Sink.chunk * 2)
        }

        mutating func drain(everything: Bool) throws {
            while buffer.count >= Sink.chunk {
                try handle.write(contentsOf: Data(buffer[0..<Sink.chunk]))
                written += Sink.chunk
                buffer.removeFirst(Sink.chunk)
            }
            if everything, !buffer.isEmpty {
                try handle.write(contentsOf: Data(buffer))
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { buffer.append(contentsOf: $0) }
        }

        mutating func indent(_ depth: Int) {
            for _ in 0..<(depth * 2) { buffer.append(0x20) }
        }

        mutating func startTag(_ name: StaticString) {
            buffer.append(0x3C)
            raw(name)
            buffer.append(0x3E)
        }

        mutating func endTag(_ name: StaticString) {
            buffer.append(0x3C)
            buffer.append(0x2F)
            raw(name)
            buffer.append(0x3E)
            buffer.append(0x0A)
        }

        mutating func open(_ depth: Int, _ name: StaticString) {
            indent(depth)
            startTag(name)
            buffer.append(0x0A)
        }

        mutating func close(_ depth: Int, _ name: StaticString) {
            indent(depth)
            endTag(name)
        }

        mutating func empty(_ depth: Int, _ name: StaticString) {
            indent(depth)
            buffer.append(0x3C)
            raw(name)
            buffer.append(0x2F)
            buffer.append(0x3E)
            buffer.append(0x0A)
        }

        mutating func leaf(_ depth: Int, _ name: StaticString, _ value: StaticString) {
            indent(depth)
            startTag(name)
            raw(value)
            endTag(name)
        }

        /// `value` must already be Windows-1252 bytes with no markup characters.
        mutating func leaf(_ depth: Int, _ name: StaticString, bytes value: [UInt8]) {
            indent(depth)
            startTag(name)
            buffer.append(contentsOf: value)
            endTag(name)
        }

        mutating func leaf(_ depth: Int, _ name: StaticString, int value: Int) {
            indent(depth)
            startTag(name)
            decimal(UInt64(value))
            endTag(name)
        }

        mutating func leaf(_ depth: Int, _ name: StaticString, flag: Bool) {
            leaf(depth, name, flag ? "1" : "0")
        }

        mutating func leaf(_ depth: Int, _ name: StaticString, date: Day) {
            indent(depth)
            startTag(name)
            digits(UInt64(date.year), width: 4)
            buffer.append(0x2D)
            digits(UInt64(date.month), width: 2)
            buffer.append(0x2D)
            digits(UInt64(date.day), width: 2)
            endTag(name)
        }

        mutating func leaf(_ depth: Int, _ name: StaticString, hour: Int, minute: Int, second: Int) {
            indent(depth)
            startTag(name)
            digits(UInt64(hour), width: 2)
            buffer.append(0x3A)
            digits(UInt64(minute), width: 2)
            buffer.append(0x3A)
            digits(UInt64(second), width: 2)
            endTag(name)
        }

        /// An amount in euros given in cents, written `123.45`.
        mutating func leaf(_ depth: Int, _ name: StaticString, cents: Int) {
            indent(depth)
            startTag(name)
            decimal(UInt64(cents / 100))
            buffer.append(0x2E)
            digits(UInt64(cents % 100), width: 2)
            endTag(name)
        }

        mutating func decimal(_ value: UInt64) {
            var width = 1
            var probe = value
            while probe >= 10 {
                probe /= 10
                width += 1
            }
            digits(value, width: width)
        }

        /// Writes `value` left-padded with zeros to `width` digits (`value` must fit).
        mutating func digits(_ value: UInt64, width: Int) {
            let start = buffer.count
            for _ in 0..<width { buffer.append(0x30) }
            var rest = value
            var position = start + width - 1
            while position >= start {
                buffer[position] = 0x30 + UInt8(rest % 10)
                rest /= 10
                position -= 1
            }
        }
    }
}

// MARK: - Reference tables

extension CNAFGenerator {
    fileprivate struct Place {
        /// The 5-char INSEE code, as written in a NIR (`2A004`, `99350` for Morocco).
        var code: [UInt8]
        var name: [UInt8]
        var postcode: [UInt8]
        /// The code as a number for the NIR key: `2A` counts as 19, `2B` as 18.
        var keyValue: UInt64
    }

    fileprivate struct Tables {
        let maleNames: [[UInt8]]
        let femaleNames: [[UInt8]]
        let surnames: [[UInt8]]
        let streets: [[UInt8]]
        let streetTypes: [[UInt8]]
        /// Communes where households live: mostly Bas-Rhin (67), some Haut-Rhin (68).
        let homes: [Place]
        let homesIn67: Int
        /// Birth places: the `homes` first, then elsewhere in France, Corsica, abroad.
        let births: [Place]
        /// Index ranges of `births` for the last three groups.
        let bornElsewhere: Range<Int>
        let bornInCorsica: Range<Int>
        let bornAbroad: Range<Int>
        let idassedicSuffix: [UInt8] = Array("ABCDEFGHJKLMNPRSTUVWXYZ0123456789".utf8)

        init() {
            maleNames = Tables.encode([
                "François", "Jérôme", "Loïc", "Rémi", "Cédric", "Noël", "Thomas", "Nicolas", "Julien",
                "Kévin", "Mehdi", "Karim", "Théo", "Lucas", "Hugo", "Mathéo", "Joël", "Raphaël", "Gaëtan",
                "Benoît", "Stéphane", "Frédéric", "Alexis", "Yannick", "Léon", "Grégory", "Aurélien",
            ])
            femaleNames = Tables.encode([
                "Hélène", "Mélanie", "Gaëlle", "Zoé", "Aurélie", "Bénédicte", "Françoise", "Anaïs", "Inès",
                "Clémence", "Céline", "Léa", "Chloé", "Émilie", "Noémie", "Sarah", "Julie", "Camille",
                "Manon", "Maëlys", "Agnès", "Cécile", "Élodie", "Valérie", "Sophie", "Laetitia", "Jessica",
            ])
            surnames = Tables.encode([
                "MEYER", "MULLER", "SCHMITT", "KLEIN", "WEBER", "WAGNER", "FISCHER", "HOFFMANN", "BECKER",
                "KELLER", "ROTH", "SCHAEFFER", "HUBER", "LEFÈVRE", "OBERLÉ", "GRÜNENWALD", "KŒHLER",
                "STŒCKEL", "BŒUF", "MARTIN", "BERNARD", "PETIT", "ROUSSEAU", "MOREAU", "GARNIER", "FAURE",
                "MERCIER", "BENCHÉRIF", "DIALLO", "TRAORÉ", "NGUYEN", "DA SILVA", "RODRIGUES", "YILMAZ",
                "DEMIR", "CASANOVA", "HAEGEL", "KIEFFER", "WEISSGERBER", "FRITSCH", "VOGEL", "ZIMMERMANN",
                "BRÄUNER", "GÉRARD", "FRANÇOIS", "BOEHLÉ", "D'ANGELO", "WALTER", "STRAUSS", "BURGÈS",
            ])
            streets = Tables.encode([
                "DES MÉSANGES", "DU MARCHÉ", "DE LA GARE", "DES VIGNES", "DU MOULIN", "DE LA GLACIÈRE",
                "DU CHÂTEAU D'EAU", "DES PEUPLIERS", "DE LYON", "DE COLMAR", "DU RHIN", "DE L'ÉCLUSE",
                "DES TANNEURS", "PRINCIPALE", "DE LA FORÊT", "DES ÉCOLES", "DU GÉNÉRAL LECLERC",
                "DE LA RÉPUBLIQUE", "DES ACACIAS", "DE LA LIBERTÉ", "DES CERISIERS", "SAINT-EXUPÉRY",
            ])
            streetTypes = Tables.encode([
                "RUE", "RUE", "RUE", "AVENUE", "PLACE", "ALLEE", "IMPASSE", "ROUTE", "BOULEVARD", "CHEMIN",
            ])
            let alsace67: [(String, String, String)] = [
                ("67482", "STRASBOURG", "67000"), ("67482", "STRASBOURG", "67100"),
                ("67482", "STRASBOURG", "67200"), ("67180", "HAGUENAU", "67500"),
                ("67462", "SÉLESTAT", "67600"), ("67437", "SAVERNE", "67700"),
                ("67447", "SCHILTIGHEIM", "67300"), ("67043", "BISCHHEIM", "67800"),
                ("67218", "ILLKIRCH-GRAFFENSTADEN", "67400"), ("67300", "MOLSHEIM", "67120"),
            ]
            let alsace68: [(String, String, String)] = [
                ("68224", "MULHOUSE", "68100"), ("68066", "COLMAR", "68000"),
                ("68112", "GUEBWILLER", "68500"), ("68297", "SAINT-LOUIS", "68300"),
            ]
            let elsewhere: [(String, String, String)] = [
                ("57463", "METZ", ""), ("75114", "PARIS 14E ARRONDISSEMENT", ""), ("69123", "LYON", ""),
                ("13055", "MARSEILLE", ""),
            ]
            let corsica: [(String, String, String)] = [("2A004", "AJACCIO", ""), ("2B033", "BASTIA", "")]
            let abroad: [(String, String, String)] = [
                ("99350", "CASABLANCA", ""), ("99352", "ALGER", ""), ("99139", "PORTO", ""),
                ("99208", "ISTANBUL", ""),
            ]
            homes = Tables.places(alsace67 + alsace68)
            homesIn67 = alsace67.count
            births = Tables.places(alsace67 + alsace68 + elsewhere + corsica + abroad)
            bornElsewhere = homes.count..<(homes.count + elsewhere.count)
            bornInCorsica = bornElsewhere.upperBound..<(bornElsewhere.upperBound + corsica.count)
            bornAbroad = bornInCorsica.upperBound..<births.count
        }

        /// An index into `births`: 75 % Alsace, 10 % elsewhere in France, 3 % Corsica, 12 % abroad.
        func birthPlace(_ rng: inout SplitMix64) -> Int {
            let roll = rng.below(100)
            let group =
                roll < 75
                ? 0..<homes.count
                : roll < 85 ? bornElsewhere : roll < 88 ? bornInCorsica : bornAbroad
            return group.lowerBound + rng.below(group.count)
        }

        static func encode(_ texts: [String]) -> [[UInt8]] { texts.map(windows1252) }

        static func places(_ rows: [(String, String, String)]) -> [Place] {
            rows.map { code, name, postcode in
                let digits = code.replacingOccurrences(of: "2A", with: "19")
                    .replacingOccurrences(of: "2B", with: "18")
                return Place(
                    code: Array(code.utf8), name: windows1252(name), postcode: Array(postcode.utf8),
                    keyValue: UInt64(digits) ?? 0)
            }
        }

        /// Windows-1252 bytes of `text`: ASCII and Latin-1 map to themselves, the few characters of
        /// 0x80...0x9F that French names use are mapped, anything else becomes `?`.
        static func windows1252(_ text: String) -> [UInt8] {
            text.unicodeScalars.map { scalar -> UInt8 in
                switch scalar.value {
                case 0x00...0x7F, 0xA0...0xFF: return UInt8(scalar.value)
                case 0x20AC: return 0x80  // €
                case 0x2019: return 0x92  // ’
                case 0x0152: return 0x8C  // Œ
                case 0x0153: return 0x9C  // œ
                case 0x0178: return 0x9F  // Ÿ
                default: return 0x3F
                }
            }
        }
    }
}

// MARK: - Household model

extension CNAFGenerator {
    fileprivate enum Role {
        case demandeur, conjoint, enfant
    }

    fileprivate struct Person {
        var role: Role
        var male: Bool
        var surname: Int
        var birthSurname: Int
        var firstName: Int
        var birth: Day
        var birthPlace: Int
        var order: Int
        var hasNIR: Bool
        var attached: Day
        /// France Travail id (7 digits + 1 alphanumeric), when enrolled.
        var idassedic: (number: Int, suffix: Int)?
        /// TOPPERSDRODEVORSA, when the CAF sends it.
        var soumis: Bool?
        var activity: (code: StaticString, start: Day)?
    }

    fileprivate struct Household {
        var index: Int
        var matricule: UInt64
        var padded: Bool
        var demande: Day
        var persons: [Person]
        var couple: Bool
        var familyStatus: StaticString
        var familySince: Day
        var home: Int
        var streetNumber: Int
        var streetType: Int
        var street: Int
        var building: Bool
        var movedIn: Day
        var homeless: Bool
        var state: Int
        var stateReason: StaticString
        var stateDate: Day
        var loneParentIncrease: Bool
        var resources: Int
        var events: [(day: Day, seconds: Int, code: StaticString)]

        static let refusals: [StaticString] = ["F02", "F04", "F09", "F85", "DSD"]
        static let rightSuspensions: [StaticString] = ["DA", "DB", "GK", "GL", "GR"]
        static let paymentSuspensions: [StaticString] = [
            "01", "06", "09", "36", "44", "70", "AB", "CV",
        ]
        static let closures: [StaticString] = [
            "PCG", "ECH", "ECH", "EFF", "MUT", "RGD", "RFD", "RAU", "RST", "RSO",
        ]
        static let eventCodes: [StaticString] = [
            "SUS", "DESALL", "SITPRO", "INTGRO", "ETACIV", "SITENFAUT", "RESTRIRSA", "SITFAM",
            "DECDEMPCG", "CARRSA", "PROPCG", "HOSPLA", "DEMRSA", "ADR", "RAD", "MUT", "JUSACT",
        ]
        static let adultActivities: [StaticString] = ["SAL", "SSA", "SSA", "SFP", "TSA"]
        static let coupleStatuses: [StaticString] = ["MAR", "VIM", "PAC"]
        static let singleStatuses: [StaticString] = ["CEL", "CEL", "DIV", "SEP", "VEU", "ISO"]

        static func make(index: Int, rng: inout SplitMix64, tables: Tables) -> Household {
            // State first: it decides how recent the request is.
            let roll = rng.below(100)
            let state: Int
            switch roll {
            case 0..<4: state = 0
            case 4..<7: state = 1
            case 7..<77: state = 2
            case 77..<81: state = 3
            case 81..<90: state = 4
            case 90..<97: state = 5
            default: state = 6
            }
            let demande =
                state <= 1
                ? rng.day(from: Day(2026, 7, 1), to: Day.reference)
                : rng.day(from: Day(2009, 6, 1), to: Day(2026, 8, 31))

            // People.
            let size: Int
            switch rng.below(100) {
            case 0..<45: size = 1
            case 45..<65: size = 2
            case 65..<80: size = 3
            case 80..<92: size = 4
            default: size = 5
            }
            let couple = size >= 2 && rng.chance(50)
            let familyName = rng.below(tables.surnames.count)
            var persons: [Person] = []
            let demandeur = makeAdult(
                .demandeur, male: rng.chance(45), surname: familyName, demande: demande, rng: &rng,
                tables: tables)
            persons.append(demandeur)
            if couple {
                persons.append(
                    makeAdult(
                        .conjoint, male: !demandeur.male, surname: familyName, demande: demande, rng: &rng,
                        tables: tables))
            }
            let youngestParent = persons.map(\.birth.year).max() ?? 1990
            while persons.count < size {
                persons.append(
                    makeChild(
                        surname: familyName, parentYear: youngestParent, demande: demande, rng: &rng,
                        tables: tables))
            }
            // Droits et devoirs: only sent for open rights; 0 on closed ones.
            for position in persons.indices where persons[position].role != .enfant {
                switch state {
                case 2, 3, 4: persons[position].soumis = rng.chance(85)
                case 5, 6: persons[position].soumis = false
                default: persons[position].soumis = nil
                }
            }

            // State details.
            var reason: StaticString = ""
            var stateDate = Day.reference
            switch state {
            case 1:
                reason = refusals[rng.below(refusals.count)]
                stateDate = rng.day(from: demande, to: Day.reference)
            case 3:
                reason = rightSuspensions[rng.below(rightSuspensions.count)]
                stateDate = Day(2026, rng.inRange(3...9), 1)
            case 4:
                reason = paymentSuspensions[rng.below(paymentSuspensions.count)]
                stateDate = Day(2026, rng.inRange(5...9), 1)
            case 5:
                reason = closures[rng.below(closures.count)]
                stateDate = Day.reference
            case 6:
                reason = closures[rng.below(closures.count)]
                stateDate = Day.endOfMonth(2026, rng.inRange(3...8))
            default:
                break
            }

            var events: [(day: Day, seconds: Int, code: StaticString)] = []
            let eventCount = rng.chance(40) ? (rng.chance(30) ? 2 : 1) : 0
            for _ in 0..<eventCount {
                events.append(
                    (
                        Day(2026, 9, rng.inRange(1...30)), rng.below(86_400),
                        eventCodes[rng.below(eventCodes.count)]
                    ))
            }

            let children = persons.count { $0.role == .enfant }
            let homeless = rng.chance(2)
            let home =
                rng.chance(85)
                ? rng.below(tables.homesIn67)
                : tables.homesIn67 + rng.below(tables.homes.count - tables.homesIn67)
            let earliestBirth = persons.map(\.birth).min() ?? demande
            return Household(
                index: index,
                matricule: index < 9_000_000 ? UInt64(1_000_000 + index) : UInt64(index) * 10 + 1,
                padded: index < 9_000_000 && rng.chance(40),
                demande: demande,
                persons: persons,
                couple: couple,
                familyStatus: couple
                    ? coupleStatuses[rng.below(coupleStatuses.count)]
                    : singleStatuses[rng.below(singleStatuses.count)],
                familySince: rng.day(from: Day(earliestBirth.year + 18, 1, 1), to: demande),
                home: home,
                streetNumber: rng.inRange(1...150),
                streetType: rng.below(tables.streetTypes.count),
                street: rng.below(tables.streets.count),
                building: rng.chance(15),
                movedIn: rng.day(from: Day(2000, 1, 1), to: Day.reference),
                homeless: homeless,
                state: state,
                stateReason: reason,
                stateDate: stateDate,
                loneParentIncrease: !couple && children > 0 && rng.chance(40),
                resources: rng.chance(35) ? rng.inRange(5_000...90_000) : 0,
                events: events)
        }

        static func makeAdult(
            _ role: Role, male: Bool, surname: Int, demande: Day, rng: inout SplitMix64, tables: Tables
        ) -> Person {
            let married = !male && rng.chance(50)
            // At least 18 when the request was made.
            let birth = rng.day(from: Day(1960, 1, 1), to: Day(min(2006, demande.year - 18), 12, 31))
            return Person(
                role: role,
                male: male,
                surname: surname,
                birthSurname: married ? rng.below(tables.surnames.count) : surname,
                firstName: rng.below(male ? tables.maleNames.count : tables.femaleNames.count),
                birth: birth,
                birthPlace: tables.birthPlace(&rng),
                order: rng.inRange(1...999),
                hasNIR: true,
                attached: demande,
                idassedic: rng.chance(35)
                    ? (rng.below(10_000_000), rng.below(tables.idassedicSuffix.count)) : nil,
                soumis: nil,
                activity: rng.chance(30)
                    ? (
                        adultActivities[rng.below(adultActivities.count)],
                        rng.day(from: Day(2020, 1, 1), to: Day.reference)
                    ) : nil)
        }

        static func makeChild(
            surname: Int, parentYear: Int, demande: Day, rng: inout SplitMix64, tables: Tables
        ) -> Person {
            let male = rng.chance(50)
            let birth = rng.day(from: Day(max(parentYear + 18, 2005), 1, 1), to: Day.reference)
            return Person(
                role: .enfant,
                male: male,
                surname: surname,
                birthSurname: surname,
                firstName: rng.below(male ? tables.maleNames.count : tables.femaleNames.count),
                birth: birth,
                // `births` starts with the same communes as `homes`: children are born in Alsace.
                birthPlace: rng.below(tables.homes.count),
                order: rng.inRange(1...999),
                hasNIR: rng.chance(70),
                attached: max(demande, birth),
                idassedic: nil,
                soumis: nil,
                activity: nil)
        }
    }
}

// MARK: - Rendering

extension CNAFGenerator.Household {
    fileprivate func write(_ out: inout CNAFGenerator.Sink, tables: CNAFGenerator.Tables, isMSA: Bool) {
        out.open(1, "InfosFoyerRSA")
        out.open(2, "IdentificationRSA")
        out.open(3, "Organisme")
        out.leaf(4, "FONORG", isMSA ? "MSA" : "CAF")
        out.leaf(4, "NUMORG", isMSA ? "670" : "671")
        out.indent(4)
        out.startTag("MATRICULE")
        out.decimal(matricule)
        if padded { out.raw("00000000") }
        out.endTag("MATRICULE")
        out.close(3, "Organisme")
        out.open(3, "Partenaire")
        out.leaf(4, "TYPEPARTE", "CG")
        out.leaf(4, "IDEPARTE", "067")
        out.close(3, "Partenaire")
        out.open(3, "DemandeRSA")
        out.leaf(4, "DTDEMRSA", date: demande)
        out.indent(4)
        out.startTag("NUMDEMRSA")
        out.raw(home < tables.homesIn67 ? "67" : "68")
        out.digits(UInt64(demande.year % 100), width: 2)
        out.digits(UInt64(index % 10_000_000), width: 7)
        out.endTag("NUMDEMRSA")
        out.close(3, "DemandeRSA")
        out.close(2, "IdentificationRSA")
        for person in persons {
            write(person, &out, tables: tables, isMSA: isMSA)
        }
        writeAdministrative(&out, tables: tables)
        writeRight(&out)
        for event in events {
            out.open(2, "Evenement")
            out.leaf(3, "DTLIQ", date: event.day)
            out.leaf(
                3, "HEULIQ", hour: event.seconds / 3600, minute: event.seconds / 60 % 60,
                second: event.seconds % 60)
            out.leaf(3, "FG", event.code)
            out.close(2, "Evenement")
        }
        out.close(1, "InfosFoyerRSA")
    }

    private func write(
        _ person: CNAFGenerator.Person, _ out: inout CNAFGenerator.Sink,
        tables: CNAFGenerator.Tables, isMSA: Bool
    ) {
        out.open(2, "Personne")
        out.open(3, "Identification")
        out.leaf(4, "QUAL", person.male ? "MR" : "MME")
        out.leaf(4, "NOM", bytes: tables.surnames[person.surname])
        out.leaf(4, "NOMNAI", bytes: tables.surnames[person.birthSurname])
        let names = person.male ? tables.maleNames : tables.femaleNames
        out.leaf(4, "PRENOM", bytes: names[person.firstName])
        let place = tables.births[person.birthPlace]
        out.leaf(4, "NOMCOMNAI", bytes: place.name)
        out.leaf(4, "DTNAI", date: person.birth)
        if person.hasNIR {
            out.indent(4)
            out.startTag("NIR")
            let sex: UInt64 = person.male ? 1 : 2
            let year = UInt64(person.birth.year % 100)
            let month = UInt64(person.birth.month)
            let order = UInt64(person.order)
            out.digits(sex, width: 1)
            out.digits(year, width: 2)
            out.digits(month, width: 2)
            out.buffer.append(contentsOf: place.code)
            out.digits(order, width: 3)
            if isMSA {
                let number = (((sex * 100 + year) * 100 + month) * 100_000 + place.keyValue) * 1000 + order
                out.digits(97 - number % 97, width: 2)
            }
            out.endTag("NIR")
        }
        out.leaf(4, "SEXE", person.male ? "1" : "2")
        out.close(3, "Identification")
        out.open(3, "DossierCAF")
        out.leaf(4, "TOPRESPDOS", flag: person.role == .demandeur)
        out.leaf(4, "DDRATDOS", date: person.attached)
        out.close(3, "DossierCAF")
        let natures: [StaticString] = ["RSA", "PFA"]
        for nature in natures {
            out.open(3, "Prestations")
            out.leaf(4, "NATPREST", nature)
            switch person.role {
            case .demandeur: out.leaf(4, "ROLEPERS", "DEM")
            case .conjoint: out.leaf(4, "ROLEPERS", "CJT")
            case .enfant: out.leaf(4, "ROLEPERS", "ENF")
            }
            out.leaf(4, "TOPCHAPERS", flag: person.role == .enfant)
            out.close(3, "Prestations")
        }
        if let id = person.idassedic {
            out.open(3, "DossierPoleEmploi")
            out.indent(4)
            out.startTag("IDASSEDIC")
            out.digits(UInt64(id.number), width: 7)
            out.buffer.append(tables.idassedicSuffix[id.suffix])
            out.endTag("IDASSEDIC")
            out.close(3, "DossierPoleEmploi")
        }
        if let soumis = person.soumis {
            out.open(3, "MontantCalculDroitRSAPersonne")
            out.leaf(4, "TOPPERSDRODEVORSA", flag: soumis)
            out.close(3, "MontantCalculDroitRSAPersonne")
        }
        if let activity = person.activity {
            out.open(3, "Activite")
            out.leaf(4, "ACT", activity.code)
            out.leaf(4, "DDACT", date: activity.start)
            out.close(3, "Activite")
        }
        out.close(2, "Personne")
    }

    private func writeAdministrative(_ out: inout CNAFGenerator.Sink, tables: CNAFGenerator.Tables) {
        out.open(2, "DonneesAdministratives")
        out.open(3, "SituationFamille")
        out.leaf(4, "SITFAM", familyStatus)
        out.leaf(4, "DDSITFAM", date: familySince)
        out.close(3, "SituationFamille")
        out.open(3, "Adresse")
        out.open(4, "TroncCommunAdresse")
        out.leaf(5, "RGADR", "01")
        out.leaf(5, "DTEMM", date: movedIn)
        out.leaf(5, "PAYS", "FRA")
        out.leaf(5, "TYPEADR", "D")
        out.leaf(5, "ETATADR", "CO")
        out.close(4, "TroncCommunAdresse")
        out.open(4, "AdresseDetailleeFrance")
        let place = tables.homes[home]
        if homeless {
            out.leaf(5, "COMPLIDEADR", "DOMICILIATION CCAS")
            out.indent(5)
            out.startTag("COMPLADR")
            out.raw("BOITE ")
            out.decimal(UInt64(streetNumber))
            out.endTag("COMPLADR")
            out.leaf(5, "NUMVOIE", "1")
            out.leaf(5, "LIBTYPEVOIE", "PLACE")
            out.leaf(5, "NOMVOIE", "DE L'HOTEL DE VILLE")
        } else {
            out.empty(5, "COMPLIDEADR")
            if building { out.leaf(5, "COMPLADR", "BATIMENT B") } else { out.empty(5, "COMPLADR") }
            out.leaf(5, "NUMVOIE", int: streetNumber)
            out.leaf(5, "LIBTYPEVOIE", bytes: tables.streetTypes[streetType])
            out.leaf(5, "NOMVOIE", bytes: tables.streets[street])
        }
        out.empty(5, "LIEUDIST")
        out.leaf(5, "NUMCOM", bytes: place.code)
        out.leaf(5, "CODEPOS", bytes: place.postcode)
        out.leaf(5, "NOMCOM", bytes: place.name)
        out.close(4, "AdresseDetailleeFrance")
        out.close(3, "Adresse")
        out.close(2, "DonneesAdministratives")
    }

    private func writeRight(_ out: inout CNAFGenerator.Sink) {
        out.open(2, "PrestationRSA")
        out.open(3, "SituationDossierRSA")
        out.open(4, "EtatDossierRSA")
        out.leaf(5, "ETATDOSRSA", int: state)
        out.close(4, "EtatDossierRSA")
        switch state {
        case 1:
            out.open(4, "Refus")
            out.leaf(5, "DTREFURSA", date: stateDate)
            out.leaf(5, "MOTIREFURSA", stateReason)
            out.close(4, "Refus")
        case 3:
            out.open(4, "SuspensionDroit")
            out.leaf(5, "MOTISUSDRORSA", stateReason)
            out.leaf(5, "DDSUSDRORSA", date: stateDate)
            out.leaf(5, "NATGROUPFSUS", "RSA")
            out.close(4, "SuspensionDroit")
        case 4:
            out.open(4, "SuspensionVersement")
            out.leaf(5, "MOTISUSVERSRSA", stateReason)
            out.leaf(5, "DDSUSVERSRSA", date: stateDate)
            out.close(4, "SuspensionVersement")
        case 5:
            out.open(4, "FinDroit")
            out.leaf(5, "MOTICLORSA", stateReason)
            out.leaf(5, "DTCLORSA", date: stateDate)
            out.close(4, "FinDroit")
        case 6:
            out.open(4, "FinDroitMoisAnterieur")
            out.leaf(5, "MOTICLORSA", stateReason)
            out.leaf(5, "DTCLORSA", date: stateDate)
            out.close(4, "FinDroitMoisAnterieur")
        default:
            break
        }
        out.close(3, "SituationDossierRSA")

        out.open(3, "DetailDroitRSA")
        out.open(4, "TroncCommunDroitRSA")
        out.leaf(5, "TOPSANSDOMFIXE", flag: homeless)
        let children = persons.count { $0.role == .enfant }
        if children > 0 { out.leaf(5, "NBENFAUTCHA", int: children) }
        out.leaf(5, "ORIDEMRSA", demande < CNAFGenerator.Day(2010, 1, 1) ? "RMI" : "DEM")
        out.leaf(5, "DTORIDEMRSA", date: demande)
        if state >= 2 {
            out.leaf(5, "TOPFOYDRODEVORSA", flag: persons.contains { $0.soumis == true })
        }
        out.close(4, "TroncCommunDroitRSA")
        if (2...4).contains(state) {
            writeAmounts(&out, children: children)
        }
        out.close(3, "DetailDroitRSA")
        out.close(2, "PrestationRSA")
    }

    private func writeAmounts(_ out: inout CNAFGenerator.Sink, children: Int) {
        // A plausible guaranteed income: 646.52 € for one adult, +50 % for a second adult,
        // +30 % for each of the first two children, +40 % beyond; majoré for lone parents.
        var percent = couple ? 150 : 100
        for child in 0..<children { percent += child < 2 ? 30 : 40 }
        if loneParentIncrease { percent += 28 }
        let guaranteed = 64_652 * percent / 100
        let owed = max(0, guaranteed - resources)
        let paid = state == 2 ? owed : 0
        let firstOfMonth = CNAFGenerator.Day(2026, 9, 1)
        out.open(4, "MontantsCalculDroitRSA")
        out.leaf(5, "DDELECAL", date: firstOfMonth)
        out.leaf(5, "MTREVMINIGARARSA", cents: guaranteed)
        out.leaf(5, "MTREVGARARSA", cents: guaranteed)
        out.leaf(5, "MTRESSMENRSA", cents: resources)
        out.leaf(5, "MTTOTDRORSA", cents: owed)
        out.close(4, "MontantsCalculDroitRSA")
        let socle = resources > 0 ? paid * 2 / 3 : paid
        out.open(4, "DetailCalculDroitRSA")
        out.leaf(5, "NATPF", loneParentIncrease ? "RSI" : "RSD")
        out.leaf(5, "SOUSNATPF", loneParentIncrease ? "RSIN1" : "RSDN2")
        out.leaf(5, "DDNATDRO", date: CNAFGenerator.Day(demande.year, demande.month, 1))
        out.leaf(5, "MTRSAVERS", cents: socle)
        out.leaf(5, "DTDERRSAVERS", date: CNAFGenerator.Day(2026, 9, 5))
        out.close(4, "DetailCalculDroitRSA")
        if resources > 0 {
            out.open(4, "DetailCalculDroitRSA")
            out.leaf(5, "NATPF", "RCD")
            out.leaf(5, "SOUSNATPF", "RCDN2")
            out.leaf(5, "DDNATDRO", date: firstOfMonth)
            out.leaf(5, "MTRSAVERS", cents: paid - socle)
            out.leaf(5, "DTDERRSAVERS", date: CNAFGenerator.Day(2026, 9, 5))
            out.close(4, "DetailCalculDroitRSA")
        }
    }
}

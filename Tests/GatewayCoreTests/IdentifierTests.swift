import Foundation
import Testing

@testable import GatewayCore

/// The error `T(validating: raw)` throws, or nil when `raw` is valid.
private func failure<T: ValidatedIdentifier>(_: T.Type, _ raw: String) -> IdentifierError? {
    do {
        _ = try T(validating: raw)
        return nil
    } catch {
        return error
    }
}

/// Encodes `value` to JSON and decodes it back.
private func roundTrip<T: ValidatedIdentifier>(_ value: T) throws -> (json: String, decoded: T) {
    let data = try JSONEncoder().encode([value])
    let json = String(decoding: data, as: UTF8.self)
    return (json, try JSONDecoder().decode([T].self, from: data)[0])
}

// Synthetic NIRs, keys computed as 97 − (first 13 digits mod 97):
// 1840567482123 → 86; 290032A004056 (read 2900319004056) → 87; 175122B033012 (read 1751218033012) → 23;
// 7840599123456 → 47; 8920099012345 → 56; 1602099350001 → 64; 2841267482999 → 48.

@Suite("NIR")
struct NIRTests {
    @Test func thirteenCharactersWithoutKey() throws {
        let nir = try NIR(validating: "1840567482123")
        #expect(nir.canonical == "1840567482123")
        #expect(nir.base13 == "1840567482123")
        #expect(nir.key == nil)
        #expect(nir.computedKey == 86)
        #expect(nir.withKey == "184056748212386")
        #expect(nir.sexDigit == 1)
        #expect(nir.birthYearTwoDigits == 84)
        #expect(nir.birthMonth == 5)
        #expect(!nir.isProvisional)
    }

    @Test(arguments: [
        "184056748212386", "1 84 05 67 482 123 86", "1.84.05.67.482.123.86", "  184056748212386\t",
        "184056748212386\u{A0}", "1\u{A0}84\u{202F}05 67 482 123 86",
    ])
    func fifteenCharactersWithKey(raw: String) throws {
        let nir = try NIR(validating: raw)
        #expect(nir.canonical == "184056748212386")
        #expect(nir.base13 == "1840567482123")
        #expect(nir.key == 86)
        #expect(nir.computedKey == 86)
        #expect(nir.withKey == "184056748212386")
    }

    @Test func comparedOnTheFirstThirteenCharacters() throws {
        let caf = try NIR(validating: "1840567482123")
        let msa = try NIR(validating: "184056748212386")
        #expect(caf == msa)
        #expect(Set([caf, msa]).count == 1)
        #expect(caf.canonical != msa.canonical)
        #expect(try NIR(validating: "2841267482999") != caf)
    }

    @Test(arguments: [
        ("290032A004056", "290032A004056", 87), ("290032a00405687", "290032A00405687", 87),
        ("2 90 03 2A 004 056 87", "290032A00405687", 87), ("175122B03301223", "175122B03301223", 23),
        ("175122b033012", "175122B033012", 23),
    ])
    func corsica(raw: String, canonical: String, key: Int) throws {
        let nir = try NIR(validating: raw)
        #expect(nir.canonical == canonical)
        #expect(nir.computedKey == key)
        #expect(nir.base13.utf8.count == 13)
    }

    @Test func corsicanKeyIsComputedAfterSubstitution() throws {
        // 60 is the key of 2900320004056, i.e. without replacing 2A by 19.
        let error = try #require(failure(NIR.self, "290032A00405660"))
        #expect(error.type == .constraintError)
        #expect(error.message == "Clé du NIR incorrecte : attendue 87, reçue 60")
    }

    @Test func provisionalNumbers() throws {
        let seven = try NIR(validating: "784059912345647")
        #expect(seven.isProvisional)
        #expect(seven.sexDigit == 7)
        #expect(seven.birthMonth == 5)
        // Month 00: not checked on provisional numbers.
        let eight = try NIR(validating: "8920099012345")
        #expect(eight.isProvisional)
        #expect(eight.birthMonth == nil)
        #expect(eight.computedKey == 56)
    }

    @Test func inseeSpecialMonthIsAccepted() throws {
        let nir = try NIR(validating: "160209935000164")
        #expect(nir.birthMonth == nil)
        #expect(nir.birthYearTwoDigits == 60)
    }

    @Test func wrongKey() throws {
        let error = try #require(failure(NIR.self, "184056748212317"))
        #expect(error.type == .constraintError)
        #expect(error.message == "Clé du NIR incorrecte : attendue 86, reçue 17")
        #expect(error.maskedValue == "184************")
        #expect(!error.message.contains("1840567482123"))
    }

    @Test(arguments: ["", "   ", " . "])
    func missing(raw: String) throws {
        let error = try #require(failure(NIR.self, raw))
        #expect(error.type == .missingCell)
    }

    @Test(arguments: [
        ("184056748212", "12 caractères reçus"), ("18405674821238", "14 caractères reçus"),
        ("1840567482123861", "16 caractères reçus"), ("1840567482123é", "14 caractères reçus"),
        ("DUPONT", "6 caractères reçus"),
    ])
    func wrongLength(raw: String, received: String) throws {
        let error = try #require(failure(NIR.self, raw))
        #expect(error.type == .typeError)
        #expect(error.message.hasSuffix(received))
    }

    @Test(arguments: [
        ("1840A67482123", 5), ("184056A482123", 7), ("1840567482I23", 11), ("29003CA004056", 6),
        ("290032C004056", 7), ("1840567482123AB", 14), ("184056748212é", 13), ("2A0032A004056", 2),
    ])
    func characterInTheWrongPlace(raw: String, position: Int) throws {
        let error = try #require(failure(NIR.self, raw))
        #expect(error.type == .typeError)
        #expect(error.message.contains("en position \(position) "))
    }

    @Test(arguments: ["5840567482123", "0840567482123", "9840567482123", "6840567482123"])
    func wrongFirstDigit(raw: String) throws {
        let error = try #require(failure(NIR.self, raw))
        #expect(error.type == .constraintError)
        #expect(error.message.hasPrefix("Premier chiffre du NIR invalide"))
    }

    @Test(arguments: ["1841567482123", "1840067482123", "1844567482123", "2841967482123"])
    func wrongMonth(raw: String) throws {
        let error = try #require(failure(NIR.self, raw))
        #expect(error.type == .constraintError)
        #expect(error.message.hasPrefix("Mois de naissance du NIR invalide"))
    }

    @Test(arguments: [
        "184056748212317", "1841567482123", "184056748212", "5840567482123", "1840567482I23",
        "290032A00405660",
    ])
    func errorsNeverQuoteTheNIR(raw: String) throws {
        let error = try #require(failure(NIR.self, raw))
        let digits = String(raw.prefix(13))
        #expect(!error.message.contains(digits))
        #expect(!"\(error)".contains(digits))
        #expect(!String(reflecting: error).contains(digits))
        #expect(error.maskedValue.map { !$0.contains(digits.dropFirst(3).prefix(4)) } ?? true)
        let issue = error.issue(field: "nir", line: 3)
        #expect(issue.value == error.maskedValue)
        #expect(issue.type == error.type)
        #expect(issue.line == 3)
    }

    @Test func printingNeverLeaks() throws {
        let nir = try NIR(validating: "184056748212386")
        #expect(nir.masked == "184************")
        #expect("\(nir)" == "184************")
        #expect(String(describing: nir) == "184************")
        #expect(String(reflecting: nir) == "NIR(184************)")
        #expect(!"\([nir])".contains("0567"))
        #expect(!"\(Optional(nir) as Any)".contains("0567"))
        var dumped = ""
        dump(nir, to: &dumped)
        #expect(!dumped.contains("0567"))
        #expect(dumped.contains("184************"))
        #expect(try NIR(validating: "1840567482123").masked == "184**********")
    }

    @Test func codableAsCanonicalString() throws {
        let nir = try NIR(validating: "1 84 05 67 482 123 86")
        let (json, decoded) = try roundTrip(nir)
        #expect(json == #"["184056748212386"]"#)
        #expect(decoded.canonical == nir.canonical)
        #expect(decoded.key == 86)
        let bad = Data(#"["184056748212317"]"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([NIR].self, from: bad) }
    }

    @Test func failableInitialiser() {
        #expect(NIR("1840567482123")?.computedKey == 86)
        #expect(NIR("184056748212317") == nil)
    }
}

@Suite("NIR agreement with sex, civility and birth date")
struct NIRAgreementTests {
    let man = try! NIR(validating: "1840567482123")  // man born in May 1984
    let woman = try! NIR(validating: "2841267482999")  // woman born in December 1984

    @Test func agreeing() {
        #expect(
            man.agreementIssues(
                sex: 1, civility: "MR", birthDate: LocalDate(year: 1984, month: 5, day: 12)
            ).isEmpty)
        #expect(
            woman.agreementIssues(
                sex: 2, civility: "MME", birthDate: LocalDate(year: 1984, month: 12, day: 1)
            ).isEmpty)
        #expect(man.agreementIssues(sex: nil, civility: nil, birthDate: nil).isEmpty)
        #expect(
            man.agreementIssues(
                sex: nil, civility: " m. ", birthDate: LocalDate(year: 2084, month: 5, day: 1)
            ).isEmpty)
    }

    @Test func sexMismatch() throws {
        let issues = man.agreementIssues(sex: 2, civility: nil, birthDate: nil)
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.type == .constraintError)
        #expect(issue.message.contains("homme d'après le NIR, femme d'après le sexe déclaré"))
        #expect(issue.maskedValue == "184**********")
    }

    @Test(arguments: ["MME", "Mme", "mme.", "MLLE", "Madame"])
    func civilityMismatchWhenSexIsAbsent(civility: String) {
        let issues = man.agreementIssues(sex: nil, civility: civility, birthDate: nil)
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains("d'après la civilité") == true)
    }

    @Test func sexTakesPrecedenceOverCivility() {
        #expect(man.agreementIssues(sex: 1, civility: "MME", birthDate: nil).isEmpty)
        #expect(man.agreementIssues(sex: 9, civility: "MME", birthDate: nil).count == 1)
        #expect(man.agreementIssues(sex: nil, civility: "DR", birthDate: nil).isEmpty)
    }

    @Test func birthYearMismatch() throws {
        let issues = man.agreementIssues(
            sex: 1, civility: "MR", birthDate: LocalDate(year: 1985, month: 5, day: 12))
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.type == .constraintError)
        #expect(
            issue.message
                == "Le NIR ne correspond pas à la date de naissance (année 84 d'après le NIR, 85 d'après la date) : "
                + "colonnes décalées ?")
        #expect(!issue.message.contains("1840567482123"))
    }

    @Test func birthMonthMismatch() throws {
        let issues = man.agreementIssues(
            sex: 1, civility: nil, birthDate: LocalDate(year: 1984, month: 6, day: 1))
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains("mois 05 d'après le NIR, 06 d'après la date") == true)
    }

    @Test func sexAndYearMismatchTogether() {
        let issues = woman.agreementIssues(
            sex: 1, civility: nil, birthDate: LocalDate(year: 1990, month: 1, day: 1))
        #expect(issues.count == 2)
    }

    @Test func specialMonthIsNotCompared() throws {
        let nir = try NIR(validating: "1602099350001")
        #expect(
            nir.agreementIssues(sex: 1, civility: nil, birthDate: LocalDate(year: 1960, month: 3, day: 1))
                .isEmpty)
    }

    @Test func provisionalNumbersUseParity() throws {
        let eight = try NIR(validating: "8920099012345")
        #expect(
            eight.agreementIssues(
                sex: 2, civility: "MME", birthDate: LocalDate(year: 1992, month: 7, day: 1)
            ).isEmpty)
        #expect(eight.agreementIssues(sex: 1, civility: nil, birthDate: nil).count == 1)
        let seven = try NIR(validating: "7840599123456")
        #expect(seven.agreementIssues(sex: 1, civility: nil, birthDate: nil).isEmpty)
    }
}

@Suite("Matricule")
struct MatriculeTests {
    @Test(arguments: [
        ("205599000000000", "2055990"), ("2055990", "2055990"), ("20559900", "2055990"),
        ("0002055990", "2055990"), (" 12345 ", "12345"), ("000123400000000", "1234"),
        ("123456789012345", "123456789012345"), ("100000000000000", "1000000"), ("0000001000", "1"),
        ("205599000000001", "205599000000001"),
    ])
    func normalisation(raw: String, canonical: String) throws {
        let matricule = try Matricule(validating: raw)
        #expect(matricule.canonical == canonical)
        #expect(matricule.description == canonical)
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("  ", .missingCell), ("12A45", .typeError),
        ("12 345", .typeError),
        ("-12345", .typeError), ("1234567890123456", .typeError), ("000000000000000", .constraintError),
        ("0", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(Matricule.self, raw))
        #expect(error.type == type)
    }

    @Test func errorsAreMasked() throws {
        let error = try #require(failure(Matricule.self, "2055A90"))
        #expect(error.maskedValue == "****A90")
        #expect(error.message.contains("position 5"))
    }

    @Test func maskedAndCodable() throws {
        let matricule = try Matricule(validating: "205599000000000")
        #expect(matricule.masked == "****990")
        let (json, decoded) = try roundTrip(matricule)
        #expect(json == #"["2055990"]"#)
        #expect(decoded == matricule)
        #expect(matricule == (try Matricule(validating: "2055990")))
    }
}

@Suite("France Travail identifier")
struct FranceTravailIDTests {
    @Test(arguments: [
        ("1234567A", "1234567A", "1234567A"), ("1234567a", "1234567A", "1234567A"),
        (" 12345678 ", "12345678", "12345678"), ("1234567A012", "1234567A012", "1234567A"),
        ("12345678901", "12345678901", "12345678"), ("1234567z999", "1234567Z999", "1234567Z"),
    ])
    func valid(raw: String, canonical: String, matchingKey: String) throws {
        let id = try FranceTravailID(validating: raw)
        #expect(id.canonical == canonical)
        #expect(id.matchingKey == matchingKey)
        #expect(id.description == canonical)
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("1234567", .typeError), ("123456789012", .typeError),
        ("1234567AB12", .typeError), ("123456AA", .typeError), ("1234567-", .typeError),
        ("1234567A01B", .typeError), ("1234567É", .typeError), ("0000000A", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(FranceTravailID.self, raw))
        #expect(error.type == type)
    }

    @Test func positionIsReported() throws {
        let error = try #require(failure(FranceTravailID.self, "1234567AB12"))
        #expect(error.message.contains("position 9"))
        #expect(error.maskedValue == "********B12")
    }

    @Test func bothFormsShareTheMatchingKey() throws {
        let old = try FranceTravailID(validating: "1234567A")
        let csv = try FranceTravailID(validating: "1234567A012")
        #expect(old != csv)
        #expect(old.matchingKey == csv.matchingKey)
        #expect(csv.masked == "********012")
        #expect(try roundTrip(csv).json == #"["1234567A012"]"#)
    }
}

@Suite("INSEE commune code")
struct INSEECommuneTests {
    @Test(arguments: [
        ("67482", "67482", "67"), ("68224", "68224", "68"), ("2A004", "2A004", "2A"),
        ("2b033", "2B033", "2B"),
        ("97105", "97105", "971"), ("98818", "98818", "988"), ("97611", "97611", "976"),
        ("99134", "99134", "99"),
        ("20004", "20004", "20"), (" 67482 ", "67482", "67"), ("01001", "01001", "01"),
    ])
    func valid(raw: String, canonical: String, departement: String) throws {
        let commune = try INSEECommune(validating: raw)
        #expect(commune.canonical == canonical)
        #expect(commune.departement == departement)
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("6748", .typeError), ("674821", .typeError),
        ("2C004", .typeError),
        ("A2004", .typeError), ("67A82", .typeError), ("67 482", .typeError),
        ("00123", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(INSEECommune.self, raw))
        #expect(error.type == type)
    }

    @Test func codesArePlainButShiftedNIRsAreMasked() throws {
        #expect(failure(INSEECommune.self, "67A82")?.maskedValue == "67A82")
        #expect(failure(INSEECommune.self, "1840567482123")?.maskedValue == "184**********")
        #expect(try roundTrip(INSEECommune(validating: "2a004")).json == #"["2A004"]"#)
    }
}

@Suite("Postal code")
struct PostalCodeTests {
    @Test(arguments: ["67000", "68100", "20000", "97400", " 67000 ", "01000"])
    func valid(raw: String) throws {
        let code = try PostalCode(validating: raw)
        #expect(code.canonical == raw.trimmingCharacters(in: .whitespaces))
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("6700", .typeError), ("67 000", .typeError),
        ("6700A", .typeError),
        ("670000", .typeError), ("00100", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(PostalCode.self, raw))
        #expect(error.type == type)
    }
}

@Suite("ROME code")
struct ROMECodeTests {
    @Test(arguments: [
        ("K2204", "K2204", "K22", "K"), ("k2204", "K2204", "K22", "K"), ("N1101", "N1101", "N11", "N"),
        ("A1101", "A1101", "A11", "A"), (" M1607 ", "M1607", "M16", "M"),
    ])
    func valid(raw: String, canonical: String, family: String, domain: String) throws {
        let code = try ROMECode(validating: raw)
        #expect(code.canonical == canonical)
        #expect(code.family == family)
        #expect(code.domain == domain)
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("K220", .typeError), ("K22045", .typeError),
        ("22045", .typeError),
        ("KK204", .typeError), ("K22O4", .typeError), ("O1234", .constraintError),
        ("Z9999", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(ROMECode.self, raw))
        #expect(error.type == type)
    }
}

@Suite("SIRET")
struct SIRETTests {
    @Test(arguments: [
        ("12345678900015", "12345678900015"), ("98765432100122", "98765432100122"),
        ("555 000 111 00040", "55500011100040"), ("35600000000048", "35600000000048"),
        ("35600000000001", "35600000000001"), ("35600000012340", "35600000012340"),
    ])
    func valid(raw: String, canonical: String) throws {
        let siret = try SIRET(validating: raw)
        #expect(siret.canonical == canonical)
        #expect(siret.siren == String(canonical.prefix(9)))
        #expect(siret.nic == String(canonical.suffix(5)))
    }

    @Test(arguments: [
        ("", IssueType.missingCell), ("1234567890001", .typeError), ("123456789000150", .typeError),
        ("1234567890001A", .typeError), ("12345678900016", .constraintError),
        ("12345678900051", .constraintError),
        ("00000000000000", .constraintError), ("35600000000049", .constraintError),
        ("35600000000172", .constraintError),
    ])
    func invalid(raw: String, type: IssueType) throws {
        let error = try #require(failure(SIRET.self, raw))
        #expect(error.type == type)
    }

    @Test func laPosteHasItsOwnMessage() throws {
        let error = try #require(failure(SIRET.self, "35600000000049"))
        #expect(error.message.hasPrefix("SIRET de La Poste invalide"))
        #expect(error.maskedValue == "35600000000049")
    }

    @Test func codable() throws {
        let siret = try SIRET(validating: "123 456 789 00015")
        #expect(try roundTrip(siret).json == #"["12345678900015"]"#)
        #expect(try roundTrip(siret).decoded == siret)
    }
}

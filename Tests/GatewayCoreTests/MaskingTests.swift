import Testing

@testable import GatewayCore

@Suite("Masking")
struct MaskingTests {
    @Test(arguments: [("Dupont", "D***"), ("  élodie", "é***"), ("D", "D***"), ("", ""), ("   ", "")])
    func name(value: String, masked: String) {
        #expect(Masking.name(value) == masked)
    }

    @Test(arguments: [("12 rue des Lilas", "***"), ("x", "***"), ("", ""), (" \t", "")])
    func text(value: String, masked: String) {
        #expect(Masking.text(value) == masked)
    }

    @Test(arguments: [
        ("184056748212386", "184************"), ("1 84 05 67 482 123 86", "184************"),
        ("1840567482123", "184**********"), ("290032A004056", "290**********"),
        ("184056748212", "184*********"),
        ("DUPONT", "***"), ("12345", "***"), ("", ""), ("12345678901234567890", "***"),
        ("0840567482123", "***"),
        ("Jean 1840567482123", "***"),
    ])
    func nir(raw: String, masked: String) {
        #expect(Masking.nir(raw) == masked)
    }

    @Test(arguments: [
        ("2055990", "****990"), ("1234567A012", "********012"), ("  2055990 ", "****990"),
        ("1234", "**34"),
        ("123456", "***456"), ("12", "*2"), ("1", "*"), ("", ""),
    ])
    func identifier(raw: String, masked: String) {
        #expect(Masking.identifier(raw) == masked)
    }

    @Test func identifierLongerThanAnyIdentifierIsFullyHidden() {
        let long = String(repeating: "9", count: 50)
        #expect(Masking.identifier(long) == String(repeating: "*", count: 50))
    }

    /// Synthetic NIRs of every shape: regular, Corsican, provisional, with and without key.
    static let nirs = [
        "1840567482123", "184056748212386", "290032A004056", "290032A00405687", "175122B033012",
        "784059912345647", "8920099012345", "1602099350001", "2841267482999",
    ]

    @Test(arguments: nirs)
    func nirMaskNeverShowsMoreThanThreeCharacters(raw: String) throws {
        let nir = try NIR(validating: raw)
        for shown in [
            nir.masked, "\(nir)", String(describing: nir), Masking.nir(raw), Masking.nir(nir.canonical),
        ] {
            #expect(shown.utf8.count == raw.utf8.count)
            #expect(shown.prefix(3) == raw.prefix(3))
            #expect(shown.dropFirst(3).allSatisfy { $0 == "*" })
        }
        #expect(nir.masked == Masking.nir(nir.canonical))
        let logLine = "personne \(nir) rejetée, \([nir]), \(String(reflecting: nir))"
        #expect(!logLine.contains(raw.dropFirst(3).prefix(4)))
    }
}

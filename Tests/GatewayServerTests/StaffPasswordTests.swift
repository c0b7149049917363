import GatewayServer
import Testing

@Suite("Staff passwords: bcrypt hashes, and the rule they follow")
struct StaffPasswordTests {
    @Test("A bcrypt hash: never the password, salted (two hashes differ), verified only by the right password")
    func hashes() {
        let password = "Correct-Cheval-Agrafe-2026"
        let first = StaffPasswords.hash(password, cost: 4)
        let second = StaffPasswords.hash(password, cost: 4)
        #expect(first.hasPrefix("$2") && !first.contains(password))
        #expect(first != second)
        #expect(StaffPasswords.verify(password, hash: first) && StaffPasswords.verify(password, hash: second))
        #expect(!StaffPasswords.verify("correct-cheval-agrafe-2026", hash: first))
        #expect(!StaffPasswords.verify(password, hash: "not a hash"))
        #expect(StaffPasswords.hash(password).hasPrefix("$2b$12$"), "the default cost is 12")
    }

    @Test(
        "Too short, holding the login, one character repeated, over bcrypt's 72 bytes: refused in French",
        arguments: [
            ("court", "Mot de passe trop court"), ("marie.martin-2026!", "ne doit pas contenir l'identifiant"),
            ("aaaaaaaaaaaaaaaa", "au moins 4 caractères différents"),
            (String(repeating: "abcdefgh", count: 10), "72 octets au plus"),
        ])
    func refused(password: String, message: String) {
        let problems = StaffPasswords.problems(password, login: "marie.martin")
        #expect(problems.contains { $0.contains(message) }, "\(problems)")
    }

    @Test("A long passphrase is accepted")
    func accepted() {
        #expect(StaffPasswords.problems("trois chevaux bleus au galop", login: "marie.martin").isEmpty)
    }
}

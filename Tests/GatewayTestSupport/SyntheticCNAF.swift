import Foundation

/// A CNAF household block (`<InfosFoyerRSA>…</InfosFoyerRSA>`, 13-character NIRs without their key) whose people
/// get NIRs of their own: the last six characters become the household's number and the member's position, so
/// that households made by repeating one sample block share nobody (no `person-in-several-households`).
public func withOwnNIRs(_ household: String, number: Int) -> String {
    let parts = household.components(separatedBy: "<NIR>")
    var rebuilt = parts[0]
    for (member, part) in parts.dropFirst().enumerated() {
        guard let end = part.range(of: "</NIR>")?.lowerBound else { return household }
        let digits = String(number % 100_000 + 100_000).dropFirst() + String(member % 10)
        rebuilt += "<NIR>" + part[..<end].dropLast(6) + digits + part[end...]
    }
    return rebuilt
}

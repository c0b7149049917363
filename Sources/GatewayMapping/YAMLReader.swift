import Yams

/// Reads the gateway's YAML files (flow mappings, `programmes.yaml`, `structures.yaml`, `gateway.yaml`): one parse,
/// then typed reads that record a problem and go on, so that every problem of a file is listed at once. A problem
/// reads `place : message`, the place a dotted path (`programmes.5.contact`, `exchanges[2] (ft).retries`).
public struct YAMLReader: Sendable {
    public var problems: [String] = []

    public init() {}

    /// Parses a document whose root is a map. `resolver` types the plain scalars (the mappings keep dates and
    /// decimals as text: `MappingLoader.resolver`).
    public static func document(
        _ yaml: String, resolver: Resolver = .default, rootHint: String = ""
    ) throws(MappingError) -> (root: [String: Any], node: Node) {
        guard let node = try parse(yaml, resolver: resolver), let root = node.any as? [String: Any] else {
            throw MappingError("le document doit être un objet YAML" + (rootHint.isEmpty ? "" : " (\(rootHint))"))
        }
        return (root, node)
    }

    /// Parses a document, whatever its root; nil for an empty one.
    public static func parse(_ yaml: String, resolver: Resolver = .default) throws(MappingError) -> Node? {
        do {
            return try Yams.compose(yaml: yaml, resolver)
        } catch {
            throw MappingError("YAML illisible : \(error)")
        }
    }

    /// `place.key`, or `key` at the root.
    public static func place(_ key: String, at place: String) -> String { place.isEmpty ? key : place + "." + key }

    public mutating func problem(at place: String, _ message: String) {
        problems.append(place.isEmpty ? message : place + " : " + message)
    }

    /// Records every key of `map` not in `keys`; one of `refused` with its own message (a secret written in the
    /// file: what to write instead).
    public mutating func allowOnly(
        _ keys: [String], in map: [String: Any], at place: String, refused: [String: String] = [:]
    ) {
        for key in map.keys.sorted() where !keys.contains(key) {
            problem(at: Self.place(key, at: place), refused[key] ?? "clé inconnue (\(keys.joined(separator: ", ")))")
        }
    }

    /// A map, its keys as text (a YAML key may be a number: `5:`).
    public mutating func map(_ key: String, in map: [String: Any], at place: String, required: Bool = false)
        -> [String: Any]?
    {
        guard let value = map[key] else {
            if required { problem(at: Self.place(key, at: place), "obligatoire") }
            return nil
        }
        if let object = value as? [String: Any] { return object }
        if let object = value as? [AnyHashable: Any] {
            var result: [String: Any] = [:]
            for (key, value) in object { result["\(key)"] = value }
            return result
        }
        problem(at: Self.place(key, at: place), "un objet est attendu")
        return nil
    }

    /// A text; a number or a boolean is taken as written.
    public mutating func text(_ key: String, in map: [String: Any], at place: String, required: Bool = false)
        -> String?
    {
        guard let value = map[key] else {
            if required { problem(at: Self.place(key, at: place), "obligatoire") }
            return nil
        }
        if let text = value as? String { return text }
        if value is Int || value is Double || value is Bool { return "\(value)" }
        problem(at: Self.place(key, at: place), "un texte est attendu")
        return nil
    }

    public mutating func int(_ key: String, in map: [String: Any], at place: String, minimum: Int = 0) -> Int? {
        guard let value = map[key] else { return nil }
        guard let number = value as? Int, number >= minimum else {
            problem(at: Self.place(key, at: place), "nombre entier ≥ \(minimum) attendu (« \(value) »)")
            return nil
        }
        return number
    }

    public mutating func number(_ key: String, in map: [String: Any], at place: String) -> Double? {
        guard let value = map[key] else { return nil }
        if let number = value as? Int { return Double(number) }
        if let number = value as? Double { return number }
        problem(at: Self.place(key, at: place), "nombre attendu (« \(value) »)")
        return nil
    }
}

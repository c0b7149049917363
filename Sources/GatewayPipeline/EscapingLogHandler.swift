import Logging

/// A log handler in front of another that makes every partner value safe to log: the message and every metadata
/// value have their line breaks and control characters escaped (`\n`, `\u{1B}`) and are cut to a bounded length,
/// so that a value sent by a partner (a business key, a file name, a header) can neither forge a log line nor fill
/// the log. Values are already masked where they are personal; this guards their form, not their content.
public struct EscapingLogHandler: LogHandler {
    public var inner: any LogHandler
    /// The longest text kept from one value (in characters); longer ones are cut and marked `…`.
    public var maximumLength: Int

    public init(_ inner: any LogHandler, maximumLength: Int = 200) {
        self.inner = inner
        self.maximumLength = maximumLength
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues { Self.safe($0, maximumLength) } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map { Self.safe($0, maximumLength) } }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: Self.safe(event.message.description, 4 * maximumLength))
        event.metadata = event.metadata?.mapValues { Self.safe($0, maximumLength) }
        inner.log(event: event)
    }

    /// A metadata value with every string in it made safe.
    static func safe(_ value: Logger.Metadata.Value, _ limit: Int) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(safe(text, limit))
        case .stringConvertible(let convertible): .string(safe(convertible.description, limit))
        case .array(let values): .array(values.prefix(32).map { safe($0, limit) })
        case .dictionary(let values): .dictionary(values.mapValues { safe($0, limit) })
        }
    }

    /// `text` with control characters escaped and at most `limit` characters.
    public static func safe(_ text: String, _ limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}

import CLibXML2
import Foundation
import GatewayCore

/// A growable column of trivial values in memory the tree manages itself: reading a record touches these in
/// tight loops, where arrays would cost a retain and a release per access.
struct Column<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
        self.base = .allocate(capacity: capacity)
    }

    @inline(__always)
    subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        guard let source = elements.baseAddress, elements.count > 0 else { return }
        if count + elements.count > capacity { grow(to: count + elements.count) }
        (base + count).initialize(from: source, count: elements.count)
        count += elements.count
    }

    mutating func removeAll() { count = 0 }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    func deallocate() { base.deallocate() }

    func buffer(_ range: Range<Int>) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}

/// One top-level element of the document (a record, a header, a trailer) as a compact tree: flat columns
/// reused from one record to the next, so reading a record allocates almost nothing.
final class RecordTree {
    enum Kind: UInt8 { case element, text }

    /// One node: element or text, its links, line, and its bytes (text) or attributes (element).
    struct Node: BitwiseCopyable {
        var kind: Kind
        var name: Int32
        var parent: Int32
        var firstChild: Int32 = -1
        var lastChild: Int32 = -1
        var nextSibling: Int32 = -1
        var line: Int32
        var start: Int32 = 0
        var end: Int32 = 0
    }

    @exclusivity(unchecked) var nodes = Column<Node>()
    @exclusivity(unchecked) var text = Column<UInt8>(capacity: 8192)
    @exclusivity(unchecked) var attributeName = Column<Int32>()
    @exclusivity(unchecked) var attributeStart = Column<Int32>()
    @exclusivity(unchecked) var attributeEnd = Column<Int32>()
    /// Interned element and attribute names: the parser's dictionary pointer → id; bytes in `namePool`.
    @exclusivity(unchecked) var nameIDs: [UnsafeRawPointer: Int32] = [:]
    @exclusivity(unchecked) var namePool = Column<UInt8>(capacity: 1024)
    @exclusivity(unchecked) var nameStart = Column<Int32>()
    @exclusivity(unchecked) var nameEnd = Column<Int32>()
    /// The top-level element's bytes as the file has them (in UTF-8, as libxml2 holds its input), from the `<` of
    /// its start tag; `sourceIntact` false when libxml2 let some go before they were copied (then it is written
    /// out from the tree instead).
    @exclusivity(unchecked) var source = Column<UInt8>(capacity: 8192)
    @exclusivity(unchecked) var sourceStart = 0
    @exclusivity(unchecked) var sourceIntact = false

    deinit {
        source.deallocate()
        nodes.deallocate()
        text.deallocate()
        attributeName.deallocate()
        attributeStart.deallocate()
        attributeEnd.deallocate()
        namePool.deallocate()
        nameStart.deallocate()
        nameEnd.deallocate()
    }

    func reset(keepingSource: Bool) {
        source.removeAll()
        sourceStart = 0
        sourceIntact = keepingSource
        nodes.removeAll()
        text.removeAll()
        attributeName.removeAll()
        attributeStart.removeAll()
        attributeEnd.removeAll()
    }

    func intern(_ pointer: UnsafePointer<xmlChar>) -> Int32 {
        let key = UnsafeRawPointer(pointer)
        if let id = nameIDs[key] { return id }
        let id = Int32(nameStart.count)
        let length = strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        nameStart.append(Int32(namePool.count))
        namePool.append(contentsOf: UnsafeBufferPointer(start: pointer, count: length))
        nameEnd.append(Int32(namePool.count))
        nameIDs[key] = id
        return id
    }

    /// The UTF-8 bytes of an interned name.
    @inline(__always)
    func nameBytes(_ id: Int32) -> UnsafeBufferPointer<UInt8> {
        namePool.buffer(Int(nameStart[Int(id)])..<Int(nameEnd[Int(id)]))
    }

    @discardableResult
    func append(_ nodeKind: Kind, name nameID: Int32, parent parentIndex: Int32, line lineNumber: Int32) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(kind: nodeKind, name: nameID, parent: parentIndex, line: lineNumber))
        if parentIndex >= 0 {
            let parentSlot = Int(parentIndex)
            let last = nodes[parentSlot].lastChild
            if last >= 0 {
                nodes[Int(last)].nextSibling = index
            } else {
                nodes[parentSlot].firstChild = index
            }
            nodes[parentSlot].lastChild = index
        }
        return index
    }

    /// Adds character data under `element`, extending its last text child when the data is contiguous.
    func appendText(_ bytes: UnsafePointer<xmlChar>, count: Int, under element: Int32, line lineNumber: Int32) {
        let last = nodes[Int(element)].lastChild
        if last >= 0 && nodes[Int(last)].kind == .text && nodes[Int(last)].end == Int32(text.count) {
            text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
            nodes[Int(last)].end = Int32(text.count)
            return
        }
        let node = append(.text, name: -1, parent: element, line: lineNumber)
        nodes[Int(node)].start = Int32(text.count)
        text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
        nodes[Int(node)].end = Int32(text.count)
    }
}

/// A borrowed element of the record being read. Valid only inside the reader's callback.
public struct XMLNodeRef {
    unowned(unsafe) let tree: RecordTree
    let index: Int32

    /// The element's name.
    public var name: String { String(decoding: tree.nameBytes(tree.nodes[Int(index)].name), as: UTF8.self) }

    public func isNamed(_ name: XMLName) -> Bool {
        let own = tree.nameBytes(tree.nodes[Int(index)].name)
        guard own.count == name.bytes.count - 1 else { return false }
        return name.bytes.withUnsafeBufferPointer { memcmp(own.baseAddress!, $0.baseAddress!, own.count) == 0 }
    }

    /// Whether the element's name is exactly these UTF-8 bytes (no terminating NUL).
    @inline(__always)
    public func isNamed(bytes name: UnsafeBufferPointer<UInt8>) -> Bool {
        let own = tree.nameBytes(tree.nodes[Int(index)].name)
        guard own.count == name.count else { return false }
        return own.isEmpty || memcmp(own.baseAddress!, name.baseAddress!, own.count) == 0
    }

    /// Line of the element's start tag.
    public var line: Int { Int(tree.nodes[Int(index)].line) }

    /// Child elements, in document order.
    public var children: XMLChildren { XMLChildren(tree: tree, cursor: tree.nodes[Int(index)].firstChild) }

    /// The first child element with this name.
    public func child(_ name: XMLName) -> XMLNodeRef? {
        for child in children where child.isNamed(name) { return child }
        return nil
    }

    /// The concatenated text of the element's own text (character data, CDATA, references resolved).
    public var text: String {
        var child = tree.nodes[Int(index)].firstChild
        var result: String?
        while child >= 0 {
            let slot = Int(child)
            if tree.nodes[slot].kind == .text {
                let piece = String(
                    decoding: tree.text.buffer(Int(tree.nodes[slot].start)..<Int(tree.nodes[slot].end)), as: UTF8.self)
                result = result.map { $0 + piece } ?? piece
            }
            child = tree.nodes[slot].nextSibling
        }
        return result ?? ""
    }

    /// Whether the element has child elements (as opposed to only text).
    public var hasElementChildren: Bool {
        var child = tree.nodes[Int(index)].firstChild
        while child >= 0 {
            if tree.nodes[Int(child)].kind == .element { return true }
            child = tree.nodes[Int(child)].nextSibling
        }
        return false
    }

    /// The element serialised as XML text, white space kept, for quarantine.
    public func serialised() -> String { String(decoding: serialisedBytes(), as: UTF8.self) }

    /// The element as XML in UTF-8 bytes: a top-level element as the file has it (white space, comments and
    /// entity references as written, in UTF-8), any other written out from the tree.
    public func serialisedBytes() -> [UInt8] {
        if index == 0 && tree.sourceIntact && tree.source.count > tree.sourceStart {
            return Array(tree.source.buffer(tree.sourceStart..<tree.source.count))
        }
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(index, to: &out)
        return out
    }

    /// Writes the element and its subtree. Kept for every CNAF household, so it copies runs of bytes, not bytes:
    /// names and literals are appended whole, text runs between characters to escape in one go.
    private func write(_ node: Int32, to out: inout [UInt8]) {
        let slot = Int(node)
        if tree.nodes[slot].kind == .text {
            escape(
                tree.text.buffer(Int(tree.nodes[slot].start)..<Int(tree.nodes[slot].end)), attribute: false, to: &out)
            return
        }
        let name = tree.nameBytes(tree.nodes[slot].name)
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name)
        for attribute in Int(tree.nodes[slot].start)..<Int(tree.nodes[slot].end) {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: tree.nameBytes(tree.attributeName[attribute]))
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "\""))
            escape(
                tree.text.buffer(Int(tree.attributeStart[attribute])..<Int(tree.attributeEnd[attribute])),
                attribute: true, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        var child = tree.nodes[slot].firstChild
        guard child >= 0 else {
            out.append(UInt8(ascii: "/"))
            out.append(UInt8(ascii: ">"))
            return
        }
        out.append(UInt8(ascii: ">"))
        // Indentation between elements is not content (the schema has no mixed content): it is left out, which
        // makes the kept record about a third smaller.
        var hasElements = false
        var scan = child
        while scan >= 0 && !hasElements {
            hasElements = tree.nodes[Int(scan)].kind == .element
            scan = tree.nodes[Int(scan)].nextSibling
        }
        while child >= 0 {
            let next = Int(child)
            if !(hasElements && tree.nodes[next].kind == .text
                && tree.text.buffer(Int(tree.nodes[next].start)..<Int(tree.nodes[next].end)).allSatisfy({
                    $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09
                }))
            {
                write(child, to: &out)
            }
            child = tree.nodes[next].nextSibling
        }
        out.append(UInt8(ascii: "<"))
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: name)
        out.append(UInt8(ascii: ">"))
    }

    private static let escapes: [UInt8: [UInt8]] = [
        UInt8(ascii: "&"): Array("&amp;".utf8), UInt8(ascii: "<"): Array("&lt;".utf8),
        UInt8(ascii: ">"): Array("&gt;".utf8), UInt8(ascii: "\""): Array("&quot;".utf8),
    ]

    private func escape(_ bytes: UnsafeBufferPointer<UInt8>, attribute: Bool, to out: inout [UInt8]) {
        var run = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard
                byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                    || (attribute && byte == UInt8(ascii: "\""))
            else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
            out.append(contentsOf: Self.escapes[byte]!)
            run = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
    }

}

/// Iterates the child elements of an element.
public struct XMLChildren: Sequence, IteratorProtocol {
    unowned(unsafe) let tree: RecordTree
    var cursor: Int32

    public mutating func next() -> XMLNodeRef? {
        while cursor >= 0 {
            let current = cursor
            cursor = tree.nodes[Int(current)].nextSibling
            if tree.nodes[Int(current)].kind == .element { return XMLNodeRef(tree: tree, index: current) }
        }
        return nil
    }
}

/// Drives libxml2's SAX2 push parser over a file, building each top-level element as a `RecordTree` and
/// handing it over once complete. No DOM is built; libxml2's errors go to an `ErrorCollector`.
final class XMLRecordParser {
    let path: String
    let encoding: String?
    let counter: ByteCounter
    let collector = ErrorCollector()
    let tree = RecordTree()
    @exclusivity(unchecked) private var depth = 0
    @exclusivity(unchecked) private var current: Int32 = -1
    @exclusivity(unchecked) private var deliver: ((XMLNodeRef) throws -> Void)?
    @exclusivity(unchecked) private var callbackError: (any Error)?
    @exclusivity(unchecked) private var context: xmlParserCtxtPtr?
    @exclusivity(unchecked) private var sawRoot = false

    /// How the file's bytes are read repaired into UTF-8 (`XMLRepairingSource`), if they are.
    let repairing: Repair?
    enum Repair { case lines, utf16(ByteReader.UTF16Order) }

    /// Whether the top-level elements' own text is copied (`RecordTree.source`).
    let keepsSource: Bool

    init(path: String, encoding: String?, counter: ByteCounter, repairing: Repair? = nil, keepsSource: Bool = false) {
        self.path = path
        self.encoding = encoding
        self.counter = counter
        self.repairing = repairing
        self.keepsSource = keepsSource
    }

    /// Parses the whole file, calling `element` with each complete top-level element.
    func parse(_ element: (XMLNodeRef) throws -> Void) throws {
        try withoutActuallyEscaping(element) { escapable in
            deliver = escapable
            defer { deliver = nil }
            try parseFile()
        }
    }

    private func parseFile() throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FormatError(.formatError, message: "Fichier illisible ou absent.") }
        defer { close(descriptor) }
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let context, let localName else { return }
            let parser = Unmanaged<XMLRecordParser>.fromOpaque(context).takeUnretainedValue()
            parser.startElement(localName, attributeCount: Int(attributeCount), attributes: attributes)
        }
        handler.endElementNs = { context, _, _, _ in
            guard let context else { return }
            Unmanaged<XMLRecordParser>.fromOpaque(context).takeUnretainedValue().endElement()
        }
        handler.characters = { context, bytes, length in
            guard let context, let bytes else { return }
            Unmanaged<XMLRecordParser>.fromOpaque(context).takeUnretainedValue().characters(bytes, Int(length))
        }
        handler.cdataBlock = handler.characters
        handler.internalSubset = { context, _, _, _ in
            guard let context else { return }
            Unmanaged<XMLRecordParser>.fromOpaque(context).takeUnretainedValue().refuse(
                XMLSafety.doctypeRefusal(path: "")
            )
        }
        handler.serror = { context, error in
            guard let context, let error else { return }
            Unmanaged<XMLRecordParser>.fromOpaque(context).takeUnretainedValue().collector.record(error.pointee)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let repair = repairing.map { how in
            switch how {
            case .lines: XMLRepairingSource(descriptor: descriptor)
            case .utf16(let order): XMLRepairingSource(descriptor: descriptor, utf16: order)
            }
        }
        func read(_ buffer: UnsafeMutableRawBufferPointer, _ count: Int) -> Int {
            guard let repair else { return Glibc.read(descriptor, buffer.baseAddress, count) }
            return repair.read(into: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), capacity: count)
        }
        let first = chunk.withUnsafeMutableBytes { read($0, 4) }
        guard first >= 0 else { throw FormatError(.formatError, message: "Fichier illisible.") }
        counter.value += Int64(first)
        let created = chunk.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 4) { bytes in
                xmlCreatePushParserCtxt(&handler, me, bytes, Int32(first), path)
            }
        }
        guard let parserContext = created else {
            throw FormatError(.formatError, message: "Impossible d'ouvrir le fichier XML.")
        }
        context = parserContext
        defer {
            xmlFreeParserCtxt(parserContext)
            context = nil
        }
        _ = xmlCtxtUseOptions(parserContext, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue))
        if let encoding, let encodingHandler = xmlFindCharEncodingHandler(encoding) {
            _ = xmlSwitchToEncoding(parserContext, encodingHandler)
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { read($0, $0.count) }
            guard count >= 0 else { throw FormatError(.formatError, message: "Erreur de lecture du fichier.") }
            counter.value += Int64(count)
            let status = chunk.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(count, 1)) { bytes in
                    xmlParseChunk(parserContext, bytes, Int32(count), count == 0 ? 1 : 0)
                }
            }
            if let callbackError { throw callbackError }
            if status != 0 || collector.fatal != nil || parserContext.pointee.wellFormed == 0 {
                throw collector.formatError(fallbackLine: Int(parserContext.pointee.input?.pointee.line ?? 0))
            }
            if count == 0 { break }
        }
        if !sawRoot { throw FormatError(.formatError, message: "Le fichier XML ne contient aucun élément.") }
    }

    private var currentLine: Int32 { Int32(truncatingIfNeeded: context?.pointee.input?.pointee.line ?? 0) }

    private func refuse(_ error: FormatError) {
        guard callbackError == nil else { return }
        var located = error
        located.issue.line = Int(currentLine)
        callbackError = located
        if let context { xmlStopParser(context) }
    }

    /// Where the last callback left libxml2's input: an offset in its UTF-8 bytes since the start, which its
    /// shrinking and growing of the buffer do not move.
    @exclusivity(unchecked) private var mark = 0

    /// Copies the input's bytes from `mark` to where libxml2 stands into the top-level element's source while one
    /// is read; called at each tag. libxml2 (push mode) lets bytes go only between two of its steps, keeping the last
    /// 80 before its position: bytes are lost only after a long stretch between two tags (a text or a comment of
    /// more than 80 bytes, when libxml2 let go of them meanwhile), and then the element is written out from the tree.
    /// With `indented`, white space right before the tag is left out: indentation between elements is not content
    /// (partner schemas have no mixed content), and the kept record is a third smaller without it.
    private func follow(indented: Bool) {
        guard keepsSource else { return }
        guard let context, let input = context.pointee.input, let base = input.pointee.base,
            let cur = input.pointee.cur
        else {
            tree.sourceIntact = false
            return
        }
        let consumed = Int(input.pointee.consumed)
        let target = consumed + (cur - base)
        // Inside a top-level element (depth 2 and below), its bytes are copied; elsewhere only the mark moves.
        if depth >= 2 && tree.sourceIntact && target > mark {
            if mark < consumed || context.pointee.inputNr != 1 {
                tree.sourceIntact = false
            } else {
                var from = base + (mark - consumed)
                if indented {
                    // The segment is the `>` of the tag before (libxml2 calls back before reading it), white space,
                    // then this tag: the white space goes when a tag follows it.
                    let gap = from.pointee == UInt8(ascii: ">") ? from + 1 : from
                    var text = gap
                    while text < cur && Self.isSpace(text.pointee) { text += 1 }
                    if text > gap && text < cur && text.pointee == UInt8(ascii: "<") {
                        tree.source.append(contentsOf: UnsafeBufferPointer(start: from, count: gap - from))
                        from = text
                    }
                }
                tree.source.append(contentsOf: UnsafeBufferPointer(start: from, count: cur - from))
            }
        }
        mark = max(mark, target)
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private func startElement(
        _ localName: UnsafePointer<xmlChar>, attributeCount: Int,
        attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
        depth += 1
        guard depth >= 2 else {
            sawRoot = true
            follow(indented: true)
            return
        }
        if depth == 2 {
            tree.reset(keepingSource: keepsSource)
            // What came since the last callback: white space, perhaps a comment, then this start tag, up to its `>`
            // (not yet read). Its `<` is the last one: a `<` cannot appear unescaped in an attribute's value.
            follow(indented: true)
            var start = tree.source.count
            while start > 0 && tree.source[start - 1] != UInt8(ascii: "<") { start -= 1 }
            tree.sourceStart = max(start - 1, 0)
        } else {
            follow(indented: true)
        }
        let node = tree.append(
            .element, name: tree.intern(localName), parent: depth == 2 ? -1 : current, line: currentLine)
        if attributeCount > 0, let attributes {
            let first = Int32(tree.attributeName.count)
            for offset in 0..<attributeCount {
                // Five pointers per attribute: local name, prefix, URI, value start, value end.
                let base = attributes + offset * 5
                guard let attributeName = base[0], let valueStart = base[3], let valueEnd = base[4] else { continue }
                let valueOffset = Int32(tree.text.count)
                tree.text.append(contentsOf: UnsafeBufferPointer(start: valueStart, count: valueEnd - valueStart))
                tree.attributeName.append(tree.intern(attributeName))
                tree.attributeStart.append(valueOffset)
                tree.attributeEnd.append(Int32(tree.text.count))
            }
            tree.nodes[Int(node)].start = first
            tree.nodes[Int(node)].end = Int32(tree.attributeName.count)
        }
        current = node
    }

    private func endElement() {
        defer { depth -= 1 }
        if keepsSource {
            // White space before the end tag of an element with children is indentation; in a leaf it is its text.
            follow(indented: depth < 2 || current < 0 || XMLNodeRef(tree: tree, index: current).hasElementChildren)
        }
        guard depth >= 2, current >= 0 else { return }
        if depth == 2 {
            guard callbackError == nil, let deliver else { return }
            do {
                try deliver(XMLNodeRef(tree: tree, index: 0))
            } catch {
                callbackError = error
                if let context { xmlStopParser(context) }
            }
            current = -1
        } else {
            current = tree.nodes[Int(current)].parent
        }
    }

    private func characters(_ bytes: UnsafePointer<xmlChar>, _ length: Int) {
        guard depth >= 2, current >= 0 else { return }
        tree.appendText(bytes, count: length, under: current, line: currentLine)
    }
}

internal import CLibXML2

/// Parses an HTML document with libxml2's HTML parser (no network) and returns its errors, so that a
/// generated report can be checked for well-formedness. libxml2's parser knows HTML 4 only, so its
/// "unknown tag" complaints about HTML5 and SVG elements (`figure`, `svg`, `rect`, …) are not errors.
public enum HTMLCheck {
    /// The parser's error messages; empty when the document parsed cleanly.
    public static func errors(in html: String) -> [String] {
        final class Collector {
            var messages: [String] = []
        }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        xmlSetStructuredErrorFunc(context) { context, error in
            guard let context, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue,
                error.pointee.code != Int32(XML_HTML_UNKNOWN_TAG.rawValue)
            else { return }
            let message = error.pointee.message.map { String(cString: $0) } ?? "error"
            Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().messages.append("line \(error.pointee.line): \(message)")
        }
        defer { xmlSetStructuredErrorFunc(nil, nil) }
        let bytes = Array(html.utf8)
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                htmlReadMemory($0.baseAddress, Int32($0.count), "report.html", "UTF-8", Int32(HTML_PARSE_NONET.rawValue))
            }
        }
        if let document { xmlFreeDoc(document) } else { collector.messages.append("the document could not be parsed") }
        return collector.messages
    }
}

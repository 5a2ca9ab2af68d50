/// A string-to-string map as compact JSON with sorted keys: the stable form of audit details, written
/// without the cost of a `JSONEncoder` per event.
public enum CanonicalJSON {
    public static func encode(_ map: [String: String]) -> String {
        var out = "{"
        for (n, key) in map.keys.sorted().enumerated() {
            if n > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(map[key] ?? "", to: &out)
        }
        return out + "}"
    }

    private static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = Hex.encode([UInt8(scalar.value >> 8 & 0xFF), UInt8(scalar.value & 0xFF)])
                out += "\\u" + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

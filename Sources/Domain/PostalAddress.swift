/// A mainland postal address split into the parts that masking treats differently.
///
/// Province, city and district may be shown; the detail (street, building, house number)
/// is personal information shown only as `****` unless a purpose-bound reveal is recorded.
public struct PostalAddress: Sendable, Hashable, Codable {
    /// Province, autonomous region or municipality (`广东省`, `北京市`).
    public var province: String
    /// City (`深圳市`); for a municipality often the same as the province.
    public var city: String
    /// District or county (`南山区`).
    public var district: String
    /// Street, building and house number.
    public var detail: String

    /// Creates an address; each part is trimmed of surrounding white space.
    public init(province: String, city: String, district: String, detail: String) {
        self.province = TextScan.trimmed(province)
        self.city = TextScan.trimmed(city)
        self.district = TextScan.trimmed(district)
        self.detail = TextScan.trimmed(detail)
    }

    /// Province, city and district run together as Chinese addresses are written, without
    /// repeating a municipality (`北京市` + `北京市` + `朝阳区` → `北京市朝阳区`).
    public var region: String {
        var parts: [String] = []
        for part in [province, city, district] where !part.isEmpty && part != parts.last {
            parts.append(part)
        }
        return parts.joined()
    }

    /// The whole address (region then detail).
    public var full: String { region + detail }

    /// The region followed by `****` in place of the detail (`广东省深圳市南山区****`).
    public var masked: String { detail.isEmpty ? region : region + "****" }
}

extension PostalAddress: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked address, so interpolation never leaks the detail.
    public var description: String { masked }
    /// The masked address.
    public var debugDescription: String { "PostalAddress(\(masked))" }
    /// A mirror that shows only the masked address.
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }
}

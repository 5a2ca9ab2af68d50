import Domain
import Foundation
import Testing

@Suite("Masking (display de-identification)")
struct MaskingTests {
    @Test("2.3.2: phone masked as 138****8000")
    func phone() throws {
        // setup
        let number = try MobileNumber("+86 138 0013 8000")
        // act, check
        #expect(Masking.mask(phone: number) == "138****8000")
        #expect(Masking.mask(phone: "13800138000") == "138****8000")
        #expect(Masking.mask(phone: "+86 138-0013-8000") == "138****8000")
        #expect(Masking.mask(phone: "010-6552 9988") == "010******9988")
        #expect(Masking.mask(phone: "12345678") == "123*5678")
        #expect(Masking.mask(phone: "1234567") == "*******")
        #expect(Masking.mask(phone: "") == "")
    }

    @Test("2.3.2: resident ID masked as 1****************X, same length")
    func residentID() throws {
        // setup
        let id = try ResidentID("11010519491231002X", now: Fixtures.now)
        // act
        let masked = Masking.mask(residentID: id)
        // check
        #expect(masked == "1****************X")
        #expect(masked.count == 18)
        #expect(Masking.mask(residentID: "110105194912310021") == "1****************1")
        #expect(Masking.mask(residentID: "12") == "**")
        #expect(Masking.mask(residentID: "") == "")
    }

    @Test(
        "2.3.2: names masked keeping the surname or first and last character",
        arguments: [
            ("", ""),
            ("张", "*"),
            ("张三", "张*"),
            ("张小三", "张*三"),
            ("欧阳锋", "欧*锋"),
            ("欧阳小锋", "欧**锋"),
            ("阿卜杜·热合曼", "阿*****曼"),
            (" 李四 ", "李*"),
            ("John Smith", "J********h"),
            ("👨‍👩‍👧👩🏽", "👨‍👩‍👧*"),
            ("e\u{301}mile", "e\u{301}***e"),
        ])
    func name(name: String, expected: String) {
        #expect(Masking.mask(name: name) == expected)
    }

    @Test("2.3.2: card shown as last four only, **** 1234")
    func card() {
        #expect(Masking.mask(cardLastFour: "1234") == "**** 1234")
        #expect(Masking.mask(cardLastFour: "4111 1111 1111 1234") == "**** 1234")
        #expect(Masking.mask(cardLastFour: "１２３４") == "**** 1234")
        #expect(Masking.mask(cardLastFour: "123") == "****")
        #expect(Masking.mask(cardLastFour: "") == "****")
        #expect(Masking.mask(cardLastFour: "abcd") == "****")
    }

    @Test("2.3.2: e-mail masked as z***@example.com")
    func email() throws {
        #expect(Masking.mask(email: try EmailAddress("zhang@example.com")) == "z***@example.com")
        #expect(Masking.mask(email: try EmailAddress("z@Example.com")) == "z***@example.com")
        #expect(Masking.mask(email: "张三@例子.中国") == "张***@例子.中国")
        #expect(Masking.mask(email: "@example.com") == "***@example.com")
        #expect(Masking.mask(email: "no-at-sign") == "***")
        #expect(Masking.mask(email: "") == "")
    }

    @Test("2.3.2: address keeps province, city and district and masks the rest")
    func address() {
        // setup
        let shenzhen = PostalAddress(province: "广东省", city: "深圳市", district: "南山区", detail: "科技园路1号3栋501")
        let beijing = PostalAddress(province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路88号")
        let noDetail = PostalAddress(province: "浙江省", city: "杭州市", district: "西湖区", detail: " ")
        // act, check
        #expect(Masking.mask(address: shenzhen) == "广东省深圳市南山区****")
        #expect(beijing.masked == "北京市朝阳区****")
        #expect(beijing.full == "北京市朝阳区建国路88号")
        #expect(noDetail.masked == "浙江省杭州市西湖区")
        #expect("\(shenzhen)" == "广东省深圳市南山区****")
        #expect(!String(reflecting: shenzhen).contains("科技园"))
    }

    @Test(
        "2.3.2: generic masking is character-based and total",
        arguments: [
            ("", 3, 4, ""),
            ("abc", 3, 4, "***"),
            ("abcdefgh", 3, 4, "abc*efgh"),
            ("abcdefgh", -5, -1, "********"),
            ("张三李四王五赵六", 2, 2, "张三****赵六"),
            ("🇨🇳🇨🇳🇨🇳", 1, 1, "🇨🇳*🇨🇳"),
        ])
    func generic(text: String, first: Int, last: Int, expected: String) {
        #expect(Masking.mask(text, keepingFirst: first, keepingLast: last) == expected)
    }

    @Test("2.3.2: masking never splits a character and never traps on any input")
    func totalOnRandomInput() {
        // setup
        var generator = SeededGenerator(seed: 35273)
        for _ in 0..<500 {
            let text = Fixtures.randomText(length: Int.random(in: 0...40, using: &generator), using: &generator)
            // act
            let results = [
                Masking.mask(phone: text), Masking.mask(residentID: text), Masking.mask(name: text),
                Masking.mask(cardLastFour: text), Masking.mask(email: text),
            ]
            // check: every scalar of the output comes from the input or the mask
            let allowed = Set(text.unicodeScalars).union("* @0123456789".unicodeScalars)
            for result in results {
                #expect(result.unicodeScalars.allSatisfy { allowed.contains($0) }, "\(result.debugDescription)")
            }
            #expect(Masking.mask(text, keepingFirst: 1, keepingLast: 1).count <= max(text.count, 1) + 1)
        }
    }
}

import Domain
import Testing

/// Clause 2.4.1 (no fraudulent or false information) and 2.4.2 (no card numbers): listing text screening.
@Suite("Listing screening")
struct ListingScreeningTests {
    @Test(
        "2.4.1: plain descriptions publish; absolute claims and counterfeit wording go to review; the rest is refused",
        arguments: [
            ("手工陶瓷茶杯", "景德镇手工烧制，容量 200ml，可用洗碗机。", ListingScreening.Outcome.publish),
            ("Linen shirt", "Washed linen, sizes S to XL, 2 colours.", .publish),
            ("降压茶", "纯天然，100%根治高血压", .review),
            ("全网最低价耳机", "音质清晰", .review),
            ("名牌包", "高仿原单，1:1 复刻", .review),
            ("二手手机", "有意加微信 abc12345 详聊", .review),
            ("气枪", "出售手枪配件", .reject),
            ("球鞋", "联系 138 0013 8000 看实物", .reject),
            ("球鞋", "Write to seller@example.com for the price", .reject),
            ("礼品卡", "卡号 4111 1111 1111 1111 转让", .reject),
            ("代购", "买家张三身份证11010519491231002X", .reject),
            ("球鞋", "联系邮箱seller@example.com谢谢", .reject),
        ])
    func outcomes(title: String, description: String, expected: ListingScreening.Outcome) {
        // act
        let verdict = ListingScreening.screen(title, description)
        // check: the outcome, always with reasons unless published
        #expect(verdict.outcome == expected, "\(title): \(verdict.reasons)")
        #expect(verdict.reasons.isEmpty == (expected == .publish))
    }

    @Test("2.4.1: a price, a batch number or eighteen digits with a wrong check digit identify no one")
    func noFalseContacts() {
        #expect(ListingScreening.screen("茶叶 500g", "价格 12800 分，批号 20261129001").outcome == .publish)
        #expect(ListingScreening.screen("茶叶", "条码 110105194912310021").outcome == .publish)
        #expect(!ListingScreening.identifiesPerson("批号 20261129001，价格 128 元"))
        #expect(ListingScreening.identifiesPerson("请联系 13800138000"))
    }

    @Test("2.3.2: what screening refuses is masked in the text kept of a rejected listing")
    func redaction() {
        let kept = ListingScreening.redacted(
            "电话 138 0013 8000，邮箱a.b@example.com，身份证 11010519491231002X，卡 4111111111111111")
        #expect(!ListingScreening.identifiesPerson(kept), "\(kept)")
        #expect(!kept.contains("8000") && !kept.contains("example.com") && !kept.contains("1231002"))
        #expect(kept.hasPrefix("电话 "))
    }
}

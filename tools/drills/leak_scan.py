#!/usr/bin/env python3
"""Leak-scan drill (issue 11): after a realistic workload that submits personal data everywhere a user can and
tries card numbers in every text field, scan the database files, an SQL dump, the server's log and the backups:
0 card numbers and 0 personal data in clear.

Every submitted value is a *canary*: distinctive and unique to the one place it was typed in, so a hit names the
input that leaked. Card numbers are unique per probe for the same reason.

Usage: leak_scan.py PATH/TO/covenant [--quick] [--keep]
Exit 0 when nothing leaked and every card number was refused; 1 otherwise. Standard library only."""
import argparse, collections, json, os, random, re, shutil, sqlite3, struct, subprocess, sys, time, zlib
import urllib.parse, urllib.request, http.cookiejar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drill_lib import (Reply, Server, Sessions, Shop, exit_on_sigterm, idempotency_key,  # noqa: E402
                       social_credit_code, totp)
import openapi_fields  # noqa: E402

PASSWORD = "drill-Passw0rd-long-enough"

# ----------------------------------------------------------------------------------------------------------------
# Canaries: distinctive personal data, each value typed in exactly one place.

SURNAMES = ["司马", "欧阳", "上官", "慕容", "诸葛", "皇甫", "东方", "令狐", "独孤", "南宫", "西门", "夏侯"]
GIVEN_CHARS = "韵琪澜汐墨辰语嫣瑾瑜沐阳青萝星阑芷若聆风晚棠颂今砚秋栖梧知遥汀兰望舒扶摇映雪鹤鸣"
LATIN = ["Quillon Marbleworth", "Zephyrine Quattlebaum", "Oswin Thistlewood", "Perpetua Wainscott",
         "Lysander Fennimore", "Ottoline Brackenridge", "Evander Quenby", "Isolde Hawthornby"]
STREETS = ["栖霞岭路", "曙光北街", "玉泉西巷", "梧桐深弄", "凤起东路", "青芝坞里"]
REGIONS = ["110105", "310104", "440305", "330106", "510107", "620102"]


def luhn_check_digit(body: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return luhn_check_digit(digits[:-1]) == digits[-1]


def resident_id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2, as Sources/Domain/ResidentID.swift computes it."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


class Canaries:
    """Generates unique distinctive values and remembers where each one was submitted."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.used, self.all = set(), []
        names = [s + a + b for s in SURNAMES for a in GIVEN_CHARS for b in GIVEN_CHARS if a != b]
        self.names = self.random.sample(names, len(names))  # 12 compound surnames × 40 × 39 given names

    def _new(self, kind, place, make):
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                self.all.append({"kind": kind, "place": place, "value": value})
                return value

    def name(self, place):
        return self._new("name", place, self.names.pop)

    def latin_name(self, place):
        return self._new("name", place, lambda: f"{self.random.choice(LATIN)} {self.random.choice('BCDFGHKLMNPRSTVWZ')}.")

    def mobile(self, place):
        return self._new("mobile", place, lambda: "1390013%04d" % self.random.randrange(10000))

    def email(self, place):
        return self._new("email", place, lambda: "canary.%s.%05d@example.org"
                         % (self.random.choice(["quill", "marble", "thistle", "fenn"]), self.random.randrange(10 ** 5)))

    def resident_id(self, place):
        def make():
            birth = "%04d%02d%02d" % (self.random.randint(1960, 2004), self.random.randint(1, 12),
                                      self.random.randint(1, 28))
            first17 = self.random.choice(REGIONS) + birth + "%03d" % self.random.randrange(1000)
            return first17 + resident_id_check(first17)
        return self._new("resident_id", place, make)

    def address(self, place):
        return self._new("address", place, lambda: "%s%d号%d幢%d室" % (
            self.random.choice(STREETS), self.random.randint(1000, 9999), self.random.randint(1, 30),
            self.random.randint(101, 2999)))


class Cards:
    """Luhn-valid card numbers of real issuer prefixes, a fresh one per probe, in rotating notations."""
    PREFIXES = [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16),
                ("65", 16), ("3528", 16), ("36", 14), ("62", 16), ("62", 19), ("4", 13), ("4", 19), ("6222", 16)]
    FIXED = ["5555555555554444", "6222021234567894", "378282246310005", "6011111111111117",
             "3566002020360505", "4000056655665556", "2223003122003222", "36227206271667", "6250941006528599"]

    HOSTED_PAGE_CARD = "4242424242424242"  # typed on the payment sandbox's page for every purchase

    def __init__(self, seed):
        self.random, self.count = random.Random(seed), 0
        self.issued = [{"value": self.HOSTED_PAGE_CARD, "place": "the payment institution's hosted page"}]

    def next(self, where):
        if self.count < len(self.FIXED):
            number = self.FIXED[self.count]
        else:
            prefix, length = self.PREFIXES[self.count % len(self.PREFIXES)]
            body = prefix + "".join(self.random.choice("0123456789") for _ in range(length - len(prefix) - 1))
            number = body + luhn_check_digit(body)
        self.count += 1
        self.issued.append({"value": number, "place": where})
        return number, self.notation(number)

    def notation(self, number):
        """The number as a user might type it: bare, grouped, dashed, full-width or inside a sentence."""
        style = self.count % 5
        if style == 1:
            return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
        if style == 2:
            return "-".join(number[i:i + 4] for i in range(0, len(number), 4))
        if style == 3:
            return "".join(chr(0xFF10 + int(d)) for d in number)
        if style == 4:
            return f"请退款到我的卡 {number} 谢谢"
        return number


# ----------------------------------------------------------------------------------------------------------------
# The workload: personas push canaries through every place a user can type personal data.

class Workload:
    """Consumers, merchants and staff doing ordinary business, with canaries wherever text goes in."""

    def __init__(self, server, canaries, personas):
        self.server, self.api, self.canaries, self.personas = server, server.api, canaries, personas
        self.sessions = Sessions(server)
        self.shop = Shop(server, self.sessions)
        self.submissions = []  # (place, HTTP status, problem type): what each submission did
        self.ids = {}          # ids for the card-number probes' paths
        self.consumers = []    # {"token", "id", "login"}

    def submit(self, place, method, path, body=None, token=None, headers=None, expect=None):
        reply = self.api.call(method, path, body, token, headers=headers)
        problem = reply.get("type", "").rsplit("/", 1)[-1] if reply.status >= 400 else ""
        self.submissions.append((place, reply.status, problem))
        if expect and reply.status != expect:
            raise RuntimeError(f"{place}: expected {expect}, got {reply}")
        return reply

    def run(self):
        self.owner_tokens = {self.api.call("GET", "/api/v1/me", token=t).body["merchantId"]: t
                             for t in (self.sessions.token("merchant owner", i) for i in range(2))}
        self.notice = self.api.call("GET", "/api/v1/privacy-notice").body["version"]
        self.merchant_staff()
        self.new_merchant()
        for number in range(self.personas):
            self.consumer(number)
        self.staff_work()
        self.erased_consumer()
        return self

    # -- consumers -------------------------------------------------------------------------------------------

    def consumer(self, number):
        c = self.canaries
        login = c.mobile("registration login") if number % 3 else c.email("registration login (e-mail)")
        name = c.name("registration displayName") if number % 2 else c.latin_name("registration displayName")
        account = self.submit("registration", "POST", "/api/v1/accounts",
                              {"kind": "consumer", "login": login, "password": PASSWORD, "displayName": name},
                              expect=201).body["id"]
        token = self.sessions.sign_in(login, PASSWORD, user_agent=f"Mozilla/5.0 (drill persona {number})")
        person = {"token": token, "id": account, "login": login}
        self.consumers.append(person)
        self.submit("profile correction (name)", "PATCH", "/api/v1/me",
                    {"displayName": c.name("profile correction displayName")}, token, expect=200)
        if "@" in login:  # real-name verification needs a mobile number as the login: correct it
            person["login"] = c.mobile("profile correction login")
            self.submit("profile correction (login)", "PATCH", "/api/v1/me",
                        {"login": person["login"], "currentPassword": PASSWORD}, token, expect=200)
        self.real_name(person)
        self.orders(person, number)

    def real_name(self, person):
        token = person["token"]
        self.submit("consent sensitive_identity", "POST", "/api/v1/me/consents",
                    {"purpose": "sensitive_identity", "noticeVersion": self.notice}, token, expect=201)
        self.submit("real-name verification", "POST", "/api/v1/me/verification",
                    {"name": self.canaries.name("real-name name"),
                     "residentId": self.canaries.resident_id("real-name residentId")}, token, expect=202)
        code = self.text_message_code(person["login"])
        self.submit("real-name code", "POST", "/api/v1/me/verification/code", {"code": code}, token)

    def text_message_code(self, phone, timeout=10):
        """The demo prints text messages on the console, the number masked (139****1234)."""
        masked = re.escape(phone[:3] + "****" + phone[-4:])
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = re.findall(masked + r"\].*?code is (\d{6})", self.server.log())
            if found:
                return found[-1]
            time.sleep(0.1)
        raise RuntimeError(f"no verification code for {masked} on the console")

    def recipient(self, place):
        c = self.canaries
        return {"name": c.name(f"{place} recipient name"), "phone": c.mobile(f"{place} recipient phone"),
                "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区",
                            "detail": c.address(f"{place} address detail")}}

    def buy(self, person, place, product, quantity=1):
        self.shop.expect(self.api.call("POST", "/api/v1/cart/items",
                                       {"listingId": product["id"], "quantity": quantity}, person["token"]),
                         200, "cart")
        checkout = self.submit(place, "POST", "/api/v1/checkouts", {"recipient": self.recipient(place)},
                               person["token"], headers={"Idempotency-Key": idempotency_key()}, expect=201).body
        self.shop.pay(person["token"], checkout)
        order = checkout["orders"][0]
        self.ids.setdefault("order", order["id"])
        return order, self.owner_tokens[order["merchantId"]]

    def orders(self, person, number):
        """A completed and reviewed order, a disputed one, and one refunded before shipping."""
        if number == 0:
            self.large_first_order(person)
        self.completed_order(person, self.product(number))
        self.disputed_order(person, self.product(number + 1), escalate=number % 2 == 0)
        self.refunded_order(person, self.product(number + 2))

    def large_first_order(self, person):
        """A new account's ¥2,000+ order is placed for review: a risk case for the analyst's note."""
        product = max((p for p in self.shop.products() if p["inStock"]), key=lambda p: p["priceFen"])
        order, merchant = self.buy(person, "checkout (large first order)", product,
                                   quantity=-(-200_000 // product["priceFen"]))
        self.shop.ship(merchant, order["id"])
        self.shop.deliver(merchant, order["id"])
        self.shop.confirm(person["token"], order["id"])
        self.submit("review (resident ID)", "POST", f"/api/v1/orders/{order['id']}/reviews",
                    {"listingId": product["id"], "rating": 5,
                     "text": f"有问题请联系我 {self.canaries.resident_id('review text residentId')}"}, person["token"])

    def product(self, number):
        """A listing in stock, spreading the orders over the merchants."""
        products = [p for p in self.shop.products() if p["inStock"]]
        return products[number % len(products)]

    def completed_order(self, person, product):
        c, token = self.canaries, person["token"]
        order, merchant = self.buy(person, "checkout", product)
        # The merchant prints the waybill: an audited reveal of the full address, which must stay out of the log.
        self.api.call("POST", f"/api/v1/merchant/orders/{order['id']}/waybill", None, merchant)
        self.shop.ship(merchant, order["id"])
        self.shop.deliver(merchant, order["id"])
        self.shop.confirm(token, order["id"])
        # Contact details in public text must be refused (the review can be written once, so this goes first).
        self.submit("review (mobile)", "POST", f"/api/v1/orders/{order['id']}/reviews",
                    {"listingId": product["id"], "rating": 5,
                     "text": f"有问题请联系我 {c.mobile('review text mobile')}"}, token)
        review = self.submit("review (name, address)", "POST", f"/api/v1/orders/{order['id']}/reviews",
                             {"listingId": product["id"], "rating": 5,
                              "text": f"很好，{c.name('review text name')} 收到了，送到 {c.address('review text address')}"},
                             token)
        if review.status == 201:
            self.ids["review"] = review.body["id"]
            self.submit("review reply (e-mail)", "POST", f"/api/v1/merchant/reviews/{review.body['id']}/reply",
                        {"text": f"请发邮件到 {c.email('review reply e-mail')}"}, merchant)
            self.submit("review reply (name)", "POST", f"/api/v1/merchant/reviews/{review.body['id']}/reply",
                        {"text": f"谢谢 {c.name('review reply name')}！"}, merchant)
        self.submit("merchant complaint (name)", "POST", "/api/v1/merchant/complaints",
                    {"orderId": order["id"], "reason": "abusive_behaviour",
                     "text": f"买家 {c.name('complaint text name')} 辱骂客服"}, merchant)
        self.submit("report (name)", "POST", "/api/v1/reports",
                    {"partyId": order["merchantId"], "ruleRef": "platform-rules/listings.misleading",
                     "description": f"我是 {c.name('report description name')}，商品与描述不符"}, token)

    def disputed_order(self, person, product, escalate):
        c, token = self.canaries, person["token"]
        order, merchant = self.buy(person, "checkout (disputed)", product)
        self.shop.ship(merchant, order["id"])
        dispute = self.submit("dispute open (name, address)", "POST", f"/api/v1/orders/{order['id']}/disputes",
                              {"reason": "not_as_described", "remedy": "full_refund",
                               "text": f"{c.name('dispute text name')} 收到的货不对，地址 {c.address('dispute text address')}"},
                              token, expect=201).body
        self.ids["dispute"] = dispute["id"]
        for kind, value in (("resident ID", c.resident_id("dispute message residentId")),
                            ("mobile", c.mobile("dispute message mobile")),
                            ("e-mail", c.email("dispute message e-mail")),
                            ("name", c.name("dispute message name"))):
            self.submit(f"dispute message ({kind})", "POST", f"/api/v1/disputes/{dispute['id']}/messages",
                        {"text": f"我的信息：{value}"}, token)
        self.upload_image(dispute["id"], token)
        if escalate:
            self.submit("dispute response (reject)", "POST", f"/api/v1/merchant/disputes/{dispute['id']}/response",
                        {"accept": False, "offerRemedy": "reject",
                         "text": f"{c.name('dispute response name')} 的说法不成立"}, merchant, expect=200)
            self.submit("dispute escalate", "POST", f"/api/v1/disputes/{dispute['id']}/escalate", None, token)
            self.escalated = getattr(self, "escalated", []) + [(dispute["id"], token)]
        else:
            self.submit("dispute response (offer)", "POST", f"/api/v1/merchant/disputes/{dispute['id']}/response",
                        {"accept": False, "offerRemedy": "partial_refund", "offerAmountFen": 100,
                         "text": f"给 {c.name('dispute offer name')} 部分退款"}, merchant, expect=200)
            self.submit("dispute accept offer", "POST", f"/api/v1/disputes/{dispute['id']}/accept-offer", None,
                        token)

    def upload_image(self, dispute_id, token):
        """A PNG whose text chunk carries a name and a card number: stored encrypted, so neither may show."""
        card, _ = CARDS.next("dispute image text chunk")
        image = tiny_png({"Author": self.canaries.name("dispute image text chunk"), "Comment": card})
        reply = self.api.call("POST", f"/api/v1/disputes/{dispute_id}/images", token=token, raw=image,
                              content_type="image/png")
        self.submissions.append(("dispute image (PNG text chunks)", reply.status, reply.get("type", "")))

    def refunded_order(self, person, product):
        order, _ = self.buy(person, "checkout (refunded)", product)
        self.submit("refund reason (name)", "POST", f"/api/v1/orders/{order['id']}/refund",
                    {"reason": f"{self.canaries.name('refund reason name')} 不想要了"}, person["token"],
                    headers={"Idempotency-Key": idempotency_key()})

    def erased_consumer(self):
        """Crypto-shredding: a person who buys, exports and erases the account; nothing of theirs may surface."""
        c = self.canaries
        login = c.mobile("registration login (erased later)")
        self.submit("registration (erased later)", "POST", "/api/v1/accounts",
                    {"kind": "consumer", "login": login, "password": PASSWORD,
                     "displayName": c.name("registration displayName (erased later)")}, expect=201)
        person = {"token": self.sessions.sign_in(login, PASSWORD, user_agent="Mozilla/5.0 (drill erased)"),
                  "login": login}
        self.submit("profile correction (erased later)", "PATCH", "/api/v1/me",
                    {"displayName": c.name("profile correction displayName (erased later)")}, person["token"], expect=200)
        order, merchant = self.buy(person, "checkout (erased later)", self.product(0))
        self.shop.ship(merchant, order["id"])
        self.shop.deliver(merchant, order["id"])
        self.shop.confirm(person["token"], order["id"])
        self.submit("review (erased later)", "POST", f"/api/v1/orders/{order['id']}/reviews",
                    {"listingId": order["lines"][0]["listingId"], "rating": 4,
                     "text": f"{c.name('review text name (erased later)')} 觉得不错"}, person["token"])
        self.api.call("GET", "/api/v1/me/export", token=person["token"])
        self.submit("account erasure", "DELETE", "/api/v1/me", {"password": PASSWORD}, person["token"], expect=204)

    # -- merchants -------------------------------------------------------------------------------------------

    def merchant_staff(self):
        c = self.canaries
        owner = self.sessions.token("merchant owner", 0)
        self.submit("merchant staff", "POST", "/api/v1/merchant/staff",
                    {"login": c.email("merchant staff login"), "displayName": c.name("merchant staff displayName"),
                     "role": "fulfilment"}, owner, expect=201)
        listing = self.submit("listing (plain)", "POST", "/api/v1/merchant/products",
                              {"title": "演练用青瓷茶盏", "description": "手工拉坯，釉色温润。", "imageRefs": [],
                               "priceFen": 2600, "stock": 1000, "category": "home"}, owner, expect=201).body
        self.ids["listing"] = listing["id"]
        for kind, value in (("mobile", c.mobile("listing description mobile")),
                            ("e-mail", c.email("listing description e-mail")),
                            ("resident ID", c.resident_id("listing description residentId"))):
            reply = self.submit(f"listing ({kind})", "POST", "/api/v1/merchant/products",
                                {"title": "演练用紫砂壶", "description": f"咨询请联系 {value}", "imageRefs": [],
                                 "priceFen": 3600, "stock": 0, "category": "home"}, owner)
            if reply.status == 201:  # screening answers 201 with the listing's status: say which
                self.submissions[-1] = (f"listing ({kind}), {reply.body['status']}", reply.status, "")

    def new_merchant(self):
        """A merchant registers, enrols in two-factor, and verifies with its legal representative's identity."""
        c = self.canaries
        login = c.email("merchant registration login")
        self.submit("merchant registration", "POST", "/api/v1/accounts",
                    {"kind": "merchant", "login": login, "password": PASSWORD,
                     "displayName": c.name("merchant registration displayName")}, expect=201)
        token = self.sessions.sign_in(login, PASSWORD)
        secret = self.api.call("POST", "/api/v1/me/two-factor", token=token).body["secret"]
        self.api.call("POST", "/api/v1/me/two-factor/confirm", {"otp": totp(secret, time.time())}, token)
        self.submit("consent sensitive_identity", "POST", "/api/v1/me/consents",
                    {"purpose": "sensitive_identity", "noticeVersion": self.notice}, token, expect=201)
        self.submit("merchant verification", "POST", "/api/v1/merchant/verification",
                    {"licenceCode": social_credit_code("91330106MA2H" + "%05d" % random.randrange(10 ** 5)),
                     "representativeName": c.name("merchant verification representativeName"),
                     "representativeId": c.resident_id("merchant verification representativeId")}, token)

    # -- platform staff --------------------------------------------------------------------------------------

    def staff_work(self):
        """Staff write about people too: case notes, reasons, evidence, justifications."""
        c, s = self.canaries, self.sessions
        self.decide_risk_cases(s.token("risk_analyst"))
        for dispute, consumer in getattr(self, "escalated", []):
            self.submit("arbitration reason (name)", "POST", f"/api/v1/staff/disputes/{dispute}/decision",
                        {"remedy": "reject", "reason": f"{c.name('arbitration reason name')} 的证据不足",
                         "rule": "platform-rules/disputes.not-as-described"}, s.token("arbitrator"))
            self.submit("dispute appeal (name)", "POST", f"/api/v1/disputes/{dispute}/appeal",
                        {"text": f"我是 {c.name('dispute appeal text name')}，我不服"}, consumer)
        for complaint in self.api.call("GET", "/api/v1/staff/complaints", token=s.token("arbitrator")).get(
                "complaints", [])[:2]:
            self.submit("complaint decision note (name)", "POST", f"/api/v1/staff/complaints/{complaint['id']}/decision",
                        {"uphold": False, "note": f"{c.name('complaint decision note name')} 未见辱骂"},
                        s.token("arbitrator"))
        self.governance(s)
        self.staff_reveal(s)
        self.providers(s)
        self.incident(s.token("security_officer"))

    def governance(self, s):
        """A violation with evidence, a warning with its reason, the consumer's appeal and its decision."""
        c, person, officer = self.canaries, self.consumers[0], s.token("compliance_officer")
        violation = self.submit("violation evidence (name)", "POST", "/api/v1/staff/violations",
                                {"partyId": person["id"], "ruleRef": "platform-rules/conduct.abuse",
                                 "evidence": f"{c.name('violation evidence name')} 在评价中辱骂商家"}, officer)
        if violation.status != 201:
            return
        sanction = self.submit("sanction reason (name)", "POST", "/api/v1/staff/sanctions",
                               {"partyId": person["id"], "level": "warning", "ruleRef": "platform-rules/conduct.abuse",
                                "reason": f"警告 {c.name('sanction reason name')}",
                                "violationIds": [violation.body["id"]]}, officer)
        if sanction.status != 201:
            return
        appeal = self.submit("sanction appeal (name)", "POST", f"/api/v1/me/sanctions/{sanction.body['id']}/appeal",
                             {"statement": f"我是 {c.name('sanction appeal statement name')}，这是误会"},
                             person["token"])
        if appeal.status == 201:
            self.submit("sanction appeal decision (name)", "POST",
                        f"/api/v1/staff/sanction-appeals/{appeal.body['appeal']['id']}/decision",
                        {"uphold": False, "note": f"{c.name('sanction appeal note name')} 的申诉成立"},
                        s.token("support"))

    def staff_reveal(self, s):
        """Support reveals a login for a caller, after confidentiality training, with a written justification."""
        support = self.api.call("GET", "/api/v1/me", token=s.token("support")).body["id"]
        self.submit("training record", "POST", "/api/v1/staff/training-records",
                    {"staffId": support, "validDays": 365}, s.token("admin"))
        self.submit("staff reveal justification (name)", "POST",
                    f"/api/v1/staff/accounts/{self.consumers[0]['id']}/reveal",
                    {"fields": ["login"], "purpose": "customer-support",
                     "justification": f"客户 {self.canaries.name('staff reveal justification name')} 来电核实账号"},
                    s.token("support"))

    def decide_risk_cases(self, token):
        cases = self.api.call("GET", "/api/v1/staff/risk-cases", token=token).get("cases", [])
        for case in cases[:2]:
            self.ids["risk-case"] = case["id"]
            self.api.call("POST", f"/api/v1/staff/risk-cases/{case['id']}/claim", None, token)
            self.submit("risk case note (name)", "POST", f"/api/v1/staff/risk-cases/{case['id']}/decision",
                        {"fraud": False, "note": f"已电话联系 {self.canaries.name('risk case note name')}"}, token)

    def providers(self, sessions):
        """A logistics provider with a named contact person and a mobile number."""
        c = self.canaries
        for token in (sessions.token(role) for role in ("compliance_officer", "admin", "security_officer")):
            reply = self.submit("provider registration (contact)", "POST", "/api/v1/staff/providers",
                                {"kind": "logistics", "legalName": "演练速运有限公司",
                                 "licenceCode": social_credit_code("91330106MA2K" + "%05d" % random.randrange(10 ** 5)),
                                 "qualification": "快递业务经营许可证", "contractRef": "CT-DRILL-1",
                                 "dpaRef": "DPA-DRILL-1",
                                 "contacts": [{"name": c.name("provider contact name"),
                                               "phone": c.mobile("provider contact phone"), "role": "security"}]},
                                token)
            if reply.status != 403:
                if reply.status == 201:
                    self.ids["provider"] = reply.body["id"]
                return
            self.submissions.pop()

    def incident(self, token):
        """An incident whose impact covers this hour's orders, then notices to the buyers (the outbox holds
        their contact details)."""
        c = self.canaries
        incident = self.submit("incident (description with name)", "POST", "/api/v1/staff/incidents",
                               {"type": "data_leak", "title": "演练：导出异常",
                                "description": f"用户 {c.name('incident description name')} 报告异常",
                                "discoveredAt": int(time.time() * 1000) - 60_000}, token)
        if incident.status != 201:
            return
        self.ids["incident"] = incident.body["id"]
        path = f"/api/v1/staff/incidents/{incident.body['id']}"
        now = int(time.time() * 1000)
        self.submit("incident impact", "POST", path + "/impact",
                    {"kind": "table", "value": "orders", "from": now - 3_600_000, "to": now + 1}, token)
        self.submit("incident notices", "POST", path + "/notices", {"measures": "已重置会话，请修改密码。"}, token)


def tiny_png(texts):
    """A 1×1 PNG with tEXt chunks (allowed: only eXIf is refused)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    text = b"".join(chunk(b"tEXt", k.encode("latin-1") + b"\0" + v.encode("utf-8")) for k, v in texts.items())
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + text + pixels + chunk(b"IEND", b"")


CARDS = Cards(0)


# ----------------------------------------------------------------------------------------------------------------
# Card numbers in every text field: the JSON API (from the OpenAPI document), headers, query, path and web forms.

# The staff role allowed to call /api/v1/staff/<segment>/… (Sources/Domain/Roles.swift); compliance otherwise.
STAFF_ROLE_BY_SEGMENT = {"risk-cases": "risk_analyst", "disputes": "arbitrator", "complaints": "arbitrator",
                         "incidents": "security_officer", "vulnerabilities": "security_officer",
                         "training-records": "admin"}
ID_KINDS = {"orders": "order", "disputes": "dispute", "reviews": "review", "products": "listing",
            "risk-cases": "risk-case", "incidents": "incident", "providers": "provider"}


def nested(field_path, value):
    """{"a": {"b": [value]}} for `a.b[0]`: the smallest body that carries one field."""
    head, _, rest = field_path.partition(".")
    inner = nested(rest, value) if rest else value
    if head.endswith("[0]"):
        return {head[:-3]: [inner]}
    return {head: inner}


def problem_type(reply):
    return reply.get("type", "").rsplit("/", 1)[-1] if isinstance(reply.body, dict) else ""


class CardProbes:
    """Sends a fresh card number in each text field and counts the refusals (422 card-number-refused)."""

    def __init__(self, workload, document, notations):
        self.w, self.api, self.document, self.notations = workload, workload.api, document, notations
        self.results = []  # (channel, operation, field, status, problem type)
        self.misses = []   # (time, path) of 403 and 404 answers: the shield bans 20 distinct ones a minute

    def run(self):
        for method, path, operation, fields in openapi_fields.json_operations(self.document):
            for field, _ in fields:
                for _ in range(self.notations):
                    self.probe_json(method, path, operation, field)
        self.side_channels()
        WebProbes(self).run()
        return self

    def record(self, channel, operation, field, reply):
        self.results.append((channel, operation, field, reply.status, problem_type(reply)))

    def probe_json(self, method, path, operation, field):
        _, typed = CARDS.next(f"{operation} {field}")
        body = nested(field, typed)
        concrete = self.concrete(path)
        self.pace()
        reply = self.api.call(method, concrete, body, self.token(path))
        if reply.status in (403, 404):
            self.misses.append((time.time(), concrete))
        self.record("json", operation, field, reply)

    def pace(self):
        """Stays under the shield's probing ban (20 distinct 403/404 paths a minute from one address)."""
        while len({p for t, p in self.misses if time.time() - t < 60}) >= 15:
            time.sleep(1)

    def token(self, path):
        """Who may call the operation: nobody for sign-up and sign-in, the owner for /merchant, the staff role
        with the permission for /staff, else a consumer."""
        if path in ("/api/v1/accounts", "/api/v1/sessions", "/api/v1/payments/callback") or "/provider/" in path:
            return None
        if path.startswith("/api/v1/merchant/"):
            return self.w.sessions.token("merchant owner", 0)
        if path.startswith("/api/v1/staff/"):
            return self.w.sessions.token(STAFF_ROLE_BY_SEGMENT.get(path.split("/")[4], "compliance_officer"))
        return self.w.consumers[0]["token"]

    def concrete(self, path):
        """Path parameters from the workload, so probes reach the handler rather than a 404."""
        def replace(match):
            segment = path[:match.start()].rstrip("/").rsplit("/", 1)[-1]
            if segment in ("accounts", "verifications", "parties"):
                return self.w.consumers[0]["id"]
            return self.w.ids.get(ID_KINDS.get(segment, ""), "00000000-0000-4000-8000-000000000000")
        return re.sub(r"\{[^}]+\}", replace, path)

    def side_channels(self):
        """Text that arrives outside a JSON body: the Idempotency-Key header, a search query, a path segment,
        the User-Agent."""
        consumer = self.w.consumers[0]
        number, _ = CARDS.next("Idempotency-Key header (checkout)")
        product = self.w.product(0)
        self.api.call("POST", "/api/v1/cart/items", {"listingId": product["id"], "quantity": 1}, consumer["token"])
        reply = self.api.call("POST", "/api/v1/checkouts", {"recipient": self.w.recipient("side channel")},
                              consumer["token"], headers={"Idempotency-Key": number})
        self.record("header", "createCheckout", "Idempotency-Key", reply)
        number, _ = CARDS.next("search query q")
        self.record("query", "listProducts", "q", self.api.call("GET", "/api/v1/products?q=" + number))
        number, _ = CARDS.next("path segment")
        self.record("path", "getProduct", "{id}", self.api.call("GET", "/api/v1/products/" + number))
        number, _ = CARDS.next("User-Agent header (sign-in)")
        reply = self.api.call("POST", "/api/v1/sessions", {"login": consumer["login"], "password": PASSWORD},
                              headers={"User-Agent": f"Mozilla/5.0 card {number}"})
        self.record("header", "createSession", "User-Agent", reply)


class SecureOnLoopback(http.cookiejar.DefaultCookiePolicy):
    """Browsers send `Secure` cookies to http://127.0.0.1; so must this client."""

    def return_ok_secure(self, cookie, request):
        return True

    def set_ok(self, cookie, request):
        cookie.secure = False
        return super().set_ok(cookie, request)


class WebClient:
    """A browser-like client for the server-rendered pages: cookies and the CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(policy=SecureOnLoopback())))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as page:
            return page.read().decode(errors="replace")

    def post(self, path, fields, csrf_from):
        page = self.get(csrf_from)
        token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(dict(fields, _csrf=token)).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, method="POST"),
                                  timeout=30) as reply:
                return Reply(reply.status, reply.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(errors="replace"))


class WebProbes:
    """The same on the web forms: personal data through the account and checkout pages, card numbers refused."""

    def __init__(self, probes):
        self.probes, self.w = probes, probes.w
        self.web = WebClient(self.w.server.base)

    def run(self):
        person = self.w.consumers[0]
        number, typed = CARDS.next("web sign-in login")
        self.refusal("signin", "login", self.web.post("/signin", {"login": typed, "password": PASSWORD}, "/signin"))
        self.web.post("/signin", {"login": person["login"], "password": PASSWORD, "next": "/account"}, "/signin")
        place = "web profile correction displayName"
        self.w.submissions.append((place, self.web.post("/account/correct",
                                   {"displayName": self.w.canaries.name(place)}, "/account").status, ""))
        for field in ("displayName", "login", "currentPassword"):
            _, typed = CARDS.next(f"web account/correct {field}")
            self.refusal("account/correct", field, self.web.post("/account/correct", {field: typed}, "/account"))
        self.checkout()

    def checkout(self):
        product = self.w.product(1)
        self.web.post("/cart/items", {"listingId": product["id"], "quantity": "1"}, f"/products/{product['id']}")
        recipient = self.w.recipient("web checkout")
        fields = {"name": recipient["name"], "phone": recipient["phone"], **recipient["address"],
                  "idempotencyKey": idempotency_key("web")}
        for field in fields:
            _, typed = CARDS.next(f"web checkout {field}")
            self.refusal("checkout", field, self.web.post("/checkout", dict(fields, **{field: typed}), "/cart"))
        self.w.submissions.append(("web checkout (recipient)", self.web.post("/checkout", fields, "/cart").status, ""))

    def refusal(self, form, field, reply):
        refused = reply.status == 422 and "card" in reply.body.lower()
        self.probes.results.append(("web", form, field, reply.status,
                                    "card-number-refused" if refused else "see page"))


# ----------------------------------------------------------------------------------------------------------------
# Scanning: every canary in every encoding, every probe card, and any Luhn-valid number of a real issuer.

# (first digits low, high, how many digits compared, lengths): the issuer identification numbers of the networks
# the platform can see. UATP (1…) is left out on purpose: millisecond timestamps start with 1.
IIN_RULES = [
    (4, 4, 1, {13, 16, 19}),                     # Visa
    (51, 55, 2, {16}), (2221, 2720, 4, {16}),    # Mastercard
    (34, 34, 2, {15}), (37, 37, 2, {15}),        # American Express
    (6011, 6011, 4, set(range(16, 20))), (644, 649, 3, set(range(16, 20))), (65, 65, 2, set(range(16, 20))),
    (62, 62, 2, set(range(16, 20))), (81, 82, 2, set(range(16, 20))),   # UnionPay (and RuPay 81–82)
    (3528, 3589, 4, set(range(16, 20))),         # JCB
    (300, 305, 3, set(range(14, 20))), (36, 36, 2, set(range(14, 20))), (38, 39, 2, set(range(16, 20))),  # Diners
    (50, 50, 2, set(range(12, 20))), (56, 69, 2, set(range(12, 20))),   # Maestro
    (2200, 2204, 4, set(range(16, 20))),         # Mir
]


def issuer_length_ok(digits):
    return any(low <= int(digits[:width]) <= high and len(digits) in lengths
               for low, high, width, lengths in IIN_RULES)


def is_card_number(digits):
    return 13 <= len(digits) <= 19 and luhn_valid(digits) and issuer_length_ok(digits)


# Digit runs as they can sit in bytes: ASCII, groups joined by a space or dash, UTF-16 either way, full-width.
RUN_PATTERNS = [
    (re.compile(rb"[0-9]{13,}"), lambda m: m.group(0)),
    (re.compile(rb"(?<![0-9])[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?(?![0-9])"), lambda m: m.group(0)),
    (re.compile(rb"(?<![0-9])[0-9]{4}[ -][0-9]{6}[ -][0-9]{5}(?![0-9])"), lambda m: m.group(0)),
    (re.compile(rb"(?:[0-9]\x00){13,}"), lambda m: m.group(0)[::2]),
    (re.compile(rb"(?:\x00[0-9]){13,}"), lambda m: m.group(0)[1::2]),
    (re.compile(rb"(?:\xef\xbc[\x90-\x99]){13,}"), lambda m: bytes(48 + (b - 0x90) for b in m.group(0)[2::3])),
]
TOKEN_CHARS = re.compile(rb"[0-9A-Za-z+/=_-]*")


def digit_runs(data):
    """(digits, start, end) of every run of 13 or more digits in any of the forms above."""
    for pattern, digits_of in RUN_PATTERNS:
        for match in pattern.finditer(data):
            yield re.sub(rb"[^0-9]", b"", digits_of(match)).decode(), match.start(), match.end()


def is_decimal_part(data, start, end):
    """`0.4581497797356828` is a fraction, not a card (the platform's detector skips these too)."""
    return (start >= 2 and data[start - 1:start] == b"." and data[start - 2:start - 1].isdigit()) or \
        (data[end:end + 1] == b"." and data[end + 1:end + 2].isdigit())


def encodings(value):
    """The byte forms a value could be stored or logged in."""
    forms = {"utf-8": value.encode(), "utf-16le": value.encode("utf-16-le"), "utf-16be": value.encode("utf-16-be")}
    if not value.isascii():
        forms["json \\u escape"] = json.dumps(value)[1:-1].encode()
        forms["percent-encoded"] = urllib.parse.quote(value).encode()
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11 and digits != value:
        forms["digits only"] = digits.encode()
    return forms


def count(data, lowered, needle):
    """Occurrences; ASCII needles case-insensitively (e-mail addresses may be folded)."""
    return lowered.count(needle.lower()) if needle.isascii() else data.count(needle)


def context(data, start, end, width=40):
    return data[max(0, start - width):end + width].decode("utf-8", errors="replace").encode(
        "unicode_escape").decode()


def inside_encoded_token(data, start, end):
    """A run inside a long hex or base64 token (hashes, ciphertexts, signatures) is not a typed number."""
    left = start
    while left > 0 and TOKEN_CHARS.fullmatch(data[left - 1:left]):
        left -= 1
    right = TOKEN_CHARS.match(data, end).end()
    token = data[left:right]
    return len(token) >= 24 and re.search(rb"[A-Za-z]", token) is not None


def scan_digits(data, typed):
    """Two searches over the digit runs:
    - every number the drill typed, anywhere inside a run: SQLite packs a record's columns side by side, so a
      stored number can touch the digits of the next column;
    - any run of exactly 13–19 digits that is Luhn-valid with a real issuer prefix and length (numbers nobody
      typed here, e.g. from a provider), each with its context and whether it sits inside an encoded token."""
    typed_hits, card_like = [], []
    for digits, start, end in digit_runs(data):
        for length in range(13, min(19, len(digits)) + 1):
            for offset in range(len(digits) - length + 1):
                if digits[offset:offset + length] in typed:
                    typed_hits.append((typed[digits[offset:offset + length]], context(data, start, end)))
        if len(digits) <= 19 and is_card_number(digits) and not is_decimal_part(data, start, end):
            boundary = (start == 0 or not data[start - 1:start].isdigit()) and not data[end:end + 1].isdigit()
            if boundary:
                card_like.append((digits, not inside_encoded_token(data, start, end), context(data, start, end)))
    return typed_hits, card_like


class Place:
    """One place to scan (several files or blobs), with what was found there."""

    def __init__(self, name, blobs, exempt=None):
        self.name, self.blobs, self.exempt = name, blobs, exempt
        self.canary_hits, self.probe_hits, self.card_hits = [], [], []

    def size(self):
        return sum(len(data) for _, data in self.blobs)

    def scan(self, canaries, issued_cards):
        for label, data in self.blobs:
            lowered = data.lower()
            for canary in canaries:
                for form, needle in encodings(canary["value"]).items():
                    found = count(data, lowered, needle)
                    if found:
                        self.canary_hits.append((canary, form, label, found))
            typed, card_like = scan_digits(data, {card["value"]: card for card in issued_cards})
            self.probe_hits += [(card, label, where) for card, where in typed]
            self.card_hits += [(digits, standalone, label, where) for digits, standalone, where in card_like]
        return self


def read(path):
    with open(path, "rb") as file:
        return file.read()


def split_banner(log):
    """The demo prints logins, sandbox test identities and test cards before 'serving at' on purpose: that
    banner is exempt like demo-logins.json; every other line is scanned."""
    lines = log.split(b"\n")
    banner, rest = [], []
    in_banner = True
    for line in lines:
        is_log_line = re.match(rb"^\d{4}-\d{2}-\d{2}T", line) is not None
        (banner if in_banner and not is_log_line else rest).append(line)
        if b"Covenant is serving at" in line:
            in_banner = False
    return b"\n".join(banner), b"\n".join(rest)


def sql_dump(database):
    """`sqlite3 .dump` when the tool is installed, else Python's iterdump (same statements)."""
    if shutil.which("sqlite3"):
        return subprocess.run(["sqlite3", database, ".dump"], capture_output=True, check=True).stdout, "sqlite3 .dump"
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return "\n".join(connection.iterdump()).encode(), "python iterdump"
    finally:
        connection.close()


def locate_in_database(database, needle):
    """table.column of the live rows holding `needle` (nothing: it is only in free pages or old versions)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    found = []
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]:
                rows = connection.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE instr(CAST("{column}" AS BLOB), ?) > 0',
                    (needle,)).fetchone()[0]
                if rows:
                    found.append(f"{table}.{column} ({rows} rows)")
    finally:
        connection.close()
    return found


# ----------------------------------------------------------------------------------------------------------------
# The drill: workload, probes, backups, shutdown, scan, report.

# Text the platform publishes by design: a name or street address typed there is shown to everyone, so it is
# reported but not counted; a mobile number, e-mail or ID number there should have been refused and is counted.
PUBLIC_PLACES = ("listing description", "review text", "review reply")
DETECTABLE_KINDS = {"mobile", "email", "resident_id"}


def is_published(canary):
    return canary["place"].startswith(PUBLIC_PLACES) and canary["kind"] not in DETECTABLE_KINDS


def snapshot_database(data_dir, target):
    """Copies the database, -wal and -shm while the server runs: the WAL holds recent page versions that a
    checkpoint at shutdown folds away."""
    os.makedirs(target, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = os.path.join(data_dir, "covenant.sqlite" + suffix)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(target, "covenant.sqlite" + suffix))


def backups(server):
    """An online backup after the workload, verified; the scheduled one from start-up is already there."""
    target = os.path.join(server.root, "backups", "drill-online.backup")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    code, output, _ = server.cli("backup", "create", "--output", target)
    if code != 0:
        raise RuntimeError(f"backup create: {output}")
    code, output, _ = server.cli("backup", "verify", target)
    if code != 0:
        raise RuntimeError(f"backup verify: {output}")
    return target


def restore_copy(server, backup):
    """Restores the backup into a scratch data directory (with the key file and erasure journal, as an operator
    would), to scan what the backup holds once decrypted."""
    scratch = os.path.join(server.root, "restored")
    os.makedirs(scratch, exist_ok=True)
    for name in ("keys.json", "erasures.journal"):
        if os.path.exists(os.path.join(server.data_dir, name)):
            shutil.copy2(os.path.join(server.data_dir, name), scratch)
    code, output, _ = server.cli("backup", "restore", backup, data_dir=scratch)
    if code != 0:
        raise RuntimeError(f"backup restore: {output}")
    return os.path.join(scratch, "covenant.sqlite")


def files_under(*folders):
    for folder in folders:
        for parent, _, names in os.walk(folder):
            for name in sorted(names):
                yield os.path.join(parent, name)


def places(server, snapshot, restored):
    """Everything on disk the run produced, grouped the way the issue names them."""
    database = os.path.join(server.data_dir, "covenant.sqlite")
    dump, dump_tool = sql_dump(database)
    banner, log = split_banner(read(server.log_path))
    by_suffix = {suffix: [(f"{label} {os.path.basename(path)}", read(path))
                          for label, folder in (("while serving:", snapshot), ("after shutdown:", server.data_dir))
                          for path in [os.path.join(folder, "covenant.sqlite" + suffix)] if os.path.exists(path)]
                 for suffix in ("", "-wal", "-shm")}
    backup_files = [(path, read(path)) for path in files_under(os.path.join(server.data_dir, "backups"),
                                                               os.path.join(server.root, "backups"))]
    restored_files = [(path, read(path)) for path in files_under(os.path.dirname(restored))
                      if os.path.basename(path).startswith("covenant.sqlite")]
    restored_files.append(("restored dump", sql_dump(restored)[0]))
    covered = {"covenant.sqlite", "covenant.sqlite-wal", "covenant.sqlite-shm", "demo-logins.json"}
    others = [(path, read(path)) for path in files_under(server.data_dir)
              if os.path.basename(path) not in covered and "/backups/" not in path]
    return [
        Place("database file", by_suffix[""]), Place("database -wal", by_suffix["-wal"]),
        Place("database -shm", by_suffix["-shm"]), Place(f"SQL dump ({dump_tool})", [("dump", dump)]),
        Place("server log (stdout+stderr)", [("log", log)]),
        Place("backup files (encrypted)", backup_files),
        Place("backup, decrypted (restored copy)", restored_files),
        Place("other data-directory files", others),
        Place("demo-logins.json", [("demo-logins.json", read(os.path.join(server.data_dir, "demo-logins.json")))],
              exempt="prints the demo logins on purpose"),
        Place("server log: demo banner", [("banner", banner)],
              exempt="demo logins, sandbox identities and test cards printed on purpose"),
    ]


def run(server, quick):
    personas, notations = (2, 1) if quick else (10, 5)
    canaries = Canaries(random.SystemRandom().randrange(2 ** 32))
    try:
        server.start()
        timings = {"server start": server.startup_seconds}
        started = time.time()
        workload = Workload(server, canaries, personas).run()
        timings["workload"] = time.time() - started
        started = time.time()
        # The document the binary serves is the one it implements.
        with urllib.request.urlopen(server.base + "/api/v1/openapi.yaml", timeout=30) as response:
            document = openapi_fields.parse_yaml(response.read().decode())
        probes = CardProbes(workload, document, notations).run()
        timings["card probes"] = time.time() - started
        backup = backups(server)
        snapshot = os.path.join(server.root, "snapshot")
        snapshot_database(server.data_dir, snapshot)
    finally:
        exit_code = server.stop()
    restored = restore_copy(server, backup)
    started = time.time()
    scanned = [place.scan(canaries.all, CARDS.issued) for place in places(server, snapshot, restored)]
    timings["scan"] = time.time() - started
    return workload, probes, scanned, exit_code, timings


def summarize_probes(probes):
    """Per channel: refused, accepted (a failure) and not reached (refused earlier, e.g. 401/403/404)."""
    lines, accepted = [], []
    for channel in ("json", "header", "query", "path", "web"):
        rows = [r for r in probes.results if r[0] == channel]
        if not rows:
            continue
        refused = sum(1 for r in rows if r[4] == "card-number-refused")
        taken = [r for r in rows if 200 <= r[3] < 300]
        other = len(rows) - refused - len(taken)
        operations = len({r[1] for r in rows})
        lines.append(f"  {channel:6} {len(rows):4} probes over {operations:3} operations/forms: {refused} refused "
                     f"(422 card-number-refused), {len(taken)} accepted, {other} stopped before the body "
                     f"({', '.join(sorted({str(r[3]) for r in rows if r[4] != 'card-number-refused' and not 200 <= r[3] < 300})) or '-'})")
        if channel in ("json", "web"):  # text fields must refuse; other channels are judged by the scan
            accepted += taken
    return lines, accepted


def report(server, workload, probes, scanned, exit_code, timings, quick):
    print(f"leak scan ({'quick' if quick else 'full'}): {len(workload.consumers) + 1} consumers, "
          f"{len(workload.submissions)} submissions, {len(workload.canaries.all)} canaries, "
          f"{len(CARDS.issued)} card numbers; server {server.binary}")
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print_submissions(workload)
    accepted = print_probes(probes)
    leaks = print_places(scanned)
    show_judgement_cases(scanned)
    print_published(scanned)
    problems = self_check(scanned, workload)
    if exit_code != 0:
        problems.append(f"the server exited with {exit_code} after SIGTERM")
    print_leaks(leaks, os.path.join(server.data_dir, "covenant.sqlite"))
    for problem in problems:
        print("  FAIL:", problem)
    failed = bool(leaks or accepted or problems)
    print("result:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


def print_submissions(workload):
    refused = collections.Counter(s for s in workload.submissions if s[1] >= 400)
    print(f"personal data submitted: {len(workload.submissions) - sum(refused.values())} accepted, "
          f"{sum(refused.values())} refused: " + "; ".join(f"{p} {st} {t} ×{n}" for (p, st, t), n in refused.items()))
    print("  listings with contact details: " + "; ".join(
        p for p, _, _ in workload.submissions if p.startswith("listing (") and p != "listing (plain)"))


def print_probes(probes):
    """The refusals per channel; returns the text-field probes that were accepted (each a failure)."""
    print("card numbers:")
    lines, accepted = summarize_probes(probes)
    print("\n".join(lines))
    print(f"  {sum(1 for r in probes.results if r[4] == 'card-number-refused')} refusals in all")
    for channel, operation, field, status, kind in accepted:
        print(f"  ACCEPTED: {channel} {operation} {field}: {status}")
    for channel, operation, field, status, kind in probes.results:
        if channel not in ("json", "web") and 200 <= status < 300:
            print(f"  accepted outside a text field (the scan decides whether it was kept): {operation} {field}")
    not_reached = sorted({(r[1], r[3], r[4]) for r in probes.results
                          if r[4] != "card-number-refused" and not 200 <= r[3] < 300})
    if not_reached:
        print("  stopped before the body: " + "; ".join(f"{o} {s} {t}" for o, s, t in not_reached))
    return accepted


def print_places(scanned):
    """The counts per place; returns what leaked (not exempt, not published by design) → where it was found."""
    print("\nper place: distinct personal-data canaries in clear, distinct typed card numbers, other Luhn-valid "
          "issuer-shaped numbers (standalone / inside hex or base64 tokens)")
    print(f"{'place':38} {'bytes':>10} {'personal':>9} {'typed cards':>12} {'card-like':>10} {'in tokens':>10}")
    typed = {c["value"] for c in CARDS.issued}
    leaks = {}
    for place in scanned:
        counted = [h for h in place.canary_hits if not is_published(h[0])]
        standalone = [h for h in place.card_hits if h[1] and h[0] not in typed]
        encoded = [h for h in place.card_hits if not h[1] and h[0] not in typed]
        note = f"   (exempt: {place.exempt})" if place.exempt else ""
        print(f"{place.name:38} {place.size():10} {len({h[0]['value'] for h in counted}):9} "
              f"{len({h[0]['value'] for h in place.probe_hits}):12} {len({h[0] for h in standalone}):10} "
              f"{len({h[0] for h in encoded}):10}{note}")
        if place.exempt:
            continue
        for canary, form, label, found in counted:
            leak = leaks.setdefault(f"{canary['kind']} {canary['value']} typed in '{canary['place']}'",
                                    {"needle": canary["value"].encode(), "places": set()})
            leak["places"].add(f"{place.name} as {form}")
        for card, label, where in place.probe_hits:
            leak = leaks.setdefault(f"card {card['value']} typed in '{card['place']}'",
                                    {"needle": card["value"].encode(), "places": set(), "context": where})
            leak["places"].add(place.name)
        for digits, _, label, where in standalone:
            leak = leaks.setdefault(f"card-like number {digits[:6]}…{digits[-4:]} nobody typed",
                                    {"needle": digits.encode(), "places": set(), "context": where})
            leak["places"].add(place.name)
    return leaks


def print_published(scanned):
    found_in = {}
    for place in scanned:
        for canary, form, label, found in place.canary_hits:
            if is_published(canary):
                entry = found_in.setdefault((canary["kind"], canary["place"]), (set(), set()))
                entry[0].add(canary["value"])
                entry[1].add(place.name)
    if found_in:
        print("\npublished by design (names or addresses typed into public text; shown to everyone, not counted):")
    for (kind, typed_in), (values, names) in found_in.items():
        print(f"  {kind} typed in '{typed_in}' ×{len(values)}: {', '.join(sorted(names))}")


def print_leaks(leaks, database):
    """Each leak once, with the table.column that holds it and every place it was found in."""
    print(f"\nleaks: {len(leaks)}")
    for what, leak in leaks.items():
        rows = locate_in_database(database, leak["needle"])
        print(f"  LEAK: {what}\n        rows: {', '.join(rows) or 'no live row (free page, old page version or file)'}"
              f"\n        found in: {'; '.join(sorted(leak['places']))}")
        if "context" in leak:
            print(f"        context: …{leak['context']}…")


def self_check(scanned, workload):
    """The scan must find what is there on purpose, or a clean result means nothing: the published review
    names in the database and its dump, and the sandbox's test card in the demo banner."""
    problems = []
    by_name = {place.name.split(" (")[0]: place for place in scanned}
    reviews = any(place == "review (name, address)" and status == 201 for place, status, _ in workload.submissions)
    for name in ("database file", "SQL dump"):
        place = by_name[name]
        if reviews and not any(h[0]["place"] == "review text name" for h in place.canary_hits):
            problems.append(f"scanner self-check: the published review name was not found in {name}")
    if not any(h[0] == Cards.HOSTED_PAGE_CARD for h in by_name["server log: demo banner"].card_hits):
        problems.append("scanner self-check: the sandbox test card in the demo banner was not found")
    return problems


def self_test():
    """The scanner on synthetic bytes: every encoding, a card glued to other digits, a fraction that is not one."""
    canary = {"kind": "name", "place": "self-test", "value": "司马测试"}
    card = {"value": "4000056655665556", "place": "self-test"}
    for form, needle in encodings(canary["value"]).items():
        data = b"\x00\x01" + needle + b"\xff"
        assert Place("t", [("t", data)]).scan([canary], []).canary_hits, form
    for data in (b"ab754106" + card["value"].encode() + b"f9", card["value"].encode("utf-16-le"),
                 "".join(chr(0xFF10 + int(d)) for d in card["value"]).encode(), b"4000 0566 5566 5556"):
        assert Place("t", [("t", data)]).scan([], [card]).probe_hits, data
    assert not Place("t", [("t", b"0.4000056655665556,")]).scan([], []).card_hits
    assert Place("t", [("t", b' "4000056655665556" ')]).scan([], []).card_hits


def show_judgement_cases(scanned):
    """Card-like numbers inside hex or base64 tokens are almost surely digests; shown so a human can judge."""
    typed = {c["value"] for c in CARDS.issued}
    cases = [(place.name, h) for place in scanned if not place.exempt for h in place.card_hits
             if not h[1] and h[0] not in typed]
    if cases:
        print(f"\ncard-like digit runs inside encoded tokens (hashes, ciphertexts; not counted), {min(5, len(cases))} of {len(cases)}:")
        for name, (digits, _, label, where) in cases[:5]:
            print(f"  {name} [{label}]: {digits[:6]}…{digits[-4:]} in …{where}…")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path to the covenant binary (e.g. .build/debug/covenant)")
    parser.add_argument("--quick", action="store_true", help="2 personas and one card notation per field, for CI (full: 10 personas, 5 notations)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and log")
    args = parser.parse_args()
    for number in Cards.FIXED:
        assert luhn_valid(number) and issuer_length_ok(number), number
    self_test()
    exit_on_sigterm()
    server = Server(args.binary)
    try:
        workload, probes, scanned, exit_code, timings = run(server, args.quick)
        return report(server, workload, probes, scanned, exit_code, timings, args.quick)
    finally:
        server.stop()
        if args.keep:
            print(f"kept {server.root}")
        else:
            shutil.rmtree(server.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

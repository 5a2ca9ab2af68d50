#!/usr/bin/env python3
"""Browser journeys through the web pages, in Debian's chromium driven by Playwright (issue 10).

Starts `covenant serve --demo` in a scratch data directory, then walks, as real people would:
  1. a consumer buys, pays on the payment sandbox's hosted page and confirms receipt, after the merchant ships
     from the merchant console;
  2. a dispute is opened by the consumer, answered by the merchant with an offer, and settled when the consumer
     accepts it;
  3. a risk analyst claims and labels the review case a large first order opened, then backtests the rules;
  4. a consumer exports their data and deletes their account.
Every step asserts what the page shows; screenshots go to tools/browser/out/. Exit 0 when every journey passes.

Usage: python3 tools/browser/journeys.py path/to/covenant   (tools/browser/run.sh installs Playwright first)
"""
import base64, hashlib, hmac, json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, time, traceback
from pathlib import Path

from playwright.sync_api import sync_playwright, expect

OUT = Path(__file__).resolve().parent / "out"


def totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Server:
    def __init__(self, binary: str):
        self.data = tempfile.mkdtemp(prefix="covenant-browser-")
        with socket.socket() as probe:  # a free port, chosen here so the banner names the real one
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [binary, "serve", "--demo", "--data-dir", self.data, "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COVENANT_BACKUP_INTERVAL_HOURS": "0", "COVENANT_SHIELD_RATE_LIMITS": "0"})
        self.output = []
        deadline = time.time() + 240
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            found = re.search(r"serving at (http://\S+?)/?\s", line)
            if found:
                self.base = found.group(1).rstrip("/")
                break
        else:
            raise SystemExit("the server did not start:\n" + "".join(self.output))
        if not hasattr(self, "base"):
            raise SystemExit("the server stopped:\n" + "".join(self.output))
        self.logins = json.loads(Path(self.data, "demo-logins.json").read_text())

    def login(self, role: str, index: int = 0) -> dict:
        return [entry for entry in self.logins if entry["role"] == role][index]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.data, ignore_errors=True)


def shot(page, name: str):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def sign_in(page, base: str, login: dict):
    page.goto(f"{base}/language?to=en&back=/signin")
    page.get_by_label("Mobile number or e-mail").fill(login["login"])
    page.get_by_label("Password").fill(login["password"])
    if login.get("totpSecret"):
        page.get_by_label("Two-factor code").fill(totp(login["totpSecret"]))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def buy(page, base: str, title: str, quantity: int, name: str) -> str:
    """From the storefront to a paid order on the sandbox's hosted page; returns the checkout page URL."""
    page.goto(f"{base}/")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Cart updated.")).to_be_visible()
    page.get_by_label("Recipient").fill("王小明")
    page.get_by_label("Phone").fill("13712345678")
    page.get_by_label("Province").fill("广东省")
    page.get_by_label("City").fill("深圳市")
    page.get_by_label("District").fill("南山区")
    page.get_by_label("Street and number").fill("科技园路 1 号 8 栋 801")
    shot(page, f"{name}-cart")
    page.get_by_role("button", name="Place order and pay").click()
    checkout_url = page.url
    page.locator("#pay-now").click()
    expect(page.get_by_role("heading", name="Payment sandbox")).to_be_visible()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    shot(page, f"{name}-hosted-page")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.get_by_role("link", name="Return to the merchant").click()
    for _ in range(40):  # the callback may land just after the buyer comes back
        if page.locator("#payment-status").inner_text() == "Paid":
            break
        time.sleep(0.25)
        page.reload()
    expect(page.locator("#payment-status")).to_have_text("Paid")
    shot(page, f"{name}-paid")
    return checkout_url


def latest_order(page, base: str) -> str:
    page.goto(f"{base}/orders")
    link = page.locator("a.order-link").first
    href = link.get_attribute("href")
    return href.rsplit("/", 1)[-1]


def merchant_ships(merchant, base: str, order_id: str, name: str):
    merchant.goto(f"{base}/merchant")
    expect(merchant.get_by_role("heading", name="Merchant console")).to_be_visible()
    # the buyer is masked in the console: no full phone number, no street
    body = merchant.content()
    assert "13712345678" not in body and "科技园路" not in body, "the merchant console shows the buyer unmasked"
    merchant.goto(f"{base}/merchant/orders/{order_id}")
    assert "137****5678" in merchant.locator("#masked-recipient").inner_text()
    merchant.get_by_label("Carrier").fill("SF Express")
    merchant.get_by_label("Tracking number").fill("SF100200300")
    shot(merchant, f"{name}-merchant-order")
    merchant.get_by_role("button", name="Ship", exact=True).click()
    expect(merchant.locator("#order-status")).to_have_text("Shipped")


def journey_purchase(browser, server):
    consumer = browser.new_context().new_page()
    sign_in(consumer, server.base, server.login("consumer", 0))
    buy(consumer, server.base, "明前龙井 250g", 1, "1-purchase")
    order_id = latest_order(consumer, server.base)

    merchant = browser.new_context().new_page()
    sign_in(merchant, server.base, server.login("merchant owner", 0))
    merchant_ships(merchant, server.base, order_id, "1-purchase")

    consumer.goto(f"{server.base}/orders/{order_id}")
    expect(consumer.locator("#order-status")).to_have_text("Shipped")
    consumer.get_by_role("button", name="Confirm receipt").click()
    expect(consumer.get_by_text("Receipt confirmed")).to_be_visible()
    expect(consumer.locator("#order-status")).to_have_text("Completed")
    shot(consumer, "1-purchase-completed")
    merchant.goto(f"{server.base}/merchant")
    assert merchant.locator("#balance-available").inner_text() != "¥0.00", "the merchant was not paid on receipt"
    shot(merchant, "1-purchase-merchant-balance")
    return consumer, merchant


def journey_dispute(consumer, merchant, server):
    buy(consumer, server.base, "手工陶瓷茶杯", 2, "2-dispute")
    order_id = latest_order(consumer, server.base)
    merchant_ships(merchant, server.base, order_id, "2-dispute")

    consumer.goto(f"{server.base}/orders/{order_id}")
    consumer.locator("#open-dispute summary").click()
    consumer.locator("#dispute-reason").select_option("damaged")
    consumer.locator("#dispute-remedy").select_option("full_refund")
    consumer.locator("#dispute-text").fill("一只杯子到货时已经碎了。")
    consumer.get_by_role("button", name="Open a dispute").click()
    expect(consumer.get_by_text("Dispute opened")).to_be_visible()
    expect(consumer.locator("#dispute-status")).to_have_text("Awaiting the merchant")
    dispute_url = consumer.url.split("?")[0]
    shot(consumer, "2-dispute-opened")

    merchant.goto(dispute_url)
    merchant.get_by_label("Offer something else").check()
    merchant.get_by_label("Merchant's offer").select_option("partial_refund")
    merchant.get_by_label("Amount in yuan").fill("39")
    merchant.locator("#respond-text").fill("抱歉，为碎掉的那只退款。")
    shot(merchant, "2-dispute-merchant-answers")
    merchant.get_by_role("button", name="Send answer").click()
    expect(merchant.locator("#dispute-status")).to_have_text("Negotiating")

    consumer.goto(dispute_url)
    expect(consumer.locator("#dispute-offer")).to_contain_text("¥39.00")
    consumer.get_by_role("button", name="Accept the merchant's offer").click()
    expect(consumer.locator("#dispute-outcome")).to_contain_text("Partial refund ¥39.00")
    shot(consumer, "2-dispute-settled")


def journey_arbitration(consumer, merchant, browser, server):
    """The merchant refuses outright, so the consumer escalates at once and an arbitrator decides."""
    buy(consumer, server.base, "手工陶瓷茶杯", 1, "5-arbitration")
    order_id = latest_order(consumer, server.base)
    merchant_ships(merchant, server.base, order_id, "5-arbitration")
    consumer.goto(f"{server.base}/orders/{order_id}")
    consumer.locator("#open-dispute summary").click()
    consumer.locator("#dispute-reason").select_option("not_as_described")
    consumer.locator("#dispute-remedy").select_option("full_refund")
    consumer.locator("#dispute-text").fill("收到的是另一种颜色的杯子。")
    consumer.get_by_role("button", name="Open a dispute").click()
    expect(consumer.get_by_text("Dispute opened")).to_be_visible()
    dispute_url = consumer.url.split("?")[0]

    merchant.goto(dispute_url)
    merchant.get_by_label("Offer something else").check()
    merchant.get_by_label("Merchant's offer").select_option("reject")
    merchant.locator("#respond-text").fill("颜色与商品页一致，不同意退款。")
    merchant.get_by_role("button", name="Send answer").click()
    expect(merchant.locator("#dispute-status")).to_have_text("Negotiating")

    consumer.goto(dispute_url)
    consumer.get_by_role("button", name="Ask the platform to decide").click()
    expect(consumer.get_by_text("The platform will decide.")).to_be_visible()
    expect(consumer.locator("#dispute-status")).to_have_text("With the platform")
    shot(consumer, "5-arbitration-escalated")

    arbitrator = browser.new_context().new_page()
    sign_in(arbitrator, server.base, server.login("arbitrator"))
    arbitrator.goto(f"{server.base}/ops/disputes")
    expect(arbitrator.get_by_role("heading", name="Arbitration")).to_be_visible()
    shot(arbitrator, "5-arbitration-queue")
    arbitrator.locator(f"a[href='/disputes/{dispute_url.rsplit('/', 1)[-1]}']").click()
    expect(arbitrator.get_by_text("收到的是另一种颜色的杯子。")).to_be_visible()
    arbitrator.get_by_label("Outcome").select_option("full_refund")
    arbitrator.get_by_label("Written reason").fill("商品页图片为白色，实物为蓝色，与描述不符。")
    arbitrator.get_by_label("Rule applied").fill("平台规则 4.3：与描述不符全额退款")
    shot(arbitrator, "5-arbitration-deciding")
    arbitrator.get_by_role("button", name="Decide").click()
    expect(arbitrator.get_by_text("Decision recorded.")).to_be_visible()
    expect(arbitrator.locator("#dispute-status")).to_have_text("Decided")
    expect(arbitrator.locator("#dispute-outcome")).to_contain_text("Full refund")

    # both parties see the decision and its rule; the merchant may appeal once
    merchant.goto(dispute_url)
    expect(merchant.locator("#dispute-outcome")).to_contain_text("Full refund")
    expect(merchant.get_by_text("平台规则 4.3：与描述不符全额退款")).to_be_visible()
    shot(merchant, "5-arbitration-decided")


def journey_risk(browser, server):
    consumer = browser.new_context().new_page()
    sign_in(consumer, server.base, server.login("consumer", 1))
    # A first-day account ordering ¥2,396 goes to review (rule new-account-large-order) but is placed.
    buy(consumer, server.base, "无线降噪耳机", 4, "3-risk")

    analyst = browser.new_context().new_page()
    sign_in(analyst, server.base, server.login("risk_analyst"))
    analyst.goto(f"{server.base}/ops")
    expect(analyst.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert analyst.locator("svg.chart").count() == 3, "the dashboard draws its charts"
    shot(analyst, "3-risk-dashboard")
    analyst.get_by_role("link", name="Risk review").first.click()
    expect(analyst.get_by_text("new_account.large_amount").first).to_be_visible()
    shot(analyst, "3-risk-queue")
    analyst.get_by_role("button", name="Claim").first.click()
    expect(analyst.get_by_text("Case claimed.")).to_be_visible()
    analyst.get_by_label("Legitimate").first.check()
    analyst.get_by_label("Note").first.fill("首单金额较大，收货信息与账户一致。")
    analyst.get_by_role("button", name="Decide").first.click()
    expect(analyst.get_by_text("Case decided and labelled.")).to_be_visible()
    shot(analyst, "3-risk-decided")

    # a backtest of the running rules, started here and run in the background; the page reloads until done
    analyst.get_by_role("link", name="Backtests").first.click()
    analyst.get_by_label("Consumers").fill("300")
    analyst.get_by_label("Days").fill("1")
    analyst.get_by_label("Runs of each").fill("3")
    analyst.get_by_role("button", name="Start the backtest").click()
    expect(analyst.get_by_text("Job started")).to_be_visible()
    shot(analyst, "3-risk-backtest-started")
    expect(analyst.locator(".events-replayed").first).to_be_visible(timeout=60_000)
    assert analyst.locator("tr[data-campaign]").count() == 5, "the report has a row per fraud campaign"
    shot(analyst, "3-risk-backtest-report")
    return consumer


def journey_rights(consumer, server):
    login = server.login("consumer", 1)
    consumer.goto(f"{server.base}/account")
    expect(consumer.get_by_role("heading", name="Privacy & security centre")).to_be_visible()
    assert "****" in consumer.locator("#profile-login").inner_text(), "the owner's login is shown masked"
    shot(consumer, "4-rights-centre")
    with consumer.expect_download() as download:
        consumer.locator("#export-link").click()
    exported = json.loads(Path(download.value.path()).read_text())
    text = json.dumps(exported, ensure_ascii=False)
    assert login["login"] in text, "the export holds the login in full"
    assert "科技园路" in text, "the export holds the order's recipient in full"

    consumer.locator("#delete-form").locator("xpath=..").locator("summary").click()
    consumer.locator("#delete-password").fill(login["password"])
    consumer.get_by_label("I understand").check()
    shot(consumer, "4-rights-delete")
    consumer.get_by_role("button", name="Delete my account").click()
    expect(consumer.get_by_text("Your account is deleted")).to_be_visible()
    shot(consumer, "4-rights-deleted")
    # the account is gone: signing in again fails like any wrong password
    consumer.goto(f"{server.base}/signin")
    consumer.get_by_label("Mobile number or e-mail").fill(login["login"])
    consumer.get_by_label("Password").fill(login["password"])
    consumer.get_by_role("button", name="Sign in").click()
    expect(consumer.locator("#signin-error")).to_be_visible()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/covenant"
    server = Server(binary)
    failures = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
            journeys = []
            consumer, merchant = None, None

            def run(name, body):
                nonlocal failures
                started = time.time()
                try:
                    result = body()
                    print(f"ok   {name} ({time.time() - started:.1f} s)")
                    return result
                except Exception as error:  # report every journey, then fail
                    failures += 1
                    print(f"FAIL {name}: {str(error).splitlines()[0]}")
                    print("".join(traceback.format_tb(error.__traceback__)[1:-3]))
                    return None

            pair = run("consumer buys, pays on the hosted page, merchant ships, consumer confirms receipt",
                       lambda: journey_purchase(browser, server))
            if pair:
                run("dispute opened, answered with an offer, settled", lambda: journey_dispute(*pair, server))
                run("dispute refused, escalated and decided by an arbitrator",
                    lambda: journey_arbitration(*pair, browser, server))
            risky = run("risk analyst claims and labels a review case", lambda: journey_risk(browser, server))
            if risky:
                run("consumer exports their data, then deletes the account", lambda: journey_rights(risky, server))
            browser.close()
    finally:
        server.stop()
    print(f"screenshots in {OUT}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

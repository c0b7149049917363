#!/usr/bin/env python3
"""Walks the staff console in headless Chromium (Selenium + chromedriver) as the data team would, against a running
`serve` on loopback:

1. a viewer signs in, finds the operator's quarantined record and tries to replay it (a form posted by hand, since
   the page offers none): refused, « Accès refusé »;
2. an operator signs in, filters the quarantine by flow, opens the record refused for its fiche code « 7 », fixes
   the mapping file (MAPPINGS/operator-followup-csv.yaml: 7 → fiche 5), clicks « Reprendre », and sees the record
   applied (« repris »);
3. the operator opens the other record, sees its raw text masked, reveals it with a purpose and sees it in clear;
4. an administrator opens the audit page and finds the reprocess, the reveal and the viewer's refusal;
5. every page is navigable by keyboard: each form field has a label, the page has one <main> and a <nav>.

Usage: console_flow.py BASE_URL MAPPINGS_DIR PASSWORD SCREENSHOT_DIR. Prints one JSON object per step; exits 1 on the
first failed check.
"""
import json
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(message: str) -> None:
    print(json.dumps({"erreur": message}, ensure_ascii=False))
    sys.exit(1)


def step(name: str, **facts) -> None:
    print(json.dumps({"etape": name, **facts}, ensure_ascii=False), flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


class Console:
    def __init__(self, base: str, shots: pathlib.Path) -> None:
        options = Options()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000"]:
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.base = base.rstrip("/")
        self.shots = shots

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def submit(self, action) -> None:
        """Runs `action` (a click, a form posted) and waits for the next page to replace this one."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()
        WebDriverWait(self.driver, 15).until(expected_conditions.staleness_of(old))
        WebDriverWait(self.driver, 15).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete")

    def sign_in(self, login: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/console")
        check("/console/sign-in" in self.driver.current_url, "not sent to the sign-in page")
        self.driver.find_element(By.ID, "login").send_keys(login)
        self.driver.find_element(By.ID, "password").send_keys(password)
        button = self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]")
        self.submit(button.click)
        check(self.driver.current_url.rstrip("/").endswith("/console"), f"{login}: not signed in ({self.text()[:200]})")

    def accessible(self, name: str) -> None:
        """Landmarks, one h1, a label for every visible field, and every control reachable by Tab."""
        report = self.driver.execute_script("""
            const fields = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
            const unlabelled = fields.filter(f => !(f.id && document.querySelector('label[for="' + f.id + '"]')))
                                     .map(f => f.name);
            return {main: document.querySelectorAll('main').length, nav: document.querySelectorAll('nav').length,
                    h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang,
                    unlabelled: unlabelled,
                    untabbable: [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')]
                                  .filter(e => e.tabIndex < 0).length};
        """)
        check(report["main"] == 1 and report["nav"] == 1 and report["h1"] == 1, f"{name}: landmarks {report}")
        check(report["lang"] == "fr", f"{name}: lang {report['lang']}")
        check(not report["unlabelled"], f"{name}: fields without a label {report['unlabelled']}")
        check(report["untabbable"] == 0, f"{name}: controls out of the keyboard's reach")
        # WCAG AA: every piece of text against the background it is drawn on, 4.5:1 (3:1 for large text).
        low = self.driver.execute_script("""
            const rgb = (text) => (text.match(/[0-9.]+/g) || []).map(Number);
            const luminance = ([r, g, b]) => {
              const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
              return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            };
            const background = (element) => {
              for (let e = element; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c;
              }
              return [255, 255, 255];
            };
            const low = [];
            for (const element of document.querySelectorAll('body *')) {
              const text = [...element.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
              if (!text || element.offsetParent === null) continue;
              const style = getComputedStyle(element);
              const [l1, l2] = [luminance(rgb(style.color)), luminance(background(element))];
              const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
              const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
              const large = size >= 24 || (bold && size >= 18.66);
              if (ratio < (large ? 3 : 4.5)) low.push(text.slice(0, 30) + ' ' + ratio.toFixed(2));
            }
            return low;
        """)
        check(not low, f"{name}: text under WCAG AA contrast: {low[:5]}")

    def record_link(self, wanted: str) -> str:
        for row in self.driver.find_elements(By.CSS_SELECTOR, "tbody tr"):
            if wanted in row.text:
                return row.find_element(By.CSS_SELECTOR, "td a").get_attribute("href")
        fail(f"no quarantined record showing « {wanted} »: {self.text()[:400]}")

    def screenshot(self, name: str) -> None:
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))


def main() -> None:
    base, mappings, password, shots = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], pathlib.Path(sys.argv[4])
    shots.mkdir(parents=True, exist_ok=True)
    console = Console(base, shots)
    driver = console.driver
    try:
        # 1. A viewer: can read the quarantine, cannot replay.
        console.sign_in("lea.viewer", password)
        console.accessible("vue d'ensemble")
        console.open("/console/quarantine?flow=operator-followup")
        console.accessible("quarantaine")
        record = console.record_link("« 7 »")
        driver.get(record)
        check(not driver.find_elements(By.ID, "reprocess"), "a viewer is offered the replay")
        token = driver.find_element(By.CSS_SELECTOR, "form.signout input[name=csrf]").get_attribute("value")
        console.submit(lambda: driver.execute_script("""
            const form = document.createElement('form');
            form.method = 'post'; form.action = arguments[0] + '/reprocess';
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = 'csrf'; input.value = arguments[1];
            form.appendChild(input); document.body.appendChild(form); form.submit();
        """, record, token))
        check("Accès refusé" in console.text(), f"a viewer's replay was not refused: {console.text()[:300]}")
        step("lecteur", rejeu="refusé")

        # 2. An operator: filter, open the record, fix the mapping, reprocess from the page.
        console.sign_in("omar.operator", password)
        console.open("/console/quarantine")
        Select(driver.find_element(By.ID, "q-flow")).select_by_value("operator-followup")
        console.submit(driver.find_element(By.CSS_SELECTOR, "form.filters button").click)
        check("flow=operator-followup" in driver.current_url, "the filter did not apply")
        driver.get(console.record_link("« 7 »"))
        console.accessible("enregistrement")
        check(driver.find_element(By.ID, "record-status").text == "ouvert", "the record is not open")
        path = mappings / "operator-followup-csv.yaml"
        text = path.read_text(encoding="utf-8")
        fixed = text.replace('F9: "9" }', 'F9: "9", "7": "5" }', 1)
        check(fixed != text, "the mapping's fiche codes were not found")
        path.write_text(fixed, encoding="utf-8")
        console.submit(driver.find_element(By.ID, "reprocess").click)
        check("repris et appliqué" in console.text(), f"not applied: {console.text()[:400]}")
        check(driver.find_element(By.ID, "record-status").text == "repris", "the record is not marked reprocessed")
        console.screenshot("enregistrement-repris")
        step("operateur", reprise="appliquée", page=driver.current_url.replace(console.base, ""))

        # 3. Reveal the other record's raw text, with a purpose.
        console.open("/console/quarantine?flow=operator-followup")
        driver.get(console.record_link("CDD"))
        masked = driver.find_element(By.ID, "raw").text
        check("HAEGEL" not in masked and "H*****" in masked, f"the raw record is not masked: {masked}")
        driver.find_element(By.ID, "purpose").send_keys("vérifier le type de sortie")
        console.submit(driver.find_element(By.CSS_SELECTOR, "form[action$='/reveal'] button").click)
        shown = driver.find_element(By.ID, "raw").text
        check("HAEGEL" in shown, "the revealed record is not in clear")
        step("operateur", affichage="en clair")

        # 4. The administrator's audit page shows the three acts.
        console.sign_in("ada.admin", password)
        for path in ["/console/files", "/console/files/1", "/console/exchanges", "/console/people",
                     "/console/people/1", "/console/reports", "/console/users", "/console/keys"]:
            console.open(path)
            console.accessible(path)
        console.open("/console/audit")
        console.accessible("audit")
        rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "tr.audit-entry")]
        for action, actor in [("reprocess", "console:omar.operator"), ("reveal-raw", "console:omar.operator"),
                              ("denied", "console:lea.viewer")]:
            check(any(action in row and actor in row for row in rows), f"no audit entry {action} by {actor}")
        console.screenshot("audit")
        step("administrateur", audit=["reprocess", "reveal-raw", "denied"])
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

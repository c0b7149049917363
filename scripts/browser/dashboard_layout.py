#!/usr/bin/env python3
"""Renders a dashboard page in headless Chromium (Selenium + chromedriver) at a desktop width (1400 px) and a phone
width (390 px), takes a full-page screenshot of each, and checks sizes and regions, not pixels:

- the screenshot is as wide as the viewport and as tall as the page;
- the page never scrolls sideways (wide tables scroll in their own box);
- the headline block is the first section, above the programmes;
- at 1400 px the four headline figures sit side by side, on a phone they are stacked, each as wide as the block;
- every section heading is inside the viewport's width.

Usage: dashboard_layout.py PAGE.html OUTPUT_DIR. Prints one JSON object per width; exits 1 on the first failed check.
"""
import base64
import json
import pathlib
import struct
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

WIDTHS = [("bureau", 1400), ("telephone", 390)]


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def fail(message: str) -> None:
    print(json.dumps({"erreur": message}, ensure_ascii=False))
    sys.exit(1)


def main() -> None:
    page = pathlib.Path(sys.argv[1]).resolve()
    output = pathlib.Path(sys.argv[2])
    output.mkdir(parents=True, exist_ok=True)
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1400,1000"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for name, width in WIDTHS:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
            driver.get(page.as_uri())
            metrics = driver.execute_script("""
                const rect = (selector) => {
                  const element = document.querySelector(selector);
                  if (!element) return null;
                  const r = element.getBoundingClientRect();
                  return {left: r.left, top: r.top + window.scrollY, width: r.width, height: r.height};
                };
                return {
                  viewport: window.innerWidth,
                  scrollWidth: document.documentElement.scrollWidth,
                  height: document.documentElement.scrollHeight,
                  firstSection: document.querySelector('main section').id,
                  headline: rect('#essentiel'),
                  programmes: rect('#programmes'),
                  cards: Array.from(document.querySelectorAll('#essentiel .card')).map(card => {
                    const r = card.getBoundingClientRect();
                    return {left: r.left, top: r.top + window.scrollY, width: r.width};
                  }),
                  block: rect('#essentiel .headline'),
                  headings: Array.from(document.querySelectorAll('h1, h2')).map(h => h.getBoundingClientRect().right),
                };""")
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": metrics["height"], "scale": 1}})
            data = base64.b64decode(shot["data"])
            (output / f"tableau-de-bord-{name}.png").write_bytes(data)
            shot_width, shot_height = png_size(data)
            result = {"largeur": name, "viewport": metrics["viewport"], "capture": [shot_width, shot_height],
                      "hauteur_page": metrics["height"], "cartes": len(metrics["cards"])}
            print(json.dumps(result, ensure_ascii=False))
            if metrics["viewport"] != width:
                fail(f"{name}: viewport {metrics['viewport']} px au lieu de {width}")
            if shot_width != width or abs(shot_height - metrics["height"]) > 1:
                fail(f"{name}: capture {shot_width}×{shot_height}, page {width}×{metrics['height']}")
            if metrics["scrollWidth"] > width:
                fail(f"{name}: la page défile horizontalement ({metrics['scrollWidth']} px pour {width})")
            if metrics["firstSection"] != "essentiel" or not metrics["headline"] or not metrics["programmes"]:
                fail(f"{name}: le bloc « L'essentiel » n'est pas la première section")
            if metrics["headline"]["top"] >= metrics["programmes"]["top"]:
                fail(f"{name}: l'essentiel n'est pas au-dessus des programmes")
            cards = metrics["cards"]
            if len(cards) != 4:
                fail(f"{name}: {len(cards)} chiffres clés au lieu de 4")
            tops = {round(card["top"]) for card in cards}
            if width >= 1000 and len(tops) != 1:
                fail(f"{name}: les chiffres clés ne sont pas sur une ligne ({sorted(tops)})")
            if width < 600:
                block = metrics["block"]
                if len(tops) != 4 or any(abs(card["width"] - block["width"]) > 1 for card in cards):
                    fail(f"{name}: les chiffres clés ne sont pas empilés sur toute la largeur")
            if any(right > width + 0.5 for right in metrics["headings"]):
                fail(f"{name}: un titre dépasse la largeur de l'écran")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
